package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// StoredCommand is the recorded result of a command from the cloud.
type StoredCommand struct {
	ID         string
	Type       string
	ReceivedAt time.Time
	Result     eldergate.CommandResult
	EventID    string // the cmdres outbox event carrying the result
}

// CommandResult returns the stored result of command id, if it was
// handled before.
func (s *Store) CommandResult(ctx context.Context, id string) (StoredCommand, bool, error) {
	var c StoredCommand
	var at, body string
	var ev sql.NullString
	err := s.w.QueryRowContext(ctx, `SELECT id, type, received_at, ok, error, body, event_id FROM commands WHERE id = ?`, id).
		Scan(&c.ID, &c.Type, &at, &c.Result.OK, &c.Result.Error, &body, &ev)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("sqlite: command result: %w", err)
	}
	c.ReceivedAt, _ = time.Parse(time.RFC3339Nano, at)
	c.Result.ID = c.ID
	if body != "" {
		c.Result.Body = json.RawMessage(body)
	}
	c.EventID = ev.String
	return c, true, nil
}

// RecordCommand stores the result of a command once; a second call for
// the same id keeps the first result.
func (s *Store) RecordCommand(ctx context.Context, typ string, res eldergate.CommandResult, eventID string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO commands (id, type, received_at, ok, error, body, event_id) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, res.ID, typ, at.UTC().Format(time.RFC3339Nano), res.OK, res.Error, string(res.Body), eventID)
	if err != nil {
		return fmt.Errorf("sqlite: record command %s: %w", res.ID, err)
	}
	return nil
}

// DeadLetter is an event the cloud rejected; it is kept, never resent.
type DeadLetter struct {
	ID         string
	Kind       eldergate.Kind
	Reason     string
	RejectedAt time.Time
}

// DeadLetterCount counts the events the cloud rejected.
func (s *Store) DeadLetterCount(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE rejected_at IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: dead letter count: %w", err)
	}
	return n, nil
}

// DeadLetters lists up to limit rejected events, the latest first.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, COALESCE(reject_reason, ''), rejected_at FROM outbox
		WHERE rejected_at IS NOT NULL ORDER BY rejected_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var d DeadLetter
		var at string
		if err := rows.Scan(&d.ID, &d.Kind, &d.Reason, &at); err != nil {
			return nil, fmt.Errorf("sqlite: dead letters: %w", err)
		}
		d.RejectedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: dead letters: %w", err)
	}
	return out, nil
}

// RemoteUsage is an elder's usage at another site on one local day, as
// pushed by the cloud (command usage); Store.ApplyRemoteUsage (usage.go)
// stores them.
type RemoteUsage struct {
	ElderID    string        `json:"elder_id"`
	Site       string        `json:"site"`
	Day        string        `json:"day"` // YYYY-MM-DD
	Meals      int           `json:"meals"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
}
