package gateway_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/update"
)

// otaFixture is a gateway that trusts one release key and an HTTPS
// server (loopback) with the artifact of a signed release.
type otaFixture struct {
	priv ed25519.PrivateKey
	srv  *httptest.Server
	art  []byte
}

func newOTAFixture(t *testing.T) (*otaFixture, string, []string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &otaFixture{priv: priv, art: bytes.Repeat([]byte("eldergate v2 "), 4096)}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "eldergate-gateway", time.Time{}, bytes.NewReader(f.art))
	}))
	t.Cleanup(f.srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f, ca, []string{base64.StdEncoding.EncodeToString(pub)}
}

func (f *otaFixture) command(t *testing.T, id string, expires time.Time) []byte {
	sum := sha256.Sum256(f.art)
	man, sig, err := eldergate.SignRelease(f.priv, eldergate.ReleaseManifest{Release: "v2", Version: "v2", Artifact: "eldergate-gateway",
		Platform: update.Platform(), Size: int64(len(f.art)), SHA256: hex.EncodeToString(sum[:]), Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(eldergate.UpdateRequest{Manifest: man, Signature: sig, URL: "/releases/v2"})
	cmd, _ := json.Marshal(map[string]any{"id": id, "type": eldergate.CmdOTA, "expires": expires, "body": json.RawMessage(body)})
	return cmd
}

// TestUpdateWaitsForMealWindowAndAlarm: the gateway accepts a signed
// update, downloads and verifies it, and defers the install while a meal
// window of its policy is open (policy.Periods, in the site's zone), then
// while an alarm is open; every step is an update event in the outbox.
func TestUpdateWaitsForMealWindowAndAlarm(t *testing.T) {
	f, ca, keys := newOTAFixture(t)
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	cfg.Update.CloudURL, cfg.Update.CAFile, cfg.Update.PublicKeys, cfg.Update.RetryInterval = f.srv.URL, ca, keys, time.Second
	g := start(t, cfg, c)

	res := g.HandleCommand(t.Context(), f.command(t, "ota-1", lunch.Add(time.Hour)))
	if !res.OK || !strings.Contains(string(res.Body), `"accepted"`) {
		t.Fatalf("ota command: %+v", res)
	}
	waitUpdate(t, g, update.PhaseDeferred, update.CodeMealWindow)

	// After lunch, an elder presses the alarm button: still deferred.
	if r := post(t, g.HTTPURL()+"/api/sim/button", `{"button":"kiosk"}`); r.StatusCode >= 300 {
		t.Fatalf("sim button: %d", r.StatusCode)
	}
	c.add(3 * time.Hour)
	waitUpdate(t, g, update.PhaseDeferred, update.CodeAlarmOpen)

	// Reports so far, in the outbox for the cloud.
	var states []string
	rows, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Kind == eldergate.KindUpdate {
			states = append(states, "x")
		}
	}
	if len(states) < 5 { // accepted, downloading, verified, deferred (meal), deferred (alarm)
		t.Fatalf("%d update events in the outbox, want at least 5", len(states))
	}

	// A signature that does not verify: the command fails, an update
	// event says why.
	bad := f.command(t, "ota-2", lunch.Add(10*time.Hour))
	bad = bytes.Replace(bad, []byte(`"signature":"`), []byte(`"signature":"AAAA`), 1)
	if res := g.HandleCommand(t.Context(), bad); res.OK || !strings.Contains(res.Error, "signature") {
		t.Fatalf("bad signature: %+v", res)
	}
}

func waitUpdate(t *testing.T, g interface {
	UpdateState() (update.State, error)
}, phase update.Phase, code string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := g.UpdateState()
		if err == nil && st.Phase == phase && st.Code == code {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("update state %s/%s (%v), want %s/%s", st.Phase, st.Code, err, phase, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
