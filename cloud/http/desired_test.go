package cloudhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// TestDesiredConfigAPI: bad bodies get a 400 naming the problem, an
// oversized one 413, an unknown gateway 404, a revoked one 409; a valid
// PUT stores version 1 (sha256 of the body as sent) and queues a config
// command whose body is that text as a JSON string; GET shows pending,
// then in_sync after the gateway's birth reports the checksum, then
// failed with the gateway's error for version 2.
func TestDesiredConfigAPI(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, id := range []string{"gw-d1", "gw-rev"} {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: id, Site: "site-1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RevokeGateway(ctx, "gw-rev", now); err != nil {
		t.Fatal(err)
	}
	view := func(gw string) ConfigView {
		t.Helper()
		w := do(h, http.MethodGet, "/api/v1/gateways/"+gw+"/config", "adm", "")
		var v ConfigView
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &v) != nil {
			t.Fatalf("GET config: %d %s", w.Code, w.Body)
		}
		return v
	}
	if v := view("gw-d1"); v.Status != domain.ConfigUnknown || v.Desired != nil || v.Reported != nil || v.LastResult != nil {
		t.Fatalf("before any PUT: %+v", v)
	}

	for body, want := range map[string]string{
		"":                       "empty",
		"- a\n- b\n":             "mapping",
		"just text":              "mapping",
		"{}":                     "empty",
		"[1]":                    "mapping",
		"{\"a\":":                "JSON object",
		"a: [\n":                 "YAML",
		"a: 1\n---\nb: 2\n":      "one YAML document",
		"a: \"\x00\"":            "UTF-8",
		"tap_dedupe: \xff\xfe\n": "UTF-8",
		"tap_dedupe: 5s\n":       `"code":"site_missing"`,
		"site: site-2\n":         `"code":"site_wrong"`,
		`{"site": "site-1", "gateway_id": "gw-x"}`: `"code":"gateway_id_wrong"`,
		"site: [1]\n": `"code":"not_mapping"`,
	} {
		w := do(h, http.MethodPut, "/api/v1/gateways/gw-d1/config", "adm", body)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
			t.Errorf("PUT %q: %d %s, want 400 mentioning %q", body, w.Code, w.Body, want)
		}
	}
	big := "tap_dedupe: 5s\n# " + strings.Repeat("x", MaxBodyBytes) + "\n"
	if w := do(h, http.MethodPut, "/api/v1/gateways/gw-d1/config", "adm", big); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized PUT: %d %s", w.Code, w.Body)
	}
	if w := do(h, http.MethodPut, "/api/v1/gateways/gw-nope/config", "adm", "site: site-1\ntap_dedupe: 5s\n"); w.Code != http.StatusNotFound {
		t.Errorf("unknown gateway: %d %s", w.Code, w.Body)
	}
	if w := do(h, http.MethodGet, "/api/v1/gateways/gw-nope/config", "adm", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET unknown gateway: %d %s", w.Code, w.Body)
	}
	if w := do(h, http.MethodPut, "/api/v1/gateways/gw-rev/config", "adm", "site: site-1\ntap_dedupe: 5s\n"); w.Code != http.StatusConflict {
		t.Errorf("revoked gateway: %d %s", w.Code, w.Body)
	}
	if w := do(h, http.MethodPut, "/api/v1/gateways/gw-d1/config", "", "site: site-1\ntap_dedupe: 5s\n"); w.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", w.Code)
	}
	if v := view("gw-d1"); v.Desired != nil {
		t.Fatalf("a refused PUT stored a desired config: %+v", v.Desired)
	}

	body := "site: site-1\ntap_dedupe: 7s\n"
	w := do(h, http.MethodPut, "/api/v1/gateways/gw-d1/config?by=%E7%8E%8B%E5%B7%A5", "adm", body)
	var v ConfigView
	if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &v) != nil {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	sum := sha256.Sum256([]byte(body))
	sha := hex.EncodeToString(sum[:])
	if v.Status != domain.ConfigPending || v.Desired == nil || v.Desired.Version != 1 || v.Desired.SHA256 != sha || v.Desired.Body != body ||
		v.Desired.SetBy != "token admin (王工)" || !v.Desired.SetAt.Equal(now) || v.LastResult == nil || v.LastResult.OK != nil {
		t.Fatalf("PUT view = %+v (desired %+v)", v, v.Desired)
	}
	p, err := st.PendingCommands(ctx, "gw-d1", now)
	if err != nil || len(p) != 1 || p[0].ID != v.LastResult.CommandID || p[0].Type != eldergate.CmdConfig || !p[0].ExpiresAt.Equal(now.Add(ConfigCommandTTL)) {
		t.Fatalf("queued commands = %+v, %v", p, err)
	}
	var text string
	if err := json.Unmarshal(p[0].Body, &text); err != nil || text != body {
		t.Fatalf("command body %s: not the config text as a JSON string (%v)", p[0].Body, err)
	}

	// The gateway's birth reports the checksum: in sync.
	if _, err := st.ApplyGatewayState(ctx, "gw-d1", eldergate.State{Online: true, Boot: 4, ConfigSHA256: sha, PolicyVersion: "p1", RosterVersion: 2}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	v = view("gw-d1")
	if v.Status != domain.ConfigInSync || v.Reported == nil || v.Reported.ConfigSHA256 != sha || v.Reported.PolicyVersion != "p1" || v.Reported.RosterVersion != 2 || v.Reported.Boot != 4 {
		t.Fatalf("after the birth = %+v (reported %+v)", v, v.Reported)
	}

	// Version 2 as a JSON object, refused by the gateway.
	w = do(h, http.MethodPut, "/api/v1/gateways/gw-d1/config", "adm", `{"site":"site-1","devices":{"card":{"driver":"rfid-9000"}}}`)
	if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &v) != nil || v.Desired.Version != 2 || v.Status != domain.ConfigPending || v.Desired.SetBy != "token admin" {
		t.Fatalf("PUT v2: %d %s", w.Code, w.Body)
	}
	const gwErr = `gateway: config: devices.card.driver: unknown driver "rfid-9000"`
	if ok, err := st.RecordDesiredResult(ctx, "gw-d1", v.LastResult.CommandID, false, gwErr, now.Add(2*time.Second)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	v = view("gw-d1")
	if v.Status != domain.ConfigFailed || v.Error != gwErr || v.LastResult.OK == nil || *v.LastResult.OK || v.Reported.ConfigSHA256 != sha {
		t.Fatalf("after the refusal = %+v (last %+v)", v, v.LastResult)
	}
	// The gateway list carries the status.
	var gs []domain.Gateway
	if w := do(h, http.MethodGet, "/api/v1/gateways", "adm", ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &gs) != nil {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	got := map[string]string{}
	for _, g := range gs {
		got[g.ID] = g.ConfigStatus
	}
	if got["gw-d1"] != domain.ConfigFailed || got["gw-rev"] != domain.ConfigUnknown {
		t.Fatalf("config_status in the list = %v", got)
	}
}

func FuzzCheckConfigBody(f *testing.F) {
	f.Add([]byte("tap_dedupe: 5s\nmqtt:\n  batch_size: 10\n"))
	f.Add([]byte(`{"tap_dedupe":"5s"}`))
	f.Add([]byte("- a\n"))
	f.Add([]byte("a: 1\n---\nb: 2\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckConfigBody(b); err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if len(b) > MaxConfigBytes || len(strings.TrimSpace(string(b))) == 0 {
			t.Fatalf("accepted %q", b)
		}
	})
}

// TestConsoleConfigStatusColumn: the gateways table has a config column
// whose three statuses are translated in zh-CN, zh-HK and en.
func TestConsoleConfigStatusColumn(t *testing.T) {
	js, err := consoleFS.ReadFile("console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	html, err := consoleFS.ReadFile("console/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), `data-i18n="config"`) || !strings.Contains(string(js), `"gateway-config"`) {
		t.Fatal("no config column in the gateways table")
	}
	blocks := strings.Split(string(js), "\n    en: {")
	if len(blocks) != 2 {
		t.Fatal("app.js: en block not found")
	}
	zh := strings.Split(blocks[0], `"zh-HK": {`)
	if len(zh) != 2 {
		t.Fatal("app.js: zh-HK block not found")
	}
	for name, block := range map[string]string{"zh-CN": zh[0], "zh-HK": zh[1], "en": strings.SplitN(blocks[1], "};", 2)[0]} {
		for _, k := range []string{"config:", "cfg_in_sync:", "cfg_pending:", "cfg_failed:"} {
			if !strings.Contains(block, k) {
				t.Errorf("%s: no %s", name, k)
			}
		}
	}
}
