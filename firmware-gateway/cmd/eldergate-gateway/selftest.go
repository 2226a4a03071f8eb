package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/update"
)

const selftestUsage = `usage: eldergate-gateway selftest [--dir DIR]

  Checks that this build can serve a hall: a fresh SQLite store (with its
  migrations), a roster, two meals decided with the embedded Zhuhai policy
  and committed, read back, and the store reopened. One line per check;
  exit code 1 naming the failing check.

  --dir   an empty or new directory for the store (default: a temporary one, removed after)`

// runSelftest implements "eldergate-gateway selftest" (the checks are
// gateway.SelfTest's).
func runSelftest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, selftestUsage) }
	dirArg := fs.String("dir", "", "an empty or new directory for the store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &inputError{fmt.Errorf("selftest: %w", err)}
	}
	if fs.NArg() > 0 {
		return &inputError{fmt.Errorf("selftest: unexpected argument %q\n%s", fs.Arg(0), selftestUsage)}
	}
	dir := *dirArg
	if dir == "" {
		tmp, err := os.MkdirTemp("", "eldergate-selftest-")
		if err != nil {
			return fmt.Errorf("selftest: a temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("selftest: --dir: %w", err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("selftest: --dir: %w", err)
		}
		if len(entries) > 0 {
			return &inputError{fmt.Errorf("selftest: --dir %s is not empty: the self-test needs a fresh store of its own", dir)}
		}
	}
	fmt.Fprintf(stdout, "build: eldergate-gateway %s, %s\n", version, platform())
	if err := gateway.SelfTest(ctx, dir, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "selftest: all checks passed")
	return nil
}

// platform names what the binary was built for, the platform as
// releases name it (update.Platform): "linux/arm/v6, cgo, go1.26.8".
func platform() string {
	cgo := "no cgo"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range bi.Settings {
			if kv.Key == "CGO_ENABLED" && kv.Value == "1" {
				cgo = "cgo"
			}
		}
	}
	return update.Platform() + ", " + cgo + ", " + runtime.Version()
}
