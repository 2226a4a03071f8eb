// Command eldergate-cloud runs the eldergate cloud: embedded MQTT broker
// (or an external one), ingester, store, API and web console.
//
//	eldergate-cloud serve [--config FILE] [--data DIR] [--http ADDR] [--mqtt ADDR]
//	                      [--broker URL --broker-user U --broker-password P [--no-ingest]] [--token T]
//	eldergate-cloud ingest --broker URL [--broker-user U --broker-password P]
//	                       [--store DSN | --data DIR] [--workers N]
//	eldergate-cloud users add --login L --name N --role R [--scope UNIT]
//	                          [--password-stdin] [--store DSN | --data DIR]
//	eldergate-cloud broker-config --out DIR [--tls-cert F --tls-key F [--ca F]] [--listen ADDR] ...
//	eldergate-cloud release keygen|sign|verify|upload ... (release.go)
//	eldergate-cloud version
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
	"sync"
	"syscall"
	"time"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/deploy/systemd/sdnotify"
)

// version is set at build time with -ldflags "-X main.version=..."
// (make build, make cross: git describe).
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eldergate-cloud:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: eldergate-cloud serve [--config FILE] [--data DIR] [--http ADDR] [--mqtt ADDR]
                            [--broker URL --broker-user U --broker-password P [--no-ingest]] [--token T]
                            [--broker-password-file F] [--broker-ca F] [--broker-gateway-url URL]
       eldergate-cloud ingest --broker URL [--broker-user U --broker-password P]
                            [--broker-password-file F] [--broker-ca F]
                            [--store DSN | --data DIR] [--workers N] [--client-id ID] [--stats D]
       eldergate-cloud users add --login L --name N --role R [--scope UNIT]
                            [--password-stdin] [--store DSN | --data DIR]
       eldergate-cloud broker-config --out DIR [--tls-cert F --tls-key F [--ca F]]
                            [--listen 0.0.0.0:8883] [--cloud-listen 127.0.0.1:8884]
                            [--admin-user U] [--mount DIR] [--plugin PATH] [--force]
       eldergate-cloud release keygen --out DIR
       eldergate-cloud release sign --key PRIV --artifact FILE --release NAME --version V --platform P [--out BUNDLE]
       eldergate-cloud release verify --pub KEY[,KEY...] --artifact FILE [--bundle B]
       eldergate-cloud release upload --url CLOUD --token T --artifact FILE [--bundle B] [--ca PEM]
       eldergate-cloud version

Environment: EG_ADMIN_TOKEN and EG_BROKER_PASSWORD are used when the token or
the broker password is given neither by flag nor by the configuration file.`)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return errors.New("missing command")
		}
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "ingest":
		return ingestCmd(ctx, args[1:], stderr)
	case "users":
		return usersCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "broker-config":
		return brokerConfigCmd(args[1:], stdout, stderr)
	case "release":
		return releaseCmd(ctx, args[1:], stdout, stderr)
	case "version":
		_, err := fmt.Fprintln(stdout, version)
		return err
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "YAML configuration file")
	dataDir := fs.String("data", "./data", "data directory (SQLite database)")
	storeDSN := fs.String("store", "", "PostgreSQL store URL postgres://user:pass@host/db (default: SQLite in -data; env EG_STORE_DSN)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "HTTP listen address (API and console)")
	mqttAddr := fs.String("mqtt", "127.0.0.1:1883", "embedded MQTT broker listen address")
	brokerURL := fs.String("broker", "", "external broker URL (tcp://host:port); disables the embedded broker")
	brokerUser := fs.String("broker-user", "", "the cloud's user on the external broker")
	brokerPassword := fs.String("broker-password", "", "the cloud's password on the external broker")
	noIngest := fs.Bool("no-ingest", false, "take no gateway message (external broker only): standalone \"eldergate-cloud ingest\" processes ingest")
	brokerPasswordFile := fs.String("broker-password-file", "", "file whose first line is the cloud's broker password (broker-config writes it)")
	brokerCA := fs.String("broker-ca", "", "PEM CA of the external broker's certificate (ssl://), also handed to enrolling gateways")
	brokerGatewayURL := fs.String("broker-gateway-url", "", "the broker URL handed to enrolling gateways, when not --broker (e.g. Mosquitto's public listener)")
	brokerDynsec := fs.Bool("broker-dynsec", false, "manage gateway accounts on the external Mosquitto through its dynamic-security plugin (--broker-user is the dynsec admin)")
	token := fs.String("token", "", "admin bearer token for the API and the console")
	publicURL := fs.String("public-url", "", "the cloud's address as gateways, staff and donors reach it, e.g. https://eldergate.example.gov.cn (links in notifications, enrollment and charity QR codes; default the HTTP listener's URL)")
	mqttTLSCert := fs.String("mqtt-tls-cert", "", "PEM certificate for the embedded broker's listener (enables TLS, ssl://)")
	mqttTLSKey := fs.String("mqtt-tls-key", "", "PEM private key for -mqtt-tls-cert")
	httpTLSCert := fs.String("http-tls-cert", "", "PEM certificate for the HTTP listener (serves the console, the API and release downloads over HTTPS)")
	httpTLSKey := fs.String("http-tls-key", "", "PEM private key for -http-tls-cert")
	clientID := fs.String("client-id", "", "MQTT client id of the ingester, stable and unique per ingesting process (default: eg-cloud-serve-HOSTNAME)")
	pprofAddr := fs.String("pprof", "", "loopback address serving Go's profiler (net/http/pprof), e.g. 127.0.0.1:6060; empty: none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	var fc fileConfig
	if *configFile != "" {
		data, err := os.ReadFile(*configFile)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		if fc, err = parseConfig(data); err != nil {
			return fmt.Errorf("serve: %s: %w", *configFile, err)
		}
	}
	pick := func(name, flagVal, fileVal string) string {
		if set[name] || fileVal == "" {
			return flagVal
		}
		return fileVal
	}
	cfg := cloud.Config{
		DataDir:          pick("data", *dataDir, fc.DataDir),
		StoreDSN:         pick("store", *storeDSN, fc.StoreDSN),
		HTTPAddr:         pick("http", *httpAddr, fc.HTTPAddr),
		BrokerAddr:       pick("mqtt", *mqttAddr, fc.MQTTAddr),
		BrokerURL:        pick("broker", *brokerURL, fc.BrokerURL),
		BrokerUser:       pick("broker-user", *brokerUser, fc.BrokerUser),
		BrokerPassword:   pick("broker-password", *brokerPassword, fc.BrokerPassword),
		AdminToken:       pick("token", *token, fc.AdminToken),
		ConsoleURL:       pick("public-url", *publicURL, fc.PublicURL),
		BrokerDynsec:     *brokerDynsec || fc.BrokerDynsec,
		BrokerCAFile:     pick("broker-ca", *brokerCA, fc.BrokerCAFile),
		GatewayBrokerURL: pick("broker-gateway-url", *brokerGatewayURL, fc.BrokerGatewayURL),
		NoIngest:         *noIngest || fc.NoIngest,
		BrokerTLSCert:    *mqttTLSCert,
		BrokerTLSKey:     *mqttTLSKey,
		IngestClientID:   *clientID,
		HTTPTLSCert:      pick("http-tls-cert", *httpTLSCert, fc.HTTPTLSCert),
		HTTPTLSKey:       pick("http-tls-key", *httpTLSKey, fc.HTTPTLSKey),
		ReleaseKeys:      fc.ReleaseKeys,
		Gateways:         fc.Gateways,

		EnrollFailuresPerMinute: fc.EnrollFailuresPerMinute,
		Logger:                  log,
		Now:                     time.Now,
	}
	if *pprofAddr != "" {
		_, stop, err := startPprof(*pprofAddr, log)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer stop()
	}
	if err := checkPublicURL(cfg.ConsoleURL); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = os.Getenv("EG_ADMIN_TOKEN")
	}
	if pwFile := pick("broker-password-file", *brokerPasswordFile, fc.BrokerPasswordFile); cfg.BrokerPassword == "" && pwFile != "" {
		pw, err := readPasswordFile(pwFile)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		cfg.BrokerPassword = pw
	}
	if cfg.BrokerPassword == "" {
		cfg.BrokerPassword = os.Getenv("EG_BROKER_PASSWORD")
	}
	if cfg.StoreDSN == "" {
		cfg.StoreDSN = os.Getenv("EG_STORE_DSN") // keeps the database password off the command line
	}
	if cfg.AdminToken == "" {
		t, err := domain.RandomToken(24)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		cfg.AdminToken = t
		fmt.Fprintf(stdout, "eldergate-cloud: no admin token configured; generated one for this run: %s\n", t)
	}
	if cfg.BrokerURL == "" && len(cfg.Gateways) == 0 {
		log.Warn("serve: no gateways configured; no gateway can log in to the embedded broker")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	c, err := cloud.New(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = c.Start(startCtx)
	cancel()
	if err != nil {
		c.Close()
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(stdout, "eldergate-cloud: console at %s/ (broker %s, data %s)\n", c.HTTPURL(), c.BrokerURL(), cfg.DataDir)
	// Start returned: the store, the broker (or the link to the external
	// one) and HTTP are up. Under systemd (Type=notify) that is READY=1;
	// the watchdog is fed while the store answers.
	sd, err := sdnotify.New(os.Getenv, os.Getpid())
	if err != nil {
		log.Warn("serve: systemd watchdog off", "err", err)
	}
	if err := sd.Notify("READY=1\nSTATUS=serving " + c.HTTPURL()); err != nil {
		log.Warn("serve: systemd notify", "err", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { sd.Watchdog(ctx, c.Healthy, log) })
	<-ctx.Done()
	log.Info("serve: shutting down")
	if err := sd.Notify("STOPPING=1"); err != nil {
		log.Warn("serve: systemd notify", "err", err)
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
