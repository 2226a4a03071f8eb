package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func TestParseAlarms(t *testing.T) {
	a, err := config.ParseAlarms([]byte(`
buttons:
  gpio17: {name: 卫生间紧急按钮, place: 一楼卫生间}
  hall-1: {name: 大厅吊坠, place: 一楼大厅, supervision: 1h}
`))
	if err != nil {
		t.Fatal(err)
	}
	if b := a.Buttons["gpio17"]; b.Name != "卫生间紧急按钮" || b.Place != "一楼卫生间" || b.Supervision != 0 {
		t.Fatalf("gpio17 = %+v", b)
	}
	if a.Buttons["hall-1"].Supervision != time.Hour || a.KioskGrace != 30*time.Second {
		t.Fatalf("alarms = %+v", a)
	}
	for _, c := range []struct{ yaml, want string }{
		{"buttons: {b1: {place: 大厅}}", "alarms.buttons.b1.name is missing"},
		{"buttons: {b1: {name: x, room: 大厅}}", "field room not found"},
		{"buttons: {b1: {name: x, supervision: 10s}}", "alarms.buttons.b1.supervision 10s: must be 0"},
		{"buttons: {b1: {name: \"a\\nb\"}}", "alarms.buttons.b1.name: longer than 256 bytes or not plain text"},
		{"buttons: {b1: {name: x, place: " + strings.Repeat("长", 100) + "}}", "alarms.buttons.b1.place"},
		{"kiosk_grace: 2h", "alarms.kiosk_grace 2h0m0s: at most 1h0m0s"},
		{"buttons: [a, b]", "alarms: yaml: unmarshal errors"},
	} {
		_, err := config.ParseAlarms([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "gateway: config: alarms") {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
	if a, err := config.ParseAlarms([]byte("kiosk_grace: -1s")); err != nil || a.KioskGrace >= 0 {
		t.Fatalf("kiosk supervision off: %+v %v", a, err)
	}
}

func FuzzParseAlarms(f *testing.F) {
	f.Add([]byte("buttons: {gpio17: {name: 卫生间紧急按钮, place: 一楼卫生间}}"))
	f.Add([]byte("buttons: {hall-1: {name: x, supervision: 1h}}\nkiosk_grace: 45s"))
	f.Add([]byte("buttons: {\"\": {name: x}}"))
	f.Add([]byte("buttons: {b: {name: \"\\x01\"}}"))
	f.Add([]byte("kiosk_grace: -5m"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := config.ParseAlarms(b)
		if err != nil {
			return
		}
		if a.KioskGrace == 0 || a.KioskGrace > config.MaxKioskGrace || len(a.Buttons) > config.MaxButtons {
			t.Fatalf("invalid alarms accepted: %+v", a)
		}
		for id, btn := range a.Buttons {
			if strings.TrimSpace(id) == "" || strings.TrimSpace(btn.Name) == "" || len(btn.Name) > 256 || len(btn.Place) > 256 ||
				btn.Supervision != 0 && (btn.Supervision < config.MinSupervision || btn.Supervision > config.MaxSupervision) {
				t.Fatalf("invalid button accepted: %q %+v", id, btn)
			}
		}
	})
}
