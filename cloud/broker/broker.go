// Package broker is the cloud's embedded MQTT broker (mochi-mqtt) with the
// eldergate authentication and ACL hooks.
package broker

import (
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
}

// Broker is a running embedded broker.
type Broker struct {
	srv      *mqtt.Server
	tcp      *listeners.TCP
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
	srv := mqtt.New(&mqtt.Options{
		Capabilities:           caps,
		Logger:                 log.With("lib", "mochi"),
		SysTopicResendInterval: 3600,
	})
	if err := srv.AddHook(&AuthHook{Gateways: cfg.Gateways, ServicePassword: password, Clients: srv.Clients, Log: log}, nil); err != nil {
		return nil, fmt.Errorf("broker: auth hook: %w", err)
	}
	if err := srv.AddHook(&ACLHook{}, nil); err != nil {
		return nil, fmt.Errorf("broker: acl hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: cfg.Addr})
	if err := srv.AddListener(tcp); err != nil { // AddListener calls Init, which binds
		return nil, fmt.Errorf("broker: listen %s: %w", cfg.Addr, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	b := &Broker{srv: srv, tcp: tcp, password: password, log: log}
	log.Info("broker: listening", "addr", b.Addr())
	return b, nil
}

// Addr is the actual listen address.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL is the broker URL for clients, e.g. "tcp://127.0.0.1:1883".
func (b *Broker) URL() string {
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		return "tcp://" + b.Addr()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return "tcp://" + net.JoinHostPort(host, port)
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
