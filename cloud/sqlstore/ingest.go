package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// IngestBatch implements domain.Store with the store's IngestBatches.
// An engine that replaces IngestBatches replaces this too (IngestOne).
func (s *Store) IngestBatch(ctx context.Context, gw string, events []eldergate.Envelope, receivedAt time.Time) ([]string, error) {
	return IngestOne(ctx, s.IngestBatches, gw, events, receivedAt)
}

// IngestOne is IngestBatch by ingest, an IngestBatches.
func IngestOne(ctx context.Context, ingest func(context.Context, []domain.GatewayBatch, time.Time) ([][]string, error),
	gw string, events []eldergate.Envelope, receivedAt time.Time) ([]string, error) {
	c, err := ingest(ctx, []domain.GatewayBatch{{GW: gw, Events: events}}, receivedAt)
	if err != nil {
		return nil, err
	}
	return c[0], nil
}

// GatewayTally is what one transaction of IngestBatches adds to a
// gateway row.
type GatewayTally struct {
	domain.SeqTally        // the events stored fresh
	Site            string // of the gateway's last event
	Skew            int64  // receipt minus at, smallest (see domain.Gateway)
	haveSkew        bool
}

// Seen counts an event of the gateway received at receivedAt (fresh or
// not): its site and clock skew.
func (t *GatewayTally) Seen(e *eldergate.Envelope, receivedAt time.Time) {
	t.Site = e.Site
	if d := receivedAt.Sub(e.At).Milliseconds(); !t.haveSkew || d < t.Skew {
		t.Skew, t.haveSkew = d, true
	}
}

// SeqRange is the new sequence range for the gateway row: NULL when
// nothing new was stored.
func (t *GatewayTally) SeqRange() (lo, hi *int64) {
	if t.N == 0 {
		return nil, nil
	}
	l, h := t.Lo, t.Hi
	return &l, &h
}

// IngestBatches implements domain.Store portably: one transaction, an
// insert-if-absent per event, then each gateway's row (last batch, skew,
// sequence counters) updated once, in gateway order. SQLite runs this;
// PostgreSQL replaces it with one statement over arrays.
func (s *Store) IngestBatches(ctx context.Context, batches []domain.GatewayBatch, receivedAt time.Time) ([][]string, error) {
	out := make([][]string, len(batches))
	for i := range out {
		out[i] = []string{}
	}
	var tally map[string]*GatewayTally
	err := s.inTx(ctx, "ingest", func(tx *Tx) error {
		tally = map[string]*GatewayTally{}
		var fresh []*eldergate.Envelope // stored now, for RecordSettlement
		var all []*eldergate.Envelope
		for i, b := range batches {
			for j := range b.Events {
				if b.Events[j].GW == b.GW {
					all = append(all, &batches[i].Events[j])
				}
			}
		}
		cols, err := s.MealColumns(ctx, tx.Conn, all)
		if err != nil {
			return err
		}
		rat := s.D.T(receivedAt)
		for i, b := range batches {
			for j := range b.Events {
				e := &b.Events[j]
				if e.GW != b.GW {
					continue // not this gateway's event: never committed for it
				}
				t := tally[e.GW]
				if t == nil {
					t = &GatewayTally{}
					tally[e.GW] = t
				}
				t.Seen(e, receivedAt)
				n, err := tx.Affected(ctx, `INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
					e.ID, e.GW, string(e.Kind), e.Site, int64(e.Seq), int64(e.Boot), s.D.T(e.At), e.Clock, s.D.S(string(e.Data)), rat)
				if err != nil {
					return s.errf("ingest event %s: %w", e.ID, err)
				}
				if n == 0 {
					// Already stored: acknowledge it again, but only to its owner.
					var owner string
					if err := tx.Row(ctx, `SELECT gw FROM events WHERE id = ?`, e.ID).Scan(&owner); err != nil {
						return s.errf("ingest event %s: %w", e.ID, err)
					}
					if owner == b.GW {
						out[i] = append(out[i], e.ID)
					}
					continue
				}
				switch e.Kind {
				case eldergate.KindMeal:
					err = s.insertMeal(ctx, tx.Conn, e, cols[e.ID], rat)
				case eldergate.KindAlert:
					err = s.ApplyAlert(ctx, tx.Conn, *e)
				}
				if err != nil {
					return err
				}
				fresh = append(fresh, e)
				t.Add(e.Seq)
				out[i] = append(out[i], e.ID)
			}
		}
		if err := s.RecordSettlement(ctx, tx.Conn, fresh, cols, receivedAt); err != nil {
			return err
		}
		if err := s.RecordUpdates(ctx, tx.Conn, fresh, receivedAt); err != nil { // releases.go
			return err
		}
		return s.updateGateways(ctx, tx.Conn, tally, rat)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updateGateways applies the tallies to the gateway rows, in id order (two
// transactions never wait on each other's rows in opposite orders).
func (s *Store) updateGateways(ctx context.Context, c Conn, tally map[string]*GatewayTally, rat any) error {
	gws := make([]string, 0, len(tally))
	for gw := range tally {
		gws = append(gws, gw)
	}
	slices.Sort(gws)
	if err := s.BatchPresence(ctx, c, gws, rat); err != nil { // fleet.go
		return err
	}
	for _, gw := range gws {
		t := tally[gw]
		lo, hi := t.SeqRange()
		if _, err := c.Exec(ctx, `INSERT INTO gateways (id, site, created_at, last_event_at, clock_skew_ms, seq_min, seq_max, seq_count)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET last_event_at = excluded.last_event_at,
				clock_skew_ms = excluded.clock_skew_ms,
				online = CASE WHEN gateways.state_at IS NULL OR gateways.state_at < excluded.last_event_at
					THEN true ELSE gateways.online END,
				site = CASE WHEN gateways.site = '' THEN excluded.site ELSE gateways.site END,
				seq_min = CASE WHEN excluded.seq_min IS NULL THEN gateways.seq_min
					WHEN gateways.seq_min IS NULL THEN excluded.seq_min ELSE `+s.D.Least+`(gateways.seq_min, excluded.seq_min) END,
				seq_max = CASE WHEN excluded.seq_max IS NULL THEN gateways.seq_max
					WHEN gateways.seq_max IS NULL THEN excluded.seq_max ELSE `+s.D.Greatest+`(gateways.seq_max, excluded.seq_max) END,
				seq_count = gateways.seq_count + excluded.seq_count`,
			gw, s.D.S(t.Site), rat, rat, t.Skew, lo, hi, t.N); err != nil {
			return s.errf("ingest: gateway %s: %w", gw, err)
		}
	}
	return nil
}

func (s *Store) insertMeal(ctx context.Context, c Conn, e *eldergate.Envelope, mc MealCols, rat any) error {
	m, err := e.Meal()
	if err != nil {
		return s.errf("ingest meal %s: %w", e.ID, err)
	}
	_, err = c.Exec(ctx, `INSERT INTO meals (event_id, gw, site, elder_id, "window", day, decision, reason,
		price_fen, subsidy_fen, pay_fen, weight_g, policy_version, at, received_at,
		rule, discount_fen, operating_fen, operating_by, manual, staff, price_source, category, outside, adjust_month)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.GW, e.Site, s.D.S(m.ElderID), m.Window, m.Day, m.Decision, s.D.S(m.Reason),
		int64(m.PriceFen), int64(m.SubsidyFen), int64(m.PayFen), m.WeightG, s.D.S(m.PolicyVer), s.D.T(e.At), rat,
		s.D.S(mc.Rule), mc.DiscountFen, mc.OperatingFen, s.D.S(mc.OperatingBy), mc.Manual, s.D.S(mc.Staff),
		s.D.S(mc.PriceSource), s.D.S(mc.Category), mc.Outside, mc.Adjust)
	if err != nil {
		return s.errf("ingest meal %s: %w", e.ID, err)
	}
	return nil
}
