package cloudhttp

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// fleetFixture is the org tree of storetest.OrgTree with gateways gw-a1
// (street st-a) and gw-b1 (street st-b), a server whose enrollment is
// limited to 3 failed attempts a minute, and a street-st-a operator
// (opA) and viewer (viewA).
type fleetFixture struct {
	h          http.Handler
	st         domain.Store
	mu         sync.Mutex
	now        time.Time
	revoked    []string
	opA, viewA string
}

func (f *fleetFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func newFleetFixture(t *testing.T) *fleetFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fleetFixture{st: st, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, Now: f.clock, Provisioning: Provisioning{
		BrokerURL: "tcp://127.0.0.1:1", PublicURL: "https://cloud.example", EnrollPerMinute: 3,
		OnRevoke: func(id string) { f.mu.Lock(); f.revoked = append(f.revoked, id); f.mu.Unlock() }}})
	if err != nil {
		t.Fatal(err)
	}
	f.h = s.Handler()
	storetest.CreateOrgTree(t, st)
	for _, gw := range []string{"gw-a1", "gw-b1"} {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}
	f.opA = f.token(t, `{"name":"A ops","role":"operator","scope":"st-a"}`)
	f.viewA = f.token(t, `{"name":"A view","role":"viewer","scope":"st-a"}`)
	return f
}

func (f *fleetFixture) token(t *testing.T, body string) string {
	t.Helper()
	w := do(f.h, "POST", "/api/v1/tokens", "adm", body)
	var r CreateTokenResponse
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &r) != nil {
		t.Fatalf("create token %s: %d %s", body, w.Code, w.Body)
	}
	return r.Secret
}

func decode[T any](t *testing.T, w interface{ Result() *http.Response }, body []byte, want int) T {
	t.Helper()
	var v T
	if code := w.Result().StatusCode; code != want {
		t.Fatalf("status %d, want %d: %s", code, want, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return v
}

// TestFleetRoutesScope: a street-scoped token reads and acts on its own
// street's gateway and never on another street's (404, as if it did not
// exist), whatever the route; a viewer cannot act.
func TestFleetRoutesScope(t *testing.T) {
	f := newFleetFixture(t)
	cfg := "site: site-gw-b1\ntap_dedupe: 5s\n"
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/gateways/gw-b1", ""},
		{"GET", "/api/v1/gateways/gw-b1/presence", ""},
		{"GET", "/api/v1/gateways/gw-b1/config", ""},
		{"PUT", "/api/v1/gateways/gw-b1/config", cfg},
		{"PUT", "/api/v1/gateways/gw-b1/config?dry_run=true", cfg},
		{"GET", "/api/v1/gateways/gw-b1/commands", ""},
		{"POST", "/api/v1/gateways/gw-b1/commands", `{"type":"ping"}`},
		{"POST", "/api/v1/gateways/gw-b1/reenroll", ""},
		{"POST", "/api/v1/gateways/gw-b1/revoke", ""},
	} {
		if w := do(f.h, c.method, c.path, f.opA, c.body); w.Code != http.StatusNotFound {
			t.Errorf("street A operator: %s %s = %d %s, want 404", c.method, c.path, w.Code, w.Body)
		}
		own := strings.ReplaceAll(strings.ReplaceAll(c.path, "gw-b1", "gw-a1"), "site-gw-b1", "site-gw-a1")
		body := strings.ReplaceAll(c.body, "site-gw-b1", "site-gw-a1")
		if w := do(f.h, c.method, own, f.opA, body); w.Code >= 300 {
			t.Errorf("street A operator: %s %s = %d %s, want success", c.method, own, w.Code, w.Body)
		}
		if c.method != "GET" {
			if w := do(f.h, c.method, own, f.viewA, body); w.Code != http.StatusForbidden {
				t.Errorf("street A viewer: %s %s = %d, want 403", c.method, own, w.Code)
			}
		}
		if w := do(f.h, c.method, own, "", body); w.Code != http.StatusUnauthorized {
			t.Errorf("anonymous: %s %s = %d, want 401", c.method, own, w.Code)
		}
	}
	// Bulk creation: a site of another street is not in the caller's scope.
	w := do(f.h, "POST", "/api/v1/gateways/bulk", f.opA, "id,site\ngw-n1,site-gw-a2\ngw-n2,site-gw-b1\n")
	res := decode[BulkResponse](t, w, w.Body.Bytes(), http.StatusUnprocessableEntity)
	if len(res.Problems) != 1 || res.Problems[0].Row != 3 || res.Problems[0].Code != "site_unknown" {
		t.Fatalf("bulk with another street's site: %+v", res.Problems)
	}
	if _, err := f.st.GatewayCredential(context.Background(), "gw-n1"); err == nil {
		t.Fatal("a refused bulk creation created gw-n1")
	}
}

// TestGatewayPage: the page's answer carries the places by name, the
// zone, the latest heartbeat and the presence history.
func TestGatewayPage(t *testing.T) {
	f := newFleetFixture(t)
	ctx := context.Background()
	at := f.now.Add(-time.Hour)
	if _, err := f.st.ApplyGatewayState(ctx, "gw-a1", eldergate.State{Online: true, Boot: 2, Version: "1.4.0"}, at); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"version": "1.4.0", "outbox_depth": 12, "clock": "unsynced",
		"devices": []map[string]any{{"name": "card", "driver": "sim", "connected": true}}})
	hb := eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindHeartbeat, GW: "gw-a1", Site: "site-gw-a1", Seq: 1, Boot: 2,
		At: at.Add(time.Minute), Clock: eldergate.ClockUnsynced, Data: raw}
	if _, err := f.st.IngestBatch(ctx, "gw-a1", []eldergate.Envelope{hb}, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ApplyGatewayState(ctx, "gw-a1", eldergate.State{Online: false, Boot: 2}, at.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	w := do(f.h, "GET", "/api/v1/gateways/gw-a1", f.viewA, "")
	d := decode[GatewayDetail](t, w, w.Body.Bytes(), http.StatusOK)
	var names []string
	for _, p := range d.Places {
		names = append(names, p.Level+":"+p.Name)
	}
	if !slices.Equal(names, []string{"district:北区", "street:A 街道", "community:A1 社区", "site:A1 食堂"}) ||
		d.TimeZone != domain.DefaultTimeZone || d.Version != "1.4.0" || d.Online || d.ConfigStatus != domain.ConfigUnknown {
		t.Fatalf("detail = %+v", d)
	}
	var data struct {
		Depth int `json:"outbox_depth"`
	}
	if d.Heartbeat == nil || d.Heartbeat.Clock != eldergate.ClockUnsynced || json.Unmarshal(d.Heartbeat.Data, &data) != nil || data.Depth != 12 {
		t.Fatalf("heartbeat = %+v", d.Heartbeat)
	}

	q := url.Values{"from": {at.Add(-time.Hour).Format(time.RFC3339)}, "to": {f.now.Format(time.RFC3339)}}
	w = do(f.h, "GET", "/api/v1/gateways/gw-a1/presence?"+q.Encode(), f.viewA, "")
	p := decode[PresenceView](t, w, w.Body.Bytes(), http.StatusOK)
	if len(p.Changes) != 2 || !p.Changes[0].Online || p.Changes[0].Cause != domain.PresenceBirth ||
		p.Changes[1].Online || p.Changes[1].Cause != domain.PresenceWill || p.OnlineS != 30*60 || p.KnownS != 60*60 {
		t.Fatalf("presence = %+v", p)
	}
	for _, bad := range []string{"from=yesterday", "to=2026-01-01", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
		"from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		if w := do(f.h, "GET", "/api/v1/gateways/gw-a1/presence?"+bad, f.viewA, ""); w.Code != http.StatusBadRequest {
			t.Errorf("presence?%s = %d, want 400", bad, w.Code)
		}
	}
}

// TestConfigCommandsKeepTheListStatus is the bug of the gateway list's
// config column staying "—" after two successful pushes: the pushes were
// config commands queued by POST .../commands, which stored no desired
// version, so the list had nothing to compare. Now they do.
func TestConfigCommandsKeepTheListStatus(t *testing.T) {
	f := newFleetFixture(t)
	ctx := context.Background()
	status := func() string {
		t.Helper()
		w := do(f.h, "GET", "/api/v1/gateways", "adm", "")
		for _, g := range decode[[]domain.Gateway](t, w, w.Body.Bytes(), http.StatusOK) {
			if g.ID == "gw-a1" {
				return g.ConfigStatus
			}
		}
		t.Fatal("gw-a1 not listed")
		return ""
	}
	for i, body := range []string{`"site: site-gw-a1\ntap_dedupe: 4s\n"`, `{"site":"site-gw-a1","tap_dedupe":"5s"}`} {
		w := do(f.h, "POST", "/api/v1/gateways/gw-a1/commands", "adm", `{"type":"config","body":`+body+`}`)
		c := decode[CommandView](t, w, w.Body.Bytes(), http.StatusAccepted)
		if got := status(); got != domain.ConfigPending {
			t.Fatalf("push %d: list status %s before the result, want pending", i+1, got)
		}
		// The gateway's result, as the ingester's follow-up records it.
		if ok, err := f.st.RecordDesiredResult(ctx, "gw-a1", c.ID, true, "", f.now); err != nil || !ok {
			t.Fatalf("push %d: the result matched no desired version (%v, %v)", i+1, ok, err)
		}
		if got := status(); got != domain.ConfigInSync {
			t.Fatalf("push %d: list status %s after a successful result, want in_sync", i+1, got)
		}
	}
	// The same rule as PUT: a config command without the site is refused.
	if w := do(f.h, "POST", "/api/v1/gateways/gw-a1/commands", "adm", `{"type":"config","body":"tap_dedupe: 4s\n"}`); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "site_missing") {
		t.Fatalf("config command without a site: %d %s", w.Code, w.Body)
	}
}

// TestConfigDryRun: the dry run checks by the PUT's rule, stores and sends
// nothing, and diffs the edit against the text the gateway runs.
func TestConfigDryRun(t *testing.T) {
	f := newFleetFixture(t)
	ctx := context.Background()
	v1 := "site: site-gw-a1\ntap_dedupe: 4s\nheartbeat: 60s\n"
	w := do(f.h, "PUT", "/api/v1/gateways/gw-a1/config", f.opA, v1)
	cv := decode[ConfigView](t, w, w.Body.Bytes(), http.StatusAccepted)
	if _, err := f.st.ApplyGatewayState(ctx, "gw-a1", eldergate.State{Online: true, Boot: 1, ConfigSHA256: cv.Desired.SHA256}, f.now); err != nil {
		t.Fatal(err)
	}
	w = do(f.h, "GET", "/api/v1/gateways/gw-a1/config", f.viewA, "")
	if g := decode[ConfigView](t, w, w.Body.Bytes(), http.StatusOK); g.Reported == nil || g.Reported.Body != v1 || g.Reported.Version != 1 {
		t.Fatalf("reported text = %+v", g.Reported)
	}
	edit := "site: site-gw-a1\ntap_dedupe: 5s\nheartbeat: 60s\n"
	w = do(f.h, "PUT", "/api/v1/gateways/gw-a1/config?dry_run=true", f.opA, edit)
	c := decode[ConfigCheck](t, w, w.Body.Bytes(), http.StatusOK)
	var diff []string
	for _, l := range c.Diff {
		diff = append(diff, l.Op+l.Text)
	}
	if !c.Valid || !c.DryRun || c.Same || c.Against != "reported" || c.Version != 1 ||
		!slices.Equal(diff, []string{" site: site-gw-a1", "-tap_dedupe: 4s", "+tap_dedupe: 5s", " heartbeat: 60s"}) {
		t.Fatalf("dry run = %+v", c)
	}
	if d, err := f.st.DesiredConfig(ctx, "gw-a1"); err != nil || d.Version != 1 {
		t.Fatalf("the dry run stored a version: %+v, %v", d, err)
	}
	if p, _ := f.st.PendingCommands(ctx, "gw-a1", f.now); len(p) != 1 {
		t.Fatalf("the dry run queued a command: %d pending", len(p))
	}
	w = do(f.h, "PUT", "/api/v1/gateways/gw-a1/config?dry_run=true", f.opA, "site: site-gw-a2\n")
	if e := decode[ConfigError](t, w, w.Body.Bytes(), http.StatusBadRequest); e.Code != "site_wrong" {
		t.Fatalf("dry run of another site: %+v", e)
	}
}

// TestReenroll: the old credentials are revoked (secret cleared, the
// broker told), the new token enrolls the same gateway, the old one does
// not, and the answer carries the QR code of the link.
func TestReenroll(t *testing.T) {
	f := newFleetFixture(t)
	ctx := context.Background()
	w := do(f.h, "POST", "/api/v1/gateways", "adm", `{"id":"gw-r","site":"site-gw-a2"}`)
	first := decode[CreateGatewayResponse](t, w, w.Body.Bytes(), http.StatusCreated)
	if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+first.Token+`"}`); w.Code != http.StatusOK {
		t.Fatalf("enroll: %d %s", w.Code, w.Body)
	}
	w = do(f.h, "POST", "/api/v1/gateways/gw-r/reenroll", f.opA, "")
	res := decode[CreateGatewayResponse](t, w, w.Body.Bytes(), http.StatusOK)
	if res.ID != "gw-r" || res.Token == "" || res.Token == first.Token || !strings.HasPrefix(res.QRPNG, "data:image/png;base64,") ||
		res.EnrollURL != EnrollURL("https://cloud.example", res.Token) || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("re-enrollment = %+v", res)
	}
	if _, link, _ := decodeQRDataURI(t, res.QRPNG); link != res.EnrollURL {
		t.Fatalf("QR code says %q, want %q", link, res.EnrollURL)
	}
	if c, err := f.st.GatewayCredential(ctx, "gw-r"); err != nil || c.SecretHash != "" {
		t.Fatalf("old secret kept: %+v, %v", c, err)
	}
	if f.mu.Lock(); !slices.Equal(f.revoked, []string{"gw-r"}) {
		t.Fatalf("broker told of %v, want [gw-r]", f.revoked)
	}
	f.mu.Unlock()
	if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+first.Token+`"}`); w.Code != http.StatusConflict {
		t.Fatalf("the old token again: %d", w.Code)
	}
	w = do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+res.Token+`"}`)
	if e := decode[EnrollResponse](t, w, w.Body.Bytes(), http.StatusOK); e.GatewayID != "gw-r" || e.Password == "" {
		t.Fatalf("enroll with the new token: %+v", e)
	}
}

// TestBulkCreate: a street of 200 gateways is created in one request, and
// they all enroll within the same minute although the enrollment limit is
// 3 a minute (only failed attempts count); a file with bad rows creates
// nothing and names every bad row.
func TestBulkCreate(t *testing.T) {
	f := newFleetFixture(t)
	var csv strings.Builder
	csv.WriteString("\ufeffid,site,name\n")
	for i := range 200 {
		fmt.Fprintf(&csv, "gw-st-%03d,site-gw-a%d,%d 号\n", i, 1+i%2, i)
	}
	w := do(f.h, "POST", "/api/v1/gateways/bulk", f.opA, csv.String())
	res := decode[BulkResponse](t, w, w.Body.Bytes(), http.StatusCreated)
	if res.Created != 200 || len(res.Gateways) != 200 || res.Gateways[7].ID != "gw-st-007" || res.Gateways[7].Name != "7 号" ||
		res.Gateways[7].Site != "site-gw-a2" || !strings.HasPrefix(res.Gateways[7].QRPNG, "data:image/png;base64,") {
		t.Fatalf("bulk answer: created %d, gateways[7] %+v", res.Created, res.Gateways[7])
	}
	if g, err := f.st.Gateway(context.Background(), "gw-st-199"); err != nil || g.Name != "199 号" {
		t.Fatalf("gw-st-199 = %+v, %v", g, err)
	}
	// Valid tokens are never limited; bcrypt makes each enrollment cost,
	// so 6 of them (twice the limit) make the point.
	for _, g := range res.Gateways[:6] {
		if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+g.Token+`"}`); w.Code != http.StatusOK {
			t.Fatalf("enroll %s: %d %s", g.ID, w.Code, w.Body)
		}
	}
	for i := range 3 {
		if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"guess"}`); w.Code != http.StatusNotFound {
			t.Fatalf("failed attempt %d: %d", i+1, w.Code)
		}
	}
	if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+res.Gateways[6].Token+`"}`); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after 3 failed attempts: %d, want 429", w.Code)
	}

	bad := "网关编号;站点;名称\n" + // Chinese header, semicolons
		"gw-ok;site-gw-a1;好\n" +
		"bad id!;site-gw-a1;\n" +
		"gw-st-001;site-gw-a1;\n" + // exists
		"gw-ok;site-gw-a2;\n" + // repeated
		"gw-x;st-a;\n" + // a street, not a site
		"gw-y;NO;\n" +
		"gw-z;site-none;\n" +
		"bad id 2;site-none;\n" // both wrong: both named
	w = do(f.h, "POST", "/api/v1/gateways/bulk", "adm", bad)
	res = decode[BulkResponse](t, w, w.Body.Bytes(), http.StatusUnprocessableEntity)
	var got []string
	for _, p := range res.Problems {
		got = append(got, fmt.Sprintf("%d %s %s", p.Row, p.Column, p.Code))
	}
	want := []string{"3 id bad_id", "4 id exists", "5 id duplicate_id", "6 site site_unknown", "7 site bad_site", "8 site site_unknown", "9 id bad_id", "9 site site_unknown"}
	if !slices.Equal(got, want) || res.Created != 0 {
		t.Fatalf("problems = %q\nwant       %q", got, want)
	}
	if _, err := f.st.Gateway(context.Background(), "gw-ok"); err == nil {
		t.Fatal("a refused file created gw-ok")
	}
	for body, code := range map[string]string{"": "no_rows", "id,site\n": "no_rows", "id,name\ngw-1,x\n": "missing_column", "id,site\n\"gw-1,site-gw-a1\n": "csv"} {
		w := do(f.h, "POST", "/api/v1/gateways/bulk", "adm", body)
		if res := decode[BulkResponse](t, w, w.Body.Bytes(), http.StatusUnprocessableEntity); len(res.Problems) == 0 || res.Problems[0].Code != code {
			t.Errorf("bulk %q: %+v, want %s", body, res.Problems, code)
		}
	}
}

// TestBulkCreateTokensCSV: ?format=csv answers the tokens as a CSV a
// script reads (no QR codes), each token enrolls its gateway; ?qr=false
// answers JSON without QR codes; other values are refused in words.
func TestBulkCreateTokensCSV(t *testing.T) {
	f := newFleetFixture(t)
	w := do(f.h, "POST", "/api/v1/gateways/bulk?format=csv", f.opA, "id,site,name\ngw-c1,site-gw-a1,\"北门, 1\"\ngw-c2,site-gw-a2,\n")
	if w.Code != http.StatusCreated || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("format=csv: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || len(recs) != 3 || !slices.Equal(recs[0], BulkTokensCSVHeader) || recs[1][0] != "gw-c1" || recs[1][2] != "北门, 1" ||
		recs[2][1] != "site-gw-a2" || len(recs[2][3]) < 40 || !strings.HasPrefix(recs[2][4], "eldergate://enroll?") {
		t.Fatalf("tokens CSV = %q, %v", recs, err)
	}
	if _, err := time.Parse(time.RFC3339, recs[1][5]); err != nil {
		t.Fatalf("expires_at %q: %v", recs[1][5], err)
	}
	if w := do(f.h, "POST", "/api/v1/enroll", "", `{"token":"`+recs[2][3]+`"}`); w.Code != http.StatusOK {
		t.Fatalf("enroll with the CSV's token: %d %s", w.Code, w.Body)
	}
	w = do(f.h, "POST", "/api/v1/gateways/bulk?qr=false", f.opA, "id,site\ngw-c3,site-gw-a1\n")
	res := decode[BulkResponse](t, w, w.Body.Bytes(), http.StatusCreated)
	if len(res.Gateways) != 1 || res.Gateways[0].QRPNG != "" || res.Gateways[0].Token == "" {
		t.Fatalf("qr=false: %+v", res.Gateways)
	}
	for _, q := range []string{"format=xml", "qr=no"} {
		if w := do(f.h, "POST", "/api/v1/gateways/bulk?"+q, f.opA, "id,site\ngw-c4,site-gw-a1\n"); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, w.Code)
		}
	}
	if _, err := f.st.Gateway(context.Background(), "gw-c4"); err == nil {
		t.Error("a refused request created gw-c4")
	}
}

func FuzzParseBulkCSV(f *testing.F) {
	f.Add([]byte("id,site,name\ngw-1,site-1,北门\n"))
	f.Add([]byte("网关编号;站点\ngw-1;site-1\ngw-1;site-2\n"))
	f.Add([]byte("id\tsite\n\"gw\n1\"\tx\n"))
	f.Add([]byte("\xef\xbb\xbfid,site\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, probs, err := ParseBulkCSV(b)
		if err != nil {
			if len(rows) > 0 || len(probs) > 0 {
				t.Fatal("rows with an error")
			}
			return
		}
		if len(rows) == 0 && len(probs) == 0 {
			t.Fatalf("neither rows nor problems for %q", b)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("a row on line %d", r.Line)
			}
			if len(probs) > 0 {
				continue
			}
			if eldergate.ValidateGatewayID(r.ID) != nil || domain.ValidateSlug(r.Site) != nil || seen[r.ID] {
				t.Fatalf("accepted row %+v without a problem", r)
			}
			seen[r.ID] = true
		}
		for _, p := range probs {
			if p.Code == "" || p.Message == "" || p.Row < 1 {
				t.Fatalf("problem without code, message or row: %+v", p)
			}
		}
	})
}

func FuzzParsePresenceRange(f *testing.F) {
	f.Add("2026-01-01T00:00:00Z", "2026-01-02T00:00:00+08:00")
	f.Add("", "")
	f.Add("x", "2026-01-01T00:00:00Z")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to string) {
		a, b, err := ParsePresenceRange(url.Values{"from": {from}, "to": {to}}, now)
		if err != nil {
			return
		}
		if !a.Before(b) || b.Sub(a) > MaxPresenceSpan || a.Location() != time.UTC || b.Location() != time.UTC {
			t.Fatalf("accepted %q %q as %v %v", from, to, a, b)
		}
	})
}

func TestLineDiff(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"", "", ""},
		{"", "a\nb\n", "+a|+b"},
		{"a\nb", "a\nb\n", " a| b"},
		{"a\nb\nc\n", "a\nc\n", " a|-b| c"},
		{"a\nb\nc\n", "a\nx\nc\nd\n", " a|-b|+x| c|+d"},
		{"x: 1\r\ny: 2\r\n", "x: 1\ny: 3\n", " x: 1|-y: 2|+y: 3"},
	} {
		var got []string
		for _, l := range LineDiff(c.a, c.b) {
			got = append(got, l.Op+l.Text)
		}
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("LineDiff(%q, %q) = %q, want %q", c.a, c.b, g, c.want)
		}
	}
}

func FuzzCheckGatewayConfig(f *testing.F) {
	f.Add([]byte("site: site-1\ntap_dedupe: 5s\n"))
	f.Add([]byte(`{"site":"site-1","gateway_id":"gw-1"}`))
	f.Add([]byte("site: [1]\n"))
	f.Add([]byte("gateway_id: gw-2\nsite: site-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckGatewayConfig(b, "gw-1", "site-1")
		if err == nil {
			if CheckConfigBody(b) != nil {
				t.Fatalf("accepted %q, which CheckConfigBody refuses", b)
			}
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Code == "" || !strings.HasPrefix(ce.Msg, "config: ") {
			t.Fatalf("refusal without a code: %v", err)
		}
	})
}
