package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Rollouts (migration 0025, docs/adr/0031-rollouts-in-waves.md).

const rolloutCols = `r.id, r.release, r.platform, r.target_kind, r.target_id, r.waves, r.failure_threshold_pct, r.wave_timeout_s,
	r.state, r.reason, r.wave, r.wave_started_at, r.created_by, r.created_at, r.updated_at`

func scanRollout(r rowScanner) (domain.Rollout, error) {
	var ro domain.Rollout
	var waves string
	err := r.Scan(&ro.ID, &ro.Release, &ro.Platform, &ro.TargetKind, &ro.TargetID, &waves, &ro.FailureThresholdPct, &ro.WaveTimeoutS,
		&ro.State, &ro.Reason, &ro.Wave, Time(&ro.WaveStartedAt), &ro.CreatedBy, Time(&ro.CreatedAt), Time(&ro.UpdatedAt))
	if err != nil {
		return ro, err
	}
	if err := json.Unmarshal([]byte(waves), &ro.Waves); err != nil {
		return ro, fmt.Errorf("rollout %s: waves: %w", ro.ID, err)
	}
	return ro, nil
}

const rolloutGWCols = `g.rollout, g.gw, g.site, g.platform, g.wave, g.state, g.wait, g.wait_until, g.reason, g.command_id, g.updated_at`

func scanRolloutGW(r *sql.Rows) (domain.RolloutGateway, error) {
	var g domain.RolloutGateway
	err := r.Scan(&g.Rollout, &g.GW, &g.Site, &g.Platform, &g.Wave, &g.State, &g.Wait, NullTime(&g.WaitUntil), &g.Reason, &g.CommandID, Time(&g.UpdatedAt))
	return g, err
}

// targetPath returns the org path a rollout's target lies at (” for the
// fleet, and for a gateway whose site is not in the tree).
func (s *Store) targetPath(ctx context.Context, c Conn, kind, id string) (string, error) {
	var path string
	var err error
	switch kind {
	case domain.TargetKindFleet:
		return "", nil
	case domain.TargetKindGateway:
		err = c.Row(ctx, `SELECT COALESCE((SELECT u.path FROM org_units u WHERE u.id = g.site AND u.level = 'site'), '')
			FROM gateways g WHERE g.id = ?`, id).Scan(&path)
	default:
		err = c.Row(ctx, `SELECT path FROM org_units WHERE id = ? AND level = ?`, id, kind).Scan(&path)
	}
	return path, notFound(err)
}

// CreateRollout implements domain.Store.
func (s *Store) CreateRollout(ctx context.Context, r domain.Rollout, gws []domain.RolloutGateway) error {
	waves, err := json.Marshal(r.Waves)
	if err != nil {
		return s.errf("create rollout: %w", err)
	}
	return s.inTx(ctx, "create rollout "+r.ID, func(tx *Tx) error {
		// One creator at a time: the overlap check below must see the
		// rollouts created concurrently.
		if err := tx.lock(ctx, "rollouts"); err != nil {
			return s.errf("create rollout: lock: %w", err)
		}
		path, err := s.targetPath(ctx, tx.Conn, r.TargetKind, r.TargetID)
		if err != nil {
			return s.errf("create rollout: target %s: %w", domain.RolloutTargetName(r.TargetKind, r.TargetID), err)
		}
		busy, err := queryAll(ctx, tx.Conn, func(rows *sql.Rows) (string, error) {
			var gw, ro string
			err := rows.Scan(&gw, &ro)
			return gw + " (" + ro + ")", err
		}, `SELECT g.gw, g.rollout FROM rollout_gateways g JOIN rollouts r ON r.id = g.rollout
			WHERE r.state IN ('running', 'halted') AND g.state != 'skipped' ORDER BY g.gw`)
		if err != nil {
			return s.errf("create rollout: %w", err)
		}
		mine := map[string]bool{}
		for _, g := range gws {
			if g.State != domain.RolloutGWSkipped {
				mine[g.GW] = true
			}
		}
		var clash []string
		for _, b := range busy {
			gw, _, _ := strings.Cut(b, " ")
			if mine[gw] {
				clash = append(clash, b)
			}
		}
		if len(clash) > 0 {
			if len(clash) > 5 {
				clash = append(clash[:5], fmt.Sprintf("and %d more", len(clash)-5))
			}
			return fmt.Errorf("another rollout is running over the same gateways: %s: %w", strings.Join(clash, ", "), domain.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rollouts (id, release, platform, target_kind, target_id, target_path, waves,
			failure_threshold_pct, wave_timeout_s, state, reason, wave, wave_started_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, s.D.S(r.Release), r.Platform, r.TargetKind, r.TargetID, path, string(waves), r.FailureThresholdPct, r.WaveTimeoutS,
			r.State, s.D.S(r.Reason), r.Wave, s.D.T(r.WaveStartedAt), s.D.S(r.CreatedBy), s.D.T(r.CreatedAt), s.D.T(r.UpdatedAt)); err != nil {
			if s.D.IsUnique(err) {
				return fmt.Errorf("rollout %s exists: %w", r.ID, domain.ErrConflict)
			}
			return s.errf("create rollout %s: %w", r.ID, err)
		}
		for _, g := range gws {
			if err := s.putRolloutGW(ctx, tx.Conn, g, true); err != nil {
				return s.errf("create rollout %s: gateway %s: %w", r.ID, g.GW, err)
			}
		}
		return nil
	})
}

func (s *Store) putRolloutGW(ctx context.Context, c Conn, g domain.RolloutGateway, insert bool) error {
	if insert {
		_, err := c.Exec(ctx, `INSERT INTO rollout_gateways (rollout, gw, site, platform, wave, state, wait, wait_until, reason, command_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.Rollout, g.GW, g.Site, g.Platform, g.Wave, g.State, g.Wait, s.D.NT(g.WaitUntil), s.D.S(g.Reason), g.CommandID, s.D.T(g.UpdatedAt))
		return err
	}
	n, err := c.Affected(ctx, `UPDATE rollout_gateways SET state = ?, wait = ?, wait_until = ?, reason = ?, command_id = ?, updated_at = ?
		WHERE rollout = ? AND gw = ?`,
		g.State, g.Wait, s.D.NT(g.WaitUntil), s.D.S(g.Reason), g.CommandID, s.D.T(g.UpdatedAt), g.Rollout, g.GW)
	if err == nil && n == 0 {
		err = domain.ErrNotFound
	}
	return err
}

// PutRolloutGateway implements domain.Store.
func (s *Store) PutRolloutGateway(ctx context.Context, g domain.RolloutGateway) error {
	if err := s.putRolloutGW(ctx, s.Conn(), g, false); err != nil {
		return s.errf("rollout %s: gateway %s: %w", g.Rollout, g.GW, err)
	}
	return nil
}

// Rollout implements domain.Store.
func (s *Store) Rollout(ctx context.Context, id string) (domain.Rollout, []domain.RolloutGateway, error) {
	r, err := scanRollout(s.Conn().Row(ctx, `SELECT `+rolloutCols+` FROM rollouts r WHERE r.id = ?`, id))
	if err != nil {
		return r, nil, s.errf("rollout %s: %w", id, notFound(err))
	}
	gws, err := queryAll(ctx, s.Conn(), scanRolloutGW,
		`SELECT `+rolloutGWCols+` FROM rollout_gateways g WHERE g.rollout = ?
		ORDER BY CASE WHEN g.wave = 0 THEN 1 ELSE 0 END, g.wave, g.gw `+s.D.ByteOrder, id)
	if err != nil {
		return r, nil, s.errf("rollout %s: gateways: %w", id, err)
	}
	return r, gws, nil
}

// ListRollouts implements domain.Store.
func (s *Store) ListRollouts(ctx context.Context, scope string) ([]domain.Rollout, error) {
	out, err := queryAll(ctx, s.Conn(), func(rows *sql.Rows) (domain.Rollout, error) { return scanRollout(rows) },
		`SELECT `+rolloutCols+` FROM rollouts r
		WHERE ?1 = '' OR (r.target_path != '' AND r.target_path LIKE (SELECT u.path FROM org_units u WHERE u.id = ?1) || '%')
		ORDER BY r.created_at DESC, r.id DESC LIMIT ?2`, scope, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list rollouts: %w", err)
	}
	return out, nil
}

// RunningRollouts implements domain.Store.
func (s *Store) RunningRollouts(ctx context.Context) ([]string, error) {
	out, err := queryAll(ctx, s.Conn(), scanString, `SELECT id FROM rollouts WHERE state = 'running' ORDER BY created_at, id`)
	if err != nil {
		return nil, s.errf("running rollouts: %w", err)
	}
	return out, nil
}

// SetRolloutState implements domain.Store.
func (s *Store) SetRolloutState(ctx context.Context, id string, from []string, r domain.Rollout, at time.Time) (bool, error) {
	if len(from) == 0 {
		return false, errors.New("set rollout state: no from state")
	}
	args := []any{r.State, s.D.S(r.Reason), r.Wave, s.D.T(r.WaveStartedAt), s.D.T(at), id}
	for _, f := range from {
		args = append(args, f)
	}
	n, err := s.Conn().Affected(ctx, `UPDATE rollouts SET state = ?, reason = ?, wave = ?, wave_started_at = ?, updated_at = ?
		WHERE id = ? AND state IN (?`+strings.Repeat(", ?", len(from)-1)+`)`, args...)
	if err != nil {
		return false, s.errf("rollout %s: state: %w", id, err)
	}
	return n > 0, nil
}

// TargetGateways implements domain.Store.
func (s *Store) TargetGateways(ctx context.Context, kind, id string) ([]domain.TargetGateway, error) {
	path, err := s.targetPath(ctx, s.Conn(), kind, id)
	if err != nil {
		return nil, s.errf("target %s: %w", domain.RolloutTargetName(kind, id), err)
	}
	q := `SELECT g.id, g.site, g.platform, g.online FROM gateways g WHERE g.revoked_at IS NULL`
	var args []any
	switch kind {
	case domain.TargetKindFleet:
	case domain.TargetKindGateway:
		q += ` AND g.id = ?`
		args = append(args, id)
	default:
		q += ` AND g.site IN (SELECT u.id FROM org_units u WHERE u.level = 'site' AND u.path LIKE ? || '%')`
		args = append(args, path)
	}
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.TargetGateway, error) {
		var g domain.TargetGateway
		err := r.Scan(&g.ID, &g.Site, &g.Platform, &g.Online)
		return g, err
	}, q+` ORDER BY g.id `+s.D.ByteOrder, args...)
	if err != nil {
		return nil, s.errf("target %s: gateways: %w", domain.RolloutTargetName(kind, id), err)
	}
	return out, nil
}

// SiteAlarmOpen implements domain.Store.
func (s *Store) SiteAlarmOpen(ctx context.Context, site string) (bool, error) {
	var n int
	if err := s.Conn().Row(ctx, `SELECT count(*) FROM alerts WHERE site = ? AND type = ? AND state IN ('open', 'acknowledged')`,
		site, eldergate.AlertTypeEmergency).Scan(&n); err != nil {
		return false, s.errf("alarm of %s: %w", site, err)
	}
	return n > 0, nil
}
