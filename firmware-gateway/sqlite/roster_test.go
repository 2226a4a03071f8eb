package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

var rosterKey = bytes.Repeat([]byte{0x5a}, 32)

const residentID = "44030319450101006X" // a valid check character: rosters are held to eldergate.NormalizeResidentID

func openRoster(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gw.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SetRosterKey(context.Background(), rosterKey); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// bigRoster returns n elders, each with a card, and every other one with a
// resident ID number and a social-security card number.
func bigRoster(n int) []eldergate.RosterElder {
	out := make([]eldergate.RosterElder, n)
	for i := range out {
		e := eldergate.RosterElder{Elder: eldergate.Elder{ID: fmt.Sprintf("E%06d", i), Name: "张三明", Birth: "1948-03-02", Category: "低保", Active: true}}
		e.Credentials = []eldergate.Credential{{Kind: eldergate.CredCard, Value: fmt.Sprintf("04%06X", i)}}
		if i%2 == 0 {
			e.Credentials = append(e.Credentials,
				eldergate.Credential{Kind: eldergate.CredResidentID, Value: fmt.Sprintf("4403031945%08d", i)},
				eldergate.Credential{Kind: eldergate.CredSSC, Value: fmt.Sprintf("S%08d", i)})
		}
		out[i] = e
	}
	return out
}

func apply(t *testing.T, s *sqlite.Store, u eldergate.RosterUpdate) (sqlite.RosterResult, error) {
	t.Helper()
	if err := u.Validate(); err != nil {
		t.Fatalf("update invalid: %v", err)
	}
	return s.ApplyRoster(t.Context(), u, time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC))
}

func lookup(t *testing.T, s *sqlite.Store, cred string) (sqlite.CredentialMatch, bool) {
	t.Helper()
	m, ok, err := s.LookupCredential(t.Context(), cred)
	if err != nil {
		t.Fatal(err)
	}
	return m, ok
}

func TestRosterFullAndDelta(t *testing.T) {
	s, path := openRoster(t)
	full := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 7, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E1", Name: "张三明", Active: true, Categories: []string{"低保"}, HukouLocal: true}, Credentials: []eldergate.Credential{
			{Kind: eldergate.CredCard, Value: "04a1b2c3"}, {Kind: eldergate.CredResidentID, Value: strings.ToLower(residentID)}, {Kind: eldergate.CredSSC, Value: "A1234567"}}},
		{Elder: eldergate.Elder{ID: "E2", Name: "李秀英", Card: "04D5E6F7", Active: true}},
		{Elder: eldergate.Elder{ID: "E3", Name: "陈大文", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "0411", State: eldergate.CredLost}}},
	}}
	res, err := apply(t, s, full)
	if err != nil {
		t.Fatal(err)
	}
	if res.Elders != 3 || res.Credentials != 5 || res.Version != 7 {
		t.Fatalf("full = %+v", res)
	}
	// Every credential finds its elder; the resident ID by its hash, in any case.
	for _, cred := range []string{"04A1B2C3", "04a1b2c3", residentID, "A1234567"} {
		m, ok := lookup(t, s, cred)
		if !ok || m.Elder.ID != "E1" || m.State != eldergate.CredActive || !m.Elder.HukouLocal || len(m.Elder.Categories) != 1 {
			t.Fatalf("lookup %s = %+v, %v", cred, m, ok)
		}
	}
	if m, _ := lookup(t, s, residentID); m.Kind != eldergate.CredResidentID {
		t.Fatalf("resident id kind = %q", m.Kind)
	}
	if m, ok := lookup(t, s, "0411"); !ok || m.State != eldergate.CredLost {
		t.Fatalf("lost card = %+v %v", m, ok)
	}
	if _, ok, _ := s.ElderByCard(t.Context(), "0411"); ok {
		t.Fatal("ElderByCard matched a lost card")
	}
	if e, ok, _ := s.ElderByCard(t.Context(), "04D5E6F7"); !ok || e.ID != "E2" {
		t.Fatalf("ElderByCard = %+v %v", e, ok)
	}

	// A delta on the wrong base is refused and changes nothing.
	_, err = apply(t, s, eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 6, Version: 8,
		States: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04A1B2C3", State: eldergate.CredLost}}})
	var ve *sqlite.RosterVersionError
	if !errors.As(err, &ve) || ve.Have != 7 || ve.Base != 6 || !strings.Contains(err.Error(), "full roster") {
		t.Fatalf("delta on the wrong base: %v", err)
	}
	if m, _ := lookup(t, s, "04A1B2C3"); m.State != eldergate.CredActive {
		t.Fatal("a refused delta changed a card")
	}

	// The delta on 7: E1's card lost, E2 replaced (new card), E3 removed, E4 added.
	delta := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 7, Version: 8,
		Elders: []eldergate.RosterElder{
			{Elder: eldergate.Elder{ID: "E2", Name: "李秀英", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04EEEEEE"}}},
			{Elder: eldergate.Elder{ID: "E4", Name: "黄美玲", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04444444", State: eldergate.CredCancelled}}},
		},
		Remove: []string{"E3"},
		States: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04A1B2C3", State: eldergate.CredLost}, {Kind: eldergate.CredCard, Value: "FFFF", State: eldergate.CredLost}},
	}
	res, err = apply(t, s, delta)
	if err != nil {
		t.Fatal(err)
	}
	if res.Elders != 3 || res.Removed != 1 || res.StatesChanged != 1 || res.UnknownStates != 1 || res.Upserted != 2 {
		t.Fatalf("delta = %+v", res)
	}
	for cred, want := range map[string]string{"04A1B2C3": eldergate.CredLost, residentID: eldergate.CredActive, "04EEEEEE": eldergate.CredActive, "04444444": eldergate.CredCancelled} {
		if m, ok := lookup(t, s, cred); !ok || m.State != want {
			t.Errorf("%s = %+v %v, want %s", cred, m, ok, want)
		}
	}
	for _, gone := range []string{"04D5E6F7", "0411"} {
		if _, ok := lookup(t, s, gone); ok {
			t.Errorf("%s still on the roster", gone)
		}
	}
	// Re-delivered: already at 8, nothing happens.
	res, err = apply(t, s, delta)
	if err != nil || !res.AlreadyApplied {
		t.Fatalf("re-applied delta = %+v, %v", res, err)
	}
	ri, err := s.RosterInfo(t.Context())
	if err != nil || ri.Version != 8 || ri.Mode != eldergate.RosterDelta || ri.Elders != 3 {
		t.Fatalf("roster info = %+v, %v", ri, err)
	}
	// A full roster removes what it does not list.
	if _, err := apply(t, s, eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 9, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E9", Name: "王建国", Card: "04999999", Active: true}}}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, s, "04EEEEEE"); ok {
		t.Fatal("full roster kept an elder it did not list")
	}
	roster, err := s.Roster(t.Context())
	if err != nil || len(roster) != 1 || roster[0].Card != "04999999" {
		t.Fatalf("Roster() = %+v, %v", roster, err)
	}

	// The plain resident ID number is nowhere in the database file.
	s.Close()
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(residentID)) || bytes.Contains(b, []byte(residentID[:17])) {
			t.Fatalf("%s holds the plain resident ID number", filepath.Base(f))
		}
	}
}

func TestResidentIDNeedsKey(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.SeedElders(t.Context(), []eldergate.Elder{{ID: "E1", Name: "张三", Card: residentID, Active: true}})
	if !errors.Is(err, sqlite.ErrNoRosterKey) {
		t.Fatalf("seed of a resident ID without a key: %v", err)
	}
	if err := s.SetRosterKey(t.Context(), []byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	// Different keys give different hashes: the other store does not find it.
	if err := s.SetRosterKey(t.Context(), bytes.Repeat([]byte{1}, 32)); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedElders(t.Context(), []eldergate.Elder{{ID: "E1", Name: "张三", Card: residentID, Active: true}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LookupCredential(t.Context(), residentID); !ok {
		t.Fatal("not found with its key")
	}
	if err := s.SetRosterKey(t.Context(), rosterKey); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LookupCredential(t.Context(), residentID); ok {
		t.Fatal("found with another key")
	}
}

// TestLegacyEldersMigrated: a store of the first version (migration 0001
// only) with plain cards, one of them a resident ID number, is migrated:
// cards become credentials and the resident ID is hashed at SetRosterKey.
func TestLegacyEldersMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(init), `CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version VALUES (1)`,
		`INSERT INTO elders (id, name, card, active) VALUES ('E1', '张三', '04A1B2C3', 1), ('E2', '李四', '` + residentID + `', 1), ('E3', '王五', '0433', 0)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, ok := lookup(t, s, "04A1B2C3"); !ok || m.Elder.ID != "E1" {
		t.Fatalf("legacy card = %+v %v", m, ok)
	}
	if m, ok := lookup(t, s, "0433"); !ok || m.Elder.Active || m.State != eldergate.CredActive {
		t.Fatalf("inactive legacy elder = %+v %v", m, ok)
	}
	if err := s.SetRosterKey(t.Context(), rosterKey); err != nil {
		t.Fatal(err)
	}
	if m, ok := lookup(t, s, residentID); !ok || m.Elder.ID != "E2" || m.Kind != eldergate.CredResidentID {
		t.Fatalf("legacy resident id = %+v %v", m, ok)
	}
	var plain int
	db2, _ := sql.Open("sqlite3", path+"?mode=ro")
	defer db2.Close()
	db2.QueryRow(`SELECT COUNT(*) FROM elders WHERE card = ?`, residentID).Scan(&plain)
	if plain != 0 {
		t.Fatal("legacy resident ID still plain in elders.card")
	}
	if ri, _ := s.RosterInfo(t.Context()); ri.Version != 0 || ri.Elders != 3 {
		t.Fatalf("roster info = %+v", ri)
	}
}

func TestCommandsAndDeadLetters(t *testing.T) {
	s, _ := openRoster(t)
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	if _, ok, err := s.CommandResult(t.Context(), "c1"); ok || err != nil {
		t.Fatalf("unknown command: %v %v", ok, err)
	}
	r := eldergate.CommandResult{ID: "c1", OK: false, Error: "boom", Body: []byte(`{"a":1}`)}
	if err := s.RecordCommand(t.Context(), "ping", r, "ev1", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCommand(t.Context(), "ping", eldergate.CommandResult{ID: "c1", OK: true}, "ev2", at); err != nil {
		t.Fatal(err)
	}
	c, ok, err := s.CommandResult(t.Context(), "c1")
	if err != nil || !ok || c.Result.OK || c.Result.Error != "boom" || string(c.Result.Body) != `{"a":1}` || c.EventID != "ev1" {
		t.Fatalf("stored = %+v %v %v", c, ok, err)
	}

	e1, e2 := env(eldergate.KindAudit), env(eldergate.KindAudit)
	for _, e := range []eldergate.Envelope{e1, e2} {
		if _, err := s.Commit(t.Context(), e, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MarkRejected(t.Context(), []eldergate.Rejection{{ID: e2.ID, Reason: "data: bad"}}, at); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeadLetterCount(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("dead letters = %d, %v", n, err)
	}
	dl, err := s.DeadLetters(t.Context(), 10)
	if err != nil || len(dl) != 1 || dl[0].ID != e2.ID || dl[0].Reason != "data: bad" {
		t.Fatalf("dead letters = %+v, %v", dl, err)
	}
}

// BenchmarkRosterLoad100k loads a full roster of 100,000 elders (150,000
// credentials, 50,000 resident ID numbers hashed) in one transaction.
func BenchmarkRosterLoad100k(b *testing.B) {
	elders := bigRoster(100_000)
	s, _ := openRoster(b)
	b.ResetTimer()
	for i := range b.N {
		u := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: uint64(i + 1), Elders: elders}
		res, err := s.ApplyRoster(context.Background(), u, time.Now())
		if err != nil || res.Elders != 100_000 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
}

// BenchmarkLookup looks up cards and resident ID numbers in a roster of
// 100,000 elders.
func BenchmarkLookup(b *testing.B) {
	elders := bigRoster(100_000)
	s, _ := openRoster(b)
	if _, err := s.ApplyRoster(context.Background(), eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: elders}, time.Now()); err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{eldergate.CredCard, eldergate.CredResidentID} {
		b.Run(kind, func(b *testing.B) {
			i := 0
			for b.Loop() {
				e := elders[(i*7919)%len(elders)&^1]
				i++
				cred := e.Credentials[0].Value
				if kind == eldergate.CredResidentID {
					cred = e.Credentials[1].Value
				}
				if _, ok, err := s.LookupCredential(context.Background(), cred); !ok || err != nil {
					b.Fatalf("%s: %v %v", cred, ok, err)
				}
			}
		})
	}
}
