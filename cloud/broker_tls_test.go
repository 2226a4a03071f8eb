package cloud_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestBrokerTLS: with a certificate and key the embedded broker's listener
// speaks TLS only: a gateway trusting the test CA connects over ssl:// and
// its batch is committed and acknowledged (so the ingester, on the
// internal loopback listener, works); a client without the CA and a plain
// MQTT client are refused.
func TestBrokerTLS(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	c, err := cloud.New(cloud.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(), BrokerTLSCert: files.CertFile, BrokerTLSKey: files.KeyFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	url := c.BrokerURL()
	if !strings.HasPrefix(url, "ssl://127.0.0.1:") {
		t.Fatalf("BrokerURL = %q, want ssl://127.0.0.1:port", url)
	}
	caPEM, err := os.ReadFile(files.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("bad CA PEM")
	}
	withTLS := func(roots *x509.CertPool) func(*paho.ClientOptions) {
		return func(o *paho.ClientOptions) {
			o.SetTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
		}
	}

	cl, err := connect(t, url, "gw-a", "secret-a", clientID("gw-a"), withTLS(pool))
	if err != nil {
		t.Fatalf("connect with the CA: %v", err)
	}
	acks := subscribeAcks(t, cl, "gw-a")
	e := storetest.Meal(t, "gw-a", 1, "E1", time.Now().UTC())
	if err := publish(t, cl, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", e)); err != nil {
		t.Fatal(err)
	}
	if a := waitAck(t, acks); !sameIDs(a.IDs, e) {
		t.Fatalf("ack over TLS = %+v", a)
	}
	if n, err := c.Store().CountEvents(ctx); err != nil || n != 1 {
		t.Fatalf("CountEvents = %d, %v; want 1", n, err)
	}

	// Without the CA (an empty pool): the handshake fails.
	if _, err := connect(t, url, "gw-a", "secret-a", clientID("gw-a"), withTLS(x509.NewCertPool())); err == nil {
		t.Fatal("connected over TLS without trusting the CA")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("connect without the CA: %v, want a certificate error", err)
	}
	// Plain MQTT to the TLS port: refused.
	if _, err := connect(t, "tcp://"+strings.TrimPrefix(url, "ssl://"), "gw-a", "secret-a", clientID("gw-a"), nil); err == nil {
		t.Fatal("plain MQTT accepted on the TLS listener")
	}
}

// TestBrokerTLSConfigErrors: half a TLS configuration, or TLS with an
// external broker, is refused by New; an unreadable key fails Start.
func TestBrokerTLSConfigErrors(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	base := cloud.Config{DataDir: t.TempDir(), AdminToken: adminToken, HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0"}
	half := base
	half.BrokerTLSCert = files.CertFile
	if _, err := cloud.New(half); err == nil {
		t.Fatal("New accepted a certificate without a key")
	}
	ext := base
	ext.BrokerTLSCert, ext.BrokerTLSKey, ext.BrokerURL = files.CertFile, files.KeyFile, "tcp://127.0.0.1:1"
	if _, err := cloud.New(ext); err == nil {
		t.Fatal("New accepted broker TLS with an external broker")
	}
	// An external broker's CA (ADR 0033): with a plain URL, unreadable, not
	// PEM; a gateway URL without an external broker.
	for _, c := range []struct {
		url, ca, gwURL, words string
	}{
		{"tcp://127.0.0.1:1", files.CAFile, "", "use ssl://"},
		{"ssl://127.0.0.1:1", "/nonexistent/ca.pem", "", "broker CA file"},
		{"ssl://127.0.0.1:1", files.KeyFile, "", "no PEM certificate"},
		{"", "", "ssl://127.0.0.1:8883", "needs an external broker URL"},
	} {
		cfg := base
		cfg.BrokerURL, cfg.BrokerCAFile, cfg.GatewayBrokerURL = c.url, c.ca, c.gwURL
		if _, err := cloud.New(cfg); err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("New with broker %q, CA %q, gateway URL %q: %v; want an error saying %q", c.url, c.ca, c.gwURL, err, c.words)
		}
	}
	bad := base
	bad.BrokerTLSCert, bad.BrokerTLSKey = files.CertFile, files.CAFile // not a key
	c, err := cloud.New(bad)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err == nil || !strings.Contains(err.Error(), "TLS certificate") {
		c.Close()
		t.Fatalf("Start with a bad key: %v", err)
	}
	c.Close()
}
