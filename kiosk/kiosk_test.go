package kiosk_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/kiosk"
)

func TestFilesAndTestHooks(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(kiosk.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	html, js := read("index.html"), read("app.js")
	read("style.css")
	for _, hook := range []string{`data-testid="staff-panel"`, `data-testid="staff-pin"`, `data-testid="staff-q"`,
		`data-testid="alert-banner"`, `id="alert-state"`, `data-testid="alert-where"`, `data-testid="alert-pressed-again"`, `data-testid="staff-alerts"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"/api/staff/login"`, `"/api/staff/meal"`, `"/api/staff/void"`, `addEventListener("staff"`, "disk_full:", "Authorization",
		`"/api/alerts"`, `"/api/staff/alerts"`, `"/api/staff/alerts/ack"`, `"/api/staff/alerts/resolve"`, `addEventListener("alert"`,
		`"data-alert-id"`, `"staff-alert-ack"`, `"staff-alert-resolve"`, `id: "alert-by"`} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
	for _, hook := range []string{`data-testid="tap-result"`, `data-decision=""`, `data-testid="sim-button"`, `data-testid="alert-banner"`, `src="app.js"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"data-testid", "sim-tap"`, "dataset.card", "dataset.decision", `"/api/events"`, `"/api/voice?"`, `"zh-HK"`} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
}

// TestLanguagesComplete: zh-CN, zh-HK and en have the same texts (the
// keys of their blocks in app.js, nested ones included).
func TestLanguagesComplete(t *testing.T) {
	b, err := fs.ReadFile(kiosk.FS(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	start, hk, en := strings.Index(js, `"zh-CN": {`), strings.Index(js, `"zh-HK": {`), strings.Index(js, "\n  en: {")
	end := strings.Index(js[en:], "\n};") + en
	if start < 0 || hk < start || en < hk || end < en {
		t.Fatal("language blocks not found in app.js")
	}
	key := regexp.MustCompile(`(?:^|[{,]\s*)([a-z_0-9]+):\s`)
	keys := func(block string) map[string]bool {
		out := map[string]bool{}
		for _, line := range strings.Split(block, "\n") {
			for _, m := range key.FindAllStringSubmatch(strings.TrimSpace(line), -1) {
				out[m[1]] = true
			}
		}
		return out
	}
	langs := map[string]map[string]bool{"zh-CN": keys(js[start:hk]), "zh-HK": keys(js[hk:en]), "en": keys(js[en+len("\n  en: {") : end])}
	for _, k := range []string{"alert_calling", "alert_acked", "alert_done", "helped_on_site", "kiosk_disconnected"} {
		if !langs["zh-CN"][k] {
			t.Fatalf("zh-CN lacks %s: the key pattern is wrong", k)
		}
	}
	for name, set := range langs {
		for other, oset := range langs {
			for k := range set {
				if !oset[k] {
					t.Errorf("%s has %s, %s has not", name, k, other)
				}
			}
		}
	}
}
