package config_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// withURLs is minimal with mqtt.url replaced by the mqtt lines given.
func withURLs(mqttLines string) string {
	return strings.Replace(minimal, "  url: tcp://broker:1883\n", mqttLines, 1)
}

func TestBrokerURLs(t *testing.T) {
	// The old key keeps working: one broker.
	if got := parse(t, minimal).MQTT.Brokers(); !slices.Equal(got, []string{"tcp://broker:1883"}) {
		t.Fatalf("mqtt.url: brokers %q", got)
	}
	// No key at all: the local default.
	if got := parse(t, withURLs("")).MQTT.Brokers(); !slices.Equal(got, []string{"tcp://127.0.0.1:1883"}) {
		t.Fatalf("default: brokers %q", got)
	}
	c := parse(t, withURLs("  urls: [tcp://n1:1883, tcp://n2:1883, tcp://n3:1883]\n"))
	if got := c.MQTT.Brokers(); !slices.Equal(got, []string{"tcp://n1:1883", "tcp://n2:1883", "tcp://n3:1883"}) {
		t.Fatalf("mqtt.urls: brokers %q", got)
	}
	if c.MQTT.URL != "" {
		t.Fatalf("mqtt.urls set the default mqtt.url %q too", c.MQTT.URL)
	}

	for _, tc := range []struct{ lines, want string }{
		{"  url: tcp://a:1883\n  urls: [tcp://b:1883]\n", "set mqtt.url or mqtt.urls, not both"},
		{"  urls: [tcp://a:1883, \"\"]\n", "mqtt.urls[1] is empty"},
		{"  urls: [tcp://a:1883, http://b:80]\n", `mqtt.urls[1] "http://b:80": scheme must be`},
		{"  urls: [tcp://a:1883, \"tcp://\"]\n", `mqtt.urls[1] "tcp://": host is missing`},
		{"  urls: [tcp://a:1883, tcp://a:1883]\n", `mqtt.urls[1] "tcp://a:1883": the same broker as mqtt.urls[0]`},
		{"  urls: [ssl://a:8883, tcp://b:1883]\n", "either every broker URL uses TLS"},
		{"  urls: [\"tcp://a:1883\\x7f\"]\n", "mqtt.urls[0]: parse"},
		{"  urls: [tcp://a:1883]\n  ca_file: /ca.pem\n", "need an ssl://"},
		{"  url: http://a\n", `mqtt.url "http://a": scheme must be`},
		{"  urls: [" + strings.Repeat("tcp://h:1,", 16) + "tcp://h:2]\n", "17 brokers, at most 16"},
	} {
		_, err := config.Parse([]byte(withURLs(tc.lines)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to say %q", tc.lines, err, tc.want)
		}
	}
}

func TestBrokerURLsAreLocalOnly(t *testing.T) {
	cur := parse(t, withURLs("  urls: [tcp://n1:1883, tcp://n2:1883]\n"))
	pushed := parse(t, withURLs("  urls: [tcp://evil:1883]\n"))
	if err := config.CheckLocalOnly(pushed, cur); err == nil || !strings.Contains(err.Error(), "mqtt.urls") {
		t.Fatalf("a pushed mqtt.urls was accepted: %v", err)
	}
	config.LocalOnly(&pushed, cur)
	if !slices.Equal(pushed.MQTT.URLs, cur.MQTT.URLs) {
		t.Fatalf("LocalOnly kept the pushed urls %q", pushed.MQTT.URLs)
	}
}

// FuzzBrokerURLs: any mqtt.urls either fails validation with an error
// naming mqtt.url(s), or every broker has a known scheme and a host, with
// no repeat, all TLS or none.
func FuzzBrokerURLs(f *testing.F) {
	f.Add("tcp://n1:1883", "tcp://n2:1883", "tcp://n3:1883")
	f.Add("ssl://n1:8883", "tcp://n2:1883", "")
	f.Add("tcp://a:1", "tcp://a:1", "mqtt://[::1]:1883")
	f.Add("ws://h/mqtt", "wss://h/mqtt", "tcp://%zz")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		text := withURLs(fmt.Sprintf("  urls: [%q, %q, %q]\n", a, b, c))
		cfg, err := config.Parse([]byte(text))
		if err != nil {
			return // not a valid YAML string or refused: both fine, no panic
		}
		list := cfg.MQTT.Brokers()
		if len(list) != 3 {
			t.Fatalf("brokers %q from %q %q %q", list, a, b, c)
		}
		seen := map[string]bool{}
		for _, raw := range list {
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" || seen[raw] {
				t.Fatalf("accepted broker %q (err %v) in %q", raw, err, list)
			}
			seen[raw] = true
		}
	})
}
