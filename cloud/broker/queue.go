package broker

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Per-client limits of the embedded broker (docs/adr/0039-fleet-on-one-broker.md).
//
// mochi-mqtt gives every client a write queue (a buffered channel) of
// Capabilities.MaximumClientWritesPending packets, allocated when the
// connection is accepted: 8,192 pointers, 64 KB per gateway by default,
// three quarters of what a connected gateway cost the broker. A gateway
// receives little (its acks and commands, the cloud's state), so gateways
// get GatewayWritesPending; the cloud's own clients (the ingester, which
// receives every gateway's messages and every will of a mass disconnect)
// get ServiceWritesPending, as many as the broker keeps unacknowledged for
// one client (MaxInflight), so that no QoS 1 message for them is dropped
// by the write queue before the in-flight limit.
const (
	GatewayWritesPending = 128
	ServiceWritesPending = MaxInflight
	// MaxInflight is how many QoS 1 messages the broker keeps
	// unacknowledged per client (mochi's default 8,192; the packet id's
	// range is the ceiling). Wills of a mass disconnect of every gateway
	// queue here for the ingester: at 8,192, 934 of 10,000 were dropped
	// ("client store quota reached").
	MaxInflight = 65535
)

// queueHook gives a client, not yet acknowledged, a write queue deeper
// than the one mochi-mqtt allocated for every client (deepen). mochi has
// no per-client setting, so this swaps its unexported channel, on the
// client's own write loop so that nothing races: the loop is waiting on
// the old, empty channel; deepen sends it a packet of no type, the loop
// hands it to OnPacketEncode before refusing to encode it (nothing is
// written), and there the loop itself swaps the channel, then tells
// deepen. The loop's next wait is on the new channel; the authentication
// goroutine that waited reads the field after the swap (CONNACK), and
// publishers find the client only after that. checkWriteQueueLayout
// proves at start that the fields exist with the expected types;
// mochi-mqtt is pinned in go.mod.
type queueHook struct {
	mqtt.HookBase
	pending sync.Map // *mqtt.Client -> *queueSwap
}

type queueSwap struct {
	ch   chan *packets.Packet
	done chan struct{}
}

// ID implements mqtt.Hook.
func (h *queueHook) ID() string { return "eldergate-write-queue" }

// Provides implements mqtt.Hook.
func (h *queueHook) Provides(b byte) bool { return b == mqtt.OnPacketEncode }

// OnPacketEncode implements mqtt.Hook: the swap, on the write loop.
func (h *queueHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type != 0 {
		return pk
	}
	v, ok := h.pending.LoadAndDelete(cl)
	if !ok {
		return pk
	}
	sw := v.(*queueSwap)
	if out, _, err := writeQueueFields(cl); err == nil {
		*out = sw.ch
	}
	close(sw.done)
	return pk
}

// deepen gives cl a write queue of n packets; called before CONNACK.
func (h *queueHook) deepen(cl *mqtt.Client, n int) error {
	out, qty, err := writeQueueFields(cl)
	if err != nil {
		return err
	}
	old := *out // written only by the write loop, in OnPacketEncode
	if cap(old) >= n {
		return nil
	}
	sw := &queueSwap{ch: make(chan *packets.Packet, n), done: make(chan struct{})}
	h.pending.Store(cl, sw)
	atomic.AddInt32(qty, 1) // the loop counts the packet off
	select {
	case old <- &packets.Packet{}: // type 0: see OnPacketEncode
	default:
		h.pending.Delete(cl)
		atomic.AddInt32(qty, -1)
		return errors.New("broker: write queue full before CONNACK")
	}
	select {
	case <-sw.done:
		return nil
	case <-time.After(5 * time.Second):
		if _, mine := h.pending.LoadAndDelete(cl); mine {
			return errors.New("broker: the write loop did not take the deeper queue (connection closed?)")
		}
		<-sw.done // the loop claimed it: it is swapping now
		return nil
	}
}

// writeQueueFields finds the client's write queue and its counter.
func writeQueueFields(cl *mqtt.Client) (*chan *packets.Packet, *int32, error) {
	st := reflect.ValueOf(&cl.State).Elem()
	out := st.FieldByName("outbound")
	qty := st.FieldByName("outboundQty")
	if !out.IsValid() || out.Type() != reflect.TypeFor[chan *packets.Packet]() ||
		!qty.IsValid() || qty.Kind() != reflect.Int32 {
		return nil, nil, errors.New("broker: mochi-mqtt's client state has no write queue of the expected type (version changed?)")
	}
	return (*chan *packets.Packet)(unsafe.Pointer(out.UnsafeAddr())), (*int32)(unsafe.Pointer(qty.UnsafeAddr())), nil
}

// checkWriteQueueLayout reports whether queueHook can work with
// this build of mochi-mqtt.
func checkWriteQueueLayout(srv *mqtt.Server) error {
	_, _, err := writeQueueFields(srv.NewClient(nil, "check", "check", true))
	return err
}
