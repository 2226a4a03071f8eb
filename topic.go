package eldergate

import (
	"fmt"
	"strings"
)

// TopicPrefix is the root of every eldergate MQTT topic.
const TopicPrefix = "eg/v1/gw/"

// Channel is the last level of a gateway topic.
type Channel string

// The channels of the MQTT contract (DESIGN.md, "MQTT contract").
const (
	ChannelUp     Channel = "up"     // gateway -> cloud: event batches
	ChannelAck    Channel = "ack"    // cloud -> gateway: application acks
	ChannelCmd    Channel = "cmd"    // cloud -> gateway: commands
	ChannelCmdRes Channel = "cmdres" // gateway -> cloud: command results
	ChannelState  Channel = "state"  // gateway -> cloud, retained: birth and will
)

// SharedIngestFilter is the shared subscription the ingesters use so that
// several of them can run side by side.
const SharedIngestFilter = "$share/ingest/" + TopicPrefix + "+/up"

// MaxGatewayIDLen bounds a gateway id.
const MaxGatewayIDLen = 64

// ValidateGatewayID reports whether id can be used as a gateway id: 1-64
// characters of [A-Za-z0-9_.-], so it is safe as a topic level, a broker
// user name and a file name.
func ValidateGatewayID(id string) error {
	if id == "" {
		return fmt.Errorf("eldergate: gateway id is empty")
	}
	if len(id) > MaxGatewayIDLen {
		return fmt.Errorf("eldergate: gateway id longer than %d characters", MaxGatewayIDLen)
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("eldergate: gateway id %q has invalid character %q", id, c)
		}
	}
	return nil
}

// Topic builds the topic of channel ch for gateway gw.
func Topic(gw string, ch Channel) string {
	return TopicPrefix + gw + "/" + string(ch)
}

// ParseTopic splits a gateway topic into its gateway id and channel.
func ParseTopic(topic string) (gw string, ch Channel, err error) {
	rest, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok {
		return "", "", fmt.Errorf("eldergate: topic %q is not under %s", topic, TopicPrefix)
	}
	gw, last, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", fmt.Errorf("eldergate: topic %q has no channel", topic)
	}
	if err := ValidateGatewayID(gw); err != nil {
		return "", "", fmt.Errorf("eldergate: topic %q: %w", topic, err)
	}
	switch c := Channel(last); c {
	case ChannelUp, ChannelAck, ChannelCmd, ChannelCmdRes, ChannelState:
		return gw, c, nil
	}
	return "", "", fmt.Errorf("eldergate: topic %q has unknown channel %q", topic, last)
}

// CloudStateTopic is the cloud's retained state (ADR 0012): every
// ingesting cloud process publishes CloudState{Online: true} on it once
// its shared subscription is acknowledged, with a will saying offline.
// Gateways may only subscribe to it; only the cloud publishes it.
const CloudStateTopic = "eg/v1/cloud/state"
