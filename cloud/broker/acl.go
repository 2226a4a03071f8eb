package broker

import (
	"bytes"
	"strings"

	"github.com/eldergate/eldergate"
	mqtt "github.com/mochi-mqtt/server/v2"
)

// ServiceUser is the broker user name of the cloud's own service account.
// The colon keeps it out of the gateway id space.
const ServiceUser = "eg:cloud"

// GatewayMayPublish reports whether gateway gw may publish on topic: its
// own up, cmdres and state topics, nothing else.
func GatewayMayPublish(gw, topic string) bool {
	return topic == eldergate.Topic(gw, eldergate.ChannelUp) ||
		topic == eldergate.Topic(gw, eldergate.ChannelCmdRes) ||
		topic == eldergate.Topic(gw, eldergate.ChannelState)
}

// GatewayMaySubscribe reports whether gateway gw may subscribe to filter:
// exactly its own ack and cmd topics and the cloud's state (read only,
// ADR 0012); no wildcards, no shared subscriptions.
func GatewayMaySubscribe(gw, filter string) bool {
	return filter == eldergate.Topic(gw, eldergate.ChannelAck) ||
		filter == eldergate.Topic(gw, eldergate.ChannelCmd) ||
		filter == eldergate.CloudStateTopic
}

// ServiceMayUse reports whether the cloud's service account may use topic
// or filter: everything under eg/v1/, directly or as the shared ingest
// subscription.
func ServiceMayUse(filter string) bool {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		_, f, ok := strings.Cut(rest, "/")
		if !ok {
			return false
		}
		filter = f
	}
	return strings.HasPrefix(filter, "eg/v1/")
}

// ACLHook enforces the topic rules: a gateway uses only its own
// eg/v1/gw/{gw}/... topics and reads the cloud's state, the service
// account everything under eg/v1/.
type ACLHook struct {
	mqtt.HookBase
}

// ID implements mqtt.Hook.
func (h *ACLHook) ID() string { return "eldergate-acl" }

// Provides implements mqtt.Hook.
func (h *ACLHook) Provides(b byte) bool { return bytes.Contains([]byte{mqtt.OnACLCheck}, []byte{b}) }

// OnACLCheck implements mqtt.Hook.
func (h *ACLHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	return Allowed(string(cl.Properties.Username), topic, write)
}

// Allowed is the whole ACL rule for user on topic (write = publish).
func Allowed(user, topic string, write bool) bool {
	if user == ServiceUser {
		return ServiceMayUse(topic)
	}
	if eldergate.ValidateGatewayID(user) != nil {
		return false
	}
	if write {
		return GatewayMayPublish(user, topic)
	}
	return GatewayMaySubscribe(user, topic)
}
