package cloudhttp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// multipartBody builds the body of POST /api/v1/releases.
func multipartBody(t *testing.T, parts map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, name := range []string{"bundle", "artifact", "other"} {
		if data, ok := parts[name]; ok {
			w, _ := mw.CreateFormFile(name, name)
			w.Write(data)
		}
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// TestReleaseRoutes: uploads are refused in words without release keys,
// without a bundle or with an unknown part, and for a release signed by
// another key; the start of an update is refused with its code for a
// release of another platform, a gateway that reported no platform, the
// version it runs and an unknown release; the generic command route
// still refuses ota; an operator downloads the artifact, a gateway of
// another platform may not.
func TestReleaseRoutes(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	newServer := func(keys []ed25519.PublicKey) http.Handler {
		s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, ReleaseKeys: keys, ReleaseDir: filepath.Join(dir, "releases")})
		if err != nil {
			t.Fatal(err)
		}
		return s.Handler()
	}
	h := newServer([]ed25519.PublicKey{pub})
	upload := func(h http.Handler, parts map[string][]byte) *httptest.ResponseRecorder {
		body, ct := multipartBody(t, parts)
		req := httptest.NewRequest("POST", "/api/v1/releases", body)
		req.Header.Set("Authorization", "Bearer adm")
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	art := filepath.Join(dir, "eldergate-gateway")
	os.WriteFile(art, []byte("a gateway for arm64"), 0o755)
	b, _, err := release.SignFile(priv, art, "v2", "2.0.0", "linux/arm64", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := os.ReadFile(art)
	ob, _, _ := release.SignFile(other, art, "v2", "2.0.0", "linux/arm64", "", time.Now())
	for _, tc := range []struct {
		h     http.Handler
		parts map[string][]byte
		code  int
		want  string
	}{
		{newServer(nil), map[string][]byte{"bundle": b.Marshal(), "artifact": bin}, 503, "no release keys are configured"},
		{h, map[string][]byte{"artifact": bin}, 400, "no bundle part"},
		{h, map[string][]byte{"bundle": b.Marshal()}, 400, "no artifact part"},
		{h, map[string][]byte{"bundle": b.Marshal(), "artifact": bin, "other": nil}, 400, `unknown part \"other\"`},
		{h, map[string][]byte{"bundle": []byte("{}"), "artifact": bin}, 400, "no manifest"},
		{h, map[string][]byte{"bundle": ob.Marshal(), "artifact": bin}, 400, "not one of the 1 trusted release keys"},
		{h, map[string][]byte{"bundle": b.Marshal(), "artifact": append(bin, 'x')}, 400, "the signed manifest says"},
	} {
		if w := upload(tc.h, tc.parts); w.Code != tc.code || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("upload: %d %s, want %d %q", w.Code, w.Body, tc.code, tc.want)
		}
	}
	w := upload(h, map[string][]byte{"bundle": b.Marshal(), "artifact": bin})
	var rel domain.Release
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &rel) != nil || rel.Platform != "linux/arm64" {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	// The same name for the same platform, another binary: 409, and its
	// file is not kept.
	art2 := filepath.Join(dir, "other-gateway")
	os.WriteFile(art2, []byte("another build of v2"), 0o755)
	b2, _, _ := release.SignFile(priv, art2, "v2", "2.0.1", "linux/arm64", "eldergate-gateway", time.Now())
	bin2, _ := os.ReadFile(art2)
	if w := upload(h, map[string][]byte{"bundle": b2.Marshal(), "artifact": bin2}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "uploaded before") {
		t.Errorf("same name and platform: %d %s", w.Code, w.Body)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "releases")); len(ents) != 1 {
		t.Fatalf("release dir has %d entries, want the one artifact (refused uploads leave nothing)", len(ents))
	}

	for id, p := range map[string]string{"gw-arm": "linux/arm64", "gw-x86": "linux/amd64", "gw-old": "", "gw-same": "linux/arm64"} {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: id, Site: "site-1", SecretHash: "h"}); err != nil {
			t.Fatal(err)
		}
		v := "1.0.0"
		if id == "gw-same" {
			v = "2.0.0"
		}
		if _, err := st.ApplyGatewayState(ctx, id, eldergate.State{Online: true, Boot: 1, Version: v, Platform: p}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	start := func(gw, rel string) *httptest.ResponseRecorder {
		return do(h, "POST", "/api/v1/gateways/"+gw+"/update", "adm", `{"release":"`+rel+`"}`)
	}
	for gw, want := range map[string]struct {
		code int
		what string
	}{
		"gw-x86":  {409, `"code":"platform_mismatch"`},
		"gw-old":  {409, `"code":"no_platform"`},
		"gw-same": {409, `"code":"same_version"`},
		"gw-none": {404, "no gateway gw-none"},
	} {
		if w := start(gw, rel.ID); w.Code != want.code || !strings.Contains(w.Body.String(), want.what) {
			t.Errorf("start %s: %d %s, want %d %s", gw, w.Code, w.Body, want.code, want.what)
		}
	}
	if w := start("gw-arm", "rel-nope"); w.Code != 404 || !strings.Contains(w.Body.String(), `"code":"no_release"`) {
		t.Errorf("unknown release: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/api/v1/gateways/gw-arm/update", "adm", `{"release":"`+rel.ID+`","health_timeout_s":7200}`); w.Code != 400 {
		t.Errorf("health timeout of 2 h: %d %s", w.Code, w.Body)
	}
	if w := start("gw-arm", rel.ID); w.Code != http.StatusAccepted {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/api/v1/gateways/gw-arm/commands", "adm", `{"type":"ota","body":{}}`); w.Code != 400 {
		t.Errorf("ota through the generic command route: %d %s", w.Code, w.Body)
	}
	w = do(h, "GET", "/api/v1/gateways/gw-arm/updates", "adm", "")
	var us []domain.GatewayUpdate
	if json.Unmarshal(w.Body.Bytes(), &us) != nil || len(us) != 1 || us[0].State != domain.UpdateQueued || us[0].StartedBy != "token admin" ||
		us[0].FromVersion != "1.0.0" || us[0].ToVersion != "2.0.0" {
		t.Fatalf("history: %s", w.Body)
	}
	if w := do(h, "GET", "/api/v1/releases/"+rel.ID+"/artifact", "adm", ""); w.Code != 200 || w.Body.String() != string(bin) {
		t.Errorf("operator download: %d", w.Code)
	}
	hashed, _ := domain.HashSecret("pw-x86")
	st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-x86", Site: "site-1", SecretHash: hashed})
	req := httptest.NewRequest("GET", "/api/v1/releases/"+rel.ID+"/artifact", nil)
	req.SetBasicAuth("gw-x86", "pw-x86")
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	if rw.Code != http.StatusForbidden || !strings.Contains(rw.Body.String(), "built for linux/arm64, but gateway gw-x86 reported linux/amd64") {
		t.Errorf("download by a gateway of another platform: %d %s", rw.Code, rw.Body)
	}
	w = do(h, "GET", "/api/v1/releases", "adm", "")
	if w.Code != 200 || strings.Contains(w.Body.String(), `"manifest"`) || !strings.Contains(w.Body.String(), rel.ID) {
		t.Errorf("list: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", "/api/v1/releases/"+rel.ID, "adm", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"manifest"`) {
		t.Errorf("one release: %d %s", w.Code, w.Body)
	}
	// The audit log has the upload (its release, hash and key) and the
	// start (the gateway, the release), never the artifact's bytes.
	for target, want := range map[string]string{rel.ID: rel.SHA256, "update": rel.ID} {
		es, err := st.ListAudit(ctx, domain.AuditQuery{Target: target, Status: 2, Limit: 10})
		if err != nil || len(es) == 0 || !strings.Contains(string(es[0].After), want) {
			t.Errorf("audit of %s: %+v %v", target, es, err)
		}
	}
	if es, _ := st.ListAudit(ctx, domain.AuditQuery{Text: "a gateway for arm64", Limit: 10}); len(es) != 0 {
		t.Errorf("the artifact's bytes are in the audit log: %+v", es)
	}
}
