package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cloudProc is `eldergate-cloud serve` (embedded broker, SQLite) as its
// own process, so that its CPU and memory are measured apart from the
// load generator's.
type cloudProc struct {
	cmd  *exec.Cmd
	pid  int
	mu   sync.Mutex
	tail []string // the last log lines
	done chan struct{}
}

// startCloud starts the cloud on dir and the given loopback addresses and
// returns once its API answers; logPath, when not empty, keeps its whole
// log.
func startCloud(ctx context.Context, bin, dir, httpAddr, mqttAddr, token, logPath string, extra ...string) (*cloudProc, error) {
	args := append([]string{"serve", "--data", dir, "--http", httpAddr, "--mqtt", mqttAddr, "--token", token,
		"--client-id", "eg-cloud-serve-fleet-bench"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "EG_STORE_DSN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start eldergate-cloud: %w", err)
	}
	p := &cloudProc{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	var logFile io.WriteCloser
	if logPath != "" {
		if logFile, err = os.Create(logPath); err != nil {
			p.kill()
			return nil, err
		}
	}
	go func() {
		if logFile != nil {
			defer logFile.Close()
		}
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if logFile != nil {
				fmt.Fprintln(logFile, sc.Text())
			}
			p.mu.Lock()
			p.tail = append(p.tail, sc.Text())
			if len(p.tail) > 200 {
				p.tail = p.tail[100:]
			}
			p.mu.Unlock()
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("eldergate-cloud exited at start:\n%s", p.log())
		case <-ctx.Done():
			p.kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("eldergate-cloud: API not up within 60s:\n%s", p.log())
		}
	}
}

func (p *cloudProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop sends SIGTERM and waits (SIGKILL after d).
func (p *cloudProc) stop(d time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(d):
		p.kill()
		return errors.New("eldergate-cloud did not stop within " + d.String() + " of SIGTERM; killed")
	}
}

func (p *cloudProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// cpu is the process's CPU time so far (user + system).
func (p *cloudProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from the 3rd
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// rss is the process's resident memory in bytes.
func (p *cloudProc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// saveProfile writes the cloud's profile at url (its pprof listener) to
// file.
func saveProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freeAddr is a free loopback TCP address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// raiseFileLimit lifts this process's open-file limit to its hard limit
// (the cloud, a child, inherits it): each gateway is a socket on both
// sides.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return err
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("open-file limit %d, %d needed (raise the hard limit: ulimit -Hn)", lim.Cur, need)
	}
	return nil
}
