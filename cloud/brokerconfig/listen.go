package brokerconfig

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Listen is a Mosquitto listener's address: `listener PORT [BIND]`.
type Listen struct {
	Host string // bind address (an IP or a host name); "" = every interface
	Port int
}

// String is the address as host:port ("0.0.0.0:8883", "[::1]:8883").
func (l Listen) String() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// wildcard reports whether l listens on every interface.
func (l Listen) wildcard() bool {
	ip := net.ParseIP(l.Host)
	return l.Host == "" || (ip != nil && ip.IsUnspecified())
}

// line is the listener line of mosquitto.conf.
func (l Listen) line() string {
	if l.Host == "" {
		return fmt.Sprintf("listener %d", l.Port)
	}
	return fmt.Sprintf("listener %d %s", l.Port, l.Host)
}

// ParseListen reads a listen address "host:port" (":8883" and
// "0.0.0.0:8883" listen on every interface, "[::]:8883" on every IPv6
// one). The port must be 1-65535; the host an IP address or a host name
// (letters, digits, '-', '.'), since the line goes into a configuration
// file where a space or a newline would add options.
func ParseListen(s string) (Listen, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return Listen{}, fmt.Errorf("listen address %q: want host:port such as 0.0.0.0:8883", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || strconv.Itoa(p) != port {
		return Listen{}, fmt.Errorf("listen address %q: the port must be a number from 1 to 65535", s)
	}
	if host != "" && net.ParseIP(host) == nil && !hostName(host) {
		return Listen{}, fmt.Errorf("listen address %q: %q is neither an IP address nor a host name", s, host)
	}
	return Listen{Host: host, Port: p}, nil
}

// hostName reports whether s is a DNS host name (RFC 1123 labels).
func hostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
