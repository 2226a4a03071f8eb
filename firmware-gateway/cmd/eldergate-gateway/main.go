// Command eldergate-gateway runs the site gateway.
//
//	eldergate-gateway run --config /etc/eldergate/gateway.yaml
//	eldergate-gateway probe --list
//	eldergate-gateway probe rdm6300 --port /dev/ttyUSB0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	gateway "github.com/eldergate/eldergate/firmware-gateway"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = gateway.DefaultVersion

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eldergate-gateway:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  eldergate-gateway run --config FILE        run the gateway
  eldergate-gateway probe --list             list the device drivers
  eldergate-gateway probe DRIVER --port PATH [--baud N] [--set key=value ...]
                                             open one device and print what it reports
  eldergate-gateway version`

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
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
		cfg, err := gateway.LoadConfig(*cfgPath)
		if err != nil {
			return err
		}
		g, err := gateway.New(cfg, gateway.WithLogger(log), gateway.WithVersion(version))
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := g.Start(ctx); err != nil {
			g.Close()
			return err
		}
		log.Info("listening", "url", g.HTTPURL())
		<-ctx.Done()
		return g.Close()
	case "probe":
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runProbe(ctx, args[1:], os.Stdout, stderr)
	case "version":
		fmt.Println(version)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
