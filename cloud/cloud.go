// Package cloud wires the eldergate cloud together: store, embedded (or
// external) MQTT broker, ingester and HTTP API/console.
//
// The domain types and the Store interface are defined in cloud/domain so
// that the implementation packages can use them without an import cycle;
// they are re-exported here as aliases.
package cloud

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/alarm"
	"github.com/eldergate/eldergate/cloud/broker"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/dynsec"
	"github.com/eldergate/eldergate/cloud/followup"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/notify"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/cloud/rollout"
)

// Domain types, re-exported.
type (
	Meal              = domain.Meal
	Alert             = domain.Alert
	AlertState        = domain.AlertState
	Gateway           = domain.Gateway
	Rejection         = domain.Rejection
	GatewayCredential = domain.GatewayCredential
	Store             = domain.Store
)

// Alert states, re-exported.
const (
	AlertOpen         = domain.AlertOpen
	AlertAcknowledged = domain.AlertAcknowledged
	AlertFalseAlarm   = domain.AlertFalseAlarm
	AlertResolved     = domain.AlertResolved
)

// Errors of the store, re-exported.
var (
	ErrNotFound = domain.ErrNotFound
	ErrConflict = domain.ErrConflict
)

// GatewaySeed is a gateway from the configuration, upserted at start.
type GatewaySeed struct {
	ID     string `yaml:"id" json:"id"`
	Site   string `yaml:"site" json:"site"`
	Secret string `yaml:"secret" json:"secret"`
}

// Config configures the cloud.
type Config struct {
	DataDir        string        // SQLite file lives here (cloud.db); unused with StoreDSN
	StoreDSN       string        // postgres://... selects the PostgreSQL store; empty: SQLite in DataDir
	HTTPAddr       string        // e.g. "127.0.0.1:8080"; "127.0.0.1:0" allowed
	BrokerAddr     string        // embedded broker listener, e.g. "127.0.0.1:1883"; "127.0.0.1:0" allowed
	BrokerURL      string        // external broker "tcp://host:port"; when set, no embedded broker
	BrokerUser     string        // the cloud's own user on the external broker
	BrokerPassword string        // the cloud's own password on the external broker
	AdminToken     string        // bearer token for /api/v1 and the console login
	Gateways       []GatewaySeed // upserted into the device table at start (secret stored bcrypt-hashed)
	Logger         *slog.Logger
	Now            func() time.Time

	// OfflineAfter is how long a gateway may stay silent (no state, no
	// batch) before it is shown offline; default DefaultOfflineAfter.
	OfflineAfter time.Duration
	// FleetCheckEvery is how often silence is checked (real time);
	// default DefaultFleetCheckEvery.
	FleetCheckEvery time.Duration
	// RolloutEvery is how often the running rollouts are advanced (real
	// time; besides at once after a start or a resume); default 5 s.
	RolloutEvery time.Duration

	// BrokerTLSCert and BrokerTLSKey (PEM files) put the embedded broker's
	// listener on TLS; the ingester then uses a plain 127.0.0.1 listener
	// of the same broker (see broker.Config).
	BrokerTLSCert, BrokerTLSKey string

	// BrokerDynsec: the external broker is Mosquitto with the
	// dynamic-security plugin and BrokerUser may use its control topic;
	// the cloud then creates each enrolled gateway's client and role there
	// and disables it on revocation (cloud/dynsec.go).
	BrokerDynsec bool

	// BrokerCAFile (PEM) is the CA the external broker's certificate
	// chains to, for ssl:// BrokerURLs (empty: the system's roots); it is
	// also handed to enrolling gateways (ADR 0033).
	BrokerCAFile string
	// GatewayBrokerURL is the broker URL handed to enrolling gateways when
	// it differs from the cloud's own (Mosquitto's public listener, e.g.
	// ssl://broker.example.gov.cn:8883, while the cloud uses an internal
	// one); empty: BrokerURL.
	GatewayBrokerURL string

	// NoIngest: this process takes no gateway message (external broker
	// only); standalone `eldergate-cloud ingest` processes ingest and run
	// the command follow-ups. The cloud keeps a broker connection to
	// publish the commands queued through its API.
	NoIngest bool

	// ConsoleURL is the cloud's public address (the console's, e.g.
	// https://eldergate.example.gov.cn/), for the links in alarm
	// notifications, the gateways' enrollment links and the QR codes of
	// published charity summaries; default the HTTP listener's URL.
	ConsoleURL string

	// IngestClientID is the MQTT client id of this process's ingester:
	// stable across restarts so that its persistent session keeps what
	// gateways publish while it is away (ADR 0012). Empty:
	// ingest.DefaultClientID("serve").
	IngestClientID string

	// ReleaseKeys are the trusted release public keys (base64 ed25519, as
	// `eldergate-cloud release keygen` writes them). The private key stays
	// offline: the cloud verifies uploads, it never signs
	// (docs/adr/0030-releases-in-the-cloud.md). None: no release upload.
	ReleaseKeys []string

	// HTTPTLSCert and HTTPTLSKey (PEM files, both or neither) serve the
	// console, the API and the release downloads over HTTPS.
	HTTPTLSCert, HTTPTLSKey string

	// EnrollFailuresPerMinute bounds the failed /api/v1/enroll attempts,
	// all clients together (a valid token is never refused: ADR 0024,
	// 0039); default 30.
	EnrollFailuresPerMinute int
}

// Cloud is the running cloud: it owns every subsystem and stops them in
// Close.
type Cloud struct {
	cfg Config
	log *slog.Logger

	brokerTLS   *tls.Config // the external broker's, nil for tcp:// and the embedded broker
	brokerCAPEM string      // Config.BrokerCAFile's contents, handed to enrolling gateways

	mu       sync.Mutex
	store    domain.Store
	broker   *broker.Broker
	dynsec   *dynsec.Client
	ingester *ingest.Ingester  // nil with NoIngest
	pub      *ingest.Publisher // with NoIngest: publishes commands
	cmds     *followup.Commands
	fleet    *fleetMonitor
	notifier *notify.Dispatcher
	alarms   atomic.Pointer[alarm.Runner] // set once the HTTP server is up; read by the ingester's hook
	board    *alarm.Feed
	http     *cloudhttp.Server
	updater  *release.Updater
	rollouts *rollout.Scheduler // sends releases in waves (docs/adr/0031-rollouts-in-waves.md)
	keys     []ed25519.PublicKey
	started  bool
	closed   bool
}

// New validates cfg and returns a cloud; Start runs it.
func New(cfg Config) (*Cloud, error) {
	if cfg.StoreDSN != "" && !postgres.IsDSN(cfg.StoreDSN) {
		return nil, errors.New("cloud: store DSN must be a postgres:// or postgresql:// URL")
	}
	if cfg.DataDir == "" && cfg.StoreDSN == "" {
		return nil, errors.New("cloud: no data directory")
	}
	if cfg.AdminToken == "" {
		return nil, errors.New("cloud: no admin token")
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:8080"
	}
	if cfg.BrokerURL == "" && cfg.BrokerAddr == "" {
		cfg.BrokerAddr = "127.0.0.1:1883"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if (cfg.BrokerTLSCert == "") != (cfg.BrokerTLSKey == "") {
		return nil, errors.New("cloud: broker TLS needs both a certificate and a key")
	}
	if cfg.BrokerTLSCert != "" && cfg.BrokerURL != "" {
		return nil, errors.New("cloud: broker TLS applies to the embedded broker only, not with an external broker URL")
	}
	if cfg.BrokerDynsec && (cfg.BrokerURL == "" || cfg.BrokerUser == "") {
		return nil, errors.New("cloud: broker dynamic security needs an external broker URL and user")
	}
	if cfg.GatewayBrokerURL != "" && cfg.BrokerURL == "" {
		return nil, errors.New("cloud: a gateway broker URL needs an external broker URL (the embedded broker's is its own)")
	}
	var brokerTLS *tls.Config
	if cfg.BrokerURL != "" {
		var err error
		if brokerTLS, err = ingest.BrokerTLS(cfg.BrokerURL, cfg.BrokerCAFile); err != nil {
			return nil, fmt.Errorf("cloud: %w", err)
		}
	}
	var caPEM []byte
	if cfg.BrokerCAFile != "" {
		var err error
		if caPEM, err = os.ReadFile(cfg.BrokerCAFile); err != nil {
			return nil, fmt.Errorf("cloud: broker CA file: %w", err)
		}
	}
	if cfg.NoIngest && cfg.BrokerURL == "" {
		return nil, errors.New("cloud: no ingester needs an external broker URL (standalone ingesters cannot reach the embedded broker)")
	}
	if cfg.OfflineAfter <= 0 {
		cfg.OfflineAfter = DefaultOfflineAfter
	}
	if cfg.FleetCheckEvery <= 0 {
		cfg.FleetCheckEvery = DefaultFleetCheckEvery
	}
	if cfg.EnrollFailuresPerMinute < 0 {
		return nil, errors.New("cloud: enroll failures per minute must not be negative (0: the default, 30)")
	}
	if (cfg.HTTPTLSCert == "") != (cfg.HTTPTLSKey == "") {
		return nil, errors.New("cloud: HTTPS needs both a certificate and a key (http_tls_cert, http_tls_key)")
	}
	keys, err := cloudhttp.ParseReleaseKeys(cfg.ReleaseKeys)
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	seen := map[string]bool{}
	for i, g := range cfg.Gateways {
		if err := eldergate.ValidateGatewayID(g.ID); err != nil {
			return nil, fmt.Errorf("cloud: gateways[%d]: %w", i, err)
		}
		if seen[g.ID] {
			return nil, fmt.Errorf("cloud: gateways[%d]: duplicate id %q", i, g.ID)
		}
		seen[g.ID] = true
		if g.Site == "" {
			return nil, fmt.Errorf("cloud: gateways[%d] (%s): no site (its events are filed under the site it is registered at)", i, g.ID)
		}
		if g.Secret == "" || len(g.Secret) > 72 {
			return nil, fmt.Errorf("cloud: gateways[%d] (%s): secret must be 1-72 bytes", i, g.ID)
		}
	}
	return &Cloud{cfg: cfg, log: cfg.Logger, keys: keys, brokerTLS: brokerTLS, brokerCAPEM: string(caPEM)}, nil
}

// Start opens the store, seeds the gateways, starts the broker (when
// embedded), the ingester with the command follow-ups (with NoIngest: a
// broker connection publishing commands) and the HTTP server. It returns
// when all are listening and the ingester is subscribed. ctx bounds the
// start only.
// On error everything started so far is stopped.
func (c *Cloud) Start(ctx context.Context) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return errors.New("cloud: Start called twice or after Close")
	}
	c.started = true
	defer func() {
		if err != nil {
			c.closeLocked()
		}
	}()
	if c.store, err = c.openStore(ctx); err != nil {
		return err
	}
	if err := c.seed(ctx); err != nil {
		return err
	}
	brokerURL, user, password := c.cfg.BrokerURL, c.cfg.BrokerUser, c.cfg.BrokerPassword
	auth := newAuthenticator(c.store)
	if brokerURL == "" {
		c.broker, err = broker.Start(broker.Config{
			Addr:     c.cfg.BrokerAddr,
			Gateways: auth,
			Logger:   c.log.With("component", "broker"),
			TLSCert:  c.cfg.BrokerTLSCert,
			TLSKey:   c.cfg.BrokerTLSKey,
		})
		if err != nil {
			return fmt.Errorf("cloud: %w", err)
		}
		brokerURL = c.broker.InternalURL()
		user, password = c.broker.ServiceCredentials()
	}
	if c.cfg.BrokerDynsec {
		if user, password, err = c.startDynsec(ctx); err != nil {
			return err
		}
	}
	c.board = alarm.NewFeed(c.store, 0, c.log)
	if err := c.board.Start(ctx); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	if err := c.startCommands(ctx, brokerURL, user, password); err != nil {
		return err
	}
	c.fleet = startFleetMonitor(c.store, c.cfg.OfflineAfter, c.cfg.FleetCheckEvery, c.cfg.Now, c.log)
	c.notifier = notify.New(notify.Config{Log: c.log, Record: func(d notify.Delivery) {
		if r := c.alarms.Load(); r != nil {
			r.RecordDelivery(d) // every attempt on the alert's timeline
		}
	}})
	c.updater = &release.Updater{Store: c.store, Sender: c.cmds, Now: c.cfg.Now}
	if c.rollouts, err = rollout.New(rollout.Config{Store: c.store, Updater: rollout.Releases{Updater: c.updater, Store: c.store},
		Every: c.cfg.RolloutEvery, Now: c.cfg.Now, Logger: c.log}); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	releaseDir := ""
	if c.cfg.DataDir != "" {
		releaseDir = filepath.Join(c.cfg.DataDir, "releases")
	}
	c.http, err = cloudhttp.New(cloudhttp.Config{
		Addr: c.cfg.HTTPAddr, Token: c.cfg.AdminToken, Store: c.store, Logger: c.log, Now: c.cfg.Now,
		Provisioning: c.provisioning(auth, brokerURL),
		Commands:     c.cmds,
		Board:        c.board,
		Alarms:       wakeLater{&c.alarms},
		Notifier:     c.notifier,
		ReleaseKeys:  c.keys,
		ReleaseDir:   releaseDir,
		Updater:      c.updater,
		Gateways:     auth,
		TLSCert:      c.cfg.HTTPTLSCert,
		TLSKey:       c.cfg.HTTPTLSKey,
		Rollouts:     c.rollouts,
	})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	if err := c.http.Start(); err != nil {
		c.http = nil
		return fmt.Errorf("cloud: %w", err)
	}
	if err := c.startAlarms(); err != nil {
		return err
	}
	c.rollouts.Start()
	c.log.Info("cloud: started", "http", c.http.URL(), "broker", c.brokerURLLocked(), "data", c.cfg.DataDir,
		"embedded_broker", c.broker != nil, "ingest", c.ingester != nil)
	return nil
}

// startAlarms starts the alarm runner (escalation, notifications, kiosk
// pushes, silent-gateway supervision) once the HTTP server knows its URL.
func (c *Cloud) startAlarms() error {
	consoleURL := c.cfg.ConsoleURL
	if consoleURL == "" {
		consoleURL = c.http.URL() + "/"
	}
	runner, err := alarm.New(alarm.Config{Store: c.store, Sender: c.cmds, Notifier: c.notifier, ConsoleURL: consoleURL,
		SilentAfter: c.cfg.OfflineAfter, Now: c.cfg.Now, Logger: c.log})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	runner.Start()
	c.alarms.Store(runner)
	return nil
}

// wakeLater wakes the alarm runner once it exists (the HTTP server is
// built before it).
type wakeLater struct{ r *atomic.Pointer[alarm.Runner] }

func (w wakeLater) Wake() {
	if r := w.r.Load(); r != nil {
		r.Wake()
	}
}

// startCommands starts the ingester with the command follow-ups, or with
// NoIngest only a broker connection publishing the commands.
func (c *Cloud) startCommands(ctx context.Context, brokerURL, user, password string) (err error) {
	if c.cfg.NoIngest {
		if c.pub, err = ingest.NewPublisher(brokerURL, user, password, "", c.brokerTLS); err != nil {
			return fmt.Errorf("cloud: %w", err)
		}
		if c.cmds, err = followup.New(followup.Config{Store: c.store, Publisher: c.pub, Logger: c.log, Now: c.cfg.Now}); err != nil {
			return fmt.Errorf("cloud: %w", err)
		}
		if err := c.pub.Start(ctx); err != nil {
			return fmt.Errorf("cloud: %w", err)
		}
		c.log.Info("cloud: not ingesting; standalone ingesters take the gateways' messages")
		return nil
	}
	id := c.cfg.IngestClientID
	if id == "" {
		id = ingest.DefaultClientID("serve")
	}
	sessions := 1
	if c.broker != nil {
		// The embedded broker's sessions are in memory (gone with this
		// process), so the count may change between runs (ADR 0045).
		sessions = EmbeddedIngestSessions
	}
	c.ingester, c.cmds, err = NewIngester(ingest.Config{
		BrokerURL: brokerURL, Username: user, Password: password, ClientID: id, Logger: c.log, Now: c.cfg.Now,
		OnAlert: c.alertStored, TLS: c.brokerTLS, Sessions: sessions,
	}, c.store)
	if err != nil {
		return err
	}
	if err := c.ingester.Start(ctx); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	return nil
}

// EmbeddedIngestSessions is how many MQTT sessions the ingester of a
// cloud with the embedded broker reads with (ingest.Config.Sessions): with
// one, every gateway's messages were in flight to that one mochi-mqtt
// client, whose packet-id search and in-flight lock slowed every
// publisher (docs/adr/0045-ingest-sessions.md).
const EmbeddedIngestSessions = 4

// alertStored wakes the board and the alarm runner after the ingester
// stored an alert event.
func (c *Cloud) alertStored() {
	c.board.Wake()
	wakeLater{&c.alarms}.Wake()
}

// seed upserts the configured gateways. A secret that still matches the
// stored hash keeps it (bcrypt is slow on purpose).
func (c *Cloud) seed(ctx context.Context) error {
	for _, g := range c.cfg.Gateways {
		cur, err := c.store.GatewayCredential(ctx, g.ID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("cloud: seed %s: %w", g.ID, err)
		}
		hash := cur.SecretHash
		if !domain.VerifySecret(hash, g.Secret) {
			if hash, err = domain.HashSecret(g.Secret); err != nil {
				return fmt.Errorf("cloud: seed %s: %w", g.ID, err)
			}
		}
		if err := c.store.UpsertGateway(ctx, domain.GatewayCredential{ID: g.ID, Site: g.Site, SecretHash: hash}); err != nil {
			return fmt.Errorf("cloud: seed %s: %w", g.ID, err)
		}
	}
	return nil
}

// authenticator checks gateway broker credentials against the store
// (domain.VerifySecret: a salted SHA-256 for enrolled gateways, bcrypt for
// configured seeds; ADR 0035). A successful check is remembered (keyed by
// a SHA-256 of the stored hash and the secret) so that a seed's reconnects
// stay cheap; failures always pay the full check.
type authenticator struct {
	store domain.Store
	reads chan struct{} // LoginReads: logins reading the store at once
	mu    sync.Mutex
	ok    map[string][32]byte // gateway id -> sha256(hash, secret) last verified
}

// LoginReads is how many gateway logins read their credential from the
// store at once. After a restart 10,000 gateways log in together: with no
// bound they took every connection of SQLite's pool (4), and the board,
// the alarm runner and the ingester's reads waited behind them (alarm →
// board p99 of seconds in the storm; docs/adr/0046-alarm-first-writer-and-state-groups.md).
const LoginReads = 2

func newAuthenticator(s domain.Store) *authenticator {
	return &authenticator{store: s, reads: make(chan struct{}, LoginReads), ok: map[string][32]byte{}}
}

func (a *authenticator) AuthenticateGateway(ctx context.Context, id, secret string) bool {
	select {
	case a.reads <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	cred, err := a.store.GatewayCredential(ctx, id)
	<-a.reads
	if err != nil || cred.SecretHash == "" || cred.RevokedAt != nil {
		return false
	}
	key := sha256.Sum256([]byte(cred.SecretHash + "\x00" + secret))
	a.mu.Lock()
	cached, hit := a.ok[id]
	a.mu.Unlock()
	if hit && subtle.ConstantTimeCompare(cached[:], key[:]) == 1 {
		return true
	}
	if !domain.VerifySecret(cred.SecretHash, secret) {
		return false
	}
	a.mu.Lock()
	a.ok[id] = key
	a.mu.Unlock()
	return true
}

// HTTPURL is the actual base URL of the API and console, e.g.
// "http://127.0.0.1:8080".
func (c *Cloud) HTTPURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.http == nil {
		return ""
	}
	return c.http.URL()
}

// BrokerURL is the actual broker URL (embedded or external), e.g.
// "tcp://127.0.0.1:1883".
func (c *Cloud) BrokerURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.brokerURLLocked()
}

func (c *Cloud) brokerURLLocked() string {
	if c.broker != nil {
		return c.broker.URL()
	}
	return c.cfg.BrokerURL
}

// Store is the cloud's store (nil before Start).
func (c *Cloud) Store() Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == nil {
		return nil
	}
	return c.store
}

// Healthy reports whether the cloud can still record events: its store
// answers. The systemd watchdog is fed only while it does.
func (c *Cloud) Healthy(ctx context.Context) error {
	c.mu.Lock()
	s := c.store
	c.mu.Unlock()
	if s == nil {
		return fmt.Errorf("cloud: not started")
	}
	return s.Ping(ctx)
}

// Close stops everything in reverse order, waits for the goroutines and
// closes the database. After Close, New+Start with the same DataDir and
// addresses works again.
func (c *Cloud) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeLocked()
}

func (c *Cloud) closeLocked() error {
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	if c.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, c.http.Close(ctx))
		cancel()
	}
	if r := c.alarms.Load(); r != nil {
		r.Close()
	}
	if c.rollouts != nil {
		c.rollouts.Close()
	}
	if c.notifier != nil {
		c.notifier.Close()
	}
	if c.board != nil {
		c.board.Close()
	}
	if c.fleet != nil {
		c.fleet.stop()
	}
	if c.ingester != nil {
		errs = append(errs, c.ingester.Close())
	}
	if c.pub != nil {
		errs = append(errs, c.pub.Close())
	}
	if c.dynsec != nil {
		c.dynsec.Close()
	}
	if c.broker != nil {
		errs = append(errs, c.broker.Close())
	}
	if c.store != nil {
		errs = append(errs, c.store.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cloud: close: %w", err)
	}
	c.log.Info("cloud: stopped")
	return nil
}

// StartUpdate starts the over-the-air update of one gateway to a release
// (release.Updater.StartUpdate: the one place that decides and queues
// it; the API and the rollouts call it). rolloutID is "" for a single
// update; healthTimeout 0 is the gateway's default. A refusal is a
// *release.StartError with a code and the reason in words.
func (c *Cloud) StartUpdate(ctx context.Context, gatewayID, releaseID, rolloutID string, healthTimeout time.Duration) (commandID string, err error) {
	c.mu.Lock()
	u := c.updater
	c.mu.Unlock()
	if u == nil {
		return "", errors.New("cloud: not started")
	}
	return u.StartUpdate(ctx, gatewayID, releaseID, rolloutID, healthTimeout)
}
