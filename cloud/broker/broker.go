// Package broker is the cloud's embedded MQTT broker (mochi-mqtt) with the
// eldergate authentication and ACL hooks.
package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/eldergate/eldergate/cloud/domain"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// MaxPacketSize is the largest MQTT packet the broker accepts, so that an
// oversized batch reaches the ingester and is refused there with a reason.
const MaxPacketSize = 16 << 20

// Config configures the broker.
type Config struct {
	Addr     string // TCP listen address, e.g. "127.0.0.1:1883" or "127.0.0.1:0"
	Gateways Authenticator
	Logger   *slog.Logger
	// TLSCert and TLSKey are PEM files; when both are set the listener on
	// Addr speaks TLS only (clients use ssl://), and a second, plain
	// listener on an ephemeral 127.0.0.1 port serves the cloud's own
	// in-process clients (InternalURL). That listener never leaves the
	// host, goes through the same authentication and ACL hooks, and spares
	// the ingester from trusting the CA and matching the certificate's
	// name (which names the public host, not 127.0.0.1).
	TLSCert, TLSKey string
}

// Broker is a running embedded broker.
type Broker struct {
	srv      *mqtt.Server
	tcp      *listeners.TCP
	internal *listeners.TCP // plain loopback listener when tcp is TLS; else nil
	password string
	log      *slog.Logger
}

// Start starts the broker listening on cfg.Addr.
func Start(cfg Config) (*Broker, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	password, err := domain.RandomToken(32)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = MaxPacketSize
	caps.MaximumSessionExpiryInterval = 7 * 24 * 3600
	caps.MaximumInflight = MaxInflight
	// A shallow write queue per client; the cloud's own clients get a
	// deep one when they log in (queue.go). Should this mochi-mqtt not
	// allow that, everyone gets the deep one: more memory, nothing lost.
	caps.MaximumClientWritesPending = GatewayWritesPending
	opts := &mqtt.Options{
		Capabilities:           caps,
		Logger:                 log.With("lib", "mochi"),
		SysTopicResendInterval: 3600,
	}
	queues := &queueHook{}
	if err := checkWriteQueueLayout(mqtt.New(&mqtt.Options{Logger: log})); err != nil {
		log.Warn("broker: every client gets the service clients' write queue", "err", err)
		caps.MaximumClientWritesPending = ServiceWritesPending
		queues = nil
	}
	srv := mqtt.New(opts)
	if queues != nil {
		if err := srv.AddHook(queues, nil); err != nil {
			return nil, fmt.Errorf("broker: write queue hook: %w", err)
		}
	}
	if err := srv.AddHook(&AuthHook{Gateways: cfg.Gateways, ServicePassword: password, Clients: srv.Clients, Log: log, Queues: queues}, nil); err != nil {
		return nil, fmt.Errorf("broker: auth hook: %w", err)
	}
	if err := srv.AddHook(&ACLHook{}, nil); err != nil {
		return nil, fmt.Errorf("broker: acl hook: %w", err)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, fmt.Errorf("broker: TLS needs both a certificate and a key")
	}
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("broker: TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: cfg.Addr, TLSConfig: tlsCfg})
	if err := srv.AddListener(tcp); err != nil { // AddListener calls Init, which binds
		return nil, fmt.Errorf("broker: listen %s: %w", cfg.Addr, err)
	}
	var internal *listeners.TCP
	if tlsCfg != nil {
		internal = listeners.NewTCP(listeners.Config{ID: "internal", Address: "127.0.0.1:0"})
		if err := srv.AddListener(internal); err != nil {
			srv.Close()
			return nil, fmt.Errorf("broker: internal listener: %w", err)
		}
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	b := &Broker{srv: srv, tcp: tcp, internal: internal, password: password, log: log}
	log.Info("broker: listening", "addr", b.Addr())
	return b, nil
}

// Addr is the actual listen address.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the broker URL for clients, e.g. "tcp://127.0.0.1:1883", or
// "ssl://127.0.0.1:8883" with TLS.
func (b *Broker) URL() string {
	scheme := "tcp://"
	if b.internal != nil {
		scheme = "ssl://"
	}
	return clientURL(scheme, b.Addr())
}

// InternalURL is the URL the cloud's own clients (the ingester) use: the
// plain loopback listener with TLS, else URL.
func (b *Broker) InternalURL() string {
	if b.internal == nil {
		return b.URL()
	}
	return clientURL("tcp://", b.internal.Address())
}

func clientURL(scheme, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return scheme + net.JoinHostPort(host, port)
}

// ServiceCredentials returns the user name and password of the cloud's
// service account on this broker.
func (b *Broker) ServiceCredentials() (user, password string) { return ServiceUser, b.password }

// Close stops the broker, disconnecting every client and waiting for the
// connection goroutines.
func (b *Broker) Close() error {
	if err := b.srv.Close(); err != nil {
		return fmt.Errorf("broker: close: %w", err)
	}
	return nil
}
