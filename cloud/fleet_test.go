package cloud_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate/cloud"
)

// blackhole is a TCP proxy that can go silent: after Freeze it forwards
// nothing and closes nothing, like a gateway that lost power or a cable
// cut (no FIN, no DISCONNECT reaches the broker).
type blackhole struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *blackhole) accept() {
	defer b.wg.Done()
	for {
		in, err := b.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", b.target)
		if err != nil {
			in.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, in, out)
		b.mu.Unlock()
		b.wg.Add(2)
		go b.pipe(out, in)
		go b.pipe(in, out)
	}
}

func (b *blackhole) pipe(dst, src net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		b.mu.Lock()
		frozen := b.frozen
		b.mu.Unlock()
		if n > 0 && !frozen {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Freeze stops all forwarding; the broker side stays open and silent.
func (b *blackhole) Freeze() {
	b.mu.Lock()
	b.frozen = true
	b.mu.Unlock()
}

func (b *blackhole) Addr() string { return b.ln.Addr().String() }

type apiGateway struct {
	ID      string `json:"id"`
	Online  bool   `json:"online"`
	Boot    uint64 `json:"boot"`
	Version string `json:"version"`
}

func apiGatewayState(t *testing.T, c *cloud.Cloud, id string) apiGateway {
	t.Helper()
	code, body := do(t, http.MethodGet, c.HTTPURL()+"/api/v1/gateways", adminToken, "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/gateways: %d %s", code, body)
	}
	var gws []apiGateway
	if err := json.Unmarshal(body, &gws); err != nil {
		t.Fatalf("GET /api/v1/gateways: %v: %s", err, body)
	}
	for _, g := range gws {
		if g.ID == id {
			return g
		}
	}
	return apiGateway{}
}

func waitAPI(t *testing.T, c *cloud.Cloud, id string, within time.Duration, cond func(apiGateway) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		g := apiGatewayState(t, c, id)
		if cond(g) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("gateway %s = %+v after %v", id, g, time.Since(start))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestKilledGatewayOfflineWithinKeepalive is acceptance 4 of issue 5: a
// gateway with keepalive 2 s whose connection goes silent (no DISCONNECT,
// no FIN: the proxy between it and the embedded broker stops forwarding)
// is shown offline by GET /api/v1/gateways within 1.5 × keepalive = 3 s
// plus a 0.5 s processing margin, through the will the broker publishes;
// then a late will of that old boot, arriving after the birth of the next
// boot, does not mark the new session offline.
func TestKilledGatewayOfflineWithinKeepalive(t *testing.T) {
	c := newCloud(t)
	const keepalive = 2 * time.Second
	proxy := startBlackhole(t, strings.TrimPrefix(c.BrokerURL(), "tcp://"))
	cl, err := connect(t, "tcp://"+proxy.Addr(), "gw-a", "secret-a", "gw-a-fleet", func(o *paho.ClientOptions) {
		o.SetKeepAlive(keepalive).SetPingTimeout(time.Second)
		o.SetWill("eg/v1/gw/gw-a/state", `{"online":false,"boot":7}`, 1, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(t, cl, "eg/v1/gw/gw-a/state", []byte(`{"online":true,"boot":7,"version":"1.0"}`)); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, c, "gw-a", 5*time.Second, func(g apiGateway) bool { return g.Online && g.Boot == 7 })

	proxy.Freeze()
	limit := keepalive*3/2 + 500*time.Millisecond
	took := waitAPI(t, c, "gw-a", limit, func(g apiGateway) bool { return !g.Online && g.Boot == 7 })
	t.Logf("silent gateway shown offline after %v (keepalive %v, limit %v)", took, keepalive, limit)

	// The next boot comes online directly.
	cl2, err := connect(t, c.BrokerURL(), "gw-a", "secret-a", "gw-a-fleet-2", func(o *paho.ClientOptions) {
		o.SetWill("eg/v1/gw/gw-a/state", `{"online":false,"boot":8}`, 1, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(t, cl2, "eg/v1/gw/gw-a/state", []byte(`{"online":true,"boot":8,"version":"1.1"}`)); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, c, "gw-a", 5*time.Second, func(g apiGateway) bool { return g.Online && g.Boot == 8 })
	// A will of boot 7 delivered late (here published by the service
	// account, as a broker would deliver a stale session's will) is ignored.
	user, pw := c.ServiceCredentials()
	svc, err := connect(t, c.BrokerURL(), user, pw, clientID(user), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(t, svc, "eg/v1/gw/gw-a/state", []byte(`{"online":false,"boot":7}`)); err != nil {
		t.Fatal(err)
	}
	// A marker after it from the same publisher on the same topic: once it
	// is applied, the stale will before it has been processed too.
	if err := publish(t, svc, "eg/v1/gw/gw-a/state", []byte(`{"online":true,"boot":8,"version":"1.2"}`)); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, c, "gw-a", 5*time.Second, func(g apiGateway) bool { return g.Version == "1.2" })
	if g := apiGatewayState(t, c, "gw-a"); !g.Online || g.Boot != 8 {
		t.Fatalf("late will of boot 7 changed the gateway: %+v", g)
	}
}
