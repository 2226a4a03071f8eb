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
	"github.com/eldergate/eldergate/cloud/natsingest"
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
//	eldergate-cloud ingest --nats URL,URL,URL --nats-user U --nats-password P [...]
//
// With --nats it reads the gateways' messages from a NATS cluster's
// JetStream stream through the consumer all ingesters share (ADR 0041).
//
// It logs JSON to stderr: "ingest: ready" once subscribed, "ingest: stats"
// every --stats, and "ingest: stopped" with the final counts on shutdown.
func ingestCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokerURL := fs.String("broker", "", "broker URL (tcp://host:port); this or --nats is required")
	brokerUser := fs.String("broker-user", "eldergate-cloud", "the cloud's user on the broker")
	brokerPassword := fs.String("broker-password", "", "the cloud's password on the broker (env EG_BROKER_PASSWORD)")
	brokerPasswordFile := fs.String("broker-password-file", "", "file whose first line is the cloud's broker password (broker-config writes it)")
	brokerCA := fs.String("broker-ca", "", "PEM CA of the broker's certificate (ssl://)")
	storeDSN := fs.String("store", "", "PostgreSQL store URL postgres://user:pass@host/db (default: SQLite in -data; env EG_STORE_DSN)")
	dataDir := fs.String("data", "./data", "data directory (SQLite database)")
	workers := fs.Int("workers", ingest.DefaultWorkers, "batches committed at once")
	clientID := fs.String("client-id", "", "MQTT client id, stable and unique per ingester process: the broker keeps its session while it is away (default: eg-cloud-ingest-HOSTNAME; give a second ingester on one host its own)")
	stats := fs.Duration("stats", time.Minute, "interval of the stats log line (0: none)")
	natsURLs := fs.String("nats", "", "NATS cluster client URLs, comma separated (nats://n1:4222,nats://n2:4222,nats://n3:4222): read the gateways' messages from its JetStream stream, shared by every ingester, instead of an MQTT broker (ADR 0041)")
	natsUser := fs.String("nats-user", "eldergate-cloud", "the cloud's user on the NATS cluster")
	natsPassword := fs.String("nats-password", "", "the cloud's password on the NATS cluster (env EG_NATS_PASSWORD)")
	natsReplicas := fs.Int("nats-replicas", natsingest.DefaultReplicas, "replicas of the stream (3 on a three-node cluster, 1 on a single server)")
	natsStream := fs.String("nats-stream", natsingest.DefaultStream, "JetStream stream of the gateways' messages")
	natsConsumer := fs.String("nats-consumer", natsingest.DefaultConsumer, "durable consumer every ingester shares")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ingest: unexpected arguments %q", fs.Args())
	}
	switch {
	case *brokerURL == "" && *natsURLs == "":
		return errors.New("ingest: --broker (an MQTT broker) or --nats (a NATS cluster) is required")
	case *brokerURL != "" && *natsURLs != "":
		return errors.New("ingest: give --broker or --nats, not both")
	case *natsReplicas < 1 || *natsReplicas > 5:
		return fmt.Errorf("ingest: --nats-replicas %d: must be between 1 and 5", *natsReplicas)
	}
	if *natsPassword == "" {
		*natsPassword = os.Getenv("EG_NATS_PASSWORD")
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
	icfg := ingest.Config{
		BrokerURL: *brokerURL, Username: *brokerUser, Password: *brokerPassword,
		ClientID: *clientID, Logger: log, Now: time.Now, Workers: *workers, TLS: brokerTLS,
	}
	var in *ingest.Ingester
	var src *natsingest.Source
	if *natsURLs != "" {
		in, src, err = cloud.StartNATSIngester(startCtx, icfg, natsingest.Config{
			URLs: *natsURLs, User: *natsUser, Password: *natsPassword, Name: *clientID,
			Stream: *natsStream, Consumer: *natsConsumer, Replicas: *natsReplicas, Workers: *workers,
		}, st)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		defer src.Close() // before in.Close below on an early return
	} else {
		if in, _, err = cloud.NewIngester(icfg, st); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if err := in.Start(startCtx); err != nil {
			in.Close()
			return err
		}
	}
	cancel()
	log.Info(msgIngestReady, "broker", *brokerURL, "nats", *natsURLs != "", "postgres", *storeDSN != "", "workers", *workers)

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
			log.Info(msgIngestStats, "committed", in.Committed(), "batches", in.Batches(), "groups", in.Groups(),
				"site_mismatches", in.SiteMismatches(), "unregistered", in.Unregistered())
		}
	}
	if src != nil {
		src.Close() // its Process calls finish before the core closes
	}
	if err := in.Close(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	log.Info(msgIngestStopped, "committed", in.Committed(), "batches", in.Batches(), "groups", in.Groups(),
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
