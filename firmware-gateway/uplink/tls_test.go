package uplink_test

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// connectAs connects a test client (the cloud's side) to a broker.
func connectAs(t *testing.T, url, user, pass, caFile string) mqtt.Client {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(user + "-" + t.Name()).SetUsername(user).SetPassword(pass).
		SetProtocolVersion(4).SetConnectTimeout(5 * time.Second).SetAutoReconnect(false)
	if caFile != "" {
		tc, err := uplink.TLSConfig(caFile, "")
		if err != nil {
			t.Fatal(err)
		}
		o.SetTLSConfig(tc)
	}
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", user, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func subscribe(t *testing.T, c mqtt.Client, topic string) <-chan []byte {
	t.Helper()
	ch := make(chan []byte, 100)
	tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { ch <- m.Payload() })
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", topic, tok.Error())
	}
	return ch
}

// TestTLSWithCAFile: a real Mosquitto with a TLS listener whose
// certificate a CA made by the test signed. The uplink delivers through it
// with mqtt.ca_file, also when tls_server_name names the certificate's DNS
// name; without the CA, or with a name the certificate lacks, it never
// connects.
func TestTLSWithCAFile(t *testing.T) {
	files := testenv.NewTLSFiles(t, "broker.test")
	m := testenv.StartMosquittoTLS(t, map[string]string{gw: "gw-pw", "eldergate-cloud": "cloud-pw"}, testenv.ACLFile(), files)
	if !strings.HasPrefix(m.URL, "ssl://") {
		t.Fatalf("url %s", m.URL)
	}
	cloud := connectAs(t, m.URL, "eldergate-cloud", "cloud-pw", files.CAFile)
	up := subscribe(t, cloud, eldergate.Topic(gw, eldergate.ChannelUp))

	for _, tc := range []struct {
		name, ca, serverName string
		ok                   bool
	}{
		{"ca", files.CAFile, "", true},
		{"server-name", files.CAFile, "broker.test", true},
		{"no-ca", "", "", false},
		{"wrong-name", files.CAFile, "other.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			u := startUplink(t, m.URL, s, uplink.Config{Username: gw, Password: "gw-pw", CAFile: tc.ca, TLSServerName: tc.serverName,
				BatchWait: 10 * time.Millisecond, AckTimeout: time.Second})
			if !tc.ok {
				time.Sleep(2 * time.Second)
				if u.Connected() {
					t.Fatal("connected without trusting the broker's certificate")
				}
				return
			}
			id := commit(t, s, eldergate.KindMeal, 1)
			u.Notify()
			select {
			case p := <-up:
				b, _, err := eldergate.DecodeBatch(p, gw)
				if err != nil || len(b.Events) != 1 || b.Events[0].ID != id {
					t.Fatalf("batch over TLS = %+v, %v", b, err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("nothing arrived over TLS")
			}
			ack, _ := json.Marshal(eldergate.Ack{IDs: []string{id}})
			cloud.Publish(eldergate.Topic(gw, eldergate.ChannelAck), 1, false, ack).Wait()
			eventually(t, 10*time.Second, "delivered over TLS", func() bool { return rowsByID(t, s)[id].Delivered })
		})
	}
	if _, err := uplink.TLSConfig(files.KeyFile, ""); err == nil {
		t.Fatal("a key file accepted as a CA bundle")
	}
}

// proxy forwards TCP connections to addr until cut, which closes every
// connection abruptly: to the broker the client vanished without a
// DISCONNECT, as when the gateway loses power.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newProxy(t *testing.T, addr string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(b, c); b.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, b); c.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestBirthAndWillCarryBoot: the retained birth on the state topic carries
// the boot counter and version; when the connection dies without a
// DISCONNECT the broker publishes the will, offline with the same boot;
// after the reconnect the birth comes again.
func TestBirthAndWillCarryBoot(t *testing.T) {
	url := startBroker(t)
	cloud := connectAs(t, url, "cloud", "", "")
	states := subscribe(t, cloud, eldergate.Topic(gw, eldergate.ChannelState))
	p := newProxy(t, strings.TrimPrefix(url, "tcp://"))
	s := openStore(t)
	u := startUplink(t, "tcp://"+p.l.Addr().String(), s, uplink.Config{KeepAlive: 2 * time.Second})
	nextState := func(want bool) eldergate.State {
		t.Helper()
		select {
		case raw := <-states:
			st, err := eldergate.DecodeState(raw)
			if err != nil || st.Online != want || st.Boot != s.Boot() || st.Boot == 0 {
				t.Fatalf("state = %+v, %v; want online=%v boot=%d", st, err, want, s.Boot())
			}
			return st
		case <-time.After(15 * time.Second):
			t.Fatalf("no state online=%v", want)
			return eldergate.State{}
		}
	}
	if st := nextState(true); st.Version != "test" {
		t.Fatalf("birth version %q", st.Version)
	}
	eventually(t, 5*time.Second, "connected", u.Connected)
	time.Sleep(300 * time.Millisecond) // let OnConnect finish its subscriptions
	p.cut()
	nextState(false) // the will
	nextState(true)  // auto-reconnect, birth again
}

// TestCommandsInResultsOut: a payload on the cmd topic reaches OnCommand
// as published; PublishResult answers on cmdres.
func TestCommandsInResultsOut(t *testing.T) {
	url := startBroker(t)
	cloud := connectAs(t, url, "cloud", "", "")
	results := subscribe(t, cloud, eldergate.Topic(gw, eldergate.ChannelCmdRes))
	s := openStore(t)
	got := make(chan []byte, 1)
	u := startUplink(t, url, s, uplink.Config{OnCommand: func(p []byte) {
		select {
		case got <- p:
		default: // a repeated command while the test is not listening
		}
	}})
	if err := u.PublishResult(eldergate.CommandResult{ID: "x", OK: true}); err != uplink.ErrNotConnected && err != nil {
		t.Fatalf("publish before connecting: %v", err)
	}
	eventually(t, 10*time.Second, "connected", u.Connected)
	// OnConnect subscribes after Connected turns true: publish the command
	// until it arrives rather than guessing how long that takes.
	cmd := `{"id":"c-1","type":"ping","expires":"2030-01-01T00:00:00Z"}`
	deadline := time.After(10 * time.Second)
delivered:
	for {
		cloud.Publish(eldergate.Topic(gw, eldergate.ChannelCmd), 1, false, cmd).Wait()
		select {
		case p := <-got:
			if string(p) != cmd {
				t.Fatalf("OnCommand got %s", p)
			}
			break delivered
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("command not delivered to OnCommand")
		}
	}
	if err := u.PublishResult(eldergate.CommandResult{ID: "c-1", OK: true, Body: json.RawMessage(`{"pong":1}`)}); err != nil {
		t.Fatal(err)
	}
	// The result "x" published before connecting may or may not have gone
	// out; skip it.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-results:
			r, err := eldergate.DecodeCommandResult(p)
			if err == nil && r.ID == "x" {
				continue
			}
			if err != nil || r.ID != "c-1" || !r.OK || string(r.Body) != `{"pong":1}` {
				t.Fatalf("cmdres = %+v, %v", r, err)
			}
			return
		case <-timeout:
			t.Fatal("no cmdres")
		}
	}
}

// TestCommandAnsweringBirthArrives: the cloud publishes pending commands
// the moment it sees a birth; the uplink subscribes before its birth, so
// a command sent in answer to the birth is never lost (clean session).
func TestCommandAnsweringBirthArrives(t *testing.T) {
	url := startBroker(t)
	cloud := connectAs(t, url, "cloud", "", "")
	cmd := `{"id":"c-birth","type":"ping","expires":"2030-01-01T00:00:00Z"}`
	tok := cloud.Subscribe(eldergate.Topic(gw, eldergate.ChannelState), 1, func(c mqtt.Client, m mqtt.Message) {
		if st, err := eldergate.DecodeState(m.Payload()); err == nil && st.Online {
			c.Publish(eldergate.Topic(gw, eldergate.ChannelCmd), 1, false, cmd) // at once, as the cloud does
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	got := make(chan []byte, 4)
	startUplink(t, url, openStore(t), uplink.Config{OnCommand: func(p []byte) { got <- p }})
	select {
	case p := <-got:
		if string(p) != cmd {
			t.Fatalf("OnCommand got %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the command published in answer to the birth never arrived")
	}
}
