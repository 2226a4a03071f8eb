package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a process owned by a test (an eldergate-gateway, an
// eldergate-cloud ingest): its output, stdout and stderr, read line by
// line as it comes, the last tailLines kept for failure messages.
// GatewayProc and IngestProc add what their own lines say.
type proc struct {
	Cmd *exec.Cmd

	done chan struct{} // closed once the process has exited and its output is read
	err  error         // exit status, valid after done

	mu   sync.Mutex
	tail []string // the last output lines
}

const tailLines = 60

// start starts p.Cmd and reads its output; line sees each output line
// (from the reading goroutine, p.mu not held).
func (p *proc) start(line func(string)) error {
	p.done = make(chan struct{})
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	p.Cmd.Stdout, p.Cmd.Stderr = w, w
	err = p.Cmd.Start()
	w.Close() // the child holds its own copy: the reader ends at its exit
	if err != nil {
		r.Close()
		return err
	}
	go func() {
		defer close(p.done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			p.mu.Lock()
			p.tail = append(p.tail, l)
			if len(p.tail) > tailLines {
				p.tail = p.tail[len(p.tail)-tailLines:]
			}
			p.mu.Unlock()
			line(l)
		}
		p.err = p.Cmd.Wait()
	}()
	return nil
}

// Done is closed once the process has exited (Err then tells how).
func (p *proc) Done() <-chan struct{} { return p.done }

// Err is the process's exit status once it has exited (it waits).
func (p *proc) Err() error {
	<-p.done
	return p.err
}

// Kill sends SIGKILL and waits for the process to be gone; killing an
// exited process does nothing.
func (p *proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and waits up to d for the process to exit, then
// kills it: its exit status, or why it did not exit.
func (p *proc) term(d time.Duration) error {
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("sigterm: %w", err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.Kill()
		return fmt.Errorf("no exit within %v of SIGTERM", d)
	}
}

// Logs returns the last lines the process wrote.
func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}
