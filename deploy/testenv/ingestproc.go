package testenv

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// BuildCloud builds the eldergate-cloud command into a temporary
// directory and returns its path.
func BuildCloud(t testing.TB) string {
	t.Helper()
	return BuildCommand(t, "eldergate-cloud", "github.com/eldergate/eldergate/cloud/cmd/eldergate-cloud")
}

// IngestReadyWithin is how long StartIngestProc waits for the ready line.
const IngestReadyWithin = 60 * time.Second

// IngestProc is one `eldergate-cloud ingest` process owned by a test. Its
// output (JSON log lines on stderr) is watched for the "ingest: ready"
// line and the final "ingest: stopped" one with its counts.
type IngestProc struct {
	proc

	stopped            bool // the "ingest: stopped" line with its counts was seen; proc.mu
	committed, batches int64
}

// StartIngestProc runs `bin ingest args...` (EG_STORE_DSN and
// EG_BROKER_PASSWORD cleared: args alone configure it) and returns once
// it logged "ingest: ready", i.e. is subscribed. It is killed when the
// test ends; its output is logged if the test failed.
func StartIngestProc(t testing.TB, bin string, args ...string) *IngestProc {
	t.Helper()
	p := &IngestProc{proc: proc{Cmd: exec.Command(bin, append([]string{"ingest"}, args...)...)}}
	p.Cmd.Env = append(os.Environ(), "EG_STORE_DSN=", "EG_BROKER_PASSWORD=")
	ready := make(chan struct{})
	var once sync.Once
	if err := p.start(func(line string) {
		if p.line(line) {
			once.Do(func() { close(ready) })
		}
	}); err != nil {
		t.Fatalf("testenv: start eldergate-cloud ingest: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("eldergate-cloud ingest (pid %d) output:\n%s", p.Cmd.Process.Pid, p.Logs())
		}
	})
	select {
	case <-ready:
		return p
	case <-p.done:
		t.Fatalf("testenv: eldergate-cloud ingest exited before it was ready: %v\n%s", p.err, p.Logs())
	case <-time.After(IngestReadyWithin):
		p.Kill()
		t.Fatalf("testenv: eldergate-cloud ingest not ready after %v\n%s", IngestReadyWithin, p.Logs())
	}
	return nil
}

// line notes the final "ingest: stopped" line's counts and reports
// whether l is the ready line.
func (p *IngestProc) line(l string) (ready bool) {
	var rec struct {
		Msg       string `json:"msg"`
		Committed *int64 `json:"committed"`
		Batches   *int64 `json:"batches"`
	}
	_ = json.Unmarshal([]byte(l), &rec) // a line that is not JSON (a panic) is only kept
	if rec.Msg == "ingest: stopped" && rec.Committed != nil && rec.Batches != nil {
		p.mu.Lock()
		p.stopped, p.committed, p.batches = true, *rec.Committed, *rec.Batches
		p.mu.Unlock()
	}
	return rec.Msg == "ingest: ready"
}

// Stop sends SIGTERM, waits up to d for the process to exit (then kills
// it) and returns the counts of its final "ingest: stopped" line: an
// error if it did not exit in time, exited with an error or did not log
// that line.
func (p *IngestProc) Stop(d time.Duration) (committed, batches int64, err error) {
	if err := p.term(d); err != nil {
		return 0, 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		return 0, 0, errors.New(`no final "ingest: stopped" line with counts`)
	}
	return p.committed, p.batches, nil
}
