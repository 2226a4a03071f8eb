package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

const auditCols = `id, at, actor_kind, actor_id, actor_name, role, remote, method, route, path,
	target_type, target_id, unit, status, before_json, after_json, prev_hash, hash`

func scanAudit(r interface{ Scan(...any) error }) (domain.AuditEntry, error) {
	var e domain.AuditEntry
	var before, after string
	err := r.Scan(&e.ID, Time(&e.At), &e.ActorKind, &e.ActorID, &e.ActorName, &e.Role, &e.Remote, &e.Method,
		&e.Route, &e.Path, &e.TargetType, &e.TargetID, &e.Unit, &e.Status, &before, &after, &e.PrevHash, &e.Hash)
	if before != "" {
		e.Before = []byte(before)
	}
	if after != "" {
		e.After = []byte(after)
	}
	return e, err
}

// AppendAudit implements domain.Store. Appenders are serialised by the
// dialect's lock (SQLite has one writer), so ids follow each other and
// each row's prev_hash is the hash of the row before it.
func (s *Store) AppendAudit(ctx context.Context, e domain.AuditEntry) (domain.AuditEntry, error) {
	// The hash covers the values as the engine keeps them.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	for _, p := range []*string{&e.ActorKind, &e.ActorID, &e.ActorName, &e.Role, &e.Remote, &e.Method,
		&e.Route, &e.Path, &e.TargetType, &e.TargetID, &e.Unit} {
		*p = s.D.S(*p)
	}
	if len(e.Before) > 0 {
		e.Before = []byte(s.D.S(string(e.Before)))
	}
	if len(e.After) > 0 {
		e.After = []byte(s.D.S(string(e.After)))
	}
	err := s.inTx(ctx, "append audit", func(tx *Tx) error {
		if err := tx.lock(ctx, "audit_log"); err != nil {
			return s.errf("append audit: lock: %w", err)
		}
		e.ID, e.PrevHash = 1, domain.AuditGenesis
		err := tx.Row(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&e.ID, &e.PrevHash)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return s.errf("append audit: last row: %w", err)
		default:
			e.ID++
		}
		e.Hash = domain.AuditHash(e.PrevHash, e)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (`+auditCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, s.D.T(e.At), e.ActorKind, e.ActorID, e.ActorName, e.Role, e.Remote, e.Method, e.Route, e.Path,
			e.TargetType, e.TargetID, e.Unit, e.Status, string(e.Before), string(e.After), e.PrevHash, e.Hash); err != nil {
			return s.errf("append audit: %w", err)
		}
		return nil
	})
	return e, err
}

// likeEscape escapes s for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListAudit implements domain.Store.
func (s *Store) ListAudit(ctx context.Context, q domain.AuditQuery) ([]domain.AuditEntry, error) {
	// Any unit of the subtree, not only its sites (inScope).
	where := []string{`(?1 = '' OR unit IN (SELECT u.id FROM org_units u JOIN org_units r ON u.path LIKE r.path || '%'
		WHERE r.id = ?1))`}
	args := []any{q.Scope}
	// add appends a condition whose # are its values' placeholders.
	add := func(cond string, vals ...any) {
		for _, v := range vals {
			args = append(args, v)
			cond = strings.Replace(cond, "#", "?"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if !q.From.IsZero() {
		add(`at >= #`, s.D.T(q.From))
	}
	if !q.To.IsZero() {
		add(`at < #`, s.D.T(q.To))
	}
	if q.Actor != "" {
		add(`(actor_id = # OR actor_name = #)`, q.Actor, q.Actor)
	}
	if q.Route != "" {
		add(`route LIKE # ESCAPE '\'`, "%"+likeEscape(q.Route)+"%")
	}
	if q.Target != "" {
		add(`(target_id = # OR target_type = #)`, q.Target, q.Target)
	}
	switch {
	case q.Status >= 100:
		add(`status = #`, q.Status)
	case q.Status > 0:
		add(`status >= # AND status < #`, q.Status*100, q.Status*100+100)
	}
	if q.Text != "" {
		p := "%" + likeEscape(strings.ToLower(q.Text)) + "%"
		add(`(lower(actor_name) LIKE # ESCAPE '\' OR lower(route) LIKE # ESCAPE '\' OR lower(path) LIKE # ESCAPE '\'
			OR lower(target_id) LIKE # ESCAPE '\' OR lower(before_json) LIKE # ESCAPE '\' OR lower(after_json) LIKE # ESCAPE '\')`,
			p, p, p, p, p, p)
	}
	if q.Before > 0 {
		add(`id < #`, q.Before)
	}
	limit := q.Limit
	if limit <= 0 || limit > domain.ListLimit {
		limit = domain.ListLimit
	}
	args = append(args, limit)
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.AuditEntry, error) { return scanAudit(r) },
		`SELECT `+auditCols+` FROM audit_log WHERE `+strings.Join(where, " AND ")+
			` ORDER BY id DESC LIMIT ?`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, s.errf("list audit: %w", err)
	}
	return out, nil
}

// AuditEntry implements domain.Store.
func (s *Store) AuditEntry(ctx context.Context, id int64) (domain.AuditEntry, error) {
	e, err := scanAudit(s.Conn().Row(ctx, `SELECT `+auditCols+` FROM audit_log WHERE id = ?`, id))
	if err != nil {
		return e, s.errf("audit entry %d: %w", id, notFound(err))
	}
	return e, nil
}

// auditPage is how many rows VerifyAudit reads at a time.
const auditPage = 1000

// VerifyAudit implements domain.Store.
func (s *Store) VerifyAudit(ctx context.Context) (domain.AuditVerification, error) {
	v := domain.AuditVerification{OK: true, At: time.Now().UTC()}
	chain := domain.AuditChain{PrevHash: domain.AuditGenesis}
	for {
		rows, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.AuditEntry, error) { return scanAudit(r) },
			`SELECT `+auditCols+` FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`, v.LastID, auditPage)
		if err != nil {
			return v, s.errf("verify audit: %w", err)
		}
		for _, e := range rows {
			v.Checked++
			v.LastID = e.ID
			if reason := chain.Next(e); reason != "" {
				v.OK, v.Broken, v.Reason = false, e.ID, reason
				return v, nil
			}
		}
		if len(rows) < auditPage {
			return v, nil
		}
	}
}
