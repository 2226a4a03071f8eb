package broker

import (
	"bytes"
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Authenticator checks a gateway's broker credentials.
type Authenticator interface {
	AuthenticateGateway(ctx context.Context, id, secret string) bool
}

// AuthHook admits gateways whose user name is their id and whose password
// is their secret, and the cloud's service account. Everyone else is
// refused. It also refuses a connection that would take over another
// user's session (same client id) or whose will is on a topic the user
// may not publish to.
type AuthHook struct {
	mqtt.HookBase
	Gateways        Authenticator
	ServicePassword string        // random, generated at start
	Clients         *mqtt.Clients // the server's clients, for the takeover check
	Log             *slog.Logger
	// Queues, when set, gives the service account's clients the deep
	// write queue (ServiceWritesPending, queue.go) once they are admitted.
	Queues *queueHook
}

// ID implements mqtt.Hook.
func (h *AuthHook) ID() string { return "eldergate-auth" }

// Provides implements mqtt.Hook.
func (h *AuthHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate}, []byte{b})
}

// OnConnectAuthenticate implements mqtt.Hook.
func (h *AuthHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	ok, why := h.check(cl, user, pk.Connect.Password)
	if !ok {
		h.Log.Warn("broker: connection refused", "client", cl.ID, "user", user, "remote", cl.Net.Remote, "why", why)
		return false
	}
	if user == ServiceUser && h.Queues != nil {
		if err := h.Queues.deepen(cl, ServiceWritesPending); err != nil {
			h.Log.Error("broker: service client without its deep write queue", "client", cl.ID, "err", err)
		}
	}
	return true
}

func (h *AuthHook) check(cl *mqtt.Client, user string, password []byte) (bool, string) {
	if user == "" || len(password) == 0 {
		return false, "no credentials"
	}
	if user == ServiceUser {
		if h.ServicePassword == "" || subtle.ConstantTimeCompare(password, []byte(h.ServicePassword)) != 1 {
			return false, "bad service password"
		}
	} else {
		if eldergate.ValidateGatewayID(user) != nil {
			return false, "user is not a gateway id"
		}
		if strings.HasPrefix(cl.ID, ServiceClientPrefix) {
			return false, "reserved client id"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if h.Gateways == nil || !h.Gateways.AuthenticateGateway(ctx, user, string(password)) {
			return false, "bad gateway credentials"
		}
	}
	if h.Clients != nil {
		if existing, ok := h.Clients.Get(cl.ID); ok && string(existing.Properties.Username) != user {
			return false, "client id in use by another user"
		}
	}
	if cl.Properties.Will.Flag == 1 && !Allowed(user, cl.Properties.Will.TopicName, true) {
		return false, "will topic not allowed"
	}
	return true, ""
}

// ServiceClientPrefix starts the client ids of the cloud's own clients;
// gateways may not use it.
const ServiceClientPrefix = "eg-cloud-"
