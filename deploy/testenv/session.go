package testenv

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// DropSession ends the persistent session of client id on the broker at
// url: a connection with clean session true under the same id. An
// ingester's session is persistent and its shared subscription stays in
// the group after it exits, so the broker keeps queueing a share of what
// is published for it; a benchmark that reuses the client id must drop it
// between runs.
func DropSession(t testing.TB, url, user, password, id string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(user).SetPassword(password).
		SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("drop the session of %s: %v", id, tok.Error())
	}
	c.Disconnect(100)
}
