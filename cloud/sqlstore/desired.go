package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// SetDesiredConfig implements domain.Store. The version numbers of
// concurrent calls for one gateway are serialised by the dialect's lock
// (SQLite: the write lock taken at BEGIN).
func (s *Store) SetDesiredConfig(ctx context.Context, d domain.DesiredConfig, cmd domain.Command) (domain.DesiredConfig, error) {
	d.SetBy = s.D.S(d.SetBy)
	err := s.inTx(ctx, "set desired config", func(tx *Tx) error {
		if err := tx.lock(ctx, "desired_configs:"+d.GW); err != nil {
			return s.errf("set desired config: lock: %w", err)
		}
		if err := tx.Row(ctx, `SELECT COALESCE(max(version), 0) + 1 FROM desired_configs WHERE gw = ?`, d.GW).Scan(&d.Version); err != nil {
			return s.errf("set desired config: %w", err)
		}
		d.CommandID, d.ResultOK, d.ResultError, d.ResultAt = cmd.ID, nil, "", nil
		if err := s.queueCommand(ctx, tx.Conn, cmd); err != nil {
			return s.errf("set desired config: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO desired_configs (gw, version, sha256, body, set_by, set_at, command_id)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.GW, d.Version, d.SHA256, d.Body, d.SetBy, s.D.T(d.SetAt), d.CommandID); err != nil {
			return s.errf("set desired config: %w", err)
		}
		return nil
	})
	d.SetAt = d.SetAt.UTC()
	return d, err
}

const desiredCols = `gw, version, sha256, body, set_by, set_at, command_id, result_ok, result_error, result_at`

// DesiredConfig implements domain.Store.
func (s *Store) DesiredConfig(ctx context.Context, gw string) (domain.DesiredConfig, error) {
	var d domain.DesiredConfig
	err := s.Conn().Row(ctx, `SELECT `+desiredCols+` FROM desired_configs WHERE gw = ? ORDER BY version DESC LIMIT 1`, gw).
		Scan(&d.GW, &d.Version, &d.SHA256, &d.Body, &d.SetBy, Time(&d.SetAt), &d.CommandID, &d.ResultOK, &d.ResultError, NullTime(&d.ResultAt))
	if err != nil {
		return d, s.errf("desired config %s: %w", gw, notFound(err))
	}
	return d, nil
}

// RecordDesiredResult implements domain.Store. The first result of a
// version wins, as for commands.
func (s *Store) RecordDesiredResult(ctx context.Context, gw, commandID string, ok bool, errText string, at time.Time) (bool, error) {
	matched := false
	err := s.inTx(ctx, "desired result", func(tx *Tx) error {
		var version, latest int64
		var sha string
		err := tx.Row(ctx, `SELECT version, sha256, (SELECT max(version) FROM desired_configs WHERE gw = ?1)
			FROM desired_configs WHERE gw = ?1 AND command_id = ?2`, gw, commandID).Scan(&version, &sha, &latest)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return s.errf("desired result: %w", err)
		}
		matched = true
		n, err := tx.Affected(ctx, `UPDATE desired_configs SET result_ok = ?, result_error = ?, result_at = ?
			WHERE gw = ? AND version = ? AND result_at IS NULL`, ok, s.D.S(errText), s.D.T(at), gw, version)
		if err != nil {
			return s.errf("desired result: %w", err)
		}
		if n > 0 && ok && version == latest {
			if _, err := tx.Exec(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, at, source) VALUES (?, 0, ?, ?, ?)
				ON CONFLICT (gw) DO UPDATE SET config_sha256 = excluded.config_sha256, source = excluded.source
				WHERE gateway_reported.config_sha256 <> excluded.config_sha256`, gw, sha, s.D.T(at), domain.ReportedByResult); err != nil {
				return s.errf("desired result: reported: %w", err)
			}
		}
		return nil
	})
	return matched && err == nil, err
}

// The confirmation by a result changes only the checksum: the boot and
// the time stay those of the last birth, which order the births (a birth
// received before the result but stored after it is still applied).

// applyReported stores what a birth reports, with the ordering rule of
// ApplyGatewayState (lower boot ignored; same boot only if not older).
func (s *Store) applyReported(ctx context.Context, c Conn, gw string, st eldergate.State, at time.Time) error {
	_, err := c.Exec(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, policy_version, roster_version, at, source)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (gw) DO UPDATE SET boot = excluded.boot, config_sha256 = excluded.config_sha256,
			policy_version = excluded.policy_version, roster_version = excluded.roster_version, at = excluded.at, source = excluded.source
		WHERE gateway_reported.boot < excluded.boot
			OR (gateway_reported.boot = excluded.boot AND gateway_reported.at <= excluded.at)`,
		gw, int64(st.Boot), s.D.S(st.ConfigSHA256), s.D.S(st.PolicyVersion), int64(st.RosterVersion), s.D.T(at), domain.ReportedByBirth)
	if err != nil {
		return s.errf("gateway reported %s: %w", gw, err)
	}
	return nil
}

// ReportedConfig implements domain.Store.
func (s *Store) ReportedConfig(ctx context.Context, gw string) (domain.ReportedConfig, error) {
	r := domain.ReportedConfig{GW: gw}
	var boot, roster int64
	err := s.Conn().Row(ctx, `SELECT boot, config_sha256, policy_version, roster_version, at, source
		FROM gateway_reported WHERE gw = ?`, gw).Scan(&boot, &r.ConfigSHA256, &r.PolicyVersion, &roster, Time(&r.At), &r.Source)
	if err != nil {
		return r, s.errf("reported config %s: %w", gw, notFound(err))
	}
	r.Boot, r.RosterVersion = uint64(boot), uint64(roster)
	return r, nil
}

// ConfigStatuses implements domain.Store (rule: domain.ConfigStatus).
func (s *Store) ConfigStatuses(ctx context.Context) (map[string]string, error) {
	rows, err := s.Conn().Query(ctx, `SELECT d.gw, d.sha256, d.result_ok, r.config_sha256
		FROM desired_configs d LEFT JOIN gateway_reported r ON r.gw = d.gw
		WHERE d.version = (SELECT max(version) FROM desired_configs m WHERE m.gw = d.gw)`)
	if err != nil {
		return nil, s.errf("config statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d domain.DesiredConfig
		var rep *string
		if err := rows.Scan(&d.GW, &d.SHA256, &d.ResultOK, &rep); err != nil {
			return nil, s.errf("config statuses: %w", err)
		}
		var r *domain.ReportedConfig
		if rep != nil {
			r = &domain.ReportedConfig{ConfigSHA256: *rep}
		}
		out[d.GW] = domain.ConfigStatus(&d, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("config statuses: %w", err)
	}
	return out, nil
}
