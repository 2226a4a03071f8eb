package config_test

import (
	"strings"
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// The elder's screen: the site's name and how long a result stays.
func TestKioskSettings(t *testing.T) {
	c := parse(t, minimal)
	if c.SiteName != "" || c.Kiosk.ResultSeconds != 8 {
		t.Fatalf("defaults: site_name %q, kiosk.result_seconds %d, want empty and 8", c.SiteName, c.Kiosk.ResultSeconds)
	}
	c = parse(t, minimal+"site_name: 幸福里长者饭堂\nkiosk: {result_seconds: 12}\n")
	if c.SiteName != "幸福里长者饭堂" || c.Kiosk.ResultSeconds != 12 {
		t.Fatalf("site_name %q, kiosk.result_seconds %d", c.SiteName, c.Kiosk.ResultSeconds)
	}
	for _, c := range []struct{ yaml, want string }{
		{"kiosk: {result_seconds: 2}", "kiosk.result_seconds 2: must be between 3 and 60"},
		{"kiosk: {result_seconds: 61}", "kiosk.result_seconds 61"},
		{"kiosk: {seconds: 5}", "field seconds not found"},
		{"site_name: \"a\\nb\"", "site_name: longer than"},
		{"site_name: " + strings.Repeat("长", 100), "site_name: longer than"},
	} {
		if _, err := config.Parse([]byte(minimal + c.yaml + "\n")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
