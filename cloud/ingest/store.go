package ingest

import (
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// copyStore (the same as the gateway uplink's: cloud and gateway share no
// code but the contract) is paho's memory store holding private copies of PUBLISH
// packets. paho v1.5.1 writes a packet while its resume() (on reconnect)
// reads the same packet from the store and sets its DUP flag: a data race.
// A copy taken at Put (in the publishing goroutine, before the packet is
// handed to the writer) and another at Get keep the two apart.
type copyStore struct{ mqtt.Store }

func newCopyStore() mqtt.Store { return copyStore{mqtt.NewMemoryStore()} }

func clonePublish(p packets.ControlPacket) packets.ControlPacket {
	if pub, ok := p.(*packets.PublishPacket); ok {
		c := *pub
		return &c
	}
	return p
}

func (s copyStore) Put(key string, p packets.ControlPacket) { s.Store.Put(key, clonePublish(p)) }

func (s copyStore) Get(key string) packets.ControlPacket { return clonePublish(s.Store.Get(key)) }
