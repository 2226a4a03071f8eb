package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// reconcileFilter selects the meals ReconcileMeals returns (?1 scope, ?2
// since, ?3 from, ?4 to): the meals since the lookback of the elders with
// a meal in scope in the month, at every site.
func reconcileFilter() string {
	return `m.at >= ?2 AND m.at < ?4 AND m.elder_id IN (
		SELECT x.elder_id FROM meals x WHERE x.elder_id <> '' AND x.at >= ?3 AND x.at < ?4 AND ` + inScope("x.site") + `)`
}

// ReconcileMeals implements domain.ReconcileStore: two reads in one
// snapshot (meals with their voids; the funding shares of the same
// meals), joined in memory.
func (s *Store) ReconcileMeals(ctx context.Context, scope string, since, from, to time.Time) ([]domain.ReconcileMeal, error) {
	var out []domain.ReconcileMeal
	err := s.readRoster(ctx, "reconcile meals", func(tx *Tx) error {
		c := tx.Conn
		var err error
		out, err = queryAll(ctx, c, func(r *sql.Rows) (domain.ReconcileMeal, error) {
			var m domain.ReconcileMeal
			var manual, in int64
			err := r.Scan(&m.EventID, &m.GW, &m.Site, &m.ElderID, Time(&m.At), &m.Window, &m.Decision, &m.Reason, &m.Rule,
				&m.PolicyVersion, &m.PriceFen, &m.SubsidyFen, &m.PayFen, &m.DiscountFen, &m.OperatingFen, &m.WeightG,
				&manual, NullTime(&m.VoidedAt), &in)
			m.Manual, m.InScope = manual != 0, in != 0
			m.Funding = []eldergate.FundingShare{}
			return m, err
		}, `SELECT m.event_id, m.gw, m.site, m.elder_id, m.at, m."window", m.decision, m.reason, m.rule,
				m.policy_version, m.price_fen, m.subsidy_fen, m.pay_fen, m.discount_fen, m.operating_fen, m.weight_g,
				m.manual, v.at, CASE WHEN m.at >= ?3 AND `+inScope("m.site")+` THEN 1 ELSE 0 END
			FROM meals m LEFT JOIN meal_voids v ON v.meal_event_id = m.event_id
			WHERE `+reconcileFilter()+`
			ORDER BY m.at, m.event_id `+s.D.ByteOrder, scope, s.D.T(since), s.D.T(from), s.D.T(to))
		if err != nil {
			return err
		}
		idx := make(map[string]int, len(out))
		for i, m := range out {
			idx[m.EventID] = i
		}
		rows, err := c.Query(ctx, `SELECT f.event_id, f.layer, f.code, f.fen
			FROM meal_funding f JOIN meals m ON m.event_id = f.event_id
			WHERE `+reconcileFilter()+`
			ORDER BY f.event_id, f.idx`, scope, s.D.T(since), s.D.T(from), s.D.T(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var sh eldergate.FundingShare
			if err := rows.Scan(&id, &sh.Layer, &sh.Code, &sh.Fen); err != nil {
				return err
			}
			if i, ok := idx[id]; ok {
				out[i].Funding = append(out[i].Funding, sh)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.errf("reconcile meals: %w", err)
	}
	return out, nil
}

// RosterElders implements domain.ReconcileStore.
func (s *Store) RosterElders(ctx context.Context, ids []string) ([]domain.RosterEntry, error) {
	out := []domain.RosterEntry{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		ph := ""
		for i, id := range ids[:n] {
			args[i] = id
			ph += ",?"
		}
		ids = ids[n:]
		part, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.RosterEntry, error) {
			var site, id, data string
			if err := r.Scan(&site, &id, &data); err != nil {
				return domain.RosterEntry{}, err
			}
			e, err := decodeElder(id, data)
			return domain.RosterEntry{Site: site, Elder: e}, err
		}, `SELECT site, elder_id, data FROM roster_elders WHERE removed = false AND elder_id IN (`+ph[1:]+`) ORDER BY site, elder_id`, args...)
		if err != nil {
			return nil, s.errf("roster elders: %w", err)
		}
		out = append(out, part...)
	}
	return out, nil
}
