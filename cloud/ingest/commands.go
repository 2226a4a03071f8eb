package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// recordCommandResults stores the command results carried by the
// committed cmdres events of a batch (docs/adr/0004-commands-and-roster.md:
// the gateway records every result in its outbox, so it reaches the cloud
// even when the quick copy on cmdres was lost). A result that cannot be
// stored is logged; the events themselves are committed already.
func (in *Ingester) recordCommandResults(ctx context.Context, gw string, events []eldergate.Envelope, committed map[string]bool, now time.Time) {
	for _, e := range events {
		if e.Kind != eldergate.KindCmdRes || !committed[e.ID] {
			continue
		}
		r, err := eldergate.DecodeCommandResult(e.Data)
		if err != nil {
			in.log.Warn("ingest: command result refused", "gw", gw, "event", e.ID, "err", err)
			continue
		}
		in.recordCommandResult(ctx, gw, r, now)
	}
}

// handleResult handles the quick copy of a command result, received on
// eg/v1/gw/{gw}/cmdres: stored and followed up like the result's outbox
// event, whichever arrives first (both are idempotent by command id).
// The topic names the gateway (a gateway may publish on its own topics
// only). It reports false when the result could not be stored; the outbox
// event carries it again.
func (in *Ingester) handleResult(ctx context.Context, gw string, payload []byte, now time.Time) bool {
	r, err := eldergate.DecodeCommandResult(payload)
	if err != nil {
		return in.refuseMessage(ctx, gw, "cmdres: "+err.Error(), payload, now)
	}
	return in.recordCommandResult(ctx, gw, r, now)
}

// recordCommandResult stores result r of a command of gw and runs
// Config.OnCommandResult. A result of a command gw does not have is
// logged and dropped. It reports false on a store error.
func (in *Ingester) recordCommandResult(ctx context.Context, gw string, r eldergate.CommandResult, now time.Time) bool {
	err := in.cfg.Store.RecordCommandResult(ctx, gw, r.ID, r.OK, r.Error, r.Body, now)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		in.log.Warn("ingest: result of an unknown command", "gw", gw, "command", r.ID)
		return true
	case err != nil:
		in.log.Error("ingest: command result", "gw", gw, "command", r.ID, "err", err)
		return false
	}
	in.log.Info("ingest: command result", "gw", gw, "command", r.ID, "ok", r.OK)
	if in.cfg.OnCommandResult != nil {
		in.cfg.OnCommandResult(ctx, gw, r)
	}
	return true
}

// Publish publishes payload on topic with QoS 1 through the ingester's
// connection and waits for the broker's PUBACK (bounded by ctx).
//
// It waits at most PublishTimeout: a worker publishing a command (OnBirth)
// must not wait for ever for a PUBACK that paho's reader cannot take while
// the workers' queues are full (enqueue blocks the reader then).
func (in *Ingester) Publish(ctx context.Context, topic string, payload []byte) error {
	if in.client == nil {
		return fmt.Errorf("ingest: publish %s: this ingester has no MQTT connection (NewCore)", topic)
	}
	ctx, cancel := context.WithTimeout(ctx, PublishTimeout)
	defer cancel()
	return waitPublish(ctx, in.ctx.Done(), in.client.Publish(topic, 1, false, payload), topic)
}

// PublishTimeout bounds Ingester.Publish.
const PublishTimeout = 10 * time.Second
