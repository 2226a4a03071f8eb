package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"path/filepath"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// runSystemdDropIn prints the drop-in for eldergate-gateway.service that
// narrows its device access to the configured drivers (config.Access).
// The package's postinst installs it as
// /etc/systemd/system/eldergate-gateway.service.d/50-devices.conf.
func runSystemdDropIn(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("systemd-dropin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return &inputError{err}
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		return &inputError{errors.New("systemd-dropin: usage: eldergate-gateway systemd-dropin --config FILE")}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return &inputError{fmt.Errorf("systemd-dropin: %w", err)}
	}
	a, err := cfg.Access(filepath.EvalSymlinks)
	if err != nil {
		return &inputError{fmt.Errorf("systemd-dropin: %w", err)}
	}
	hasGroup := func(g string) bool { _, err := user.LookupGroup(g); return err == nil }
	_, err = io.WriteString(stdout, a.DropIn(*cfgPath, hasGroup))
	return err
}
