package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// inScope is the condition of the List queries that keeps rows whose
// site column col is a site in the subtree of the scope bound to ?1
// (every row when ?1 is empty). Ids are [a-z0-9-], so LIKE needs no escaping.
func inScope(col string) string {
	return `(?1 = '' OR ` + col + ` IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = ?1 AND u.level = 'site'))`
}

// UpsertGateway implements domain.Store.
func (s *Store) UpsertGateway(ctx context.Context, c domain.GatewayCredential) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO gateways (id, site, secret_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET site = excluded.site, secret_hash = excluded.secret_hash`,
		c.ID, c.Site, c.SecretHash, s.D.T(time.Now()))
	if err != nil {
		return s.errf("upsert gateway %s: %w", c.ID, err)
	}
	return nil
}

// GatewayCredential implements domain.Store.
func (s *Store) GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error) {
	c := domain.GatewayCredential{ID: id}
	err := s.Conn().Row(ctx, `SELECT site, secret_hash, revoked_at FROM gateways WHERE id = ?`, id).
		Scan(&c.Site, &c.SecretHash, NullTime(&c.RevokedAt))
	if err != nil {
		return c, s.errf("gateway %s: %w", id, notFound(err))
	}
	return c, nil
}

// RecordRejection implements domain.Store.
func (s *Store) RecordRejection(ctx context.Context, gw, reason, eventID string, payloadPrefix []byte, at time.Time) error {
	if len(payloadPrefix) > maxPrefix {
		payloadPrefix = payloadPrefix[:maxPrefix]
	}
	_, err := s.Conn().Exec(ctx, `INSERT INTO rejections (gw, event_id, reason, payload_prefix, at) VALUES (?, ?, ?, ?, ?)`,
		s.D.S(gw), s.D.S(eventID), s.D.S(reason), payloadPrefix, s.D.T(at))
	if err != nil {
		return s.errf("record rejection: %w", err)
	}
	return nil
}

// ApplyGatewayState implements domain.Store. The presence change, when
// the state changes the gateway's online flag, is recorded in the same
// transaction (fleet.go).
func (s *Store) ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error) {
	applied := false
	err := s.inTx(ctx, "gateway state "+gw, func(tx *Tx) error {
		var err error
		applied, err = s.applyState(ctx, tx, gw, st, at)
		return err
	})
	return applied && err == nil, err
}

// ApplyGatewayStates implements domain.Store: a storm of births after a
// restart (or of wills after a mass disconnect) costs one commit a group,
// not one a gateway (docs/adr/0046-alarm-first-writer-and-state-groups.md).
func (s *Store) ApplyGatewayStates(ctx context.Context, states []domain.GatewayStateAt) ([]bool, error) {
	applied := make([]bool, len(states))
	err := s.inTx(ctx, "gateway states", func(tx *Tx) error {
		for i, g := range states {
			var err error
			if applied[i], err = s.applyState(ctx, tx, g.GW, g.State, g.At); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// applyState applies one state in tx (ApplyGatewayState).
func (s *Store) applyState(ctx context.Context, tx *Tx, gw string, st eldergate.State, at time.Time) (bool, error) {
	cause := domain.PresenceWill
	if st.Online {
		cause = domain.PresenceBirth
	}
	// Recorded first, while the stored state is the previous one; the
	// condition is that of the upsert below.
	var same int
	if err := tx.Row(ctx, `SELECT count(*) FROM gateways g WHERE g.id = ?1
		AND (g.online = ?2 OR g.boot > ?3 OR (g.boot = ?3 AND g.state_at IS NOT NULL AND g.state_at > ?4))`,
		gw, st.Online, int64(st.Boot), s.D.T(at)).Scan(&same); err != nil {
		return false, s.errf("gateway state %s: %w", gw, err)
	}
	if same == 0 {
		if err := s.recordPresence(ctx, tx.Conn, gw, at, st.Online, cause); err != nil {
			return false, err
		}
	}
	platform := st.Platform
	if !eldergate.ValidPlatform(platform) {
		platform = "" // not one eldergate builds: unknown (no update is offered)
	}
	n, err := tx.Affected(ctx, `INSERT INTO gateways (id, online, boot, version, platform, state_at, created_at)
	VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?5)
	ON CONFLICT (id) DO UPDATE SET online = excluded.online, boot = excluded.boot, state_at = excluded.state_at,
		version = CASE WHEN excluded.version = '' THEN gateways.version ELSE excluded.version END,
		platform = CASE WHEN excluded.platform = '' THEN gateways.platform ELSE excluded.platform END
	WHERE gateways.boot < excluded.boot
		OR (gateways.boot = excluded.boot AND (gateways.state_at IS NULL OR gateways.state_at <= excluded.state_at))`,
		gw, st.Online, int64(st.Boot), s.D.S(st.Version), s.D.T(at), platform)
	if err != nil {
		return false, s.errf("gateway state %s: %w", gw, err)
	}
	applied := n > 0
	if applied && st.Online { // a birth: what the gateway runs (desired.go)
		if err := s.applyReported(ctx, tx.Conn, gw, st, at); err != nil {
			return false, err
		}
		if st.Roster != nil { // which roster it runs (roster.go)
			if err := s.reportGatewayRoster(ctx, tx.Conn, gw, *st.Roster, st.Boot, at); err != nil {
				return false, err
			}
		}
	}
	return applied, nil
}

// MarkSilentOffline implements domain.Store. One statement, so a batch
// committed concurrently is either seen (and the gateway stays online) or
// commits after and brings it online again. The later of two times is
// before the limit when both are (NULL: never seen). Each gateway so
// marked gets a presence change at now.
func (s *Store) MarkSilentOffline(ctx context.Context, seenBefore, now time.Time) ([]string, error) {
	var ids []string
	err := s.inTx(ctx, "mark silent offline", func(tx *Tx) error {
		var err error
		ids, err = queryAll(ctx, tx.Conn, scanString, `UPDATE gateways SET online = false
		WHERE online = true AND (state_at IS NULL OR state_at < ?1) AND (last_event_at IS NULL OR last_event_at < ?1)
		RETURNING id`, s.D.T(seenBefore))
		if err != nil {
			return s.errf("mark silent offline: %w", err)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err := s.recordPresence(ctx, tx.Conn, id, now, false, domain.PresenceSilent); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ListGateways implements domain.Store.
func (s *Store) ListGateways(ctx context.Context, scope string) ([]domain.Gateway, error) {
	out, err := queryAll(ctx, s.Conn(), scanGateway, `SELECT `+gatewayCols+` FROM gateways g
		WHERE `+inScope("g.site")+` ORDER BY g.id LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list gateways: %w", err)
	}
	return out, nil
}

// gatewayCols are the columns of gateways g that scanGateway reads.
const gatewayCols = `g.id, g.site, g.name, g.online, g.boot, g.version, g.platform, g.state_at, g.last_event_at,
	g.clock_skew_ms, COALESCE(g.seq_min, 0), COALESCE(g.seq_max, 0), g.seq_count`

func scanGateway(r *sql.Rows) (domain.Gateway, error) {
	var g domain.Gateway
	var boot, lo, hi, n int64
	var skew sql.NullInt64
	if err := r.Scan(&g.ID, &g.Site, &g.Name, &g.Online, &boot, &g.Version, &g.Platform, NullTime(&g.StateAt), NullTime(&g.LastEventAt),
		&skew, &lo, &hi, &n); err != nil {
		return g, err
	}
	if skew.Valid {
		g.ClockSkewMs = &skew.Int64
	}
	st := domain.NewSeqStats(lo, hi, n)
	g.SeqMax, g.SeqGaps, g.Boot = st.Max, st.Gaps, uint64(boot)
	g.LastSeen = domain.Later(g.StateAt, g.LastEventAt)
	return g, nil
}

// ListMeals implements domain.Store.
func (s *Store) ListMeals(ctx context.Context, scope string) ([]domain.Meal, error) {
	out, err := queryAll(ctx, s.Conn(), scanMeal, `SELECT m.event_id, m.gw, m.site, m.elder_id, m."window", m.day, m.decision, m.reason,
		m.price_fen, m.subsidy_fen, m.pay_fen, m.weight_g, m.policy_version, m.at, m.received_at, e.data
		FROM meals m JOIN events e ON e.id = m.event_id
		WHERE `+inScope("m.site")+` ORDER BY m.at DESC, m.event_id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list meals: %w", err)
	}
	return out, nil
}

func scanMeal(r *sql.Rows) (domain.Meal, error) {
	var m domain.Meal
	var price, subsidy, pay int64
	var data string
	err := r.Scan(&m.EventID, &m.GW, &m.Site, &m.ElderID, &m.Window, &m.Day, &m.Decision, &m.Reason,
		&price, &subsidy, &pay, &m.WeightG, &m.PolicyVer, Time(&m.At), Time(&m.ReceivedAt), &data)
	m.PriceFen, m.SubsidyFen, m.PayFen = eldergate.Fen(price), eldergate.Fen(subsidy), eldergate.Fen(pay)
	m.PriceSource, m.Items = mealSource(data)
	return m, err
}

// mealSource reads from a meal event's data where a till-priced meal's
// price came from and the dishes picked ("" and nil for another meal).
func mealSource(data string) (string, []eldergate.MenuLine) {
	if !strings.Contains(data, `"price_source"`) {
		return "", nil
	}
	var d struct {
		PriceSource string               `json:"price_source"`
		Items       []eldergate.MenuLine `json:"items"`
	}
	if json.Unmarshal([]byte(data), &d) != nil {
		return "", nil
	}
	return d.PriceSource, d.Items
}

// ListRejections implements domain.Store.
func (s *Store) ListRejections(ctx context.Context, scope string) ([]domain.Rejection, error) {
	out, err := queryAll(ctx, s.Conn(), scanRejection, `SELECT id, gw, event_id, reason, payload_prefix, at
		FROM rejections
		WHERE (?1 = '' OR gw IN (SELECT g.id FROM gateways g WHERE `+inScope("g.site")+`)) ORDER BY id DESC LIMIT ?2`,
		scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list rejections: %w", err)
	}
	return out, nil
}

func scanRejection(r *sql.Rows) (domain.Rejection, error) {
	var j domain.Rejection
	var prefix []byte
	err := r.Scan(&j.ID, &j.GW, &j.EventID, &j.Reason, &prefix, Time(&j.At))
	j.PayloadPrefix = strings.ToValidUTF8(string(prefix), "\uFFFD")
	return j, err
}

// CountEvents implements domain.Store.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.Conn().Row(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, s.errf("count events: %w", err)
	}
	return n, nil
}

// GatewaySeq implements domain.Store.
func (s *Store) GatewaySeq(ctx context.Context, gw string) (domain.SeqStats, error) {
	var lo, hi, n int64
	if err := s.Conn().Row(ctx, `SELECT COALESCE(seq_min, 0), COALESCE(seq_max, 0), seq_count
		FROM gateways WHERE id = ?`, gw).Scan(&lo, &hi, &n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return domain.SeqStats{}, s.errf("gateway seq %s: %w", gw, err)
	}
	return domain.NewSeqStats(lo, hi, n), nil
}
