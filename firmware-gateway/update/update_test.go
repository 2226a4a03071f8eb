package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

const (
	testGW     = "gw-ota-1"
	testSecret = "s3cret-device"
)

// artifactServer serves one artifact over TLS on loopback, with Range
// support and the gateway's basic auth; body decides what it sends.
type artifactServer struct {
	srv *httptest.Server

	mu      sync.Mutex
	body    []byte // what it serves
	cutOnce int    // >0: the first answer stops after so many bytes (connection closed)
	ranges  []string
	lie     int64 // >0: Content-Length is not set, and this many extra bytes follow
}

func newArtifactServer(t *testing.T, body []byte) *artifactServer {
	a := &artifactServer{body: body}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != testGW || p != testSecret {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		a.mu.Lock()
		a.ranges = append(a.ranges, r.Header.Get("Range"))
		cut, body, lie := a.cutOnce, a.body, a.lie
		a.cutOnce = 0
		a.mu.Unlock()
		if lie > 0 { // an oversized answer without a length
			w.WriteHeader(http.StatusOK)
			w.Write(body)
			w.Write(make([]byte, lie))
			return
		}
		if cut > 0 {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:cut])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		http.ServeContent(w, r, "eldergate-gateway", time.Time{}, bytes.NewReader(body))
	}))
	a.srv.EnableHTTP2 = false
	t.Cleanup(a.srv.Close)
	return a
}

type recorder struct {
	t   *testing.T
	mu  sync.Mutex
	got []eldergate.UpdateData
}

// report records d, which must be an update event the cloud takes.
func (r *recorder) report(_ context.Context, d eldergate.UpdateData) error {
	if raw, _ := json.Marshal(d); r.t != nil {
		if _, err := eldergate.DecodeUpdateData(raw); err != nil {
			r.t.Errorf("reported %+v: the cloud refuses it: %v", d, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d)
	return nil
}

func (r *recorder) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		if len(out) > 0 && out[len(out)-1] == d.State {
			continue // progress reports
		}
		out = append(out, d.State)
	}
	return out
}

func (r *recorder) last() eldergate.UpdateData {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return eldergate.UpdateData{}
	}
	return r.got[len(r.got)-1]
}

type fixture struct {
	t        *testing.T
	dir      string
	priv     ed25519.PrivateKey
	pub      ed25519.PublicKey
	artifact []byte
	srv      *artifactServer
	rec      *recorder
	packaged string // path of the "packaged" binary (v1)
	health   func(ctx context.Context) (string, string)
	gate     func(time.Time) (string, string)
}

func newFixture(t *testing.T) *fixture {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	art := make([]byte, 300<<10)
	rand.Read(art)
	f := &fixture{t: t, dir: filepath.Join(t.TempDir(), "update"), priv: priv, pub: pub, artifact: art, rec: &recorder{t: t}}
	f.srv = newArtifactServer(t, art)
	f.packaged = filepath.Join(t.TempDir(), "eldergate-gateway")
	if err := os.WriteFile(f.packaged, []byte("v1 binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.health = func(context.Context) (string, string) { return "", "" }
	return f
}

// request signs a manifest of the artifact (sha and size overridable).
func (f *fixture) request(mod func(*eldergate.ReleaseManifest)) eldergate.UpdateRequest {
	sum := sha256.Sum256(f.artifact)
	m := eldergate.ReleaseManifest{Release: "v2", Version: "v2", Artifact: "eldergate-gateway", Platform: Platform(),
		Size: int64(len(f.artifact)), SHA256: hex.EncodeToString(sum[:]), Created: time.Now()}
	if mod != nil {
		mod(&m)
	}
	man, sig, err := eldergate.SignRelease(f.priv, m)
	if err != nil {
		f.t.Fatal(err)
	}
	return eldergate.UpdateRequest{Manifest: man, Signature: sig, URL: "/api/v1/releases/v2/artifact", HealthTimeoutS: 5}
}

// machine is the machine of a process running self at version.
func (f *fixture) machine(self, version string) *Machine {
	return New(Config{
		Dir: f.dir, Keys: []ed25519.PublicKey{f.pub}, CloudURL: f.srv.srv.URL, Client: f.srv.srv.Client(),
		GatewayID: testGW, Secret: testSecret, Version: version, BaseVersion: "v1", Platform: Platform(), Self: self,
		Report: f.rec.report, Gate: func(now time.Time) (string, string) {
			if f.gate != nil {
				return f.gate(now)
			}
			return "", ""
		},
		Health:  func(ctx context.Context) (string, string) { return f.health(ctx) },
		Backoff: time.Millisecond, RetryInterval: 10 * time.Millisecond, MaxAttempts: 3,
	})
}

// drive steps a machine until it stops (terminal, restart or a wait for
// a deferral) and returns the last result; fresh makes a new machine
// before every step, as a process killed after each persisted state.
func (f *fixture) drive(mk func() *Machine, fresh bool) StepResult {
	f.t.Helper()
	m := mk()
	for range 200 {
		if fresh {
			m = mk()
		}
		r := m.Step(context.Background())
		if r.Restart || r.Wait < 0 || r.Phase == PhaseDeferred {
			return r
		}
	}
	f.t.Fatal("machine did not stop in 200 steps")
	return StepResult{}
}

func (f *fixture) state() State {
	st, err := Load(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func (f *fixture) prepare(self string) string {
	f.t.Helper()
	bin, err := Prepare(f.dir, self, "v1", "", time.Now, slogDiscard())
	if err != nil {
		f.t.Fatal(err)
	}
	return bin
}

func (f *fixture) accept(req eldergate.UpdateRequest) {
	f.t.Helper()
	if _, err := f.machine(f.packaged, "v1").Accept(context.Background(), "cmd-1", req); err != nil {
		f.t.Fatal(err)
	}
}

// goodPath runs a whole good update, fresh or not, and checks it.
func (f *fixture) goodPath(fresh bool) {
	t := f.t
	f.accept(f.request(nil))
	r := f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, fresh)
	if !r.Restart || r.Phase != PhaseRestarting {
		t.Fatalf("after install: %+v, want a restart in restarting", r)
	}
	trial := f.prepare(f.packaged)
	if trial == "" || !strings.Contains(trial, filepath.Join("slots", "v2-")) {
		t.Fatalf("launcher runs %q, want the v2 slot", trial)
	}
	if st := f.state(); st.Phase != PhaseChecking || st.TrialStarts != 1 {
		t.Fatalf("after the launcher: %s starts %d", st.Phase, st.TrialStarts)
	}
	got, err := os.ReadFile(trial)
	if err != nil || !bytes.Equal(got, f.artifact) {
		t.Fatalf("installed binary differs from the artifact (%v)", err)
	}
	if fi, _ := os.Stat(trial); fi.Mode().Perm() != 0o755 {
		t.Fatalf("installed binary mode %v", fi.Mode().Perm())
	}
	r = f.drive(func() *Machine { return f.machine(trial, "v2") }, fresh)
	if r.Phase != PhaseCommitted {
		t.Fatalf("trial ended in %s, want committed", r.Phase)
	}
	want := []string{"accepted", "downloading", "verified", "installed", "checking", "committed"}
	if got := f.rec.states(); !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
	if bin := f.prepare(f.packaged); bin != trial {
		t.Fatalf("after the commit the launcher runs %q, want %q", bin, trial)
	}
	if _, err := os.Stat(filepath.Join(f.dir, downloadDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("download directory left after the commit: %v", err)
	}
}

func TestGoodUpdateCommits(t *testing.T) {
	f := newFixture(t)
	f.goodPath(false)
	// Progress: at most one report per tenth.
	n := 0
	for _, d := range f.rec.got {
		if d.State == eldergate.UpdateDownloading {
			n++
			if d.Size != int64(len(f.artifact)) {
				t.Fatalf("downloading report of size %d", d.Size)
			}
		}
	}
	if n < 2 || n > 11 {
		t.Fatalf("%d downloading reports, want between 2 and 11", n)
	}
}

// TestKillAfterEveryState: a new machine after every persisted state (a
// process killed there) reaches the same end with every state reported
// once.
func TestKillAfterEveryState(t *testing.T) {
	f := newFixture(t)
	f.goodPath(true)
}

func TestBadSignatureRefused(t *testing.T) {
	f := newFixture(t)
	req := f.request(nil)
	req.Signature[0] ^= 0xff
	_, err := f.machine(f.packaged, "v1").Accept(context.Background(), "cmd-1", req)
	if err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("Accept = %v, want a signature error", err)
	}
	if d := f.rec.last(); d.State != eldergate.UpdateFailed || d.Code != CodeSignature || d.ToVersion != "v2" {
		t.Fatalf("reported %+v, want failed/signature", d)
	}
	// The event is one the cloud takes (bounded words of an untrusted manifest).
	for _, d := range f.rec.got {
		raw, _ := json.Marshal(d)
		if _, err := eldergate.DecodeUpdateData(raw); err != nil {
			t.Fatalf("reported %+v: the cloud refuses it: %v", d, err)
		}
	}
	if st := f.state(); st.Phase != PhaseIdle {
		t.Fatalf("state %s after a refused update", st.Phase)
	}
	// A key the gateway does not trust.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	f.priv = other
	if _, err := f.machine(f.packaged, "v1").Accept(context.Background(), "cmd-2", f.request(nil)); err == nil || !strings.Contains(err.Error(), "not one of the 1 trusted") {
		t.Fatalf("Accept with an unknown key = %v", err)
	}
}

func (f *fixture) failsWith(req eldergate.UpdateRequest, code string) {
	f.t.Helper()
	f.accept(req)
	r := f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if r.Phase != PhaseFailed {
		f.t.Fatalf("ended in %s, want failed", r.Phase)
	}
	if d := f.rec.last(); d.State != eldergate.UpdateFailed || d.Code != code || d.Reason == "" {
		f.t.Fatalf("reported %+v, want failed/%s with a reason", d, code)
	}
	if bin := f.prepare(f.packaged); bin != "" {
		f.t.Fatalf("after a failed update the launcher runs %q", bin)
	}
	if ents, _ := os.ReadDir(filepath.Join(f.dir, slotsDir)); len(ents) != 0 {
		f.t.Fatalf("slots left after a failed update: %v", ents)
	}
}

func TestWrongHashFails(t *testing.T) {
	f := newFixture(t)
	f.failsWith(f.request(func(m *eldergate.ReleaseManifest) { m.SHA256 = strings.Repeat("ab", 32) }), CodeHash)
	if d := f.rec.last(); !strings.Contains(d.Reason, "SHA-256") {
		t.Fatalf("reason %q", d.Reason)
	}
}

func TestTruncatedDownloadFails(t *testing.T) {
	f := newFixture(t)
	req := f.request(nil)
	f.srv.body = f.artifact[:len(f.artifact)/2]
	f.failsWith(req, CodeSize)
	if d := f.rec.last(); !strings.Contains(d.Reason, "truncated") {
		t.Fatalf("reason %q", d.Reason)
	}
}

func TestOversizedDownloadCut(t *testing.T) {
	f := newFixture(t)
	req := f.request(nil)
	f.srv.body = append(append([]byte(nil), f.artifact...), make([]byte, 4096)...)
	f.failsWith(req, CodeSize)

	// Without a Content-Length: cut at the signed size plus one byte.
	g := newFixture(t)
	req = g.request(nil)
	g.srv.lie = 1 << 20
	g.failsWith(req, CodeSize)
	if d := g.rec.last(); !strings.Contains(d.Reason, "more than") {
		t.Fatalf("reason %q", d.Reason)
	}
}

func TestDownloadResumesWithRange(t *testing.T) {
	f := newFixture(t)
	f.srv.cutOnce = 100 << 10
	f.accept(f.request(nil))
	r := f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if r.Phase != PhaseRestarting {
		t.Fatalf("ended in %s (%+v), want restarting", r.Phase, f.rec.last())
	}
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	if len(f.srv.ranges) != 2 || f.srv.ranges[0] != "" || !strings.HasPrefix(f.srv.ranges[1], "bytes=") || f.srv.ranges[1] == "bytes=0-" {
		t.Fatalf("requests' Range headers %q, want none then bytes=N-", f.srv.ranges)
	}
}

// TestKilledMidDownloadResumes: a part file left by a killed process is
// continued from its size.
func TestKilledMidDownloadResumes(t *testing.T) {
	f := newFixture(t)
	f.accept(f.request(nil))
	m := f.machine(f.packaged, "v1")
	m.Step(context.Background()) // accepted -> downloading
	st := f.state()
	part := partPath(f.dir, st.SHA256)
	os.MkdirAll(filepath.Dir(part), 0o700)
	if err := os.WriteFile(part, f.artifact[:12345], 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if r.Phase != PhaseRestarting {
		t.Fatalf("ended in %s", r.Phase)
	}
	if f.srv.ranges[0] != "bytes=12345-" {
		t.Fatalf("Range %q, want bytes=12345-", f.srv.ranges[0])
	}
}

func TestUnhealthyTrialRollsBack(t *testing.T) {
	f := newFixture(t)
	f.accept(f.request(nil))
	f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	trial := f.prepare(f.packaged)
	f.health = func(context.Context) (string, string) { return "health_card", "card reader rdm6300 did not answer" }
	r := f.drive(func() *Machine { return f.machine(trial, "v2") }, false)
	if !r.Restart || r.Phase != PhaseRollingBack {
		t.Fatalf("unhealthy trial: %+v, want a restart in rolling_back", r)
	}
	if bin := f.prepare(f.packaged); bin != "" {
		t.Fatalf("after the roll back the launcher runs %q, want the packaged binary", bin)
	}
	r = f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if r.Phase != PhaseRolledBack {
		t.Fatalf("ended in %s", r.Phase)
	}
	d := f.rec.last()
	if d.State != eldergate.UpdateRolledBack || d.Code != "health_card" || !strings.Contains(d.Reason, "rdm6300") {
		t.Fatalf("reported %+v", d)
	}
	if _, err := os.Stat(trial); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the rolled back slot is kept: %v", err)
	}
}

func TestCrashedTrialRollsBack(t *testing.T) {
	f := newFixture(t)
	f.accept(f.request(nil))
	f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	trial := f.prepare(f.packaged)
	// The trial starts its check, then is killed.
	m := f.machine(trial, "v2")
	m.c.Health = func(ctx context.Context) (string, string) { return "", "" }
	st := f.state()
	st.CheckDeadline = time.Now().Add(time.Hour)
	Save(f.dir, st)
	if bin := f.prepare(f.packaged); bin != "" {
		t.Fatalf("after the crash the launcher runs %q", bin)
	}
	f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if d := f.rec.last(); d.State != eldergate.UpdateRolledBack || d.Code != CodeCrash {
		t.Fatalf("reported %+v, want rolled_back/crash", d)
	}
	// A trial past its deadline: health_timeout.
	g := newFixture(t)
	g.accept(g.request(nil))
	g.drive(func() *Machine { return g.machine(g.packaged, "v1") }, false)
	g.prepare(g.packaged)
	st = g.state()
	st.CheckDeadline = time.Now().Add(-time.Second)
	Save(g.dir, st)
	g.prepare(g.packaged)
	g.drive(func() *Machine { return g.machine(g.packaged, "v1") }, false)
	if d := g.rec.last(); d.State != eldergate.UpdateRolledBack || d.Code != CodeHealthTimeout {
		t.Fatalf("reported %+v, want rolled_back/health_timeout", d)
	}
}

func TestHealthCheckBoundedByTimeout(t *testing.T) {
	f := newFixture(t)
	req := f.request(nil)
	req.HealthTimeoutS = 1
	f.accept(req)
	f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	trial := f.prepare(f.packaged)
	f.health = func(ctx context.Context) (string, string) {
		<-ctx.Done() // a check that never answers
		return "health_heartbeat", "no heartbeat acknowledged by the cloud: " + ctx.Err().Error()
	}
	start := time.Now()
	r := f.drive(func() *Machine { return f.machine(trial, "v2") }, false)
	if r.Phase != PhaseRollingBack || time.Since(start) > 5*time.Second {
		t.Fatalf("ended in %s after %v", r.Phase, time.Since(start))
	}
}

func TestDeferredDuringMealWindow(t *testing.T) {
	f := newFixture(t)
	open := true
	f.gate = func(time.Time) (string, string) {
		if open {
			return CodeMealWindow, "lunch 11:00-13:00 Asia/Shanghai is open"
		}
		return "", ""
	}
	f.accept(f.request(nil))
	r := f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, false)
	if r.Phase != PhaseDeferred {
		t.Fatalf("ended in %s, want deferred", r.Phase)
	}
	m := f.machine(f.packaged, "v1")
	if r := m.Step(context.Background()); r.Phase != PhaseDeferred || r.Wait != m.c.RetryInterval {
		t.Fatalf("deferred step: %+v", r)
	}
	if d := f.rec.last(); d.State != eldergate.UpdateDeferred || d.Code != CodeMealWindow {
		t.Fatalf("reported %+v", d)
	}
	open = false
	r = f.drive(func() *Machine { return f.machine(f.packaged, "v1") }, true) // a kill at every state on the way
	if r.Phase != PhaseRestarting {
		t.Fatalf("after the window: %s", r.Phase)
	}
	if got, want := f.rec.states(), []string{"accepted", "downloading", "verified", "deferred", "installed"}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
}

func TestSecondUpdateKeepsPrevious(t *testing.T) {
	f := newFixture(t)
	f.goodPath(false)
	v2 := f.state().Committed
	// v3 from v2 (exec'd by the v1 launcher).
	f.artifact = append([]byte("v3"), f.artifact...)
	f.srv.body = f.artifact
	if _, err := f.machine(v2, "v2").Accept(context.Background(), "cmd-3", f.request(func(m *eldergate.ReleaseManifest) { m.Release, m.Version = "v3", "v3" })); err != nil {
		t.Fatal(err)
	}
	f.drive(func() *Machine { return f.machine(v2, "v2") }, false)
	trial := f.prepare(f.packaged)
	f.drive(func() *Machine { return f.machine(trial, "v3") }, false)
	st := f.state()
	if st.Committed != trial || st.Previous != v2 || st.CommittedVersion != "v3" {
		t.Fatalf("after v3: committed %s previous %s", st.Committed, st.Previous)
	}
	// A new package (v4 from apt) supersedes the slots.
	bin, err := Prepare(f.dir, f.packaged, "v4", "", time.Now, slogDiscard())
	if err != nil || bin != "" {
		t.Fatalf("new package: launcher runs %q (%v)", bin, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(f.dir, slotsDir)); len(ents) != 0 {
		t.Fatalf("slots left after a new package: %v", ents)
	}
}

func TestAcceptRefusals(t *testing.T) {
	f := newFixture(t)
	m := f.machine(f.packaged, "v1")
	ctx := context.Background()
	if _, err := m.Accept(ctx, "c1", f.request(func(m *eldergate.ReleaseManifest) { m.Platform = "linux/arm/v6" })); err == nil || !strings.Contains(err.Error(), "built for") {
		t.Fatalf("other platform: %v", err)
	}
	if _, err := m.Accept(ctx, "c2", f.request(func(m *eldergate.ReleaseManifest) { m.Version = "v1" })); err == nil || !strings.Contains(err.Error(), "already runs") {
		t.Fatalf("same version: %v", err)
	}
	req := f.request(nil)
	req.URL = "http://example.com/a"
	if _, err := m.Accept(ctx, "c3", req); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("http URL: %v", err)
	}
	if _, err := m.Accept(ctx, "c4", f.request(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Accept(ctx, "c4", f.request(nil)); err != nil {
		t.Fatalf("the same command again: %v", err)
	}
	if _, err := m.Accept(ctx, "c5", f.request(nil)); err == nil || !strings.Contains(err.Error(), "under way") {
		t.Fatalf("second update: %v", err)
	}
	none := New(Config{Dir: f.dir, Report: f.rec.report})
	if _, err := none.Accept(ctx, "c6", f.request(nil)); err == nil || !strings.Contains(err.Error(), "public_keys") {
		t.Fatalf("no keys: %v", err)
	}
}

func TestPlatform(t *testing.T) {
	for _, c := range []struct{ arch, arm, want string }{
		{"amd64", "", "linux/amd64"}, {"arm64", "", "linux/arm64"}, {"arm", "7", "linux/arm/v7"}, {"arm", "6,softfloat", "linux/arm/v6"},
	} {
		if got := platform("linux", c.arch, c.arm); got != c.want {
			t.Errorf("platform(%s, %s) = %s, want %s", c.arch, c.arm, got, c.want)
		}
	}
	if p := Platform(); !eldergate.ValidPlatform(p) {
		t.Fatalf("Platform() = %q is not a valid platform", p)
	}
}

func TestCorruptStateFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, stateFile), []byte("{not json"), 0o600)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("Load = %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"phase":"checking","trial":"/x","trial_starts":1}`))
	f.Add([]byte(`{"phase":"committing"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, stateFile), b, 0o600)
		st, err := Load(dir)
		if err != nil {
			return
		}
		// The launcher never fails on a state it could read.
		if _, err := Prepare(dir, "/nonexistent/self", "v1", "", time.Now, slogDiscard()); err != nil {
			t.Fatalf("Prepare on %q (%s): %v", b, st.Phase, err)
		}
	})
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestLauncherWithoutCommittedBinary: a committed slot that vanished
// leaves the packaged binary running rather than nothing.
func TestLauncherWithoutCommittedBinary(t *testing.T) {
	f := newFixture(t)
	f.goodPath(false)
	st := f.state()
	if err := os.Remove(st.Committed); err != nil {
		t.Fatal(err)
	}
	if bin := f.prepare(f.packaged); bin != "" {
		t.Fatalf("launcher runs %q, want the packaged binary", bin)
	}
	// Exec'd by a launcher: no second launch.
	if bin, err := Prepare(f.dir, f.packaged, "v1", "v1", time.Now, slogDiscard()); err != nil || bin != "" {
		t.Fatalf("launched process: %q %v", bin, err)
	}
}
