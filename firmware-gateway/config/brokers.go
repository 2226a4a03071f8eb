package config

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// MaxBrokerURLs bounds mqtt.urls: a cluster of a few nodes, not a list
// to walk for minutes while every attempt times out.
const MaxBrokerURLs = 16

// Brokers is the list of broker URLs the uplink connects to: mqtt.urls
// when set, else mqtt.url alone.
func (m MQTTConfig) Brokers() []string {
	if len(m.URLs) > 0 {
		return slices.Clone(m.URLs)
	}
	if m.URL == "" {
		return nil
	}
	return []string{m.URL}
}

// validateBrokers checks mqtt.url or mqtt.urls: one of the two, every URL
// with a broker scheme and a host, no URL twice, and all of them TLS or
// none (a plain-text fallback would send the password in clear whenever
// the TLS brokers are away).
func (m MQTTConfig) validateBrokers() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: "+format, args...)
	}
	if m.URL != "" && len(m.URLs) > 0 {
		return bad("set mqtt.url or mqtt.urls, not both (mqtt.urls: every broker of the cluster, mqtt.url: one broker)")
	}
	if len(m.URLs) > MaxBrokerURLs {
		return bad("mqtt.urls: %d brokers, at most %d", len(m.URLs), MaxBrokerURLs)
	}
	key := func(i int) string {
		if len(m.URLs) == 0 {
			return "mqtt.url"
		}
		return fmt.Sprintf("mqtt.urls[%d]", i)
	}
	list := m.Brokers()
	if len(list) == 0 {
		return bad("mqtt.url is missing")
	}
	seen := map[string]int{}
	for i, raw := range list {
		if raw == "" {
			return bad("%s is empty", key(i))
		}
		u, err := url.Parse(raw)
		if err != nil {
			return bad("%s: %w", key(i), err)
		}
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			return bad("%s %q: scheme must be tcp, mqtt, ssl, tls, mqtts, ws or wss", key(i), raw)
		}
		if u.Host == "" {
			return bad("%s %q: host is missing", key(i), raw)
		}
		if j, dup := seen[raw]; dup {
			return bad("%s %q: the same broker as mqtt.urls[%d]", key(i), raw, j)
		}
		seen[raw] = i
		if uplink.TLSScheme(raw) != uplink.TLSScheme(list[0]) {
			return bad("%s %q and %s %q: either every broker URL uses TLS (ssl://, tls://, mqtts://, wss://) or none", key(0), list[0], key(i), raw)
		}
	}
	return nil
}
