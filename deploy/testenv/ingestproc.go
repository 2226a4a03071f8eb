package testenv

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
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
	Cmd *exec.Cmd

	done chan struct{} // closed once the process has exited and its output is read
	err  error         // exit status, valid after done

	mu                 sync.Mutex
	tail               []string // the last output lines, for failure messages
	stopped            bool     // the "ingest: stopped" line with its counts was seen
	committed, batches int64
}

// StartIngestProc runs `bin ingest args...` (EG_STORE_DSN and
// EG_BROKER_PASSWORD cleared: args alone configure it) and returns once
// it logged "ingest: ready", i.e. is subscribed. It is killed when the
// test ends; its output is logged if the test failed.
func StartIngestProc(t testing.TB, bin string, args ...string) *IngestProc {
	t.Helper()
	p := &IngestProc{Cmd: exec.Command(bin, append([]string{"ingest"}, args...)...), done: make(chan struct{})}
	p.Cmd.Env = append(os.Environ(), "EG_STORE_DSN=", "EG_BROKER_PASSWORD=")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd.Stdout, p.Cmd.Stderr = w, w
	err = p.Cmd.Start()
	w.Close() // the child holds its own copy: the reader ends at its exit
	if err != nil {
		r.Close()
		t.Fatalf("testenv: start eldergate-cloud ingest: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(p.done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var once sync.Once
		for sc.Scan() {
			if p.line(sc.Text()) {
				once.Do(func() { close(ready) })
			}
		}
		p.err = p.Cmd.Wait()
	}()
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

// line keeps one output line and reports whether it is the ready line.
func (p *IngestProc) line(l string) (ready bool) {
	var rec struct {
		Msg       string `json:"msg"`
		Committed *int64 `json:"committed"`
		Batches   *int64 `json:"batches"`
	}
	_ = json.Unmarshal([]byte(l), &rec) // a line that is not JSON (a panic) is only kept
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tail = append(p.tail, l)
	if len(p.tail) > tailLines {
		p.tail = p.tail[len(p.tail)-tailLines:]
	}
	if rec.Msg == "ingest: stopped" && rec.Committed != nil && rec.Batches != nil {
		p.stopped, p.committed, p.batches = true, *rec.Committed, *rec.Batches
	}
	return rec.Msg == "ingest: ready"
}

// Done is closed once the process has exited (Err then tells how).
func (p *IngestProc) Done() <-chan struct{} { return p.done }

// Err is the process's exit status once Done is closed.
func (p *IngestProc) Err() error {
	<-p.done
	return p.err
}

// Kill sends SIGKILL and waits for the process to be gone; killing an
// exited process does nothing.
func (p *IngestProc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM, waits up to d for the process to exit (then kills
// it) and returns the counts of its final "ingest: stopped" line: an
// error if it did not exit in time, exited with an error or did not log
// that line.
func (p *IngestProc) Stop(d time.Duration) (committed, batches int64, err error) {
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, 0, fmt.Errorf("sigterm: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		return 0, 0, fmt.Errorf("no exit within %v of SIGTERM", d)
	}
	if p.err != nil {
		return 0, 0, fmt.Errorf("exit: %w", p.err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		return 0, 0, errors.New(`no final "ingest: stopped" line with counts`)
	}
	return p.committed, p.batches, nil
}

// Logs returns the last lines the process wrote.
func (p *IngestProc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}
