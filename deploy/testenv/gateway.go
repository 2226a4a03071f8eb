package testenv

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // driver "sqlite3" for reading the stores directly
)

// BuildGateway builds the eldergate-gateway command into a temporary
// directory and returns its path. The go build cache makes this quick
// after the first time.
func BuildGateway(t testing.TB) string {
	t.Helper()
	return BuildCommand(t, "eldergate-gateway", "github.com/eldergate/eldergate/firmware-gateway/cmd/eldergate-gateway")
}

// BuildCommand builds the Go package pkg into a temporary directory as
// name and returns the binary's path.
func BuildCommand(t testing.TB, name, pkg string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("testenv: go toolchain not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command(goBin, "build", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// GatewayProc is one eldergate-gateway process owned by a test.
type GatewayProc struct {
	proc
	URL string // the kiosk API, from the "listening" log line

	bad []string // log lines that must never appear (races, panics); proc.mu
}

// StartGatewayProc runs `eldergate-gateway run --config cfg` and waits
// until it serves HTTP. It is killed when the test ends.
func StartGatewayProc(t testing.TB, bin, cfg string) *GatewayProc {
	t.Helper()
	return StartGatewayCmd(t, exec.Command(bin, "run", "--config", cfg, "--log-level", "info"))
}

// StartGatewayCmd is StartGatewayProc for a command line of its own (e.g.
// the gateway run in another network namespace by `ip netns exec`, which
// execs it: the process is the gateway's).
func StartGatewayCmd(t testing.TB, cmd *exec.Cmd) *GatewayProc {
	t.Helper()
	p := &GatewayProc{proc: proc{Cmd: cmd}}
	listening := make(chan string, 1)
	if err := p.start(func(line string) {
		if strings.Contains(line, "DATA RACE") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
			p.mu.Lock()
			p.bad = append(p.bad, line)
			p.mu.Unlock()
		}
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
	}); err != nil {
		t.Fatalf("testenv: start gateway: %v", err)
	}
	t.Cleanup(func() { p.Kill() })
	select {
	case p.URL = <-listening:
		return p
	case <-p.done:
		t.Fatalf("testenv: gateway exited before listening: %v\n%s", p.err, p.Logs())
	case <-time.After(20 * time.Second):
		p.Kill()
		t.Fatalf("testenv: gateway not listening after 20s\n%s", p.Logs())
	}
	return nil
}

// Stop asks the process to stop (SIGTERM) and waits up to d: its exit
// status, or why it did not stop.
func (p *GatewayProc) Stop(d time.Duration) error {
	if err := p.term(d); err != nil {
		return fmt.Errorf("testenv: gateway: %w", err)
	}
	return nil
}

// BadLines returns the log lines that must never appear (data races,
// panics, fatal errors).
func (p *GatewayProc) BadLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// Status reads GET /api/status of a process.
func (p *GatewayProc) Status(ctx context.Context) (pending int, boot uint64, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/status", nil)
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

// OpenRO opens an SQLite file read-only; it is closed when the test ends.
func OpenRO(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// IntegrityCheck runs PRAGMA integrity_check on the SQLite file at path.
func IntegrityCheck(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := QueryStrings(t, db, `PRAGMA integrity_check`)
	if len(out) != 1 || out[0] != "ok" {
		t.Fatalf("integrity_check %s: %v", path, out)
	}
}

// QueryStrings runs a query returning one text column and returns its
// values.
func QueryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
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
