package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/brokerconfig"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/enroll"
)

// TestProductionBroker is acceptance 5 of issue 14: the configuration
// `eldergate-cloud broker-config` writes (brokerconfig.Write, which the
// command calls) starts a real Mosquitto as it is. The cloud connects to
// its cloud listener over TLS as the dynsec admin; a gateway enrolls (the
// cloud creates its dynsec client and role, and hands over the gateway
// listener's URL and the CA), connects over TLS with its own credentials
// and sends a meal that the cloud commits and acks; plain MQTT is refused;
// the gateway may not subscribe to or publish on another gateway's
// topics. Then, with the cloud away, a batch waits in the ingester's
// persistent session across a restart of Mosquitto, and the gateway's
// dynsec account survives it too.
func TestProductionBroker(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	dir := t.TempDir()
	gwAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	cloudAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	gwListen, err := brokerconfig.ParseListen(gwAddr)
	if err != nil {
		t.Fatal(err)
	}
	cloudListen, err := brokerconfig.ParseListen(cloudAddr)
	if err != nil {
		t.Fatal(err)
	}
	opts := brokerconfig.Options{Dir: filepath.Join(dir, "broker"), TLSCert: files.CertFile, TLSKey: files.KeyFile, CA: files.CAFile,
		Gateways: gwListen, Cloud: cloudListen, Plugin: testenv.DynsecPlugin, DataDir: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		opts.RunAs = "root" // mosquitto would drop to its own user, which cannot read the test's temp dir
	}
	res, err := brokerconfig.Write(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	m := testenv.StartMosquittoConf(t, filepath.Join(opts.Dir, brokerconfig.ConfFile), gwAddr, cloudAddr)
	gwURL, cloudURL := "ssl://"+gwAddr, "ssl://"+cloudAddr
	pwData, err := os.ReadFile(res.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	adminPW := strings.TrimSpace(string(pwData))
	tlsCfg := clientTLS(t, res.CAFile)

	if err := mqttConnect("tcp://"+gwAddr, res.AdminUser, adminPW); err == nil {
		t.Fatal("plain MQTT admitted on the gateways' TLS listener")
	}

	cfg := cloudConfig(t, cloudURL)
	cfg.BrokerUser, cfg.BrokerPassword, cfg.BrokerDynsec = res.AdminUser, adminPW, true
	cfg.BrokerCAFile, cfg.GatewayBrokerURL = res.CAFile, gwURL
	cfg.IngestClientID = "eg-cloud-serve-prod-test"
	env := startCloud(t, cfg)
	base := env.c.HTTPURL()

	const id, site = "gw-prod-1", "site-prod-1"
	var created struct {
		EnrollURL string `json:"enroll_url"`
	}
	if st := adminPost(t, base+"/api/v1/gateways", true, map[string]string{"id": id, "site": site}, &created); st != http.StatusCreated {
		t.Fatalf("create gateway: status %d", st)
	}
	gwData := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	creds, credPath, err := enroll.Enroll(ctx, enroll.Request{CloudURL: created.EnrollURL, DataDir: gwData})
	if err != nil {
		t.Fatal(err)
	}
	if creds.BrokerURL != gwURL || creds.Username != id || creds.CAFile == "" {
		t.Fatalf("enrolled credentials = broker %s user %s CA file %q; want %s, %s and the CA", creds.BrokerURL, creds.Username, creds.CAFile, gwURL, id)
	}

	// Over TLS with its own credentials: a meal committed and acked.
	g, _, _ := enrolledGatewaySends(t, env.c, id, site, gwData, credPath)

	// Another gateway's topics: subscribing is refused, publishing is
	// dropped (MQTT 3.1.1 has no refusal for a publish); its own state
	// topic, published the same way, arrives.
	probe := tlsClient(t, gwURL, id, creds.Password, "probe-"+id, tlsCfg)
	for filter, want := range map[string]byte{"eg/v1/gw/" + id + "/cmd": 1, "eg/v1/gw/gw-other/cmd": 0x80, "eg/v1/gw/gw-other/up": 0x80, "eg/v1/#": 0x80} {
		tok := probe.Subscribe(filter, 1, nil)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", filter, tok.Error())
		}
		if got := tok.(*paho.SubscribeToken).Result()[filter]; got != want {
			t.Fatalf("gateway %s subscribing to %s: code %#x, want %#x", id, filter, got, want)
		}
	}
	watcher := tlsClient(t, cloudURL, res.AdminUser, adminPW, "probe-admin", tlsCfg)
	seen := make(chan string, 10)
	if tok := watcher.Subscribe("eg/v1/gw/+/cmdres", 1, func(_ paho.Client, msg paho.Message) { seen <- msg.Topic() }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("admin subscribe: %v", tok.Error())
	}
	for _, topic := range []string{"eg/v1/gw/gw-other/cmdres", eldergate.Topic(id, eldergate.ChannelCmdRes)} {
		if tok := probe.Publish(topic, 1, false, []byte(`{}`)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	select {
	case got := <-seen:
		if got != eldergate.Topic(id, eldergate.ChannelCmdRes) {
			t.Fatalf("gateway %s published on %s", id, got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the gateway's own cmdres did not arrive")
	}
	select {
	case got := <-seen:
		t.Fatalf("a second message arrived, on %s: the other gateway's topic was not refused", got)
	case <-time.After(300 * time.Millisecond):
	}
	watcher.Disconnect(100)

	// Persistence: the cloud goes away; a batch published meanwhile waits
	// in its ingester's session, through a restart of Mosquitto.
	g.Close()
	before, err := env.c.Store().CountEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	env.c.Close()
	e := storetest.Meal(t, id, 1000, "E1", time.Now().UTC())
	e.Site = site
	body, err := json.Marshal(eldergate.Batch{V: eldergate.ProtocolVersion, GW: id, Boot: 99, Events: []eldergate.Envelope{e}})
	if err != nil {
		t.Fatal(err)
	}
	if tok := probe.Publish(eldergate.Topic(id, eldergate.ChannelUp), 1, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish a batch with the cloud away: %v", tok.Error())
	}
	probe.Disconnect(100)
	m.Stop()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if err := mqttConnectTLS(gwURL, id, creds.Password, tlsCfg); err != nil {
		t.Fatalf("the enrolled gateway after the broker's restart: %v (dynsec state not kept?)", err)
	}
	env = startCloud(t, cfg)
	eventually(t, 10*time.Second, "the batch queued across the restart committed", func() bool {
		n, err := env.c.Store().CountEvents(context.Background())
		return err == nil && n == before+1
	})
}

func clientTLS(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA in " + caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func tlsClient(t *testing.T, url, user, password, clientID string, tc *tls.Config) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(clientID).SetUsername(user).SetPassword(password).
		SetTLSConfig(tc).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s as %s: %v", url, user, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

func mqttConnectTLS(url, user, password string, tc *tls.Config) error {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("probe2-" + user).SetUsername(user).SetPassword(password).
		SetTLSConfig(tc).SetAutoReconnect(false).SetConnectTimeout(3 * time.Second))
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		return context.DeadlineExceeded
	}
	if err := tok.Error(); err != nil {
		return err
	}
	c.Disconnect(50)
	return nil
}
