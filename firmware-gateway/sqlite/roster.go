package sqlite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// MinRosterKeyBytes is the shortest roster key accepted.
const MinRosterKeyBytes = 32

// ErrNoRosterKey is returned when a resident ID number must be hashed and
// no roster key was set.
var ErrNoRosterKey = errors.New("sqlite: no roster key set; resident ID numbers are stored only as a keyed hash")

// RosterVersionError is returned by ApplyRoster for a delta that does not
// apply on the gateway's roster version: the cloud must send a full roster.
type RosterVersionError struct {
	Have uint64 // the gateway's version
	Base uint64 // the version the delta applies on
}

func (e *RosterVersionError) Error() string {
	return fmt.Sprintf("sqlite: roster delta applies on version %d but the gateway is at version %d: a full roster is needed", e.Base, e.Have)
}

// CredentialMatch is the result of a credential lookup.
type CredentialMatch struct {
	Elder eldergate.Elder // Card is the presented credential
	Kind  string          // eldergate.CredCard, CredSSC or CredResidentID
	State string          // eldergate.CredActive, CredLost or CredCancelled
}

// RosterInfo describes the roster in the store.
type RosterInfo struct {
	Version   uint64    `json:"version"` // 0: never synced from the cloud
	Mode      string    `json:"mode"`    // full | delta | seed
	Elders    int       `json:"elders"`  // elders on the roster
	UpdatedAt time.Time `json:"updated_at"`
}

// Report says which roster the gateway runs: the cloud's once a roster
// command was applied (version above 0), until then the seed of the
// configuration (ADR 0025).
func (ri RosterInfo) Report() eldergate.RosterReport {
	if ri.Version > 0 {
		return eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: ri.Version, Elders: ri.Elders}
	}
	return eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: ri.Elders}
}

// RosterResult says what ApplyRoster did.
type RosterResult struct {
	Version        uint64 `json:"version"`
	Elders         int    `json:"elders"`                       // elders on the roster afterwards
	Upserted       int    `json:"upserted"`                     // elders added or replaced
	Removed        int    `json:"removed"`                      // elders taken off the roster
	StatesChanged  int    `json:"states_changed"`               // credential states changed
	UnknownStates  int    `json:"unknown_states,omitempty"`     // state changes naming no known credential
	AlreadyApplied bool   `json:"already_applied,omitempty"`    // the gateway was already at Version
	Credentials    int    `json:"credentials_loaded,omitempty"` // credentials written
}

// SetRosterKey sets the key of the resident ID hash (HMAC-SHA256, at
// least MinRosterKeyBytes) and hashes the resident ID numbers the first
// version of the store kept as plain cards. Call it once, right after
// Open, before the store is used.
func (s *Store) SetRosterKey(ctx context.Context, key []byte) error {
	if len(key) < MinRosterKeyBytes {
		return fmt.Errorf("sqlite: roster key of %d bytes is shorter than %d", len(key), MinRosterKeyBytes)
	}
	s.rosterKey = append([]byte(nil), key...)
	return s.rehashLegacy(ctx)
}

// credentialKey is the primary key of a credential value: the value for a
// card, the keyed hash for anything shaped like a resident ID number.
func (s *Store) credentialKey(v string) (string, error) {
	v = eldergate.NormalizeCredential(v)
	if !eldergate.LooksLikeResidentID(v) {
		return v, nil
	}
	if len(s.rosterKey) == 0 {
		return "", ErrNoRosterKey
	}
	m := hmac.New(sha256.New, s.rosterKey)
	m.Write([]byte(v))
	return "h:" + hex.EncodeToString(m.Sum(nil)), nil
}

// legacyIDShaped is the SQL test of migration 0003 for a card column
// holding a resident ID number.
const legacyIDShaped = `length(card) = 18 AND substr(card, 1, 17) NOT GLOB '*[^0-9]*' AND substr(card, 18, 1) GLOB '[0-9X]'`

func (s *Store) rehashLegacy(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT id, card, active FROM elders WHERE `+legacyIDShaped)
	if err != nil {
		return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
	}
	type legacy struct {
		id, card string
		active   bool
	}
	var todo []legacy
	for rows.Next() {
		var l legacy
		if err := rows.Scan(&l.id, &l.card, &l.active); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
		}
		todo = append(todo, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
	}
	if len(todo) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
	}
	defer tx.Rollback()
	for _, l := range todo {
		k, err := s.credentialKey(l.card)
		if err != nil {
			return err
		}
		state := eldergate.CredActive
		if !l.active {
			state = eldergate.CredCancelled
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO credentials (key, kind, elder_id, state) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`, k, eldergate.CredResidentID, l.id, state); err != nil {
			return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE elders SET card = 'roster:' || id WHERE id = ?`, l.id); err != nil {
			return fmt.Errorf("sqlite: rehash legacy ids: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: rehash legacy ids: commit: %w", err)
	}
	return nil
}

// rosterWriter holds the prepared statements of one roster transaction.
type rosterWriter struct {
	s                     *Store
	tx                    *sql.Tx
	elder, delCreds, cred *sql.Stmt
	remove, state         *sql.Stmt
	credentials           int
}

func (s *Store) newRosterWriter(ctx context.Context, tx *sql.Tx) (*rosterWriter, error) {
	w := &rosterWriter{s: s, tx: tx}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&w.elder, `INSERT INTO elders (id, name, card, birth, category, active, on_roster, data) VALUES (?1, ?2, 'roster:' || ?1, ?3, ?4, ?5, 1, ?6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, birth = excluded.birth, category = excluded.category,
			active = excluded.active, on_roster = 1, data = excluded.data`},
		{&w.delCreds, `DELETE FROM credentials WHERE elder_id = ?`},
		{&w.cred, `INSERT INTO credentials (key, kind, elder_id, state) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, elder_id = excluded.elder_id, state = excluded.state`},
		{&w.remove, `UPDATE elders SET on_roster = 0 WHERE id = ? AND on_roster = 1`},
		{&w.state, `UPDATE credentials SET state = ? WHERE key = ?`},
	} {
		st, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("sqlite: roster: prepare: %w", err)
		}
		*p.st = st
	}
	return w, nil
}

func (w *rosterWriter) close() {
	for _, st := range []*sql.Stmt{w.elder, w.delCreds, w.cred, w.remove, w.state} {
		if st != nil {
			st.Close()
		}
	}
}

// put writes one elder with all their credentials; replace deletes the
// credentials the elder had before.
func (w *rosterWriter) put(ctx context.Context, e eldergate.RosterElder, replace bool) error {
	el := e.Elder
	el.Card = ""
	data, err := json.Marshal(el)
	if err != nil {
		return fmt.Errorf("sqlite: roster: elder %s: %w", e.ID, err)
	}
	if _, err := w.elder.ExecContext(ctx, e.ID, e.Name, e.Birth, e.Category, e.Active, string(data)); err != nil {
		return fmt.Errorf("sqlite: roster: elder %s: %w", e.ID, err)
	}
	if replace {
		if _, err := w.delCreds.ExecContext(ctx, e.ID); err != nil {
			return fmt.Errorf("sqlite: roster: elder %s: %w", e.ID, err)
		}
	}
	for _, c := range e.Credentials {
		k, err := w.s.credentialKey(c.Value)
		if err != nil {
			return err
		}
		kind := c.Kind
		if eldergate.LooksLikeResidentID(eldergate.NormalizeCredential(c.Value)) {
			kind = eldergate.CredResidentID // hashed whatever the cloud called it
		}
		state := c.State
		if state == "" {
			state = eldergate.CredActive
		}
		if _, err := w.cred.ExecContext(ctx, k, kind, e.ID, state); err != nil {
			return fmt.Errorf("sqlite: roster: elder %s: credential: %w", e.ID, err)
		}
		w.credentials++
	}
	return nil
}

// ApplyRoster applies a validated roster update in one transaction (see
// eldergate.RosterUpdate). A delta on another version than the gateway's
// fails with a *RosterVersionError and changes nothing; a delta to the
// version the gateway already has is a no-op (a re-delivered command).
func (s *Store) ApplyRoster(ctx context.Context, u eldergate.RosterUpdate, at time.Time) (RosterResult, error) {
	res := RosterResult{Version: u.Version}
	if len(u.Elders) > 10_000 {
		// A large roster touches every page of three indexes: a bigger page
		// cache for this load halves its time (the writer is one connection).
		if _, err := s.w.ExecContext(ctx, `PRAGMA cache_size = -32768`); err == nil {
			defer s.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("sqlite: roster: %w", err)
	}
	defer tx.Rollback()
	var cur uint64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM roster_meta WHERE id = 1`).Scan(&cur); err != nil {
		return res, fmt.Errorf("sqlite: roster: read version: %w", err)
	}
	if u.Mode == eldergate.RosterDelta {
		if cur == u.Version {
			res.AlreadyApplied = true
			err := tx.QueryRowContext(ctx, `SELECT elders FROM roster_meta WHERE id = 1`).Scan(&res.Elders)
			return res, err
		}
		if cur != u.Base {
			return res, &RosterVersionError{Have: cur, Base: u.Base}
		}
	}
	w, err := s.newRosterWriter(ctx, tx)
	if err != nil {
		return res, err
	}
	defer w.close()
	switch u.Mode {
	case eldergate.RosterFull:
		if _, err := tx.ExecContext(ctx, `DELETE FROM credentials`); err != nil {
			return res, fmt.Errorf("sqlite: roster: clear credentials: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE elders SET on_roster = 0 WHERE on_roster = 1`); err != nil {
			return res, fmt.Errorf("sqlite: roster: clear elders: %w", err)
		}
		for _, e := range u.Elders {
			if err := w.put(ctx, e, false); err != nil {
				return res, err
			}
		}
	case eldergate.RosterDelta:
		for _, id := range u.Remove {
			r, err := w.remove.ExecContext(ctx, id)
			if err != nil {
				return res, fmt.Errorf("sqlite: roster: remove %s: %w", id, err)
			}
			n, _ := r.RowsAffected()
			res.Removed += int(n)
			if _, err := w.delCreds.ExecContext(ctx, id); err != nil {
				return res, fmt.Errorf("sqlite: roster: remove %s: %w", id, err)
			}
		}
		for _, e := range u.Elders {
			if err := w.put(ctx, e, true); err != nil {
				return res, err
			}
		}
		for _, c := range u.States {
			k, err := s.credentialKey(c.Value)
			if err != nil {
				return res, err
			}
			r, err := w.state.ExecContext(ctx, c.State, k)
			if err != nil {
				return res, fmt.Errorf("sqlite: roster: credential state: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				res.UnknownStates++
			} else {
				res.StatesChanged++
			}
		}
	default:
		return res, fmt.Errorf("sqlite: roster: unknown mode %q", u.Mode)
	}
	res.Upserted, res.Credentials = len(u.Elders), w.credentials
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM elders WHERE on_roster = 1`).Scan(&res.Elders); err != nil {
		return res, fmt.Errorf("sqlite: roster: count: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE roster_meta SET version = ?, mode = ?, elders = ?, updated_at = ? WHERE id = 1`,
		u.Version, u.Mode, res.Elders, at.UTC().Format(time.RFC3339Nano)); err != nil {
		return res, fmt.Errorf("sqlite: roster: version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("sqlite: roster: commit: %w", err)
	}
	return res, nil
}

// SeedElders adds or updates elders from the gateway's configuration (the
// first version's roster: one card per elder). It
// keeps the roster version; the gateway seeds only while the roster has
// never been synced from the cloud (version 0).
func (s *Store) SeedElders(ctx context.Context, elders []eldergate.Elder) error {
	if len(elders) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: seed elders: %w", err)
	}
	defer tx.Rollback()
	w, err := s.newRosterWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for _, e := range elders {
		re := eldergate.RosterElder{Elder: e}
		if e.Card != "" { // an inactive elder keeps an active card: the decision says card_inactive
			re.Credentials = []eldergate.Credential{{Kind: eldergate.CredCard, Value: eldergate.NormalizeCredential(e.Card), State: eldergate.CredActive}}
		}
		if err := w.put(ctx, re, true); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE roster_meta SET elders = (SELECT COUNT(*) FROM elders WHERE on_roster = 1) WHERE id = 1`); err != nil {
		return fmt.Errorf("sqlite: seed elders: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: seed elders: commit: %w", err)
	}
	return nil
}

// LookupCredential finds the elder holding the credential presented at a
// reader, whatever its state. A value shaped like a resident ID number is
// looked up by its keyed hash.
func (s *Store) LookupCredential(ctx context.Context, credential string) (CredentialMatch, bool, error) {
	var m CredentialMatch
	k, err := s.credentialKey(credential)
	if err != nil {
		return m, false, err
	}
	var data string
	var e eldergate.Elder
	err = s.r.QueryRowContext(ctx, `SELECT c.kind, c.state, e.id, e.name, e.birth, e.category, e.active, e.data
		FROM credentials c JOIN elders e ON e.id = c.elder_id WHERE c.key = ?`, k).
		Scan(&m.Kind, &m.State, &e.ID, &e.Name, &e.Birth, &e.Category, &e.Active, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("sqlite: lookup credential: %w", err)
	}
	if data != "" {
		var full eldergate.Elder
		if err := json.Unmarshal([]byte(data), &full); err != nil {
			return m, false, fmt.Errorf("sqlite: lookup credential: elder %s: %w", e.ID, err)
		}
		full.ID, full.Name, full.Birth, full.Category, full.Active = e.ID, e.Name, e.Birth, e.Category, e.Active
		e = full
	}
	e.Card = eldergate.NormalizeCredential(credential)
	m.Elder = e
	return m, true, nil
}

// RosterInfo reports the roster's version and size.
func (s *Store) RosterInfo(ctx context.Context) (RosterInfo, error) {
	var ri RosterInfo
	var at string
	if err := s.r.QueryRowContext(ctx, `SELECT version, mode, elders, updated_at FROM roster_meta WHERE id = 1`).
		Scan(&ri.Version, &ri.Mode, &ri.Elders, &at); err != nil {
		return ri, fmt.Errorf("sqlite: roster info: %w", err)
	}
	ri.UpdatedAt, _ = time.Parse(time.RFC3339Nano, at)
	return ri, nil
}
