package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
)

// Codes of UpdateData.Code that this package decides (the health codes
// come from the gateway's health check).
const (
	CodeSignature     = "signature"
	CodeHash          = "hash"
	CodeSize          = "size"
	CodeDownload      = "download"
	CodeInstall       = "install"
	CodeCrash         = "crash"
	CodeHealthTimeout = "health_timeout"
	CodeMealWindow    = "meal_window"
	CodeAlarmOpen     = "alarm_open"
)

// Config is what a Machine is made of.
type Config struct {
	Dir      string              // data_dir/update
	Keys     []ed25519.PublicKey // trusted release keys; none: every update is refused
	CloudURL string              // https:// base for artifact paths ("" : only absolute URLs)
	Client   *http.Client        // HTTPS client (NewClient)
	// GatewayID and Secret authenticate the download (HTTP basic).
	GatewayID, Secret string
	Version           string // of this binary
	// BaseVersion is the version of the packaged binary systemd starts
	// (the launcher's; "" : Version).
	BaseVersion string
	Platform    string // of this binary (Platform())
	// Self is the path of this process's binary; the machine knows from it
	// whether it runs the trial.
	Self string
	// Report records one update event durably (the outbox); an error
	// leaves the report pending, tried again.
	Report func(ctx context.Context, d eldergate.UpdateData) error
	// Gate says whether an install must wait now: a code (meal_window,
	// alarm_open) and a reason in words, or "".
	Gate func(now time.Time) (code, reason string)
	// Health runs the health check of the trial binary within ctx's
	// deadline: "" when healthy, else the failing check's code and reason.
	Health func(ctx context.Context) (code, reason string)
	// Restart ends the process so that systemd starts it again (the
	// launcher then runs the right binary).
	Restart func()
	Now     func() time.Time
	Log     *slog.Logger
	// RetryInterval is how often a deferred install looks again (default
	// 1 min) and caps the wait between download attempts.
	RetryInterval time.Duration
	Backoff       time.Duration // first wait between download attempts (default 1 s)
	MaxAttempts   int           // download attempts without progress before failing (default 5)
}

// Machine is the update state machine of one gateway.
type Machine struct {
	c    Config
	mu   sync.Mutex // serialises the state file's load-modify-save
	kick chan struct{}

	attempts int // download attempts without progress (not persisted: a restart gives fresh ones)
}

// New returns a machine; Run drives it.
func New(c Config) *Machine {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = time.Minute
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.BaseVersion == "" {
		c.BaseVersion = c.Version
	}
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	return &Machine{c: c, kick: make(chan struct{}, 1)}
}

// State returns the persisted state.
func (m *Machine) State() (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Load(m.c.Dir)
}

// Accepted is the body of an ota command's result.
type Accepted struct {
	State     string `json:"state"` // accepted
	Release   string `json:"release"`
	ToVersion string `json:"to_version"`
}

// Accept checks an ota command's request and queues the update. A
// request whose signature does not verify is refused (the error) and
// reported as a failed update (code signature); so is nothing else: a
// request for another platform, the running version, or while another
// update is under way gets an error only.
func (m *Machine) Accept(ctx context.Context, commandID string, req eldergate.UpdateRequest) (Accepted, error) {
	if len(m.c.Keys) == 0 {
		return Accepted{}, errors.New("update: refused: this gateway trusts no release key (update.public_keys in its configuration)")
	}
	man, err := eldergate.VerifyRelease(m.c.Keys, req.Manifest, req.Signature)
	if err != nil {
		// The manifest is not trusted: its words are clipped.
		d := eldergate.UpdateData{CommandID: commandID, Rollout: req.Rollout, Release: clip(man.Release, 64), FromVersion: clip(m.c.Version, 64), ToVersion: clip(man.Version, 64),
			State: eldergate.UpdateFailed, Code: CodeSignature, Reason: clip(err.Error(), eldergate.MaxUpdateReason)}
		if rerr := m.c.Report(ctx, d); rerr != nil {
			m.c.Log.Error("update: failure not reported", "err", rerr)
		}
		return Accepted{}, fmt.Errorf("update: refused: %w", err)
	}
	switch {
	case man.Artifact != "eldergate-gateway":
		return Accepted{}, fmt.Errorf("update: refused: release %s is an %s, not a gateway binary", man.Release, man.Artifact)
	case man.Platform != m.c.Platform:
		return Accepted{}, fmt.Errorf("update: refused: release %s is built for %s, this gateway is %s", man.Release, man.Platform, m.c.Platform)
	case man.Version == m.c.Version:
		return Accepted{}, fmt.Errorf("update: refused: this gateway already runs version %s", man.Version)
	}
	u, err := resolveURL(m.c.CloudURL, req.URL)
	if err != nil {
		return Accepted{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, err := Load(m.c.Dir)
	if err != nil {
		return Accepted{}, err
	}
	if !st.Phase.Terminal() {
		if st.CommandID == commandID {
			return Accepted{State: eldergate.UpdateAccepted, Release: st.Release, ToVersion: st.ToVersion}, nil
		}
		return Accepted{}, fmt.Errorf("update: refused: the update to %s (command %s) is under way (%s)", st.ToVersion, st.CommandID, st.Phase)
	}
	timeout := req.HealthTimeoutS
	if timeout == 0 {
		timeout = int(eldergate.DefaultHealthTimeout / time.Second)
	}
	next := State{
		Phase: PhaseAccepted, CommandID: commandID, Rollout: req.Rollout, Manifest: req.Manifest, Signature: req.Signature, URL: u,
		HealthTimeoutS: timeout, Release: man.Release, FromVersion: m.c.Version, ToVersion: man.Version, Size: man.Size, SHA256: man.SHA256,
		Committed: st.Committed, CommittedVersion: st.CommittedVersion, Previous: st.Previous, BaseVersion: m.c.BaseVersion,
	}
	if err := m.save(&next); err != nil {
		return Accepted{}, err
	}
	if err := m.reportPending(ctx, &next); err != nil {
		m.c.Log.Warn("update: accepted, report pending", "err", err)
	}
	m.c.Log.Info("update: accepted", "release", man.Release, "to", man.Version, "size", man.Size)
	select {
	case m.kick <- struct{}{}:
	default:
	}
	return Accepted{State: eldergate.UpdateAccepted, Release: man.Release, ToVersion: man.Version}, nil
}

// resolveURL makes an artifact URL absolute against the cloud's URL and
// refuses anything but https.
func resolveURL(cloud, raw string) (string, error) {
	if strings.HasPrefix(raw, "/") {
		if cloud == "" {
			return "", errors.New("update: refused: the artifact URL is a path and this gateway knows no cloud URL (update.cloud_url)")
		}
		raw = strings.TrimRight(cloud, "/") + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("update: refused: artifact URL: %v", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("update: refused: artifact URL %q is not https://host/...", raw)
	}
	return u.String(), nil
}

// save persists st (stamped with the time).
func (m *Machine) save(st *State) error {
	st.Updated = m.c.Now().UTC()
	return Save(m.c.Dir, *st)
}

// saveLocked saves under the lock.
func (m *Machine) saveLocked(st *State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.save(st)
}

// reported is the eldergate.Update* state the cloud is told of a phase,
// or "" for the phases it does not see (verified is reported by the
// verifying phase itself).
func reported(p Phase) string {
	switch p {
	case PhaseAccepted:
		return eldergate.UpdateAccepted
	case PhaseDownloading:
		return eldergate.UpdateDownloading
	case PhaseDeferred:
		return eldergate.UpdateDeferred
	case PhaseRestarting:
		return eldergate.UpdateInstalled
	case PhaseChecking:
		return eldergate.UpdateChecking
	case PhaseCommitted:
		return eldergate.UpdateCommitted
	case PhaseRolledBack:
		return eldergate.UpdateRolledBack
	case PhaseFailed:
		return eldergate.UpdateFailed
	}
	return ""
}

// data is the update event of st in state s.
func (m *Machine) data(st *State, s string) eldergate.UpdateData {
	d := eldergate.UpdateData{CommandID: st.CommandID, Rollout: st.Rollout, Release: st.Release, FromVersion: clip(st.FromVersion, 64), ToVersion: st.ToVersion, State: s}
	if s == eldergate.UpdateDeferred || s == eldergate.UpdateFailed || s == eldergate.UpdateRolledBack {
		d.Code, d.Reason = st.Code, clip(st.Reason, eldergate.MaxUpdateReason)
	}
	return d
}

// reportOnce reports st in state s unless it was the last report, then
// persists that it was. Called with m.mu held or from the only writer.
func (m *Machine) reportOnce(ctx context.Context, st *State, s string) error {
	key := s + "/" + st.Code
	if st.Reported == key {
		return nil
	}
	d := m.data(st, s)
	if s == eldergate.UpdateDownloading {
		d.Bytes, d.Size = st.ReportedBytes, st.Size
	}
	if err := m.c.Report(ctx, d); err != nil {
		return fmt.Errorf("update: report %s: %w", s, err)
	}
	st.Reported = key
	return m.save(st)
}

// reportPending reports the state of st's phase if not done yet.
func (m *Machine) reportPending(ctx context.Context, st *State) error {
	s := reported(st.Phase)
	if s == "" || st.CommandID == "" {
		return nil
	}
	// Killed right after restarting was persisted, the old binary never
	// said installed: the new one says it before checking.
	if s == eldergate.UpdateChecking && !strings.HasPrefix(st.Reported, eldergate.UpdateInstalled+"/") && !strings.HasPrefix(st.Reported, eldergate.UpdateChecking+"/") {
		if err := m.reportOnce(ctx, st, eldergate.UpdateInstalled); err != nil {
			return err
		}
	}
	return m.reportOnce(ctx, st, s)
}

// Run drives the machine until ctx is done or the process must restart
// (it then calls Restart and returns).
func (m *Machine) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		r := m.Step(ctx)
		if r.Restart {
			m.c.Log.Warn("update: restarting", "phase", r.Phase)
			if m.c.Restart != nil {
				m.c.Restart()
			}
			return nil
		}
		if r.Wait == 0 {
			continue
		}
		var after <-chan time.Time
		var t *time.Timer
		if r.Wait > 0 {
			t = time.NewTimer(r.Wait)
			after = t.C
		}
		select {
		case <-ctx.Done():
		case <-m.kick:
		case <-after:
		}
		if t != nil {
			t.Stop()
		}
	}
	return nil
}

// StepResult says what Run does after a step.
type StepResult struct {
	Phase   Phase         // after the step
	Wait    time.Duration // 0: step again now; <0: until an update is accepted
	Restart bool          // the process must exit for the launcher
}

// Step does the work of the current phase and persists the next one. A
// step is idempotent: a process killed in it does it again.
func (m *Machine) Step(ctx context.Context) StepResult {
	m.mu.Lock()
	st, err := Load(m.c.Dir)
	if err == nil {
		err = m.reportPending(ctx, &st)
	}
	m.mu.Unlock()
	if err != nil {
		m.c.Log.Error("update: step", "phase", st.Phase, "err", err)
		return StepResult{Phase: st.Phase, Wait: 5 * time.Second}
	}
	switch st.Phase {
	case PhaseIdle, PhaseCommitted, PhaseRolledBack, PhaseFailed:
		return StepResult{Phase: st.Phase, Wait: -1}
	case PhaseAccepted:
		m.attempts = 0
		return m.enter(&st, PhaseDownloading)
	case PhaseDownloading:
		return m.stepDownload(ctx, &st)
	case PhaseVerifying:
		return m.stepVerify(ctx, &st)
	case PhaseDeferred:
		return m.stepGate(&st)
	case PhaseInstalling:
		return m.stepInstall(&st)
	case PhaseRestarting:
		return StepResult{Phase: st.Phase, Restart: true} // installed was reported above
	case PhaseChecking:
		return m.stepCheck(ctx, &st)
	case PhaseCommitting:
		finishCommit(&st)
		r := m.enter(&st, PhaseCommitted)
		prune(m.c.Dir, st)
		return r
	case PhaseRollingBack:
		if m.isTrial(st) {
			return StepResult{Phase: st.Phase, Restart: true} // the launcher runs the previous binary
		}
		finishRollback(&st)
		r := m.enter(&st, PhaseRolledBack)
		prune(m.c.Dir, st)
		return r
	}
	m.c.Log.Error("update: unknown phase, update forgotten", "phase", st.Phase)
	st.Code, st.Reason = CodeInstall, fmt.Sprintf("unknown state %q", st.Phase)
	return m.enter(&st, PhaseFailed)
}

// enter persists phase p; its work is done by the next step.
func (m *Machine) enter(st *State, p Phase) StepResult {
	st.Phase = p
	if err := m.saveLocked(st); err != nil {
		m.c.Log.Error("update: state not saved", "phase", p, "err", err)
		return StepResult{Phase: p, Wait: 5 * time.Second}
	}
	m.c.Log.Info("update: "+string(p), "release", st.Release, "to", st.ToVersion, "code", st.Code, "reason", st.Reason)
	return StepResult{Phase: p}
}

// fail ends the update before install: the running binary never stopped.
func (m *Machine) fail(st *State, code, reason string) StepResult {
	st.Code, st.Reason = code, reason
	os.RemoveAll(filepath.Join(m.c.Dir, downloadDir))
	r := m.enter(st, PhaseFailed)
	return r
}

func (m *Machine) stepGate(st *State) StepResult {
	code, reason := "", ""
	if m.c.Gate != nil {
		code, reason = m.c.Gate(m.c.Now())
	}
	if code == "" {
		st.Code, st.Reason = "", ""
		return m.enter(st, PhaseInstalling)
	}
	if st.Phase == PhaseDeferred && st.Code == code {
		return StepResult{Phase: st.Phase, Wait: m.c.RetryInterval}
	}
	st.Code, st.Reason = code, reason
	r := m.enter(st, PhaseDeferred)
	return r // reported by the next step
}

func (m *Machine) stepInstall(st *State) StepResult {
	slot, err := install(m.c.Dir, partPath(m.c.Dir, st.SHA256), st.ToVersion, st.SHA256)
	if err != nil {
		return m.fail(st, CodeInstall, err.Error())
	}
	st.Trial, st.TrialStarts, st.CheckDeadline = slot, 0, time.Time{}
	r := m.enter(st, PhaseRestarting)
	os.RemoveAll(filepath.Join(m.c.Dir, downloadDir))
	return r
}

func (m *Machine) isTrial(st State) bool { return st.Trial != "" && samePath(st.Trial, m.c.Self) }

func (m *Machine) stepCheck(ctx context.Context, st *State) StepResult {
	if !m.isTrial(*st) {
		// The launcher starts the trial; this is another binary (run
		// without the launcher): the trial cannot be checked.
		st.Code, st.Reason = CodeCrash, fmt.Sprintf("the new binary %s was not started (this is %s)", st.Trial, m.c.Self)
		return m.enter(st, PhaseRollingBack)
	}
	if st.CheckDeadline.IsZero() {
		st.CheckDeadline = m.c.Now().Add(time.Duration(st.HealthTimeoutS) * time.Second).UTC()
		if err := m.saveLocked(st); err != nil {
			return StepResult{Phase: st.Phase, Wait: time.Second}
		}
	}
	limit := st.CheckDeadline.Sub(m.c.Now())
	code, reason := CodeHealthTimeout, fmt.Sprintf("no health verdict within %ds", st.HealthTimeoutS)
	if limit > 0 && m.c.Health != nil {
		hctx, cancel := context.WithTimeout(ctx, limit)
		code, reason = m.c.Health(hctx)
		cancel()
		if ctx.Err() != nil {
			return StepResult{Phase: st.Phase, Wait: -1} // stopping: the next start counts as a crash
		}
	}
	if code == "" {
		st.Code, st.Reason = "", ""
		return m.enter(st, PhaseCommitting)
	}
	st.Code, st.Reason = code, reason
	r := m.enter(st, PhaseRollingBack)
	if r.Wait == 0 {
		r.Restart = true
	}
	return r
}

// finishCommit makes the trial the committed slot, the committed one the
// previous.
func finishCommit(st *State) {
	if st.Trial != "" {
		if st.Committed != st.Trial {
			st.Previous = st.Committed
		}
		st.Committed, st.CommittedVersion = st.Trial, st.ToVersion
	}
	st.Trial, st.TrialStarts, st.CheckDeadline, st.Code, st.Reason = "", 0, time.Time{}, "", ""
}

// finishRollback forgets the trial; the committed slot (or the packaged
// binary) runs.
func finishRollback(st *State) {
	st.Trial, st.TrialStarts, st.CheckDeadline = "", 0, time.Time{}
}

// prune removes the slots that are neither committed, previous nor on
// trial, and the downloads of an update that ended.
func prune(dir string, st State) {
	keep := map[string]bool{}
	for _, p := range []string{st.Committed, st.Previous, st.Trial} {
		if p != "" {
			keep[filepath.Base(filepath.Dir(p))] = true
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, slotsDir))
	for _, e := range ents {
		if !keep[e.Name()] {
			os.RemoveAll(filepath.Join(dir, slotsDir, e.Name()))
		}
	}
	if st.Phase.Terminal() {
		os.RemoveAll(filepath.Join(dir, downloadDir))
	}
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// clip bounds a text of an update event to n bytes of valid UTF-8, as
// eldergate.DecodeUpdateData accepts it.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
