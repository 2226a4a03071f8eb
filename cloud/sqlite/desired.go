package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// SetDesiredConfig implements domain.Store. The transaction takes the
// write lock at BEGIN (_txlock=immediate), so versions do not race.
func (s *Store) SetDesiredConfig(ctx context.Context, d domain.DesiredConfig, cmd domain.Command) (domain.DesiredConfig, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("sqlite: set desired config: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) + 1 FROM desired_configs WHERE gw = ?`, d.GW).Scan(&d.Version); err != nil {
		return d, fmt.Errorf("sqlite: set desired config: %w", err)
	}
	d.CommandID, d.ResultOK, d.ResultError, d.ResultAt = cmd.ID, nil, "", nil
	if _, err := tx.ExecContext(ctx, `INSERT INTO commands (id, gw, type, body, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		cmd.ID, cmd.GW, cmd.Type, nullText(cmd.Body), ts(cmd.CreatedAt), ts(cmd.ExpiresAt)); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return d, fmt.Errorf("sqlite: set desired config: command %s: %w", cmd.ID, domain.ErrConflict)
		}
		return d, fmt.Errorf("sqlite: set desired config: command: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO desired_configs (gw, version, sha256, body, set_by, set_at, command_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, d.GW, d.Version, d.SHA256, d.Body, d.SetBy, ts(d.SetAt), d.CommandID); err != nil {
		return d, fmt.Errorf("sqlite: set desired config: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("sqlite: set desired config: %w", err)
	}
	d.SetAt = d.SetAt.UTC()
	return d, nil
}

const desiredCols = `gw, version, sha256, body, set_by, set_at, command_id, result_ok, result_error, result_at`

func scanDesired(row interface{ Scan(...any) error }) (domain.DesiredConfig, error) {
	var d domain.DesiredConfig
	var setAt string
	var ok sql.NullBool
	var resAt sql.NullString
	if err := row.Scan(&d.GW, &d.Version, &d.SHA256, &d.Body, &d.SetBy, &setAt, &d.CommandID, &ok, &d.ResultError, &resAt); err != nil {
		return d, err
	}
	var err error
	if d.SetAt, err = parseTS(setAt); err != nil {
		return d, err
	}
	if ok.Valid {
		v := ok.Bool
		d.ResultOK = &v
	}
	if d.ResultAt, err = parseNullTS(resAt); err != nil {
		return d, err
	}
	return d, nil
}

// DesiredConfig implements domain.Store.
func (s *Store) DesiredConfig(ctx context.Context, gw string) (domain.DesiredConfig, error) {
	d, err := scanDesired(s.db.QueryRowContext(ctx, `SELECT `+desiredCols+` FROM desired_configs
		WHERE gw = ? ORDER BY version DESC LIMIT 1`, gw))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("sqlite: desired config %s: %w", gw, domain.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("sqlite: desired config %s: %w", gw, err)
	}
	return d, nil
}

// RecordDesiredResult implements domain.Store. The first result of a
// version wins, as for commands.
func (s *Store) RecordDesiredResult(ctx context.Context, gw, commandID string, ok bool, errText string, at time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: desired result: %w", err)
	}
	defer tx.Rollback()
	var version, latest int64
	var sha string
	err = tx.QueryRowContext(ctx, `SELECT version, sha256, (SELECT max(version) FROM desired_configs WHERE gw = ?)
		FROM desired_configs WHERE gw = ? AND command_id = ?`, gw, gw, commandID).Scan(&version, &sha, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: desired result: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE desired_configs SET result_ok = ?, result_error = ?, result_at = ?
		WHERE gw = ? AND version = ? AND result_at IS NULL`, ok, errText, ts(at), gw, version)
	if err != nil {
		return false, fmt.Errorf("sqlite: desired result: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 && ok && version == latest {
		if _, err := tx.ExecContext(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, at, source) VALUES (?, 0, ?, ?, ?)
			ON CONFLICT (gw) DO UPDATE SET config_sha256 = excluded.config_sha256, source = excluded.source
			WHERE gateway_reported.config_sha256 <> excluded.config_sha256`, gw, sha, ts(at), domain.ReportedByResult); err != nil {
			return false, fmt.Errorf("sqlite: desired result: reported: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: desired result: %w", err)
	}
	return true, nil
}

// The confirmation by a result changes only the checksum: the boot and
// the time stay those of the last birth, which order the births (a birth
// received before the result but stored after it is still applied).

// applyReported stores what a birth reports, with the ordering rule of
// ApplyGatewayState (lower boot ignored; same boot only if not older).
func (s *Store) applyReported(ctx context.Context, gw string, st eldergate.State, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, policy_version, roster_version, at, source)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (gw) DO UPDATE SET boot = excluded.boot, config_sha256 = excluded.config_sha256,
			policy_version = excluded.policy_version, roster_version = excluded.roster_version, at = excluded.at, source = excluded.source
		WHERE gateway_reported.boot < excluded.boot
			OR (gateway_reported.boot = excluded.boot AND gateway_reported.at <= excluded.at)`,
		gw, int64(st.Boot), st.ConfigSHA256, st.PolicyVersion, int64(st.RosterVersion), ts(at), domain.ReportedByBirth)
	if err != nil {
		return fmt.Errorf("sqlite: gateway reported %s: %w", gw, err)
	}
	return nil
}

// ReportedConfig implements domain.Store.
func (s *Store) ReportedConfig(ctx context.Context, gw string) (domain.ReportedConfig, error) {
	r := domain.ReportedConfig{GW: gw}
	var boot, roster int64
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT boot, config_sha256, policy_version, roster_version, at, source
		FROM gateway_reported WHERE gw = ?`, gw).Scan(&boot, &r.ConfigSHA256, &r.PolicyVersion, &roster, &at, &r.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("sqlite: reported config %s: %w", gw, domain.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: reported config %s: %w", gw, err)
	}
	r.Boot, r.RosterVersion = uint64(boot), uint64(roster)
	if r.At, err = parseTS(at); err != nil {
		return r, fmt.Errorf("sqlite: reported config %s: %w", gw, err)
	}
	return r, nil
}

// ConfigStatuses implements domain.Store.
func (s *Store) ConfigStatuses(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.gw, d.sha256, d.result_ok, r.config_sha256
		FROM desired_configs d LEFT JOIN gateway_reported r ON r.gw = d.gw
		WHERE d.version = (SELECT max(version) FROM desired_configs m WHERE m.gw = d.gw)`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: config statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d domain.DesiredConfig
		var ok sql.NullBool
		var rep sql.NullString
		if err := rows.Scan(&d.GW, &d.SHA256, &ok, &rep); err != nil {
			return nil, fmt.Errorf("sqlite: config statuses: %w", err)
		}
		if ok.Valid {
			d.ResultOK = &ok.Bool
		}
		var r *domain.ReportedConfig
		if rep.Valid {
			r = &domain.ReportedConfig{ConfigSHA256: rep.String}
		}
		out[d.GW] = domain.ConfigStatus(&d, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: config statuses: %w", err)
	}
	return out, nil
}
