package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	fc, err := parseConfig([]byte(`
data_dir: /var/lib/eldergate-cloud
http_addr: 127.0.0.1:8080
mqtt_addr: 127.0.0.1:1883
admin_token: secret-token
no_ingest: true
gateways:
  - id: gw-a
    site: 幸福社区长者饭堂
    secret: s3cret-a
  - id: gw-b
    site: site-b
    secret: s3cret-b
`))
	if err != nil {
		t.Fatal(err)
	}
	if fc.DataDir != "/var/lib/eldergate-cloud" || fc.AdminToken != "secret-token" || fc.MQTTAddr != "127.0.0.1:1883" || !fc.NoIngest {
		t.Errorf("config = %+v", fc)
	}
	if len(fc.Gateways) != 2 || fc.Gateways[0].ID != "gw-a" || fc.Gateways[0].Site != "幸福社区长者饭堂" || fc.Gateways[1].Secret != "s3cret-b" {
		t.Errorf("gateways = %+v", fc.Gateways)
	}
	if _, err := parseConfig([]byte("admin_tokn: x\n")); err == nil {
		t.Error("unknown key accepted")
	}
	if _, err := parseConfig([]byte("gateways: 3\n")); err == nil {
		t.Error("bad type accepted")
	}
	if fc, err := parseConfig(nil); err != nil || fc.DataDir != "" {
		t.Errorf("empty file: %+v, %v", fc, err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("data_dir: d\ngateways:\n  - id: gw-a\n    secret: x\n"))
	f.Add([]byte("admin_token: [1, 2"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fc, err := parseConfig(data)
		if err != nil && (fc.DataDir != "" || fc.Gateways != nil) {
			t.Fatalf("error with non-zero config: %+v", fc)
		}
	})
}

func TestCheckPublicURL(t *testing.T) {
	for s, ok := range map[string]bool{"": true, "https://eg.example.gov.cn": true, "http://10.0.0.1:8080/eg/": true,
		"eg.example.gov.cn": false, "ftp://x": false, "https://": false, "https://x/?a=1": false, "https://u:p@x": false, "https://x/#f": false} {
		if err := checkPublicURL(s); (err == nil) != ok {
			t.Errorf("checkPublicURL(%q) = %v", s, err)
		}
	}
	fc, err := parseConfig([]byte("public_url: https://eg.example.gov.cn\n"))
	if err != nil || fc.PublicURL != "https://eg.example.gov.cn" {
		t.Errorf("public_url: %+v %v", fc, err)
	}
}

func FuzzCheckPublicURL(f *testing.F) {
	f.Add("https://eg.example.gov.cn")
	f.Add("http://[::1]:80/x")
	f.Fuzz(func(t *testing.T, s string) {
		if checkPublicURL(s) == nil && s != "" && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") &&
			!strings.HasPrefix(strings.ToLower(s), "http") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// The configuration the package ships parses and keeps the store where
// the unit's StateDirectory is.
func TestPackagedCloudConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "packaging", "etc", "cloud.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := parseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if fc.DataDir != "/var/lib/eldergate/cloud" {
		t.Errorf("data_dir %q, want the unit's StateDirectory /var/lib/eldergate/cloud", fc.DataDir)
	}
}
