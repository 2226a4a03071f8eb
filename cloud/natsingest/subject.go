package natsingest

import (
	"fmt"
	"strings"

	"github.com/eldergate/eldergate"
)

// Subject maps an MQTT topic to the NATS subject nats-server's MQTT
// listener uses for it: each '/' becomes '.', and a '.' (gateway ids may
// have one) becomes "//". So eg/v1/gw/a.b/up is eg.v1.gw.a//b.up. The
// topics it handles are the project's: no empty level, no wildcard, no
// white space.
func Subject(topic string) string {
	var b strings.Builder
	b.Grow(len(topic) + 4)
	for i := 0; i < len(topic); i++ {
		switch c := topic[i]; c {
		case '/':
			b.WriteByte('.')
		case '.':
			b.WriteString("//")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Topic is Subject's inverse: the MQTT topic of a NATS subject. It fails
// on a subject that no MQTT topic of a gateway maps to (a '/' not
// doubled, an empty level), so a message put on the stream by hand
// cannot pass for a gateway's.
func Topic(subject string) (string, error) {
	var b strings.Builder
	b.Grow(len(subject))
	level := 0 // bytes in the current level
	for i := 0; i < len(subject); i++ {
		switch c := subject[i]; c {
		case '.':
			if level == 0 {
				return "", fmt.Errorf("natsingest: subject %q has an empty level", subject)
			}
			b.WriteByte('/')
			level = 0
		case '/':
			if i+1 >= len(subject) || subject[i+1] != '/' {
				return "", fmt.Errorf("natsingest: subject %q has a single '/'", subject)
			}
			b.WriteByte('.')
			i++
			level++
		case ' ', '\t', '\r', '\n', '*', '>', '+', '#':
			return "", fmt.Errorf("natsingest: subject %q has a wildcard or white space", subject)
		default:
			b.WriteByte(c)
			level++
		}
	}
	if level == 0 {
		return "", fmt.Errorf("natsingest: subject %q has an empty level", subject)
	}
	return b.String(), nil
}

// GatewaySubjects are the subjects of what gateways send the cloud: the
// stream's (up batches, birth and will states, command results' quick
// copies).
func GatewaySubjects() []string {
	var s []string
	for _, ch := range []eldergate.Channel{eldergate.ChannelUp, eldergate.ChannelState, eldergate.ChannelCmdRes} {
		s = append(s, Subject(eldergate.TopicPrefix)+"*."+string(ch))
	}
	return s
}
