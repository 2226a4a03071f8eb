package drivers

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Params are a driver's settings as text, from the gateway's configuration
// or from `eldergate-gateway probe --set key=value`.
type Params map[string]string

// ParseParams parses "key=value" items.
func ParseParams(items []string) (Params, error) {
	p := Params{}
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("drivers: setting %q is not key=value", it)
		}
		p[k] = strings.TrimSpace(v)
	}
	return p, nil
}

// String returns the value of key or def.
func (p Params) String(key, def string) string {
	if v, ok := p[key]; ok && v != "" {
		return v
	}
	return def
}

// Int returns the integer value of key or def.
func (p Params) Int(key string, def int) (int, error) {
	v, ok := p[key]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("drivers: setting %s=%q is not an integer", key, v)
	}
	return n, nil
}

// Float returns the numeric value of key or def.
func (p Params) Float(key string, def float64) (float64, error) {
	v, ok := p[key]
	if !ok || v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("drivers: setting %s=%q is not a number", key, v)
	}
	return f, nil
}

// Duration returns the duration value of key ("250ms", "2s") or def.
func (p Params) Duration(key string, def time.Duration) (time.Duration, error) {
	v, ok := p[key]
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("drivers: setting %s=%q is not a duration such as 250ms", key, v)
	}
	return d, nil
}

// Bool returns the boolean value of key or def.
func (p Params) Bool(key string, def bool) (bool, error) {
	v, ok := p[key]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("drivers: setting %s=%q is not true or false", key, v)
	}
	return b, nil
}

// ParamDoc documents one setting a driver accepts.
type ParamDoc struct {
	Key     string `json:"key"`
	Default string `json:"default,omitempty"`
	Help    string `json:"help"`
}

// Check returns an error naming every key of p that docs do not list.
func (p Params) Check(docs []ParamDoc) error {
	known := map[string]bool{}
	for _, d := range docs {
		known[d.Key] = true
	}
	var unknown []string
	for k := range p {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	if len(docs) == 0 {
		return fmt.Errorf("drivers: unknown setting(s) %s (this driver takes none)", strings.Join(unknown, ", "))
	}
	keys := make([]string, 0, len(docs))
	for _, d := range docs {
		keys = append(keys, d.Key)
	}
	return fmt.Errorf("drivers: unknown setting(s) %s (known: %s)", strings.Join(unknown, ", "), strings.Join(keys, ", "))
}

// Options is what a driver constructor gets from the registry.
type Options struct {
	Name     string // device name for events and status
	Port     string // serial device path, SPI port or evdev path, when the driver needs one
	Baud     int    // serial speed; 0 means the driver's default
	Params   Params // driver settings
	Now      func() time.Time
	OnStatus func(Status) // called on every status change, may be nil
	Log      *slog.Logger // never nil when built by the registry
}
