package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func TestCredentialsFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c := config.Credentials{GatewayID: "gw-1", Site: "s", BrokerURL: "tcp://127.0.0.1:1", Username: "gw-1", Password: "pw-123"}
	path, err := config.WriteCredentials(dir, c, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(dir, config.BrokerCAFileName)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, %v; want mode 0600", p, fi.Mode(), err)
		}
	}
	got, err := config.LoadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Password != "pw-123" || got.Username != "gw-1" || got.CAFile != filepath.Join(dir, config.BrokerCAFileName) {
		t.Fatalf("loaded %+v", got)
	}
	// Overwriting keeps 0600 and replaces the content.
	c.Password = "pw-456"
	if _, err := config.WriteCredentials(dir, c, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := config.LoadCredentials(path); err != nil || got.Password != "pw-456" || got.CAFile != "" {
		t.Fatalf("after rewrite: %+v, %v", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadCredentials(path); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("world-readable credentials: err = %v, want a mode error", err)
	}
}

func TestConfigCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := config.WriteCredentials(filepath.Join(dir, "data"), config.Credentials{GatewayID: "gw-1", Site: "s",
		BrokerURL: "tcp://127.0.0.1:1", Username: "gw-1", Password: "pw"}, ""); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(minimal+"mqtt:\n  credentials_file: data/credentials.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.URL != "" || cfg.MQTT.CredentialsFile != filepath.Join(dir, "data", "credentials.yaml") {
		t.Fatalf("mqtt = %+v; want no url (it comes from the credentials) and an absolute credentials_file", cfg.MQTT)
	}
	cfg.DataDir = t.TempDir()
	if _, err := gateway.New(cfg); err != nil {
		t.Fatalf("New with a credentials file: %v", err)
	}
	both := cfg
	both.MQTT.Password = "x"
	if _, err := gateway.New(both); err == nil {
		t.Fatal("New with both mqtt.password and mqtt.credentials_file: no error")
	}
	other := cfg
	other.GatewayID = "gw-2"
	if _, err := gateway.New(other); err == nil || !strings.Contains(err.Error(), "gw-1") {
		t.Fatalf("New with another gateway's credentials: err = %v", err)
	}
	missing := cfg
	missing.MQTT.CredentialsFile = filepath.Join(dir, "nope.yaml")
	if _, err := gateway.New(missing); err == nil {
		t.Fatal("New with a missing credentials file: no error")
	}
}
