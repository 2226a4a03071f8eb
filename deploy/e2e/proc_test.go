package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	"github.com/eldergate/eldergate"
	_ "github.com/mattn/go-sqlite3" // driver "sqlite3" for reading the stores directly
)

// buildGateway builds bin/eldergate-gateway into a temporary directory and
// returns its path. The go build cache makes this quick after the first
// time.
func buildGateway(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go toolchain not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "eldergate-gateway")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/eldergate/eldergate/firmware-gateway/cmd/eldergate-gateway")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build eldergate-gateway: %v\n%s", err, out)
	}
	return bin
}

// procConfig is the configuration file of a gateway process: simulated
// devices, the demo endpoints, a policy covering the whole day and a roster
// file of elders, each with one card.
func writeProcConfig(t testing.TB, dir, brokerURL string, elders []eldergate.Elder) string {
	t.Helper()
	roster, err := yaml.Marshal(elders)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.yaml"), roster, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"gateway_id":  gwID,
		"site":        siteID,
		"data_dir":    filepath.Join(dir, "data"),
		"http_addr":   "127.0.0.1:0",
		"simulation":  true,
		"tap_dedupe":  "1s",
		"policy":      allDay(),
		"roster_file": "roster.yaml",
		"mqtt": map[string]any{
			"url":         brokerURL,
			"password":    gwSecret,
			"batch_wait":  "20ms",
			"ack_timeout": "2s",
			"keepalive":   "5s",
		},
	}
	body, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gwProc is one eldergate-gateway process owned by a test.
type gwProc struct {
	cmd  *exec.Cmd
	url  string        // the kiosk API, from the "listening" log line
	done chan struct{} // closed once the process has exited and its log is read
	err  error         // exit status, valid after done

	mu   sync.Mutex
	tail []string // the last log lines, for failure messages
	bad  []string // log lines that must never appear (races, panics)
}

const tailLines = 60

// startProc runs `eldergate-gateway run --config cfg` and waits until it
// serves HTTP.
func startProc(t testing.TB, bin, cfg string) *gwProc {
	t.Helper()
	p := &gwProc{cmd: exec.Command(bin, "run", "--config", cfg, "--log-level", "info"), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	listening := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.tail = append(p.tail, line)
			if len(p.tail) > tailLines {
				p.tail = p.tail[len(p.tail)-tailLines:]
			}
			if strings.Contains(line, "DATA RACE") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
				p.bad = append(p.bad, line)
			}
			p.mu.Unlock()
			var rec struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.URL != "" {
				select {
				case listening <- rec.URL:
				default:
				}
			}
		}
		p.err = p.cmd.Wait()
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.url = <-listening:
		return p
	case <-p.done:
		t.Fatalf("gateway exited before listening: %v\n%s", p.err, p.logs())
	case <-time.After(20 * time.Second):
		p.kill()
		t.Fatalf("gateway not listening after 20s\n%s", p.logs())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *gwProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to stop (SIGTERM) and waits up to d.
func (p *gwProc) stop(d time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.kill()
		return fmt.Errorf("gateway did not stop within %v after SIGTERM", d)
	}
}

func (p *gwProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

func (p *gwProc) badLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// status reads GET /api/status of a process.
func (p *gwProc) status(ctx context.Context) (pending int, boot uint64, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/api/status", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var st struct {
		OutboxPending int    `json:"outbox_pending"`
		Boot          uint64 `json:"boot"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, 0, err
	}
	return st.OutboxPending, st.Boot, nil
}

// openRO opens an SQLite file read-only.
func openRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// integrityCheck runs PRAGMA integrity_check on the file at path.
func integrityCheck(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatalf("integrity_check %s: %v", path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0] != "ok" {
		t.Fatalf("integrity_check %s: %v", path, out)
	}
}

// ids runs a query returning one text column and returns its values.
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
