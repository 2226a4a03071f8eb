package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/enroll"
)

// runEnroll implements `eldergate-gateway enroll --cloud URL --token T
// [--data DIR] [--config FILE]`: it trades the one-time token for this
// gateway's broker credentials and writes them (mode 0600) into the data
// directory, given or taken from the configuration.
func runEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cloudURL := fs.String("cloud", "", "cloud base URL (or an eldergate://enroll?... link)")
	token := fs.String("token", "", "one-time enrollment token")
	dataDir := fs.String("data", "", "data directory for the credentials (default: data_dir of --config)")
	cfgPath := fs.String("config", "", "gateway configuration file (YAML), for data_dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cloudURL == "" {
		return errors.New("enroll: --cloud is required")
	}
	dir := *dataDir
	if dir == "" && *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		dir = cfg.DataDir
	}
	if dir == "" {
		return errors.New("enroll: --data or --config is required")
	}
	c, path, err := enroll.Enroll(ctx, enroll.Request{CloudURL: *cloudURL, Token: *token, DataDir: dir})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled gateway %s (site %s) on %s\ncredentials written to %s (mode 0600)\n"+
		"set in the configuration:\n  gateway_id: %s\n  mqtt:\n    credentials_file: %s\n",
		c.GatewayID, c.Site, c.BrokerURL, path, c.GatewayID, path)
	return nil
}
