package broker

import (
	"github.com/mochi-mqtt/server/v2/packets"
)

// DisconnectUser disconnects every client logged in as user (a revoked
// gateway) with "not authorized" and returns how many it stopped. The
// broker keeps refusing the user only if the authenticator does.
func (b *Broker) DisconnectUser(user string) int {
	if user == "" || user == ServiceUser {
		return 0
	}
	n := 0
	for _, cl := range b.srv.Clients.GetAll() {
		if string(cl.Properties.Username) != user || cl.Closed() {
			continue
		}
		_ = b.srv.DisconnectClient(cl, packets.ErrNotAuthorized) // the error is the reason code itself
		n++
	}
	if n > 0 {
		b.log.Info("broker: disconnected revoked user", "user", user, "clients", n)
	}
	return n
}
