package update

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// EnvLauncher marks a process the launcher started (exec'd): its value is
// the version of the packaged binary that did, so that the slot binary
// knows it (Config.BaseVersion) and does not launch again.
const EnvLauncher = "ELDERGATE_UPDATE_LAUNCHER"

// Prepare is the launcher's decision, made by `eldergate-gateway run`
// before anything else: which binary must run now. It returns "" when
// this process goes on, else the path of the binary to exec. It persists
// what it decides first:
//   - restarting or checking, not started yet: the trial's start is
//     counted (checking) and the trial runs;
//   - restarting or checking, started before without a verdict: the trial
//     crashed, was killed or hung (code crash, or health_timeout past its
//     deadline): rolling back;
//   - committing or rolling_back: finished here (the machine reports it);
//   - then the committed slot runs, unless this packaged binary's version
//     is not the one the slot was installed over (a new package
//     supersedes the slots).
//
// launched is the value of EnvLauncher in this process's environment.
func Prepare(dir, self, version, launched string, now func() time.Time, log *slog.Logger) (string, error) {
	if launched != "" {
		return "", nil // the launcher has decided
	}
	st, err := Load(dir)
	if err != nil {
		return "", err
	}
	save := func() error {
		st.Updated = now().UTC()
		return Save(dir, st)
	}
	switch st.Phase {
	case PhaseRestarting, PhaseChecking:
		if st.TrialStarts == 0 && st.Trial != "" {
			st.Phase, st.TrialStarts = PhaseChecking, 1
			if err := save(); err != nil {
				return "", err
			}
			log.Info("update: starting the new binary on trial", "binary", st.Trial, "to", st.ToVersion)
			return st.Trial, nil
		}
		st.Code, st.Reason = CodeCrash, fmt.Sprintf("the new binary %s stopped before its health check ended (crash, kill or power cut)", st.ToVersion)
		if !st.CheckDeadline.IsZero() && now().After(st.CheckDeadline) {
			st.Code, st.Reason = CodeHealthTimeout, fmt.Sprintf("the new binary %s gave no health verdict within %ds", st.ToVersion, st.HealthTimeoutS)
		}
		st.Phase = PhaseRollingBack
		if err := save(); err != nil {
			return "", err
		}
		log.Warn("update: rolling back", "to", st.ToVersion, "code", st.Code, "reason", st.Reason)
	}
	switch st.Phase {
	case PhaseCommitting:
		finishCommit(&st)
		st.Phase = PhaseCommitted
		if err := save(); err != nil {
			return "", err
		}
		prune(dir, st)
	case PhaseRollingBack:
		finishRollback(&st)
		st.Phase = PhaseRolledBack
		if err := save(); err != nil {
			return "", err
		}
		prune(dir, st)
	}
	if st.Committed == "" {
		return "", nil
	}
	if st.BaseVersion != version && st.Phase.Terminal() {
		log.Warn("update: the packaged binary changed since the last update: its version runs, the update slots are dropped",
			"packaged", version, "was", st.BaseVersion, "slot", st.CommittedVersion)
		st.Committed, st.CommittedVersion, st.Previous, st.BaseVersion = "", "", "", version
		if err := save(); err != nil {
			return "", err
		}
		prune(dir, st)
		return "", nil
	}
	if samePath(st.Committed, self) {
		return "", nil
	}
	if _, err := os.Stat(st.Committed); err != nil {
		log.Error("update: the committed binary is missing: the packaged one runs", "binary", st.Committed, "err", err)
		return "", nil
	}
	return st.Committed, nil
}

// Launch runs Prepare for `eldergate-gateway run` and, when another
// binary must run, replaces this process with it (same arguments, same
// process id for systemd, EnvLauncher set). It returns only when this
// binary goes on.
func Launch(dir, version string, log *slog.Logger) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("update: launcher: %w", err)
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		self = s
	}
	bin, err := Prepare(dir, self, version, os.Getenv(EnvLauncher), time.Now, log)
	if err != nil {
		return fmt.Errorf("update: launcher: %w", err)
	}
	if bin == "" {
		return nil
	}
	env := append(os.Environ(), EnvLauncher+"="+version)
	log.Info("update: launching", "binary", bin)
	if err := syscall.Exec(bin, append([]string{bin}, os.Args[1:]...), env); err != nil {
		// The slot binary cannot run: a trial counts as crashed at the
		// next start; this start goes on with the packaged binary.
		log.Error("update: launch failed, the packaged binary runs", "binary", bin, "err", err)
	}
	return nil
}

// Self is the path of this process's binary, symlinks resolved.
func Self() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		return s
	}
	return self
}

// Platform is the platform this binary was built for, as releases name
// it: linux/amd64, linux/arm64, linux/arm/v7 (GOARM from the build
// settings) ...
func Platform() string {
	return platform(runtime.GOOS, runtime.GOARCH, buildSetting("GOARM"))
}

func platform(goos, goarch, goarm string) string {
	p := goos + "/" + goarch
	if goarch == "arm" {
		v := strings.SplitN(goarm, ",", 2)[0] // "7" or "6,softfloat"
		if v == "" {
			v = "7" // a cross build's default
		}
		p += "/v" + v
	}
	return p
}

func buildSetting(key string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
