// Command eldergate-gateway runs the site gateway.
//
//	eldergate-gateway run --config /etc/eldergate/gateway.yaml
//	eldergate-gateway probe --list
//	eldergate-gateway probe rdm6300 --port /dev/ttyUSB0
//	eldergate-gateway selftest
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/eldergate/eldergate/deploy/systemd/sdnotify"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/staffauth"
	"github.com/eldergate/eldergate/firmware-gateway/update"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = gateway.DefaultVersion

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stderr), os.Stderr))
}

// inputError is an error in what the user gave (arguments, input files):
// exit code 2, like a usage error.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// exitCode prints err and returns the exit code: 0 without an error, 2
// for a usage or input error, 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "eldergate-gateway:", err)
	var ie *inputError
	if errors.As(err, &ie) {
		return 2
	}
	return 1
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

const usage = `usage:
  eldergate-gateway run --config FILE        run the gateway
  eldergate-gateway probe --list             list the device drivers
  eldergate-gateway probe DRIVER --port PATH [--baud N] [--set key=value ...]
                                             open one device and print what it reports
  eldergate-gateway staff-pin < PIN          print the bcrypt hash of a staff PIN (staff[].pin_hash)
  eldergate-gateway policy eval --policy FILE --elder FILE --at TIME (--price-fen N | --weight-g N)
                             [--usage FILE] [--usage-age DURATION] [--site FILE | --site CITY/DISTRICT/STREET]
                                             decide one meal and print the decision as JSON
  eldergate-gateway enroll --cloud URL --token T [--data DIR] [--config FILE]
                                             obtain this gateway's broker credentials (written 0600 into the data dir)
  eldergate-gateway systemd-dropin --config FILE
                                             print the systemd drop-in that allows the service exactly the
                                             device classes its configured drivers open (deploy/systemd)
  eldergate-gateway selftest [--dir DIR]     check that this build serves a hall: a fresh store, two meals
                                             decided with the embedded Zhuhai policy, committed and read back
  eldergate-gateway version
  eldergate-gateway help                     this text (also -h, --help)

Exit codes: 0 done, 1 failure, 2 wrong arguments or input.`

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return &inputError{errors.New(usage)}
	}
	if isHelp(args[0]) {
		fmt.Fprintln(os.Stdout, usage)
		return nil
	}
	switch args[0] {
	case "run":
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(stderr)
		cfgPath := fs.String("config", "", "configuration file (YAML)")
		level := fs.String("log-level", "info", "log level: debug, info, warn, error")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *cfgPath == "" {
			return errors.New("run: --config is required")
		}
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(*level)); err != nil {
			return fmt.Errorf("run: --log-level: %w", err)
		}
		log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lv}))
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		// An update may need another binary to run now (the new one on
		// trial, or the committed one): the launcher execs it, same
		// process for systemd (ADR 0029).
		if err := update.Launch(filepath.Join(cfg.DataDir, gateway.UpdateDir), version, log); err != nil {
			log.Error("update launcher: this binary runs", "err", err)
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		// A reboot command stops the daemon cleanly; systemd (Restart=always) starts it again.
		ctx, restart := context.WithCancel(ctx)
		defer restart()
		g, err := gateway.New(cfg, gateway.WithLogger(log), gateway.WithVersion(version), gateway.WithRestart(restart))
		if err != nil {
			return err
		}
		sd, err := sdnotify.New(os.Getenv, os.Getpid())
		if err != nil {
			log.Warn("systemd watchdog off", "err", err)
		}
		if err := g.Start(ctx); err != nil {
			g.Close()
			return err
		}
		// Start-up's garbage (the configuration, the roster file, the
		// migrations: a heap peak of about 8 MB for 1,000 elders) would
		// otherwise stay resident for minutes until the runtime's
		// background scavenger returned it: give it back now
		// (BenchmarkGatewayProcess, idle RSS target 20 MB).
		debug.FreeOSMemory()
		log.Info("listening", "url", g.HTTPURL())
		if err := sd.Notify("READY=1\nSTATUS=serving " + g.HTTPURL()); err != nil {
			log.Warn("systemd notify", "err", err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { sd.Watchdog(ctx, g.Healthy, log) })
		<-ctx.Done()
		if err := sd.Notify("STOPPING=1"); err != nil {
			log.Warn("systemd notify", "err", err)
		}
		wg.Wait()
		return g.Close()
	case "policy":
		return runPolicy(args[1:], os.Stdout, stderr) // policy.go
	case "probe":
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runProbe(ctx, args[1:], os.Stdout, stderr)
	case "staff-pin":
		// Reads a PIN on stdin and prints its bcrypt hash for staff[].pin_hash.
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("staff-pin: read the PIN on stdin: %w", err)
		}
		h, err := staffauth.HashPIN(strings.TrimSpace(line))
		if err != nil {
			return err
		}
		fmt.Println(h)
		return nil
	case "enroll":
		return runEnroll(ctx, args[1:], os.Stdout, stderr) // enroll.go
	case "systemd-dropin":
		return runSystemdDropIn(args[1:], os.Stdout, stderr) // dropin.go
	case "selftest":
		return runSelftest(ctx, args[1:], os.Stdout, stderr) // selftest.go
	case "version":
		fmt.Println(version)
		return nil
	default:
		return &inputError{fmt.Errorf("unknown command %q\n%s", args[0], usage)}
	}
}
