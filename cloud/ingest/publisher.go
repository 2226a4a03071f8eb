package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate/cloud/domain"
)

// Publisher is the cloud's broker connection of a process that does not
// ingest (`serve` with cloud.Config.NoIngest, standalone ingesters taking
// the gateways' messages): it only publishes commands. It takes no message.
type Publisher struct {
	url    string
	client paho.Client
	closed chan struct{}
	once   sync.Once
}

// NewPublisher returns a publisher; Start connects it. clientID may be
// empty (a random one); tlsCfg configures ssl:// (BrokerTLS), nil: paho's
// default.
func NewPublisher(url, user, password, clientID string, tlsCfg *tls.Config) (*Publisher, error) {
	if url == "" {
		return nil, errors.New("ingest: no broker URL")
	}
	if clientID == "" {
		tok, err := domain.RandomToken(6)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		clientID = "eg-cloud-pub-" + tok
	}
	opts := paho.NewClientOptions().
		AddBroker(url).
		SetClientID(clientID).
		SetUsername(user).
		SetPassword(password).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetStore(newCopyStore()). // see store.go
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second)
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	return &Publisher{url: url, client: paho.NewClient(opts), closed: make(chan struct{})}, nil
}

// Start connects to the broker (ctx bounds the start only).
func (p *Publisher) Start(ctx context.Context) error {
	tok := p.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("ingest: publisher: connect %s: %w", p.url, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: publisher: connect %s: %w", p.url, ctx.Err())
	}
}

// Publish publishes payload on topic with QoS 1 and waits for the
// broker's PUBACK (bounded by ctx).
func (p *Publisher) Publish(ctx context.Context, topic string, payload []byte) error {
	return waitPublish(ctx, p.closed, p.client.Publish(topic, 1, false, payload), topic)
}

// Close disconnects.
func (p *Publisher) Close() error {
	p.once.Do(func() {
		close(p.closed)
		p.client.Disconnect(250)
	})
	return nil
}

// waitPublish waits for tok, the publication of a message on topic.
func waitPublish(ctx context.Context, closed <-chan struct{}, tok paho.Token, topic string) error {
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("ingest: publish %s: %w", topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: publish %s: %w", topic, ctx.Err())
	case <-closed:
		return fmt.Errorf("ingest: publish %s: closed", topic)
	}
}
