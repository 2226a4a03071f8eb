// Package sqlite is the SQLite implementation of the cloud store: the
// shared SQL layer (cloud/sqlstore) on mattn/go-sqlite3, with SQLite's
// dialect and migrations. It passes the shared suite (cloud/storetest).
//
// Times are stored as fixed-width UTC text (text order is time order).
// SQLite has one writer: every transaction begins IMMEDIATE, so the
// dialect needs no row or advisory locks.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/eldergate/eldergate/cloud/sqlstore"
	"github.com/mattn/go-sqlite3" // driver "sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "cloud.db"

// Store is the SQLite store: the shared one, nothing replaced.
type Store = sqlstore.Store

// tsLayout has a fixed width so that text order is time order.
const tsLayout = "2006-01-02T15:04:05.000000000Z"

// Dialect is SQLite's: ? placeholders, times as text, one writer.
var Dialect = &sqlstore.Dialect{
	OneWriter:  true,
	Name:       "sqlite",
	EncodeTime: func(t time.Time) any { return t.Format(tsLayout) },
	Precision:  time.Nanosecond,
	IsUnique: func(err error) bool {
		var e sqlite3.Error
		return errors.As(err, &e) && (e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
	},
	Least:    "min",
	Greatest: "max",
	ReadTx:   &sql.TxOptions{ReadOnly: true},
	TimeType: "TEXT",
}

// Open opens (creating if needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens the database at path and migrates it.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "FULL") // an ack promises the commit is durable
	q.Set("_txlock", "immediate") // one writer: the write lock at BEGIN
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// 4 for reads, and the writer's own (sqlstore.writeGate).
	db.SetMaxOpenConns(5)
	db.SetConnMaxIdleTime(time.Minute)
	return sqlstore.Open(ctx, db, Dialect, migrations)
}
