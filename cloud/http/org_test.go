package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// orgFixture is a server on SQLite with the two-district tree of
// storetest.OrgTree and one gateway at each site (gw-a1, gw-a2 under
// street st-a; gw-b1 under street st-b; gw-s1 in district d-south) plus
// gw-x at a site outside the tree, each with meals and an alert.
type orgFixture struct {
	h      http.Handler
	st     domain.Store
	mu     sync.Mutex
	now    time.Time
	alerts map[string]string // gateway -> its alert id
}

func (f *orgFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *orgFixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func newOrgFixture(t testing.TB) *orgFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &orgFixture{st: st, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), alerts: map[string]string{}}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.h = s.Handler()
	storetest.CreateOrgTree(t, st)
	for i, gw := range []string{"gw-a1", "gw-a2", "gw-b1", "gw-s1", "gw-x"} {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
		at := f.now.Add(-time.Hour + time.Duration(i)*time.Minute)
		batch := []eldergate.Envelope{
			storetest.Meal(t, gw, 1, "E1", at),
			storetest.Meal(t, gw, 2, "E2", at.Add(time.Second)),
			storetest.Alert(t, gw, 3, "al-1", eldergate.AlertRaised, "btn-1", at),
		}
		if _, err := st.IngestBatch(ctx, gw, batch, at); err != nil {
			t.Fatal(err)
		}
		f.alerts[gw] = batch[2].ID
	}
	return f
}

// token creates an API token as the bootstrap admin and returns its secret.
func (f *orgFixture) token(t *testing.T, body string) (id, secret string) {
	t.Helper()
	w := do(f.h, "POST", "/api/v1/tokens", "adm", body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create token %s: %d %s", body, w.Code, w.Body)
	}
	var r CreateTokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.ID == "" || !strings.HasPrefix(r.Secret, "egt_") {
		t.Fatalf("create token answer %s: %v", w.Body, err)
	}
	return r.ID, r.Secret
}

func count(t *testing.T, w interface{ Result() *http.Response }, body []byte) int {
	t.Helper()
	var rows []json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatalf("not a JSON array: %s", body)
	}
	return len(rows)
}

// TestRolesAndScopes: a viewer cannot ack (403); a staff token scoped to
// street st-a acks an alert at a site of st-a but gets 404 for one at a
// site of st-b; lists under scoped tokens hold only their subtree;
// ?scope narrows within the caller's scope and is 403 outside it.
func TestRolesAndScopes(t *testing.T) {
	f := newOrgFixture(t)
	_, viewer := f.token(t, `{"name":"全区查看","role":"viewer"}`)
	_, staffA := f.token(t, `{"name":"A 街道值班","role":"staff","scope":"st-a"}`)
	_, opA := f.token(t, `{"name":"A 街道运维","role":"operator","scope":"st-a"}`)
	_, viewSouth := f.token(t, `{"name":"南区","role":"viewer","scope":"d-south"}`)

	if w := do(f.h, "POST", "/api/v1/alerts/"+f.alerts["gw-a1"]+"/ack", viewer, ""); w.Code != http.StatusForbidden {
		t.Fatalf("viewer ack: %d %s, want 403", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/alerts/"+f.alerts["gw-b1"]+"/ack", staffA, ""); w.Code != http.StatusNotFound {
		t.Fatalf("staff of st-a acks an alert of st-b: %d %s, want 404", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/alerts/"+f.alerts["gw-x"]+"/resolve", staffA, ""); w.Code != http.StatusNotFound {
		t.Fatalf("staff of st-a resolves an alert at a site outside the tree: %d, want 404", w.Code)
	}
	if w := do(f.h, "POST", "/api/v1/alerts/"+f.alerts["gw-a1"]+"/ack", staffA, `{"by":"王护工"}`); w.Code != http.StatusOK {
		t.Fatalf("staff of st-a acks an alert of st-a: %d %s, want 200", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/alerts/nope/ack", staffA, ""); w.Code != http.StatusNotFound {
		t.Fatalf("unknown alert: %d, want 404", w.Code)
	}
	as, _ := f.st.ListAlerts(context.Background(), "")
	for _, a := range as {
		if want := map[bool]domain.AlertState{true: domain.AlertAcknowledged, false: domain.AlertOpen}[a.GW == "gw-a1"]; a.State != want {
			t.Errorf("alert of %s is %s, want %s", a.GW, a.State, want)
		}
	}

	// Lists: admin sees all 5 gateways, 10 meals, 5 alerts.
	for _, c := range []struct {
		name, tok, path string
		want            int
	}{
		{"admin", "adm", "gateways", 5}, {"admin", "adm", "meals", 10}, {"admin", "adm", "alerts", 5},
		{"viewer", viewer, "gateways", 5},
		{"staff st-a", staffA, "gateways", 2}, {"staff st-a", staffA, "meals", 4}, {"staff st-a", staffA, "alerts", 2},
		{"staff st-a", staffA, "rejections", 0},
		{"viewer d-south", viewSouth, "gateways", 1}, {"viewer d-south", viewSouth, "meals", 2},
		{"admin ?scope=d-north", "adm", "gateways?scope=d-north", 3},
		{"admin ?scope=st-b", "adm", "meals?scope=st-b", 2},
		{"staff st-a ?scope=site-gw-a2", staffA, "alerts?scope=site-gw-a2", 1},
		{"staff st-a org", staffA, "org", 4},
		{"admin org", "adm", "org", len(storetest.OrgTree)},
	} {
		w := do(f.h, "GET", "/api/v1/"+c.path, c.tok, "")
		if w.Code != http.StatusOK {
			t.Errorf("%s GET %s: %d %s", c.name, c.path, w.Code, w.Body)
			continue
		}
		if n := count(t, w, w.Body.Bytes()); n != c.want {
			t.Errorf("%s GET %s: %d rows, want %d", c.name, c.path, n, c.want)
		}
		if strings.HasPrefix(c.path, "gateways") && c.tok == staffA && strings.Contains(w.Body.String(), "gw-b1") {
			t.Errorf("staff of st-a sees gw-b1: %s", w.Body)
		}
	}
	for _, c := range []struct {
		tok, path string
		want      int
	}{
		{staffA, "gateways?scope=st-b", 403}, {staffA, "meals?scope=d-north", 403}, {viewSouth, "alerts?scope=st-a", 403},
		{"adm", "gateways?scope=nope", 400}, {"adm", "gateways?scope=Bad_Scope", 400},
	} {
		if w := do(f.h, "GET", "/api/v1/"+c.path, c.tok, ""); w.Code != c.want {
			t.Errorf("GET %s: %d %s, want %d", c.path, w.Code, w.Body, c.want)
		}
	}

	// Per-gateway routes: outside the scope is 404; the role gates writes.
	for _, c := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"GET", "/api/v1/gateways/gw-a1/commands", opA, "", 200},
		{"GET", "/api/v1/gateways/gw-b1/commands", opA, "", 404},
		{"POST", "/api/v1/gateways/gw-b1/commands", opA, `{"type":"ping"}`, 404},
		{"POST", "/api/v1/gateways/gw-a2/commands", opA, `{"type":"ping"}`, 202},
		{"POST", "/api/v1/gateways/gw-a2/commands", staffA, `{"type":"ping"}`, 403},
		{"POST", "/api/v1/gateways/gw-s1/revoke", opA, "", 404},
		{"POST", "/api/v1/gateways", opA, `{"id":"gw-new","site":"site-gw-b1"}`, 403},
		{"POST", "/api/v1/gateways", opA, `{"id":"gw-new","site":"site-gw-a1"}`, 201},
		{"POST", "/api/v1/gateways", viewer, `{"id":"gw-new2","site":"site-gw-a1"}`, 403},
		{"POST", "/api/v1/tokens", opA, `{"name":"x","role":"viewer"}`, 403},
		{"GET", "/api/v1/tokens", staffA, "", 403},
		{"POST", "/api/v1/org", opA, `{"id":"c-a2","parent":"st-a","level":"community","name":"A2"}`, 403},
	} {
		if w := do(f.h, c.method, c.path, c.tok, c.body); w.Code != c.want {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, w.Code, w.Body, c.want)
		}
	}
}

// TestTokenLifecycle: the admin creates, lists and revokes tokens; the
// secret is never listed; a revoked, expired or unknown token is 401.
func TestTokenLifecycle(t *testing.T) {
	f := newOrgFixture(t)
	id, secret := f.token(t, `{"name":"临时","role":"viewer","scope":"st-b","ttl_days":1}`)
	f.advance(time.Second) // the list is oldest first
	id2, secret2 := f.token(t, `{"name":"长期","role":"staff"}`)
	w := do(f.h, "GET", "/api/v1/tokens", "adm", "")
	if w.Code != http.StatusOK {
		t.Fatalf("list tokens: %d", w.Code)
	}
	for _, s := range []string{secret, secret2, domain.HashToken(secret), domain.HashToken(secret2), "egt_", "hash", "secret"} {
		if strings.Contains(w.Body.String(), s) {
			t.Fatalf("token list holds %q: %s", s, w.Body)
		}
	}
	var list []domain.APIToken
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list) != 2 || list[0].ID != id ||
		list[0].Scope != "st-b" || list[0].ExpiresAt == nil || list[1].ExpiresAt != nil {
		t.Fatalf("token list = %+v, %v", list, err)
	}
	if w := do(f.h, "GET", "/api/v1/meals", secret, ""); w.Code != http.StatusOK || count(t, w, w.Body.Bytes()) != 2 {
		t.Fatalf("viewer of st-b lists meals: %d %s", w.Code, w.Body)
	}
	f.advance(24 * time.Hour)
	if w := do(f.h, "GET", "/api/v1/meals", secret, ""); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "expired") {
		t.Fatalf("expired token: %d %s, want 401 expired", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/tokens/"+id2+"/revoke", "adm", ""); w.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/alerts", secret2, ""); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token: %d %s, want 401", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/tokens/tok-nope/revoke", "adm", ""); w.Code != http.StatusNotFound {
		t.Fatalf("revoke unknown: %d, want 404", w.Code)
	}
	for _, tok := range []string{"", "egt_unknown", "adm2"} {
		if w := do(f.h, "GET", "/api/v1/gateways", tok, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", tok, w.Code)
		}
	}
	for body, want := range map[string]int{
		`{"name":"","role":"viewer"}`:                  400,
		`{"name":"x","role":"root"}`:                   400,
		`{"name":"x","role":"viewer","scope":"nope"}`:  400,
		`{"name":"x","role":"viewer","ttl_days":-1}`:   400,
		`{"name":"x","role":"viewer","ttl_days":3651}`: 400,
		`{"name":"x","role":"viewer","extra":1}`:       400,
	} {
		if w := do(f.h, "POST", "/api/v1/tokens", "adm", body); w.Code != want {
			t.Errorf("create token %s: %d %s, want %d", body, w.Code, w.Body, want)
		}
	}
}

// TestOrgCreate: POST /api/v1/org enforces the tree rules with clear 400s,
// 409 for an existing id, and a scoped admin grows only its subtree.
func TestOrgCreate(t *testing.T) {
	f := newOrgFixture(t)
	w := do(f.h, "POST", "/api/v1/org", "adm", `{"id":"c-a2","parent":"st-a","level":"community","name":"A2 社区"}`)
	var u domain.OrgUnit
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &u) != nil || u.Path != "/d-north/st-a/c-a2/" {
		t.Fatalf("create community: %d %s", w.Code, w.Body)
	}
	for body, want := range map[string]string{
		`{"id":"x","parent":"d-north","level":"district","name":"x"}`: "a district has no parent",
		`{"id":"x","level":"street","name":"x"}`:                      "a street needs a district",
		`{"id":"x","parent":"st-a","level":"site","name":"x"}`:        "st-a is a street; a site needs a community",
		`{"id":"x","parent":"st-zz","level":"site","name":"x"}`:       "no org unit st-zz",
		`{"id":"X Y","level":"district","name":"x"}`:                  "id:",
		`{"id":"x","level":"city","name":"x"}`:                        "level: must be one of",
	} {
		w := do(f.h, "POST", "/api/v1/org", "adm", body)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
			t.Errorf("create %s: %d %s, want 400 with %q", body, w.Code, w.Body, want)
		}
	}
	if w := do(f.h, "POST", "/api/v1/org", "adm", `{"id":"st-a","parent":"d-south","level":"street","name":"x"}`); w.Code != http.StatusConflict {
		t.Errorf("existing id: %d, want 409", w.Code)
	}
	_, adminA := f.token(t, `{"name":"A 街道管理","role":"admin","scope":"st-a"}`)
	if w := do(f.h, "POST", "/api/v1/org", adminA, `{"id":"site-a3","parent":"c-a2","level":"site","name":"A3"}`); w.Code != http.StatusCreated {
		t.Errorf("scoped admin inside its subtree: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/org", adminA, `{"id":"site-b9","parent":"c-b1","level":"site","name":"B9"}`); w.Code != http.StatusForbidden {
		t.Errorf("scoped admin outside its subtree: %d, want 403", w.Code)
	}
	if w := do(f.h, "POST", "/api/v1/tokens", adminA, `{"name":"x","role":"viewer","scope":"st-b"}`); w.Code != http.StatusForbidden {
		t.Errorf("scoped admin hands out a token of st-b: %d, want 403", w.Code)
	}
	if w := do(f.h, "GET", "/api/v1/tokens", adminA, ""); w.Code != http.StatusOK || count(t, w, w.Body.Bytes()) != 1 {
		t.Errorf("scoped admin lists tokens: %d %s, want only its own", w.Code, w.Body)
	}
}

// TestPolicyNeedsAdmin: an operator assigns policies to its sites but does
// not write a policy every site may get.
func TestPolicyNeedsAdmin(t *testing.T) {
	f := newOrgFixture(t)
	_, opA := f.token(t, `{"name":"A 街道运维","role":"operator","scope":"st-a"}`)
	body, err := os.ReadFile("../../docs/policies/shenzhen-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w := do(f.h, "POST", "/api/v1/policies", opA, string(body)); w.Code != http.StatusForbidden {
		t.Fatalf("operator stores a policy: %d %s, want 403", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/policies", "adm", string(body)); w.Code != http.StatusCreated && w.Code != http.StatusOK {
		t.Fatalf("admin stores a policy: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/policies", opA, ""); w.Code != http.StatusOK {
		t.Fatalf("operator lists policies: %d %s", w.Code, w.Body)
	}
	// Assigned to a site of st-a: one policy command to its one gateway.
	w := do(f.h, "PUT", "/api/v1/sites/site-gw-a1/policy", opA, `{"version":"shenzhen-2025.1"}`)
	var r AssignPolicyResponse
	if json.Unmarshal(w.Body.Bytes(), &r); w.Code != http.StatusAccepted || len(r.Commands) != 1 {
		t.Fatalf("operator assigns the policy: %d %s", w.Code, w.Body)
	}
	cmds, err := f.st.ListCommands(context.Background(), "gw-a1")
	if err != nil || len(cmds) != 1 || cmds[0].ID != r.Commands[0] || cmds[0].Type != eldergate.CmdPolicy {
		t.Fatalf("policy command: %+v %v", cmds, err)
	}
}
