package config_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

const releaseKey = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" // 32 bytes

func TestUpdateSection(t *testing.T) {
	c := parse(t, minimal+"update:\n  cloud_url: https://cloud.example:8443\n  public_keys: ["+releaseKey+"]\n")
	if keys, err := c.Update.Keys(); err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if c.Update.RetryInterval.Seconds() != 60 {
		t.Fatalf("retry_interval default %v", c.Update.RetryInterval)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"update:\n  cloud_url: http://cloud.example\n", "HTTPS only"},
		{"update:\n  public_keys: [notbase64!]\n", "update.public_keys[0]: release public key is not base64"},
		{"update:\n  public_keys: [AAAA]\n", "is 3 bytes, not 32"},
		{"update:\n  retry_interval: 2h\n", "update.retry_interval"},
		{"update:\n  keys: []\n", "field keys not found"},
	} {
		_, err := config.Parse([]byte(minimal + bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.yaml, err, bad.want)
		}
	}
	// Whom the gateway trusts is local: a config command cannot change it.
	cur := parse(t, minimal)
	pushed := parse(t, minimal+"update:\n  public_keys: ["+releaseKey+"]\n")
	if err := config.CheckLocalOnly(pushed, cur); err == nil || !strings.Contains(err.Error(), "update") {
		t.Fatalf("pushed release keys: %v", err)
	}
	config.LocalOnly(&pushed, cur)
	if len(pushed.Update.PublicKeys) != 0 {
		t.Fatal("pushed release keys kept")
	}
}

// FuzzParseUpdate: an update section either fails with an error or is
// one whose keys parse, whose cloud_url is https and whose retry interval
// is in bounds.
func FuzzParseUpdate(f *testing.F) {
	f.Add("cloud_url: https://cloud.example:8443\npublic_keys: [" + releaseKey + "]\n")
	f.Add("cloud_url: http://x\n")
	f.Add("public_keys: [\"\"]\nretry_interval: 0s\n")
	f.Add("retry_interval: -1s\nca_file: /etc/x.pem\n")
	f.Fuzz(func(t *testing.T, section string) {
		var text strings.Builder
		text.WriteString(minimal + "update:\n")
		for line := range strings.Lines(section) {
			text.WriteString("  " + line)
		}
		c, err := config.Parse([]byte(text.String()))
		if err != nil {
			return
		}
		if _, err := c.Update.Keys(); err != nil {
			t.Fatalf("accepted keys that do not parse: %v", err)
		}
		if u, err := url.Parse(c.Update.CloudURL); c.Update.CloudURL != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
			t.Fatalf("accepted cloud_url %q", c.Update.CloudURL)
		}
		if c.Update.RetryInterval < time.Second || c.Update.RetryInterval > time.Hour {
			t.Fatalf("accepted retry_interval %v", c.Update.RetryInterval)
		}
	})
}
