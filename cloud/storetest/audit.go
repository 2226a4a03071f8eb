package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlstore"
)

// testAudit: appended rows chain (ids follow, each prev_hash is the hash
// before it, AuditHash recomputes each hash from what was read back);
// concurrent appends still chain; the filters, the subtree scope and the
// keyset paging select what they say; the database refuses UPDATE and
// DELETE; a row changed behind the triggers' back is named by VerifyAudit.
func testAudit(t *testing.T, s domain.Store) {
	ctx := context.Background()
	CreateOrgTree(t, s)
	if v, err := s.VerifyAudit(ctx); err != nil || !v.OK || v.Checked != 0 {
		t.Fatalf("VerifyAudit(empty) = %+v, %v", v, err)
	}
	entry := func(i int, unit, actor string, status int) domain.AuditEntry {
		return domain.AuditEntry{
			At: base.Add(time.Duration(i) * time.Minute).Add(123456789 * time.Nanosecond), ActorKind: "token", ActorID: "tok-" + actor,
			ActorName: actor, Role: "admin", Remote: "192.0.2.7", Method: "PATCH", Route: "PATCH /api/v1/org/{id}",
			Path: "/api/v1/org/" + unit, TargetType: "org_unit", TargetID: unit, Unit: unit, Status: status,
			Before: json.RawMessage(fmt.Sprintf(`{"name":"旧名 %d"}`, i)), After: json.RawMessage(fmt.Sprintf(`{"name":"新名 %d"}`, i)),
		}
	}
	units := []string{"site-gw-a1", "st-a", "site-gw-b1", "d-north", "site-gw-s1", "c-a1"}
	var stored []domain.AuditEntry
	for i, u := range units {
		status := 200
		if i%3 == 2 {
			status = 403
		}
		e, err := s.AppendAudit(ctx, entry(i, u, []string{"alice", "bob"}[i%2], status))
		if err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		want := domain.AuditGenesis
		if i > 0 {
			want = stored[i-1].Hash
		}
		if e.ID != int64(i+1) || e.PrevHash != want || e.Hash != domain.AuditHash(e.PrevHash, e) {
			t.Fatalf("row %d: id %d prev %s hash %s", i, e.ID, e.PrevHash, e.Hash)
		}
		stored = append(stored, e)
	}
	got, err := s.AuditEntry(ctx, 2)
	if err != nil || !got.At.Equal(stored[1].At) || got.Hash != domain.AuditHash(got.PrevHash, got) ||
		string(got.After) != `{"name":"新名 1"}` || got.ActorName != "bob" || got.Status != 200 {
		t.Fatalf("AuditEntry(2) = %+v, %v", got, err)
	}
	if _, err := s.AuditEntry(ctx, 99); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("AuditEntry(99): %v", err)
	}

	// Concurrent appenders still make one chain.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := entry(10+i, "site-gw-a2", "carol", 201)
			e.Route = "PUT /api/v1/sites/{site}/menu"
			if _, err := s.AppendAudit(ctx, e); err != nil {
				t.Errorf("concurrent AppendAudit: %v", err)
			}
		}()
	}
	wg.Wait()
	if v, err := s.VerifyAudit(ctx); err != nil || !v.OK || v.Checked != 14 || v.LastID != 14 {
		t.Fatalf("VerifyAudit = %+v, %v", v, err)
	}

	ids := func(q domain.AuditQuery) []int64 {
		t.Helper()
		rows, err := s.ListAudit(ctx, q)
		if err != nil {
			t.Fatalf("ListAudit(%+v): %v", q, err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    domain.AuditQuery
		want []int64
	}{
		{"street a subtree", domain.AuditQuery{Scope: "st-a", Route: "/org/"}, []int64{6, 2, 1}},
		{"street b", domain.AuditQuery{Scope: "st-b"}, []int64{3}},
		{"district north excludes south", domain.AuditQuery{Scope: "d-north", Actor: "alice"}, []int64{3, 1}},
		{"actor by id", domain.AuditQuery{Actor: "tok-bob"}, []int64{6, 4, 2}},
		{"refused", domain.AuditQuery{Status: 4}, []int64{6, 3}},
		{"exact status", domain.AuditQuery{Status: 201, Limit: 2}, []int64{14, 13}},
		{"target", domain.AuditQuery{Target: "d-north"}, []int64{4}},
		{"free text in after", domain.AuditQuery{Text: "新名 4"}, []int64{5}},
		{"free text is not a pattern", domain.AuditQuery{Text: "%"}, nil},
		{"time window", domain.AuditQuery{From: base.Add(time.Minute), To: base.Add(3 * time.Minute)}, []int64{3, 2}},
		{"keyset page", domain.AuditQuery{Before: 4, Limit: 2}, []int64{3, 2}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: ids %v, want %v", tc.name, got, tc.want)
		}
	}

	// The database refuses to change or remove a row.
	raw, ok := s.(interface{ Conn() sqlstore.Conn })
	if !ok {
		t.Skip("store without SQL access: triggers not checked")
	}
	for _, q := range []string{
		`UPDATE audit_log SET status = 200 WHERE id = 3`,
		`DELETE FROM audit_log WHERE id = 3`,
		`DELETE FROM audit_log`,
	} {
		_, err := raw.Conn().Exec(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the append-only refusal", q, err)
		}
	}
	if e, _ := s.AuditEntry(ctx, 3); e.Status != 403 {
		t.Fatalf("row 3 changed: %+v", e)
	}

	// Behind the triggers' back (the database's owner drops them), an
	// edited row is named by the verification.
	if _, err := raw.Conn().Exec(ctx, `DROP TRIGGER audit_log_no_update`); err != nil {
		if _, err := raw.Conn().Exec(ctx, `DROP TRIGGER audit_log_no_update ON audit_log`); err != nil {
			t.Fatalf("drop trigger: %v", err)
		}
	}
	if _, err := raw.Conn().Exec(ctx, `UPDATE audit_log SET status = 200 WHERE id = 3`); err != nil {
		t.Fatalf("update without trigger: %v", err)
	}
	if v, err := s.VerifyAudit(ctx); err != nil || v.OK || v.Broken != 3 || !strings.Contains(v.Reason, "changed") {
		t.Fatalf("VerifyAudit after the edit = %+v, %v", v, err)
	}
}
