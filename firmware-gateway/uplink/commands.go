package uplink

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
)

// ErrNotConnected is returned by PublishResult while the broker is away.
var ErrNotConnected = errors.New("uplink: not connected")

// PublishResult publishes a command result on eg/v1/gw/{gw}/cmdres (QoS 1,
// not retained) and waits up to 5 s for the broker. It is the fast path of
// a result: the gateway also records every result as a cmdres outbox
// event, which reaches the cloud with an application ack even when this
// publish is lost (ADR 0005).
func (u *Uplink) PublishResult(r eldergate.CommandResult) error {
	if !u.Connected() {
		return ErrNotConnected
	}
	p, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("uplink: encode command result: %w", err)
	}
	t := u.client.Publish(eldergate.Topic(u.cfg.GW, eldergate.ChannelCmdRes), 1, false, p)
	if !t.WaitTimeout(5 * time.Second) {
		return fmt.Errorf("uplink: command result %s: no PUBACK within 5s", r.ID)
	}
	if err := t.Error(); err != nil {
		return fmt.Errorf("uplink: command result %s: %w", r.ID, err)
	}
	return nil
}

// SetBatch changes the batch size and wait of a running uplink (a config
// command). Values out of range are ignored.
func (u *Uplink) SetBatch(size int, wait time.Duration) {
	if size > 0 && size <= eldergate.MaxBatchEvents {
		u.batchSize.Store(int64(size))
	}
	if wait > 0 {
		u.batchWait.Store(int64(wait))
	}
	u.Notify()
}

// Batch is the batch size and wait in use.
func (u *Uplink) Batch() (size int, wait time.Duration) { return u.batchSizeNow(), u.batchWaitNow() }

func (u *Uplink) batchSizeNow() int           { return int(u.batchSize.Load()) }
func (u *Uplink) batchWaitNow() time.Duration { return time.Duration(u.batchWait.Load()) }

// onCommand hands a payload received on the cmd topic to the gateway.
func (u *Uplink) onCommand(payload []byte) {
	if u.cfg.OnCommand == nil {
		u.log.Warn("uplink: command received but no handler set", "bytes", len(payload))
		return
	}
	u.cfg.OnCommand(payload)
}

// PublishBirth publishes a fresh birth (retained, same boot) now, after
// the configuration, policy or roster the gateway runs changed. Without a
// connection it returns ErrNotConnected: the next connect sends a birth
// anyway.
func (u *Uplink) PublishBirth() error {
	if !u.Connected() {
		return ErrNotConnected
	}
	return u.publishBirth(u.client)
}

// publishBirth publishes the birth message with what Reported returns.
func (u *Uplink) publishBirth(c mqtt.Client) error {
	u.birthMu.Lock()
	defer u.birthMu.Unlock()
	st := eldergate.State{}
	if u.cfg.Reported != nil {
		st = u.cfg.Reported()
	}
	st.Online, st.Boot, st.Version = true, u.cfg.Boot, u.cfg.Version
	birth, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("uplink: encode birth: %w", err)
	}
	t := c.Publish(eldergate.Topic(u.cfg.GW, eldergate.ChannelState), 1, true, birth)
	if !t.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("uplink: birth: no PUBACK within 10s")
	}
	if err := t.Error(); err != nil {
		return fmt.Errorf("uplink: birth: %w", err)
	}
	return nil
}
