// Package sqlstore is the cloud store written once against database/sql
// for every SQL engine (cloud/sqlite, cloud/postgres). The engines differ
// only in what their Dialect says (placeholders, time encoding, locks,
// unique violations, a few function names) and in the parts they replace
// outright (PostgreSQL's batch ingest over arrays); everything else, and
// every business rule (those of domain), runs from here.
//
// The SQL is written with SQLite's placeholders: ? in order, or ?N for the
// Nth argument (never both in one statement). A Dialect with Numbered set
// rewrites them to $N.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialect is what differs between two SQL engines.
type Dialect struct {
	// Name prefixes errors ("sqlite", "postgres").
	Name string
	// Numbered rewrites ? and ?N placeholders to $N (PostgreSQL).
	Numbered bool
	// EncodeTime turns a UTC time into the argument stored for it.
	EncodeTime func(time.Time) any
	// Precision is the resolution the engine keeps times at.
	Precision time.Duration
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// Text makes a string storable in a text column (nil: as is).
	Text func(string) string
	// LockSQL takes a transaction-scoped lock on the key bound to its one
	// placeholder, serialising writers of one site's roster or one
	// gateway's versions. "" when the engine has one writer at a time
	// (SQLite begins every transaction IMMEDIATE).
	LockSQL string
	// OneWriter: the engine has one writer at a time (SQLite), and the
	// store hands it to its writers in turn, urgent ones first
	// (writeGate, domain.Urgent).
	OneWriter bool
	// TableLockSQL locks tables (fmt: the tables, then the mode, "SHARE"
	// or "ROW EXCLUSIVE") for the rest of the transaction; "" with one
	// writer.
	TableLockSQL string
	// ForUpdate is appended, with a table alias, to a SELECT whose rows the
	// transaction then changes ("FOR UPDATE OF"; "" with one writer).
	ForUpdate string
	// Least and Greatest are the two-argument minimum and maximum.
	Least, Greatest string
	// ByteOrder follows ORDER BY of a text column to sort it by bytes.
	ByteOrder string
	// ReadTx are the options of a read that must see one snapshot.
	ReadTx *sql.TxOptions
	// TimeType is the column type of times in DDL.
	TimeType string
	// AnalyticsSQL runs first in the read transaction of a report that
	// aggregates a month of meals ("" for none): PostgreSQL raises
	// work_mem there so that its sorts and hashes stay in memory.
	AnalyticsSQL string
	// Arrays: the engine binds a Go slice as one array argument
	// (PostgreSQL), so a set of values is one "= ANY(?)" argument rather
	// than one placeholder each (In).
	Arrays bool

	rebound sync.Map // query -> rewritten query
}

// T encodes t (made UTC) for the engine.
func (d *Dialect) T(t time.Time) any { return d.EncodeTime(t.UTC()) }

// NT encodes an optional time: NULL for nil.
func (d *Dialect) NT(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.T(*t)
}

// S makes s storable.
func (d *Dialect) S(s string) string {
	if d.Text == nil {
		return s
	}
	return d.Text(s)
}

// inMax is the most values one In condition takes on an engine without
// arrays (SQLite allows 32766 placeholders in a statement).
const inMax = 500

// In returns the condition that col is one of vals (not empty) and its
// arguments, plain ? placeholders: "col = ANY(?)" with vals as one array
// argument where the engine takes arrays (one statement text whatever the
// count, planned once), "col IN (?, …)" with one argument per value
// otherwise. A caller with more than inMax values runs one statement per
// chunk of InChunks. Each value is made storable (S) as it was when
// stored, so that it compares equal.
func (d *Dialect) In(col string, vals []string) (string, []any) {
	if d.Arrays {
		if d.Text != nil {
			vals = slices.Clone(vals)
			for i, v := range vals {
				vals[i] = d.Text(v)
			}
		}
		return col + " = ANY(?)", []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = d.S(v)
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// InChunks splits vals into the sets one In condition takes: all of them
// where the engine takes arrays, chunks of inMax otherwise.
func (d *Dialect) InChunks(vals []string) iter.Seq[[]string] {
	if d.Arrays {
		return func(yield func([]string) bool) {
			if len(vals) > 0 {
				yield(vals)
			}
		}
	}
	return slices.Chunk(vals, inMax)
}

// forUpdate locks the rows of alias read by a SELECT.
func (d *Dialect) forUpdate(alias string) string {
	if d.ForUpdate == "" {
		return ""
	}
	return " " + d.ForUpdate + " " + alias
}

// Rebind rewrites the placeholders of query for the engine.
func (d *Dialect) Rebind(query string) string {
	if !d.Numbered {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	q := b.String()
	d.rebound.Store(query, q)
	return q
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Conn runs the shared SQL on a database or a transaction, its
// placeholders rewritten for the engine.
type Conn struct {
	q    querier
	d    *Dialect
	gate *writeGate // outside a transaction: Exec waits for the writer's turn
}

// Exec executes a statement.
func (c Conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.gate != nil {
		w, done := c.gate.acquire(ctx)
		defer done()
		if w != nil {
			res, err := w.ExecContext(ctx, c.d.Rebind(query), args...)
			c.gate.check(w, err)
			return res, err
		}
	}
	return c.q.ExecContext(ctx, c.d.Rebind(query), args...)
}

// Query runs a query.
func (c Conn) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.Rebind(query), args...)
}

// Row runs a query of at most one row.
func (c Conn) Row(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.d.Rebind(query), args...)
}

// Affected runs a statement and returns how many rows it changed.
func (c Conn) Affected(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// lock takes the dialect's transaction-scoped lock on key.
func (c Conn) lock(ctx context.Context, key string) error {
	if c.d.LockSQL == "" {
		return nil
	}
	_, err := c.Exec(ctx, c.d.LockSQL, key)
	return err
}

// timeDest scans a time column, stored as text (SQLite) or as a time
// (PostgreSQL), into a time or an optional time, in UTC.
type timeDest struct {
	t  *time.Time
	pt **time.Time
}

// Time scans a NOT NULL time column into t.
func Time(t *time.Time) sql.Scanner { return timeDest{t: t} }

// NullTime scans a nullable time column into *t (nil for NULL).
func NullTime(t **time.Time) sql.Scanner { return timeDest{pt: t} }

func (d timeDest) Scan(src any) error {
	var t time.Time
	switch v := src.(type) {
	case nil:
		if d.pt == nil {
			return fmt.Errorf("sqlstore: NULL time")
		}
		*d.pt = nil
		return nil
	case time.Time:
		t = v.UTC()
	case string:
		p, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("sqlstore: bad time %q: %w", v, err)
		}
		t = p.UTC()
	case []byte:
		p, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return fmt.Errorf("sqlstore: bad time %q: %w", v, err)
		}
		t = p.UTC()
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	if d.pt != nil {
		*d.pt = &t
	} else {
		*d.t = t
	}
	return nil
}
