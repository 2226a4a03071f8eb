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
	"time"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// Log messages of the ingest command that scripts and tests may wait for.
const (
	msgIngestReady   = "ingest: ready"
	msgIngestStats   = "ingest: stats"
	msgIngestStopped = "ingest: stopped"
)

// ingestCmd runs only the ingester (no HTTP, no embedded broker) against an
// external broker until SIGINT or SIGTERM. Several such processes may share
// one store: they share the gateways' batches through $share/ingest. Each
// runs the command follow-ups (cloud/followup) as serve does.
//
//	eldergate-cloud ingest --broker URL --broker-user U --broker-password P
//	                       [--store DSN | --data DIR] [--workers N] [--client-id ID] [--stats D]
//
// It logs JSON to stderr: "ingest: ready" once subscribed, "ingest: stats"
// every --stats, and "ingest: stopped" with the final counts on shutdown.
func ingestCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokerURL := fs.String("broker", "", "broker URL (tcp://host:port); required")
	brokerUser := fs.String("broker-user", "eldergate-cloud", "the cloud's user on the broker")
	brokerPassword := fs.String("broker-password", "", "the cloud's password on the broker (env EG_BROKER_PASSWORD)")
	brokerPasswordFile := fs.String("broker-password-file", "", "file whose first line is the cloud's broker password (broker-config writes it)")
	brokerCA := fs.String("broker-ca", "", "PEM CA of the broker's certificate (ssl://)")
	storeDSN := fs.String("store", "", "PostgreSQL store URL postgres://user:pass@host/db (default: SQLite in -data; env EG_STORE_DSN)")
	dataDir := fs.String("data", "./data", "data directory (SQLite database)")
	workers := fs.Int("workers", ingest.DefaultWorkers, "batches committed at once")
	clientID := fs.String("client-id", "", "MQTT client id, stable and unique per ingester process: the broker keeps its session while it is away (default: eg-cloud-ingest-HOSTNAME; give a second ingester on one host its own)")
	stats := fs.Duration("stats", time.Minute, "interval of the stats log line (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ingest: unexpected arguments %q", fs.Args())
	}
	if *brokerURL == "" {
		return errors.New("ingest: --broker is required")
	}
	if *workers <= 0 {
		return fmt.Errorf("ingest: --workers %d: must be positive", *workers)
	}
	if *brokerPassword == "" && *brokerPasswordFile != "" {
		pw, err := readPasswordFile(*brokerPasswordFile)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		*brokerPassword = pw
	}
	if *brokerPassword == "" {
		*brokerPassword = os.Getenv("EG_BROKER_PASSWORD")
	}
	brokerTLS, err := ingest.BrokerTLS(*brokerURL, *brokerCA)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if *storeDSN == "" {
		*storeDSN = os.Getenv("EG_STORE_DSN")
	}
	if *storeDSN != "" && !postgres.IsDSN(*storeDSN) {
		return errors.New("ingest: --store must be a postgres:// or postgresql:// URL")
	}

	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st, err := openStore(startCtx, *storeDSN, *dataDir)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer st.Close()

	// The same ingester as serve's, command follow-ups included: a
	// birth or a command result may land on any ingester.
	in, _, err := cloud.NewIngester(ingest.Config{
		BrokerURL: *brokerURL, Username: *brokerUser, Password: *brokerPassword,
		ClientID: *clientID, Logger: log, Now: time.Now, Workers: *workers, TLS: brokerTLS,
	}, st)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := in.Start(startCtx); err != nil {
		in.Close()
		return err
	}
	cancel()
	log.Info(msgIngestReady, "broker", *brokerURL, "postgres", *storeDSN != "", "workers", *workers)

	var tick <-chan time.Time
	if *stats > 0 {
		t := time.NewTicker(*stats)
		defer t.Stop()
		tick = t.C
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick:
			log.Info(msgIngestStats, "committed", in.Committed(), "batches", in.Batches(),
				"site_mismatches", in.SiteMismatches(), "unregistered", in.Unregistered())
		}
	}
	if err := in.Close(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	log.Info(msgIngestStopped, "committed", in.Committed(), "batches", in.Batches(),
		"site_mismatches", in.SiteMismatches(), "unregistered", in.Unregistered())
	return nil
}

// openStore opens PostgreSQL when dsn is set, else SQLite in dir.
func openStore(ctx context.Context, dsn, dir string) (domain.Store, error) {
	if dsn != "" {
		if !postgres.IsDSN(dsn) {
			return nil, errors.New("--store must be a postgres:// or postgresql:// URL")
		}
		return postgres.Open(ctx, dsn)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return sqlite.Open(ctx, dir)
}
