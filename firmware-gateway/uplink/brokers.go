package uplink

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// MQTTClientID is the MQTT client id of gateway gw: its id with each '.'
// made a '~'. nats-server refuses a client id with a '.' (it names NATS
// subjects after it), and a gateway id may have one; '~' is in no
// gateway id, so two gateways never share a client id (ADR 0041).
func MQTTClientID(gw string) string { return strings.ReplaceAll(gw, ".", "~") }

// Brokers returns the broker URLs a gateway connects to, in the order it
// tries them: url (when set) then urls, without empty entries or
// repeats, rotated by a hash of gw so that a fleet given the same list of
// cluster nodes spreads over them instead of all landing on the first.
// Either every URL uses TLS or none.
func Brokers(gw, url string, urls []string) ([]string, error) {
	var list []string
	seen := map[string]bool{}
	for _, u := range append([]string{url}, urls...) {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		list = append(list, u)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("uplink: broker url is empty")
	}
	for _, u := range list[1:] {
		if TLSScheme(u) != TLSScheme(list[0]) {
			return nil, fmt.Errorf("uplink: broker URLs %q and %q: either all use TLS or none", list[0], u)
		}
	}
	h := fnv.New32a()
	h.Write([]byte(gw))
	k := int(h.Sum32() % uint32(len(list)))
	return append(append(make([]string, 0, len(list)), list[k:]...), list[:k]...), nil
}
