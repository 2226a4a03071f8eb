// Package update is the gateway's over-the-air update: an explicit state
// machine persisted across restarts (mender is the model), the download
// over HTTPS with resume, the verification of size, SHA-256 and signature
// against the signed release manifest, the install into a slot beside the
// packaged binary, the restart into it, and the commit after a health
// check of the hall's real functions, or the roll back. See
// docs/adr/0029-signed-updates-commit-on-health.md.
//
// The state is one JSON file, data_dir/update/state.json, written
// atomically. Every transition is persisted before its side effects and
// every phase's work is idempotent, so that a SIGKILL or a power cut at
// any point resumes where it stopped.
package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
)

// Phase is a state of the machine. The cloud sees the coarser
// eldergate.Update* states (Reported).
type Phase string

// The phases, in order on the good path, and the terminal results.
const (
	PhaseIdle        Phase = "idle"         // no update yet
	PhaseAccepted    Phase = "accepted"     // signature verified, queued
	PhaseDownloading Phase = "downloading"  // the artifact comes into download/<sha256>.part
	PhaseVerifying   Phase = "verifying"    // size and SHA-256 checked
	PhaseDeferred    Phase = "deferred"     // verified; waiting for the end of a meal window or of an open alarm
	PhaseInstalling  Phase = "installing"   // copied into slots/<version>/
	PhaseRestarting  Phase = "restarting"   // the process exits; the launcher starts the trial
	PhaseChecking    Phase = "checking"     // the trial binary runs its health check
	PhaseCommitting  Phase = "committing"   // healthy: the trial becomes the committed slot
	PhaseRollingBack Phase = "rolling_back" // unhealthy or crashed: the previous binary runs again
	PhaseCommitted   Phase = "committed"    // terminal
	PhaseRolledBack  Phase = "rolled_back"  // terminal
	PhaseFailed      Phase = "failed"       // terminal: refused before install
)

// Terminal reports whether p ends an update (or there is none).
func (p Phase) Terminal() bool {
	return p == PhaseIdle || p == PhaseCommitted || p == PhaseRolledBack || p == PhaseFailed
}

// State is the persisted state of the machine.
type State struct {
	Phase Phase `json:"phase"`

	// The update under way (or the last one).
	CommandID      string `json:"command_id,omitempty"`
	Rollout        string `json:"rollout,omitempty"`
	Manifest       []byte `json:"manifest,omitempty"` // the signed bytes
	Signature      []byte `json:"signature,omitempty"`
	URL            string `json:"url,omitempty"` // resolved https:// URL of the artifact
	HealthTimeoutS int    `json:"health_timeout_s,omitempty"`
	Release        string `json:"release,omitempty"`
	FromVersion    string `json:"from_version,omitempty"`
	ToVersion      string `json:"to_version,omitempty"`
	Size           int64  `json:"size,omitempty"`
	SHA256         string `json:"sha256,omitempty"`

	Code   string `json:"code,omitempty"`   // why deferred, failed or rolled back (eldergate.UpdateData.Code)
	Reason string `json:"reason,omitempty"` // the same in words

	// Trial is the slot binary on trial (installed, not yet committed);
	// TrialStarts counts the launcher's starts of it: a second start
	// without a verdict means the first crashed or was killed.
	Trial         string    `json:"trial,omitempty"`
	TrialStarts   int       `json:"trial_starts,omitempty"`
	CheckDeadline time.Time `json:"check_deadline,omitzero"`

	// Committed is the slot binary that runs instead of the packaged one
	// ("" = the packaged binary runs); Previous is the committed slot
	// before it, kept for one more update. BaseVersion is the packaged
	// binary's version when the update was accepted: a packaged binary of
	// another version (a new .deb) makes the slots obsolete.
	Committed        string `json:"committed,omitempty"`
	CommittedVersion string `json:"committed_version,omitempty"`
	Previous         string `json:"previous,omitempty"`
	BaseVersion      string `json:"base_version,omitempty"`

	// Reported is the last report sent of this update (state and code),
	// ReportedBytes the bytes of the last downloading report.
	Reported      string `json:"reported,omitempty"`
	ReportedBytes int64  `json:"reported_bytes,omitempty"`

	Updated time.Time `json:"updated"`
}

// The files under the update directory (data_dir/update).
const (
	stateFile   = "state.json"
	downloadDir = "download"
	slotsDir    = "slots"
	// BinaryName is the file name of a slot's binary.
	BinaryName = "eldergate-gateway"
)

// Load reads the state of dir; a missing file is the idle state.
func Load(dir string) (State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return State{Phase: PhaseIdle}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("update: state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("update: state %s is not valid JSON (%v): move it away to forget the update", filepath.Join(dir, stateFile), err)
	}
	if st.Phase == "" {
		st.Phase = PhaseIdle
	}
	return st, nil
}

// Save writes st into dir atomically: a temporary file, fsync, rename,
// fsync of the directory.
func Save(dir string, st State) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("update: state: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("update: state: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, stateFile), b, 0o600); err != nil {
		return fmt.Errorf("update: state: %w", err)
	}
	if kill := os.Getenv(EnvKillAt); kill != "" && (kill == string(st.Phase) ||
		kill == string(KillMidDownload) && st.Phase == PhaseDownloading && st.ReportedBytes >= st.Size/2) {
		killSelf() // a failpoint of the crash tests: SIGKILL right after the state is on disk
	}
	return nil
}

// EnvKillAt is the crash tests' failpoint (deploy/e2e/ota_test.go): when
// set to a phase, the process SIGKILLs itself as soon as that phase is
// persisted, the way a power cut or the OOM killer would stop it there.
// Never set in production.
const EnvKillAt = "ELDERGATE_UPDATE_KILL_AT"

// KillMidDownload is the failpoint's value that kills once half the
// artifact is downloaded (the progress report is persisted).
const KillMidDownload Phase = "downloading-half"

func killSelf() {
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		p.Signal(os.Kill)
	}
	select {} // the signal is on its way
}
