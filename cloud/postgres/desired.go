package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// SetDesiredConfig implements domain.Store. A transaction-scoped advisory
// lock per gateway serialises the version numbers of concurrent calls.
func (s *Store) SetDesiredConfig(ctx context.Context, d domain.DesiredConfig, cmd domain.Command) (domain.DesiredConfig, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return d, fmt.Errorf("postgres: set desired config: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('desired_configs:' || $1, 0))`, d.GW); err != nil {
		return d, fmt.Errorf("postgres: set desired config: lock: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) + 1 FROM desired_configs WHERE gw = $1`, d.GW).Scan(&d.Version); err != nil {
		return d, fmt.Errorf("postgres: set desired config: %w", err)
	}
	d.CommandID, d.ResultOK, d.ResultError, d.ResultAt = cmd.ID, nil, "", nil
	if _, err := tx.Exec(ctx, `INSERT INTO commands (id, gw, type, body, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		cmd.ID, cmd.GW, cmd.Type, nullText(cmd.Body), cmd.CreatedAt.UTC(), cmd.ExpiresAt.UTC()); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return d, fmt.Errorf("postgres: set desired config: command %s: %w", cmd.ID, domain.ErrConflict)
		}
		return d, fmt.Errorf("postgres: set desired config: command: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO desired_configs (gw, version, sha256, body, set_by, set_at, command_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.GW, d.Version, d.SHA256, d.Body, clean(d.SetBy), d.SetAt.UTC(), d.CommandID); err != nil {
		return d, fmt.Errorf("postgres: set desired config: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return d, fmt.Errorf("postgres: set desired config: %w", err)
	}
	d.SetAt, d.SetBy = d.SetAt.UTC(), clean(d.SetBy)
	return d, nil
}

const desiredCols = `gw, version, sha256, body, set_by, set_at, command_id, result_ok, result_error, result_at`

func scanDesired(row pgx.Row) (domain.DesiredConfig, error) {
	var d domain.DesiredConfig
	if err := row.Scan(&d.GW, &d.Version, &d.SHA256, &d.Body, &d.SetBy, &d.SetAt, &d.CommandID, &d.ResultOK, &d.ResultError, &d.ResultAt); err != nil {
		return d, err
	}
	d.SetAt, d.ResultAt = d.SetAt.UTC(), utcPtr(d.ResultAt)
	return d, nil
}

// DesiredConfig implements domain.Store.
func (s *Store) DesiredConfig(ctx context.Context, gw string) (domain.DesiredConfig, error) {
	d, err := scanDesired(s.pool.QueryRow(ctx, `SELECT `+desiredCols+` FROM desired_configs
		WHERE gw = $1 ORDER BY version DESC LIMIT 1`, gw))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("postgres: desired config %s: %w", gw, domain.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("postgres: desired config %s: %w", gw, err)
	}
	return d, nil
}

// RecordDesiredResult implements domain.Store. The first result of a
// version wins, as for commands.
func (s *Store) RecordDesiredResult(ctx context.Context, gw, commandID string, ok bool, errText string, at time.Time) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: desired result: %w", err)
	}
	defer tx.Rollback(ctx)
	var version, latest int64
	var sha string
	err = tx.QueryRow(ctx, `SELECT version, sha256, (SELECT max(version) FROM desired_configs WHERE gw = $1)
		FROM desired_configs WHERE gw = $1 AND command_id = $2`, gw, commandID).Scan(&version, &sha, &latest)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: desired result: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE desired_configs SET result_ok = $1, result_error = $2, result_at = $3
		WHERE gw = $4 AND version = $5 AND result_at IS NULL`, ok, clean(errText), at.UTC(), gw, version)
	if err != nil {
		return false, fmt.Errorf("postgres: desired result: %w", err)
	}
	if tag.RowsAffected() > 0 && ok && version == latest {
		if _, err := tx.Exec(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, at, source) VALUES ($1, 0, $2, $3, $4)
			ON CONFLICT (gw) DO UPDATE SET config_sha256 = excluded.config_sha256, source = excluded.source
			WHERE gateway_reported.config_sha256 <> excluded.config_sha256`, gw, sha, at.UTC(), domain.ReportedByResult); err != nil {
			return false, fmt.Errorf("postgres: desired result: reported: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: desired result: %w", err)
	}
	return true, nil
}

// The confirmation by a result changes only the checksum: the boot and
// the time stay those of the last birth, which order the births (a birth
// received before the result but stored after it is still applied).

// applyReported stores what a birth reports, with the ordering rule of
// ApplyGatewayState (lower boot ignored; same boot only if not older).
func (s *Store) applyReported(ctx context.Context, gw string, st eldergate.State, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO gateway_reported (gw, boot, config_sha256, policy_version, roster_version, at, source)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (gw) DO UPDATE SET boot = excluded.boot, config_sha256 = excluded.config_sha256,
			policy_version = excluded.policy_version, roster_version = excluded.roster_version, at = excluded.at, source = excluded.source
		WHERE gateway_reported.boot < excluded.boot
			OR (gateway_reported.boot = excluded.boot AND gateway_reported.at <= excluded.at)`,
		gw, int64(st.Boot), clean(st.ConfigSHA256), clean(st.PolicyVersion), int64(st.RosterVersion), at.UTC(), domain.ReportedByBirth)
	if err != nil {
		return fmt.Errorf("postgres: gateway reported %s: %w", gw, err)
	}
	return nil
}

// ReportedConfig implements domain.Store.
func (s *Store) ReportedConfig(ctx context.Context, gw string) (domain.ReportedConfig, error) {
	r := domain.ReportedConfig{GW: gw}
	var boot, roster int64
	err := s.pool.QueryRow(ctx, `SELECT boot, config_sha256, policy_version, roster_version, at, source
		FROM gateway_reported WHERE gw = $1`, gw).Scan(&boot, &r.ConfigSHA256, &r.PolicyVersion, &roster, &r.At, &r.Source)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("postgres: reported config %s: %w", gw, domain.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: reported config %s: %w", gw, err)
	}
	r.Boot, r.RosterVersion, r.At = uint64(boot), uint64(roster), r.At.UTC()
	return r, nil
}

// ConfigStatuses implements domain.Store.
func (s *Store) ConfigStatuses(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (d.gw) d.gw, d.sha256, d.result_ok, r.config_sha256
		FROM desired_configs d LEFT JOIN gateway_reported r ON r.gw = d.gw
		ORDER BY d.gw, d.version DESC`)
	if err != nil {
		return nil, fmt.Errorf("postgres: config statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d domain.DesiredConfig
		var rep *string
		if err := rows.Scan(&d.GW, &d.SHA256, &d.ResultOK, &rep); err != nil {
			return nil, fmt.Errorf("postgres: config statuses: %w", err)
		}
		var r *domain.ReportedConfig
		if rep != nil {
			r = &domain.ReportedConfig{ConfigSHA256: *rep}
		}
		out[d.GW] = domain.ConfigStatus(&d, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: config statuses: %w", err)
	}
	return out, nil
}
