package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// AlarmsConfig is the alarms section: what the kiosk and the cloud are
// told about each emergency button, and the supervision settings.
//
//	alarms:
//	  buttons:
//	    gpio17: {name: 卫生间紧急按钮, place: 一楼卫生间}
//	    hall-1: {name: 大厅吊坠, place: 一楼大厅, supervision: 1h}
//	  kiosk_grace: 30s
type AlarmsConfig struct {
	// Buttons by button id (the GPIO button's id or pin, the 433 MHz code
	// table's button, the simulated button's id).
	Buttons map[string]ButtonConfig `yaml:"buttons,omitempty"`
	// KioskGrace: the kiosk screen's browser, once connected, gone this
	// long raises a kiosk_disconnected supervision alert. Default 30s;
	// negative: not supervised.
	KioskGrace time.Duration `yaml:"kiosk_grace,omitempty"`
}

// ButtonConfig names one button.
type ButtonConfig struct {
	Name  string `yaml:"name"`            // shown instead of the id, required
	Place string `yaml:"place,omitempty"` // where it is
	// Supervision is the interval of a 433 MHz pendant's supervision
	// reports (its rf433 "reports" code, or any press): silent for 2.5
	// times it raises button_silent. 0: not supervised.
	Supervision time.Duration `yaml:"supervision,omitempty"`
}

// Limits of the alarms section.
const (
	MaxButtons        = 256
	maxAlarmText      = 256 // bytes, as the contract's text fields
	MinSupervision    = time.Minute
	MaxSupervision    = 7 * 24 * time.Hour
	DefaultKioskGrace = 30 * time.Second
	MaxKioskGrace     = time.Hour
)

func (a *AlarmsConfig) applyDefaults() {
	if a.KioskGrace == 0 {
		a.KioskGrace = DefaultKioskGrace
	}
}

// validate reports the first problem of the section, naming the key.
func (a *AlarmsConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: alarms."+format, args...)
	}
	if len(a.Buttons) > MaxButtons {
		return bad("buttons: %d buttons, at most %d", len(a.Buttons), MaxButtons)
	}
	ids := make([]string, 0, len(a.Buttons))
	for id := range a.Buttons {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the first problem is always the same one
	for _, id := range ids {
		b := a.Buttons[id]
		switch {
		case strings.TrimSpace(id) == "" || len(id) > maxAlarmText || !cleanText(id):
			return bad("buttons: button id %q: empty, too long or with control characters", id)
		case strings.TrimSpace(b.Name) == "":
			return bad("buttons.%s.name is missing (the name shown on the kiosk, e.g. 卫生间紧急按钮)", id)
		case len(b.Name) > maxAlarmText || !cleanText(b.Name):
			return bad("buttons.%s.name: longer than %d bytes or not plain text", id, maxAlarmText)
		case len(b.Place) > maxAlarmText || !cleanText(b.Place):
			return bad("buttons.%s.place: longer than %d bytes or not plain text", id, maxAlarmText)
		case b.Supervision != 0 && (b.Supervision < MinSupervision || b.Supervision > MaxSupervision):
			return bad("buttons.%s.supervision %v: must be 0 (not supervised) or between %v and %v", id, b.Supervision, MinSupervision, MaxSupervision)
		}
	}
	if a.KioskGrace > MaxKioskGrace {
		return bad("kiosk_grace %v: at most %v (negative: not supervised)", a.KioskGrace, MaxKioskGrace)
	}
	return nil
}

// cleanText: valid UTF-8 without control characters.
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// ParseAlarms reads an alarms section on its own (YAML, unknown keys are
// errors), applies its defaults and validates it.
func ParseAlarms(data []byte) (AlarmsConfig, error) {
	return parseSection[AlarmsConfig]("alarms", data)
}

// section is a configuration section that completes and checks itself.
type section[T any] interface {
	*T
	applyDefaults()
	validate() error
}

// parseSection reads one section on its own (YAML, unknown keys are
// errors, at most MaxBytes), applies its defaults and validates it: the
// rule of Parse for one section, used by its fuzz tests and tools.
func parseSection[T any, P section[T]](name string, data []byte) (T, error) {
	var v T
	if len(data) > MaxBytes {
		return v, fmt.Errorf("gateway: config: %s: larger than %d bytes", name, MaxBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil && !errors.Is(err, io.EOF) {
		return v, fmt.Errorf("gateway: config: %s: %w", name, err)
	}
	P(&v).applyDefaults()
	if err := P(&v).validate(); err != nil {
		return v, err
	}
	return v, nil
}
