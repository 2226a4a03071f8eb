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
// even when the cmdres fast path was lost). A result that cannot be
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
		err = in.cfg.Store.RecordCommandResult(ctx, gw, r.ID, r.OK, r.Error, r.Body, now)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			in.log.Warn("ingest: result of an unknown command", "gw", gw, "command", r.ID)
		case err != nil:
			in.log.Error("ingest: command result", "gw", gw, "command", r.ID, "err", err)
		default:
			in.log.Info("ingest: command result", "gw", gw, "command", r.ID, "ok", r.OK)
			if in.cfg.OnCommandResult != nil {
				in.cfg.OnCommandResult(ctx, gw, r)
			}
		}
	}
}

// Publish publishes payload on topic with QoS 1 through the ingester's
// connection and waits for the broker's PUBACK (bounded by ctx).
func (in *Ingester) Publish(ctx context.Context, topic string, payload []byte) error {
	tok := in.client.Publish(topic, 1, false, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("ingest: publish %s: %w", topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: publish %s: %w", topic, ctx.Err())
	case <-in.ctx.Done():
		return fmt.Errorf("ingest: publish %s: closed", topic)
	}
}
