package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a real PostgreSQL server owned by a test: initdb into a
// temporary directory (as the postgres user when the tests run as root,
// since the server refuses to run as root), listening on a random loopback
// port. It runs with fsync=off (unless PostgresOptions.Durable): the tests
// never crash the machine, and it makes CREATE DATABASE and commits fast.
type Postgres struct {
	Port int
	Dir  string // owned by the server's user; removed at cleanup

	cmd    *exec.Cmd
	exited chan error // receives the server's exit once
	mu     sync.Mutex
	log    bytes.Buffer
	n      atomic.Int64

	command  func(name string, args ...string) *exec.Cmd // a PostgreSQL program as the server's user
	data     string                                      // the data directory
	settings []string                                    // -c options of the server (durability)
}

// Write implements io.Writer for the server's output.
func (p *Postgres) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

// Log returns the server's output so far.
func (p *Postgres) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// DSN returns the URL of database name on the server (user postgres,
// trust authentication, no TLS).
func (p *Postgres) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", p.Port, name)
}

// postgresBin returns the bin directory of the newest installed PostgreSQL.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("testenv: no PostgreSQL under /usr/lib/postgresql/*/bin (make test installs it)")
}

// StartPostgres starts a PostgreSQL server for the test and stops it (fast
// shutdown) when the test ends. Use NewDatabase or Database for a fresh
// database per test.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	return StartPostgresWith(t, PostgresOptions{})
}

// PostgresOptions change how StartPostgresWith runs the server.
type PostgresOptions struct {
	// Durable runs the server as production does, with fsync,
	// synchronous_commit and full_page_writes on (and checkpoints at most
	// every 30 minutes, as ../shared/peer measured): for benchmarks whose
	// figure is the commit path. Default: fsync off.
	Durable bool
}

// StartPostgresWith is StartPostgres with options.
func StartPostgresWith(t testing.TB, o PostgresOptions) *Postgres {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parents are private to root and the server runs
	// as postgres.
	dir, err := os.MkdirTemp("", "eldergate-pg-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testenv: PostgreSQL refuses to run as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("testenv: %v", err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	data := filepath.Join(dir, "data")
	out, err := command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
		"--no-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: initdb: %v: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		durability := []string{"-c", "fsync=off", "-c", "full_page_writes=off"}
		if o.Durable {
			durability = []string{"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
				"-c", "checkpoint_timeout=30min"}
		}
		p := &Postgres{Port: freePort(t), Dir: dir, command: command, data: data, settings: durability}
		if err := p.start(); err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(func() {
			p.stop(syscall.SIGINT) // fast shutdown
			if t.Failed() {
				t.Logf("postgres log:\n%s", p.Log())
			}
		})
		return p
	}
	t.Fatalf("testenv: postgres did not start: %v", lastErr)
	return nil
}

// start runs the server on p.Port and waits until it accepts connections.
func (p *Postgres) start() error {
	cmd := p.command("postgres", append([]string{"-D", p.data, "-p", strconv.Itoa(p.Port), "-k", p.Dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}, p.settings...)...)
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testenv: start postgres: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := p.waitReady(exited, 30*time.Second); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%w; log: %s", err, p.Log())
	}
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	return nil
}

// stop sends sig to the server and waits for it (killed after 15 s).
// Stopping a stopped server does nothing.
func (p *Postgres) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd, p.exited = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// StopImmediate stops the server with `pg_ctl stop -m immediate` (no
// checkpoint: the next start runs crash recovery, as after a power cut of
// the database alone) and waits until it is gone.
func (p *Postgres) StopImmediate() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd, p.exited = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("testenv: postgres is not running")
	}
	out, err := p.command("pg_ctl", "stop", "-D", p.data, "-m", "immediate", "-w").CombinedOutput()
	if err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	if err != nil {
		return fmt.Errorf("testenv: pg_ctl stop -m immediate: %v: %s", err, out)
	}
	return nil
}

// Restart starts the stopped server again on the same port and data
// directory and returns once it accepts connections.
func (p *Postgres) Restart() error {
	p.mu.Lock()
	running := p.cmd != nil
	p.mu.Unlock()
	if running {
		return fmt.Errorf("testenv: postgres already running")
	}
	return p.start()
}

func (p *Postgres) waitReady(exited <-chan error, d time.Duration) error {
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		select {
		case werr := <-exited:
			return fmt.Errorf("testenv: postgres exited: %v", werr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var c *pgx.Conn
		c, err = pgx.Connect(ctx, p.DSN("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("testenv: postgres not accepting connections on port %d after %v: %w", p.Port, d, err)
}

// NewDatabase creates an empty database and returns its DSN.
func (p *Postgres) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("test_%d", p.n.Add(1))
	c, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("testenv: postgres: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("testenv: create database %s: %w", name, err)
	}
	return p.DSN(name), nil
}

// Database is NewDatabase for test t, failing it on error.
func (p *Postgres) Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, err := p.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}
