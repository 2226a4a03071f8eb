package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/update"
	"github.com/eldergate/eldergate/policy"
)

// Over-the-air updates end to end (issue 14, ADR 0029): two real builds
// of the gateway (v1 and v2, `go build -ldflags -X main.version=...`),
// v1 run as a real process under a supervisor that starts it again when
// it exits (what systemd's Restart=always does), a real cloud over HTTPS
// (releases uploaded through its API, the download with the gateway's
// basic auth and Range) and Mosquitto between them.

const otaSite = siteID

// otaBuild is the v1 and v2 binaries, built once per test binary.
var otaBuild struct {
	once   sync.Once
	dir    string
	v1, v2 string
	err    error
}

func otaBinaries(t *testing.T) (v1, v2 string) {
	t.Helper()
	otaBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "eldergate-ota-builds-")
		if err != nil {
			otaBuild.err = err
			return
		}
		otaBuild.dir = dir
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, v := range []string{"v1", "v2"} {
			wg.Go(func() {
				bin := filepath.Join(dir, v, "eldergate-gateway")
				out, err := exec.Command("go", "build", "-ldflags", "-X main.version="+v, "-o", bin, "github.com/eldergate/eldergate/firmware-gateway/cmd/eldergate-gateway").CombinedOutput()
				if err != nil {
					errs[i] = fmt.Errorf("go build %s: %v\n%s", v, err, out)
				}
			})
		}
		wg.Wait()
		otaBuild.err = errors.Join(errs...)
		otaBuild.v1, otaBuild.v2 = filepath.Join(dir, "v1", "eldergate-gateway"), filepath.Join(dir, "v2", "eldergate-gateway")
	})
	if otaBuild.err != nil {
		t.Fatal(otaBuild.err)
	}
	return otaBuild.v1, otaBuild.v2
}

// TestMain removes the builds shared by the tests of this binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if otaBuild.dir != "" {
		os.RemoveAll(otaBuild.dir)
	}
	os.Exit(code)
}

// supervisor runs a gateway binary and starts it again 100 ms after it
// exits, until stopped: systemd's Restart=always.
type supervisor struct {
	t        *testing.T
	bin, cfg string

	mu     sync.Mutex
	env    []string // extra environment, dropped after the first SIGKILL
	url    string   // of the running process, "" between processes
	pid    int
	starts int
	kills  int // exits by SIGKILL
	tail   []string
	msgs   map[string]int // log messages seen, by text
	delay  time.Duration  // before a restart (RestartSec), default 100 ms
	quit   bool
	done   chan struct{}
}

func supervise(t *testing.T, bin, cfg string, env ...string) *supervisor {
	s := &supervisor{t: t, bin: bin, cfg: cfg, env: env, done: make(chan struct{}), msgs: map[string]int{}, delay: 100 * time.Millisecond}
	go s.loop()
	t.Cleanup(s.stop)
	return s
}

func (s *supervisor) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		if s.quit {
			s.mu.Unlock()
			return
		}
		cmd := exec.Command(s.bin, "run", "--config", s.cfg)
		cmd.Env = append(os.Environ(), s.env...)
		s.starts++
		s.mu.Unlock()
		stderr, err := cmd.StderrPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			s.log("supervisor: start: " + err.Error())
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		s.pid = cmd.Process.Pid
		s.mu.Unlock()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.log(line)
			var rec struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil {
				s.mu.Lock()
				s.msgs[rec.Msg]++
				if rec.Msg == "listening" && rec.URL != "" {
					s.url = rec.URL
				}
				s.mu.Unlock()
			}
		}
		err = cmd.Wait()
		s.mu.Lock()
		s.url, s.pid = "", 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				s.kills++
				s.env = nil // the failpoint fired once
			}
		}
		delay := s.delay
		s.mu.Unlock()
		s.log(fmt.Sprintf("supervisor: exited (%v), restarting in %v", err, delay))
		time.Sleep(delay)
	}
}

func (s *supervisor) log(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, line)
	if len(s.tail) > 80 {
		s.tail = s.tail[len(s.tail)-80:]
	}
}

func (s *supervisor) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// stop ends the supervision and the process (SIGTERM, then SIGKILL).
func (s *supervisor) stop() {
	s.mu.Lock()
	if s.quit {
		s.mu.Unlock()
		<-s.done
		return
	}
	s.quit = true
	pid := s.pid
	s.mu.Unlock()
	if pid != 0 {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.mu.Lock()
		pid = s.pid
		s.mu.Unlock()
		if pid != 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		<-s.done
	}
}

// version asks the running process its version (GET /api/status); ""
// when none serves.
func (s *supervisor) version() string {
	s.mu.Lock()
	u := s.url
	s.mu.Unlock()
	if u == "" {
		return ""
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u + "/api/status")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var st struct {
		Version string `json:"version"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return ""
	}
	return st.Version
}

// waitVersion waits until the running process answers version v.
func (s *supervisor) waitVersion(t *testing.T, v string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if s.version() == v {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the gateway does not run %s after %v (runs %q)\n%s", v, d, s.version(), s.logs())
}

// notNow is a policy whose one meal window starts in six hours: the
// gateway installs only outside its meal windows.
func notNow() policy.Policy {
	at := time.Now().UTC().Add(6 * time.Hour)
	return policy.MustFlat("ota-1", "UTC", policy.FlatWindow{Name: "lunch", Start: fmt.Sprintf("%02d:00", at.Hour()),
		End: fmt.Sprintf("%02d:00", at.Hour()+1), PriceFen: 1500, SubsidyFen: 1000}) // "24:00" ends the day
}

// otaEnv is the cloud (HTTPS, releases), Mosquitto and one gateway's
// configuration.
type otaEnv struct {
	t        *testing.T
	mq       *testenv.Mosquitto
	tlsFiles *testenv.TLSFiles
	cfg      cloud.Config
	c        *cloud.Cloud
	base     string // https://127.0.0.1:port of the cloud
	client   *http.Client
	good     string // release id of v2 signed with the key the gateway trusts
	untrust  string // release id signed with a key the cloud trusts and the gateway does not
	goodSHA  string
	v1, v2   string
	gwDir    string
	gwCfg    string
	card     *serialtest.Device
	last     string // the last API call and its answer, for failure messages
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func newOTAEnv(t *testing.T) *otaEnv {
	t.Helper()
	v1, v2 := otaBinaries(t)
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, privB, _ := ed25519.GenerateKey(rand.Reader)
	e := &otaEnv{t: t, v1: v1, v2: v2}
	e.mq = testenv.StartMosquitto(t, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
	e.tlsFiles = testenv.NewTLSFiles(t)
	e.cfg = cloudConfig(t, e.mq.URL)
	e.cfg.HTTPAddr = freePort(t) // the same after a restart of the cloud
	e.cfg.HTTPTLSCert, e.cfg.HTTPTLSKey = e.tlsFiles.CertFile, e.tlsFiles.KeyFile
	e.cfg.ReleaseKeys = []string{base64.StdEncoding.EncodeToString(pubA), base64.StdEncoding.EncodeToString(pubB)}
	e.startCloud()
	e.base = "https://" + e.cfg.HTTPAddr
	pem, err := os.ReadFile(e.tlsFiles.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	e.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	platform := update.Platform() // the test builds for this machine
	e.good, e.goodSHA = e.upload(privA, v2, "v2", "v2", platform)
	e.untrust, _ = e.upload(privB, v1, "v2-untrusted", "v2u", platform) // another artifact: uploads are unique by hash

	// The gateway: a serial card reader (rdm6300 on a pty), the update
	// section trusting key A only.
	e.card = serialtest.New(t)
	e.gwDir = t.TempDir()
	cfg := map[string]any{
		"gateway_id": gwID, "site": otaSite, "data_dir": filepath.Join(e.gwDir, "data"), "http_addr": "127.0.0.1:0",
		"simulation": true, "policy": notNow(), "heartbeat": "30s",
		"mqtt":    map[string]any{"url": e.mq.URL, "password": gwSecret, "batch_wait": "20ms", "ack_timeout": "1s", "keepalive": "5s"},
		"devices": map[string]any{"card": map[string]any{"driver": "rdm6300", "port": e.card.Path()}},
		"update": map[string]any{"cloud_url": e.base, "ca_file": e.tlsFiles.CAFile,
			"public_keys": []string{base64.StdEncoding.EncodeToString(pubA)}, "retry_interval": "1s"},
	}
	body, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.gwCfg = filepath.Join(e.gwDir, "gateway.yaml")
	if err := os.WriteFile(e.gwCfg, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *otaEnv) startCloud() {
	e.t.Helper()
	c, err := cloud.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.c = c
	e.t.Cleanup(func() { c.Close() })
}

// upload signs bin as release name/version with priv and uploads it
// through the API; it returns the release id and the artifact's SHA-256.
func (e *otaEnv) upload(priv ed25519.PrivateKey, bin, name, version, platform string) (string, string) {
	e.t.Helper()
	b, m, err := release.SignFile(priv, bin, name, version, platform, "eldergate-gateway", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	bw, _ := mw.CreateFormFile("bundle", "eldergate-gateway.release.json")
	bw.Write(b.Marshal())
	aw, _ := mw.CreateFormFile("artifact", "eldergate-gateway")
	f, err := os.Open(bin)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(aw, f)
	f.Close()
	mw.Close()
	var out cloudhttp.ReleaseView
	if code := e.call(http.MethodPost, "/api/v1/releases", mw.FormDataContentType(), &body, &out); code != http.StatusCreated {
		e.t.Fatalf("upload %s: %s", name, e.last)
	}
	return out.ID, m.SHA256
}

func (e *otaEnv) call(method, path, ctype string, body io.Reader, out any) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	e.last = fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b)
	return resp.StatusCode
}

// startUpdate asks the cloud to update the gateway to release rel (POST
// /api/v1/gateways/{id}/update) once the cloud knows the gateway runs v1
// on its platform, and returns the ota command's id.
func (e *otaEnv) startUpdate(rel string, healthTimeoutS int) string {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, _ := json.Marshal(cloudhttp.StartUpdateRequest{Release: rel, HealthTimeoutS: healthTimeoutS})
		var out cloudhttp.StartUpdateResponse
		code := e.call(http.MethodPost, "/api/v1/gateways/"+gwID+"/update", "application/json", bytes.NewReader(body), &out)
		if code == http.StatusAccepted {
			return out.CommandID
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("update not started: %s", e.last)
		}
		time.Sleep(200 * time.Millisecond) // the birth of v1 (platform, version) not seen yet
	}
}

// waitUpdate waits until the cloud's history of the gateway shows update
// cmd finished, and returns it.
func (e *otaEnv) waitUpdate(s *supervisor, cmd string, d time.Duration) domain.GatewayUpdate {
	e.t.Helper()
	deadline := time.Now().Add(d)
	var last domain.GatewayUpdate
	for time.Now().Before(deadline) {
		var us []domain.GatewayUpdate
		if e.call(http.MethodGet, "/api/v1/gateways/"+gwID+"/updates", "", nil, &us) == http.StatusOK {
			for _, u := range us {
				if u.CommandID == cmd {
					last = u
				}
			}
			if last.State == "committed" || last.State == "rolled_back" || last.State == "failed" {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("update %s not finished in the cloud after %v: %+v\n%s", cmd, d, last, s.logs())
	return last
}

// steps lists the states and codes of an update's history.
func steps(u domain.GatewayUpdate) string {
	var out []string
	for _, s := range u.Steps {
		x := s.State
		if s.Code != "" {
			x += "/" + s.Code
		}
		out = append(out, x)
	}
	return strings.Join(out, " ")
}

// expect checks that update u ended in state with code (the update's own
// code or one of its steps').
func expect(t *testing.T, u domain.GatewayUpdate, state, code string) {
	t.Helper()
	ok := u.State == state && (u.Code == code || strings.Contains(" "+steps(u)+" ", " "+state+"/"+code+" "))
	if !ok {
		t.Fatalf("update ended %s/%s (%s), want %s/%s; steps: %s", u.State, u.Code, u.Reason, state, code, steps(u))
	}
	if u.Reason == "" && state != "committed" {
		t.Fatalf("update %s/%s without a reason in words", u.State, u.Code)
	}
}

// TestOTAUpdate: bad signature, wrong hash, truncated download, a v2 that
// finds no card reader, a v2 whose heartbeat the cloud does not ack: each
// ends with v1 running and the cause in the cloud; then a good update
// commits and v2 runs.
func TestOTAUpdate(t *testing.T) {
	e := newOTAEnv(t)
	s := supervise(t, e.v1, e.gwCfg)
	s.waitVersion(t, "v1", 20*time.Second)
	artifact := filepath.Join(e.cfg.DataDir, "releases", e.goodSHA)
	good, err := os.ReadFile(artifact)
	if err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if err := os.WriteFile(artifact, good, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("bad signature", func(t *testing.T) {
		u := e.waitUpdate(s, e.startUpdate(e.untrust, 5), 20*time.Second)
		expect(t, u, "failed", "signature")
		if s.version() != "v1" {
			t.Fatalf("runs %q", s.version())
		}
	})
	t.Run("wrong hash", func(t *testing.T) {
		bad := bytes.Clone(good)
		bad[len(bad)/2] ^= 0xff
		os.WriteFile(artifact, bad, 0o600)
		defer restore()
		u := e.waitUpdate(s, e.startUpdate(e.good, 5), 30*time.Second)
		expect(t, u, "failed", "hash")
		s.waitVersion(t, "v1", time.Second)
	})
	t.Run("truncated download", func(t *testing.T) {
		os.WriteFile(artifact, good[:len(good)/3], 0o600)
		defer restore()
		u := e.waitUpdate(s, e.startUpdate(e.good, 5), 30*time.Second)
		expect(t, u, "failed", "size")
		s.waitVersion(t, "v1", time.Second)
	})
	t.Run("no card reader", func(t *testing.T) {
		e.card.Unplug() // v1 runs on; the new binary finds no reader
		defer e.card.Plug()
		u := e.waitUpdate(s, e.startUpdate(e.good, 2), 40*time.Second)
		expect(t, u, "rolled_back", "health_card")
		s.waitVersion(t, "v1", 10*time.Second)
	})
	t.Run("no acked heartbeat", func(t *testing.T) {
		// The restart after the install waits a second (systemd's
		// RestartSec is 2 s): the cloud is gone before the new binary runs.
		s.mu.Lock()
		s.delay = time.Second
		s.mu.Unlock()
		defer func() { s.mu.Lock(); s.delay = 100 * time.Millisecond; s.mu.Unlock() }()
		cmd := e.startUpdate(e.good, 2)
		// Once the download is complete, the cloud stops: the broker
		// stays, nobody acks the new binary's heartbeat.
		waitPhase(t, s, filepath.Join(e.gwDir, "data", "update"), update.PhaseVerifying, update.PhaseInstalling, update.PhaseRestarting, update.PhaseChecking)
		e.c.Close()
		waitPhase(t, s, filepath.Join(e.gwDir, "data", "update"), update.PhaseRolledBack) // by itself, the cloud away
		s.waitVersion(t, "v1", 10*time.Second)
		e.startCloud()
		u := e.waitUpdate(s, cmd, 30*time.Second)
		expect(t, u, "rolled_back", "health_heartbeat")
	})
	t.Run("good update commits", func(t *testing.T) {
		u := e.waitUpdate(s, e.startUpdate(e.good, 30), 60*time.Second)
		expect(t, u, "committed", "")
		s.waitVersion(t, "v2", 10*time.Second)
		want := "accepted downloading verified installed checking committed"
		if got := dedupe(steps(u)); got != want {
			t.Fatalf("steps %q, want %q", got, want)
		}
	})
}

// dedupe drops repeated states (the progress of downloading).
func dedupe(s string) string {
	var out []string
	for _, x := range strings.Fields(s) {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return strings.Join(out, " ")
}

// waitPhase polls the gateway's update state file until it shows one of
// phases.
func waitPhase(t *testing.T, s *supervisor, dir string, phases ...update.Phase) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := update.Load(dir); err == nil {
			for _, p := range phases {
				if st.Phase == p {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("update state never reached %v\n%s", phases, s.logs())
}

// killPhases are the persisted states a SIGKILL is tested at, and how the
// update then ends: killed before the verdict of the new binary counts as
// its crash (rolled back), anywhere else the update resumes to the end it
// was heading for. noCard: the card reader is unplugged (the new binary's
// health check fails: the kill lands on the way back).
var killPhases = []struct {
	phase  update.Phase
	end    string
	code   string
	noCard bool
	quick  bool // in make test; the others in make chaos (EG_OTA_CHAOS=1)
}{
	{update.PhaseAccepted, "committed", "", false, false},
	{update.PhaseDownloading, "committed", "", false, false},
	{update.KillMidDownload, "committed", "", false, true}, // half the file on disk: resumed with a Range request
	{update.PhaseVerifying, "committed", "", false, false},
	{update.PhaseInstalling, "committed", "", false, false},
	{update.PhaseRestarting, "committed", "", false, true},
	{update.PhaseChecking, "rolled_back", "crash", false, true},
	{update.PhaseCommitting, "committed", "", false, true},
	{update.PhaseCommitted, "committed", "", false, false},
	{update.PhaseRollingBack, "rolled_back", "health_card", true, true},
	{update.PhaseRolledBack, "rolled_back", "health_card", true, false},
}

// TestOTAKillAtEveryState: the gateway process is SIGKILLed right after
// each persisted state of an update (the failpoint ELDERGATE_UPDATE_KILL_AT:
// the process kills itself once the state is on disk) and the supervisor
// starts it again: the update resumes to the right end, with the right
// version running.
//
// make test runs five of the eleven states (a mid-download kill, and one
// per process boundary: restarting, checking, committing, rolling_back);
// make chaos (EG_OTA_CHAOS=1) runs them all.
func TestOTAKillAtEveryState(t *testing.T) {
	e := newOTAEnv(t)
	all := os.Getenv("EG_OTA_CHAOS") != ""
	for _, k := range killPhases {
		if !k.quick && !all {
			continue
		}
		t.Run(string(k.phase), func(t *testing.T) {
			// v1 as packaged, no update state.
			if err := os.RemoveAll(filepath.Join(e.gwDir, "data", "update")); err != nil {
				t.Fatal(err)
			}
			if k.noCard {
				e.card.Unplug()
				defer e.card.Plug()
			}
			s := supervise(t, e.v1, e.gwCfg, update.EnvKillAt+"="+string(k.phase))
			s.waitVersion(t, "v1", 20*time.Second)
			timeout := 30
			if k.noCard {
				timeout = 2
			}
			u := e.waitUpdate(s, e.startUpdate(e.good, timeout), 60*time.Second)
			want := "v2"
			if k.end != "committed" {
				want = "v1"
			}
			expect(t, u, k.end, k.code)
			if got, all := dedupe(steps(u)), "accepted downloading verified installed checking committed"; k.end == "committed" && got != all {
				t.Fatalf("steps %q, want %q", got, all) // none lost to the kill
			}
			s.waitVersion(t, want, 10*time.Second)
			s.mu.Lock()
			kills, resumed := s.kills, s.msgs["update: download resumed"]
			s.mu.Unlock()
			if kills != 1 {
				t.Fatalf("%d SIGKILLs at %s, want 1\n%s", kills, k.phase, s.logs())
			}
			if k.phase == update.KillMidDownload && resumed == 0 {
				t.Fatalf("the download started again from the start\n%s", s.logs())
			}
			s.stop()
		})
	}
}
