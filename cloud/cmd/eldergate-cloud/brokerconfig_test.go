package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokerConfigCmd: the command's refusals in words, and on success
// the cloud configuration lines naming the password file it wrote.
func TestBrokerConfigCmd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "broker")
	for _, c := range []struct {
		args  []string
		words string
	}{
		{[]string{"broker-config"}, "--out DIR is required"},
		{[]string{"broker-config", "--out", dir, "--listen", "0.0.0.0"}, "--listen: listen address \"0.0.0.0\": want host:port"},
		{[]string{"broker-config", "--out", dir, "--cloud-listen", "127.0.0.1:99999"}, "--cloud-listen: listen address \"127.0.0.1:99999\": the port must be a number from 1 to 65535"},
		{[]string{"broker-config", "--out", dir, "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}, "the TLS certificate: open /nonexistent.pem"},
		{[]string{"broker-config", "--out", dir, "extra"}, "unexpected arguments"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), c.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.words)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"broker-config", "--out", dir}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "cloud-broker-password")
	if !strings.Contains(out.String(), "broker_password_file: "+pwFile) || !strings.Contains(out.String(), "broker_dynsec: true") {
		t.Fatalf("output:\n%s", out.String())
	}
	pw, err := readPasswordFile(pwFile)
	if err != nil || len(pw) < 30 {
		t.Fatalf("readPasswordFile = %q, %v", pw, err)
	}
	if err := run(context.Background(), []string{"broker-config", "--out", dir}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second run: %v, want a refusal naming --force", err)
	}
}

func TestReadPasswordFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte("\nsecond"), 0o600)
	if _, err := readPasswordFile(p); err == nil || !strings.Contains(err.Error(), "empty first line") {
		t.Fatalf("empty first line: %v", err)
	}
	os.WriteFile(p, []byte("s3cret\r\n"), 0o600)
	if pw, err := readPasswordFile(p); err != nil || pw != "s3cret" {
		t.Fatalf("readPasswordFile = %q, %v", pw, err)
	}
	if _, err := readPasswordFile(p + ".missing"); err == nil || !strings.Contains(err.Error(), "broker password file") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestComposeCloudConfig: the cloud configuration compose.yaml mounts is
// valid (no unknown key) and takes the broker password from its secret.
func TestComposeCloudConfig(t *testing.T) {
	data, err := os.ReadFile("../../../deploy/compose/cloud.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fc, err := parseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if !fc.BrokerDynsec || fc.BrokerPasswordFile != "/run/secrets/broker_password" || fc.BrokerCAFile == "" || fc.BrokerPassword != "" || fc.AdminToken != "" {
		t.Fatalf("deploy/compose/cloud.yaml = %+v", fc)
	}
}
