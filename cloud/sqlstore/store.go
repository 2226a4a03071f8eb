package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// maxPrefix bounds the payload prefix kept in the dead-letter table.
const maxPrefix = 512

// Store implements domain.Store over database/sql. An engine package
// embeds it and replaces what its engine does better (IngestBatches).
type Store struct {
	DB   *sql.DB
	D    *Dialect
	gate *writeGate // the writers' turn (Dialect.OneWriter), nil otherwise
}

var _ domain.Store = (*Store)(nil)

// New returns the store of db, an open database of dialect d.
func New(db *sql.DB, d *Dialect) *Store {
	s := &Store{DB: db, D: d}
	if d.OneWriter {
		s.gate = &writeGate{db: db}
	}
	return s
}

// Open returns the store of db, an open database of dialect d, once it
// answers and the migrations of fsys (migrations/NNNN_name.sql) are
// applied; it closes db when it fails.
func Open(ctx context.Context, db *sql.DB, d *Dialect, fsys fs.FS) (*Store, error) {
	s := New(db, d)
	err := db.PingContext(ctx)
	if err != nil {
		err = s.errf("connect: %w", err)
	} else {
		err = s.Migrate(ctx, fsys, "migrations")
	}
	if err == nil {
		err = s.Backfill(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Conn runs SQL on the database outside a transaction.
// Its writes (Exec) take their turn at the engine's one writer
// (Dialect.OneWriter).
func (s *Store) Conn() Conn { return Conn{q: s.DB, d: s.D, gate: s.gate} }

// Ping runs one query on the database: it answers, or the error says why not.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return s.errf("ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.gate.close()
	if err := s.DB.Close(); err != nil {
		return s.errf("close: %w", err)
	}
	return nil
}

// errf wraps an error with the engine's name as prefix.
func (s *Store) errf(format string, args ...any) error {
	return fmt.Errorf(s.D.Name+": "+format, args...)
}

// Tx is a transaction of the store.
type Tx struct {
	Conn
	tx   *sql.Tx
	done func() // ends the transaction's turn at the writer (writeGate)
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	err := t.tx.Commit()
	t.end()
	return err
}

// Rollback aborts the transaction unless it was committed.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	t.end()
	return err
}

func (t *Tx) end() {
	if t.done != nil {
		t.done()
	}
}

// Begin starts a transaction (opts nil: read-write). On an engine with
// one writer (Dialect.OneWriter) a transaction first waits for its turn
// (writeGate; domain.Urgent ones first) and holds it until Commit or
// Rollback, on the writer's connection: SQLite begins every transaction
// IMMEDIATE (its driver ignores ReadOnly), so a read transaction holds
// the write lock too.
func (s *Store) Begin(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	c, done := s.gate.acquire(ctx)
	var tx *sql.Tx
	var err error
	if c != nil {
		tx, err = c.BeginTx(ctx, opts)
		s.gate.check(c, err)
	} else {
		tx, err = s.DB.BeginTx(ctx, opts)
	}
	if err != nil {
		done()
		return nil, err
	}
	return &Tx{tx: tx, Conn: Conn{q: tx, d: s.D}, done: done}, nil
}

// BeginOn starts a transaction on conn, one connection of the store's
// database held by the caller: for an engine that also drives that
// connection directly inside the transaction (PostgreSQL's COPY).
func (s *Store) BeginOn(ctx context.Context, conn *sql.Conn, opts *sql.TxOptions) (*Tx, error) {
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Tx{tx: tx, Conn: Conn{q: tx, d: s.D}}, nil
}

// inTx runs f in a read-write transaction and commits it when f returns
// nil; op names the operation in errors.
func (s *Store) inTx(ctx context.Context, op string, f func(tx *Tx) error) error {
	tx, err := s.Begin(ctx, nil)
	if err != nil {
		return s.errf("%s: %w", op, err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errf("%s: commit: %w", op, err)
	}
	return nil
}

// Migrate applies the migrations of dir in fsys (files NNNN_name.sql, in
// order) that schema_version does not list yet, in one transaction under
// the dialect's lock, so several processes opening one database at once
// do not race.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return s.errf("migrate: %w", err)
	}
	sort.Strings(names)
	return s.inTx(ctx, "migrate", func(tx *Tx) error {
		if err := tx.lock(ctx, "migrate"); err != nil {
			return s.errf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version integer PRIMARY KEY, name text NOT NULL, applied_at `+s.D.TimeType+` NOT NULL)`); err != nil {
			return s.errf("migrate: %w", err)
		}
		for _, name := range names {
			base := filepath.Base(name)
			num, _, ok := strings.Cut(base, "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil {
				return s.errf("migrate: bad migration name %q", base)
			}
			var n int
			if err := tx.Row(ctx, `SELECT count(*) FROM schema_version WHERE version = ?`, v).Scan(&n); err != nil {
				return s.errf("migrate %s: %w", base, err)
			}
			if n > 0 {
				continue
			}
			body, err := fs.ReadFile(fsys, name)
			if err != nil {
				return s.errf("migrate %s: %w", base, err)
			}
			// Run as is: a migration may hold several statements and its
			// own placeholders-free SQL.
			if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
				return s.errf("migrate %s: %w", base, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
				v, base, s.D.T(time.Now())); err != nil {
				return s.errf("migrate %s: %w", base, err)
			}
		}
		return nil
	})
}

// notFound maps sql.ErrNoRows to domain.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

// queryAll runs query on c and reads every row with scan into a slice
// (never nil).
func queryAll[T any](ctx context.Context, c Conn, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanString scans a one-column row of text.
func scanString(r *sql.Rows) (string, error) {
	var v string
	err := r.Scan(&v)
	return v, err
}

// nullText stores an empty body as NULL.
func (s *Store) nullText(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return s.D.S(string(b))
}
