package cloud_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildCloud builds the eldergate-cloud command into a temporary
// directory and returns its path (not race-built; the build cache makes it
// quick after the first time).
func buildCloud(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go toolchain not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "eldergate-cloud")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/eldergate/eldergate/cloud/cmd/eldergate-cloud")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build eldergate-cloud: %v\n%s", err, out)
	}
	return bin
}

// ingestProc is one running `eldergate-cloud ingest` process. Its stderr
// (JSON log lines) is kept and watched for the ready and stopped lines.
type ingestProc struct {
	cmd    *exec.Cmd
	ready  chan struct{} // closed at the "ingest: ready" line
	exited chan struct{} // closed when the process has exited; err set
	err    error

	mu        sync.Mutex
	buf       bytes.Buffer // whole stderr
	partial   []byte       // an unfinished line
	readyOnce sync.Once
	stopped   bool // the "ingest: stopped" line was seen
	committed int64
	batches   int64
}

// startIngestProc starts bin ingest args...; the process is killed at the
// end of the test if still running.
func startIngestProc(t testing.TB, bin string, args ...string) *ingestProc {
	t.Helper()
	p := &ingestProc{ready: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"ingest"}, args...)...)
	p.cmd.Env = append(os.Environ(), "EG_STORE_DSN=", "EG_BROKER_PASSWORD=")
	p.cmd.Stdout = p
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start eldergate-cloud ingest: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("eldergate-cloud ingest (pid %d) output:\n%s", p.cmd.Process.Pid, p.log())
		}
	})
	return p
}

// Write implements io.Writer for the process's output.
func (p *ingestProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.line(p.partial[:i])
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}

// line handles one complete output line; p.mu is held.
func (p *ingestProc) line(l []byte) {
	var rec struct {
		Msg       string `json:"msg"`
		Committed *int64 `json:"committed"`
		Batches   *int64 `json:"batches"`
	}
	if json.Unmarshal(l, &rec) != nil {
		return
	}
	switch rec.Msg {
	case "ingest: ready":
		p.readyOnce.Do(func() { close(p.ready) })
	case "ingest: stopped":
		if rec.Committed != nil && rec.Batches != nil {
			p.stopped, p.committed, p.batches = true, *rec.Committed, *rec.Batches
		}
	}
}

func (p *ingestProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// stop sends SIGTERM, waits up to d for a clean exit and returns the
// counts of the final log line.
func (p *ingestProc) stop(d time.Duration) (committed, batches int64, err error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, 0, fmt.Errorf("sigterm: %w", err)
	}
	select {
	case <-p.exited:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return 0, 0, fmt.Errorf("no exit within %v of SIGTERM", d)
	}
	if p.err != nil {
		return 0, 0, fmt.Errorf("exit: %w", p.err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		return 0, 0, errors.New("no final \"ingest: stopped\" line with counts")
	}
	return p.committed, p.batches, nil
}
