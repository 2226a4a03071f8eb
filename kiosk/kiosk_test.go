package kiosk_test

import (
	"io/fs"
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
	for _, hook := range []string{`data-testid="staff-panel"`, `data-testid="staff-pin"`, `data-testid="staff-q"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"/api/staff/login"`, `"/api/staff/meal"`, `"/api/staff/void"`, `addEventListener("staff"`, "disk_full:", "Authorization"} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
	for _, hook := range []string{`data-testid="tap-result"`, `data-decision=""`, `data-testid="sim-button"`, `data-testid="alert-banner"`, `src="app.js"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"data-testid", "sim-tap"`, "dataset.card", "dataset.decision", `"/api/events"`, "speechSynthesis", `"zh-HK"`} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
}
