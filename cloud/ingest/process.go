package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Up is one message from a gateway's topic (eg/v1/gw/{gw}/up, /state,
// /cmdres), whatever the transport brought it.
type Up struct {
	Topic   string
	Payload []byte
	// ReceivedAt is when the transport received it (gateway states are
	// ordered by it); zero: the time Process sees it.
	ReceivedAt time.Time
}

// Outbound is a message the caller publishes after Process returns: the
// application acks to the gateways (eg/v1/gw/{gw}/ack).
type Outbound struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// AckQoS is the QoS of the application acks Process returns. 0: the ack
// is only an optimisation of the gateway's resend (it keeps every event
// until an ack names it and sends it again after its ack timeout, and the
// store acks a resent event as committed), so a lost ack costs one resend
// and never an event; a broker PUBACK for it would prove nothing and cost
// a round trip per ack (docs/adr/0037-ingest-transport-core.md).
const AckQoS = 0

// Process validates, commits and answers a group of messages in their
// order: up batches waiting together are committed in one transaction
// (bounded by MaxGroupMessages and MaxGroupEvents), a state or command
// result is applied after the batches before it. It is the ingester's
// core, transport-neutral: the MQTT path (Start) and any other transport
// go through it. It is safe for concurrent use, but one gateway's messages
// must be given to one Process call at a time, in order.
//
// When err == nil, settled[i] tells what became of ups[i]:
//   - true: handled — its events committed (or already stored) and named
//     in an ack in out, refused into the dead letters (and named in an ack
//     as rejected), its state or command result stored, or dropped as
//     unreadable (a topic that is not a gateway's);
//   - false: not handled (a store error, or a gateway without a registered
//     site): nothing of it is acked to the gateway, which sends it again.
//
// The caller acknowledges the messages to its transport only now (after
// the commit): MQTT PUBACKs every one of them, settled or not, as the
// gateway resends what is not acked; a transport with redelivery may
// instead redeliver the unsettled ones. Then it publishes out.
//
// err != nil only when ctx ended while the group was being handled: the
// caller must not acknowledge ups (what was committed is acked again on
// the resend).
func (in *Ingester) Process(ctx context.Context, ups []Up) (out []Outbound, settled []bool, err error) {
	settled = make([]bool, len(ups))
	acks := newAckSet()
	group := make([]*upMsg, 0, min(len(ups), MaxGroupMessages))
	idx := make([]int, 0, cap(group))
	var states []stateMsg
	events := 0
	flush := func() {
		if len(group) == 0 {
			return
		}
		in.handleGroup(ctx, group, acks)
		for k, u := range group {
			settled[idx[k]] = u.ok
		}
		group, idx, events = group[:0], idx[:0], 0
	}
	flushStates := func() {
		if len(states) > 0 {
			in.handleStates(ctx, states, settled)
			states = states[:0]
		}
	}
	for i, m := range ups {
		at := m.ReceivedAt
		if at.IsZero() {
			at = in.now()
		}
		at = at.UTC()
		gw, ch, perr := eldergate.ParseTopic(m.Topic)
		if perr != nil {
			in.log.Warn("ingest: unexpected topic", "topic", m.Topic, "err", perr)
			settled[i] = true
			continue
		}
		if ch == eldergate.ChannelUp {
			flushStates()
			u := in.decodeUp(gw, m.Payload)
			u.at = at
			group = append(group, u)
			idx = append(idx, i)
			events += len(u.batch.Events)
			if len(group) >= MaxGroupMessages || events >= MaxGroupEvents {
				flush()
			}
			continue
		}
		flush()
		if ch == eldergate.ChannelState {
			states = append(states, stateMsg{i: i, gw: gw, payload: m.Payload, at: at})
			if len(states) >= MaxGroupStates {
				flushStates()
			}
			continue
		}
		flushStates()
		settled[i] = in.handleOther(ctx, gw, ch, m.Payload, at)
	}
	flush()
	flushStates()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return acks.outbound(in.log), settled, nil
}

// MaxGroupStates bounds the states (births, wills) applied in one
// transaction: a storm of births costs a commit per group, and an alarm
// waiting for the store's one writer (SQLite) waits for one group at most
// (docs/adr/0046-alarm-first-writer-and-state-groups.md).
const MaxGroupStates = 32

// stateMsg is a state message of a group: ups[i] of Process.
type stateMsg struct {
	i       int
	gw      string
	payload []byte
	at      time.Time
}

// handleStates applies consecutive state messages in their order, in one
// transaction (Store.ApplyGatewayStates), and sets settled for each; if
// that transaction fails they are applied one by one. OnBirth runs after
// the commit, for each birth applied.
func (in *Ingester) handleStates(ctx context.Context, msgs []stateMsg, settled []bool) {
	defer func() {
		if r := recover(); r != nil {
			in.log.Error("ingest: panic on a group of states", "states", len(msgs), "panic", r, "stack", string(debug.Stack()))
			for _, m := range msgs {
				settled[m.i] = false
			}
		}
	}()
	group := make([]domain.GatewayStateAt, 0, len(msgs))
	idx := make([]int, 0, len(msgs))
	for _, m := range msgs {
		st, err := eldergate.DecodeState(m.payload)
		if err != nil {
			settled[m.i] = in.refuseMessage(ctx, m.gw, "state: "+err.Error(), m.payload, m.at)
			continue
		}
		if st.Online {
			in.sites.forget(m.gw) // a new session: the gateway may have been re-registered
		}
		group = append(group, domain.GatewayStateAt{GW: m.gw, State: st, At: m.at})
		idx = append(idx, m.i)
	}
	if len(group) == 0 {
		return
	}
	applied, err := in.cfg.Store.ApplyGatewayStates(ctx, group)
	if err == nil {
		for _, i := range idx {
			settled[i] = true
		}
	} else {
		if len(group) > 1 {
			in.log.Warn("ingest: group of states failed, applying them one by one", "states", len(group), "err", err)
		}
		applied = make([]bool, len(group))
		for j, g := range group {
			a, err := in.cfg.Store.ApplyGatewayState(ctx, g.GW, g.State, g.At)
			if err != nil {
				in.log.Error("ingest: gateway state", "gw", g.GW, "err", err)
				continue // not PUBACKed as handled: the broker's copy stays
			}
			applied[j], settled[idx[j]] = a, true
		}
	}
	for j, g := range group {
		if !settled[idx[j]] {
			continue
		}
		in.log.Info("ingest: gateway state", "gw", g.GW, "online", g.State.Online, "boot", g.State.Boot, "applied", applied[j])
		if applied[j] && g.State.Online && in.cfg.OnBirth != nil {
			in.cfg.OnBirth(ctx, g.GW)
		}
	}
}

// handleOther handles a command result's quick copy and reports whether
// it was handled.
func (in *Ingester) handleOther(ctx context.Context, gw string, ch eldergate.Channel, payload []byte, at time.Time) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			in.log.Error("ingest: panic on message", "gw", gw, "channel", ch, "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	if ch == eldergate.ChannelCmdRes {
		return in.handleResult(ctx, gw, payload, at)
	}
	in.log.Warn("ingest: message on a channel the ingester does not take", "gw", gw, "channel", ch)
	return true
}

// decodeUp decodes the payload of an up message of gw.
func (in *Ingester) decodeUp(gw string, payload []byte) (u *upMsg) {
	u = &upMsg{gw: gw, payload: payload}
	defer func() {
		if r := recover(); r != nil { // never take the worker down with a payload
			in.log.Error("ingest: panic decoding a batch", "gw", gw, "panic", r, "stack", string(debug.Stack()))
			u.batch, u.rejected, u.err = eldergate.Batch{}, nil, errors.New("payload could not be decoded")
		}
	}()
	u.batch, u.rejected, u.err = eldergate.DecodeBatch(payload, gw)
	return u
}

// handleGroup commits a group of up messages in one transaction. On a
// panic, each message not yet handled is tried on its own, so one bad
// batch never holds up the others.
func (in *Ingester) handleGroup(ctx context.Context, group []*upMsg, acks *ackSet) {
	in.groups.Add(1)
	if in.commitGroupSafe(ctx, group, acks) {
		return
	}
	for _, u := range group {
		if !u.ok {
			in.commitGroupSafe(ctx, []*upMsg{u}, acks)
		}
	}
}

// commitGroupSafe runs commitGroup and reports false when it panicked.
func (in *Ingester) commitGroupSafe(ctx context.Context, group []*upMsg, acks *ackSet) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			in.log.Error("ingest: panic on a group of messages", "messages", len(group), "panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	in.commitGroup(ctx, group, acks)
	return true
}

// outbound encodes the acks of s, one message per gateway.
func (s *ackSet) outbound(log *slog.Logger) []Outbound {
	out := make([]Outbound, 0, len(s.order))
	for _, gw := range s.order {
		body, err := json.Marshal(s.by[gw])
		if err != nil {
			log.Error("ingest: encode ack", "gw", gw, "err", err)
			continue
		}
		out = append(out, Outbound{Topic: eldergate.Topic(gw, eldergate.ChannelAck), Payload: body, QoS: AckQoS})
	}
	return out
}
