package cloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/storetest"
)

const adminToken = "test-admin-token"

var seeds = []cloud.GatewaySeed{
	{ID: "gw-a", Site: "site-gw-a", Secret: "secret-a"},
	{ID: "gw-b", Site: "site-gw-b", Secret: "secret-b"},
}

func logger() *slog.Logger {
	if os.Getenv("EG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func startCloud(t *testing.T, dir, httpAddr, brokerAddr string) *cloud.Cloud {
	t.Helper()
	c, err := cloud.New(cloud.Config{
		DataDir: dir, HTTPAddr: httpAddr, BrokerAddr: brokerAddr, AdminToken: adminToken,
		Gateways: seeds, Logger: logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func newCloud(t *testing.T) *cloud.Cloud {
	return startCloud(t, t.TempDir(), "127.0.0.1:0", "127.0.0.1:0")
}

var clientSeq struct {
	sync.Mutex
	n int
}

func clientID(user string) string {
	clientSeq.Lock()
	defer clientSeq.Unlock()
	clientSeq.n++
	return fmt.Sprintf("%s-test-%d", user, clientSeq.n)
}

// connect returns a connected MQTT 3.1.1 client, or the connect error.
func connect(t *testing.T, url, user, password, id string, will func(*paho.ClientOptions)) (paho.Client, error) {
	t.Helper()
	// The first check of a gateway's secret is a full bcrypt, slow under
	// -race on a loaded machine: a CONNACK may take seconds.
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(15 * time.Second).SetCleanSession(true)
	if user != "" {
		opts.SetUsername(user)
	}
	if password != "" {
		opts.SetPassword(password)
	}
	if will != nil {
		will(opts)
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(20 * time.Second) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

func mustConnect(t *testing.T, c *cloud.Cloud, user, password string) paho.Client {
	t.Helper()
	cl, err := connect(t, c.BrokerURL(), user, password, clientID(user), nil)
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	return cl
}

// subscribeAcks subscribes cl to gw's ack topic and returns the acks.
func subscribeAcks(t *testing.T, cl paho.Client, gw string) <-chan eldergate.Ack {
	t.Helper()
	ch := make(chan eldergate.Ack, 16)
	tok := cl.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, func(_ paho.Client, m paho.Message) {
		a, err := eldergate.DecodeAck(m.Payload())
		if err != nil {
			t.Errorf("bad ack %q: %v", m.Payload(), err)
			return
		}
		ch <- a
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe acks: %v", tok.Error())
	}
	if code := tok.(*paho.SubscribeToken).Result()[eldergate.Topic(gw, eldergate.ChannelAck)]; code != 1 {
		t.Fatalf("subscribe acks: granted %#x", code)
	}
	return ch
}

func publish(t *testing.T, cl paho.Client, topic string, payload []byte) error {
	t.Helper()
	tok := cl.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("publish timed out")
	}
	return tok.Error()
}

func batch(t *testing.T, gw string, events ...eldergate.Envelope) []byte {
	t.Helper()
	b, err := json.Marshal(eldergate.Batch{V: eldergate.ProtocolVersion, GW: gw, Boot: 1, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitAck(t *testing.T, ch <-chan eldergate.Ack) eldergate.Ack {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack within 10s")
	}
	return eldergate.Ack{}
}

func sameIDs(a []string, es ...eldergate.Envelope) bool {
	want := make([]string, len(es))
	for i, e := range es {
		want[i] = e.ID
	}
	a = slices.Clone(a)
	slices.Sort(a)
	slices.Sort(want)
	return slices.Equal(a, want)
}

func hasMeal(t *testing.T, c *cloud.Cloud, id string) bool {
	t.Helper()
	ms, err := c.Store().ListMeals(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.EventID == id {
			return true
		}
	}
	return false
}

func TestBrokerSecurity(t *testing.T) {
	c := newCloud(t)
	url := c.BrokerURL()
	now := time.Now().UTC()

	t.Run("NoCredentials", func(t *testing.T) {
		if _, err := connect(t, url, "", "", "anon-1", nil); err == nil {
			t.Fatal("connected without credentials")
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		if _, err := connect(t, url, "gw-a", "secret-b", "gw-a-wrong", nil); err == nil {
			t.Fatal("connected with gw-b's password as gw-a")
		}
		if _, err := connect(t, url, "gw-x", "secret-a", "gw-x-1", nil); err == nil {
			t.Fatal("connected as an unknown gateway")
		}
		if _, err := connect(t, url, "eg:cloud", "guess", "svc-guess", nil); err == nil {
			t.Fatal("connected as the service account with a guessed password")
		}
	})
	t.Run("OwnTopicCommittedAndAcked", func(t *testing.T) {
		a := mustConnect(t, c, "gw-a", "secret-a")
		acks := subscribeAcks(t, a, "gw-a")
		e1 := storetest.Meal(t, "gw-a", 1, "E1", now)
		e2 := storetest.Alert(t, "gw-a", 2, "al-1", eldergate.AlertRaised, "btn-1", now)
		if err := publish(t, a, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", e1, e2)); err != nil {
			t.Fatal(err)
		}
		ack := waitAck(t, acks)
		if !sameIDs(ack.IDs, e1, e2) || len(ack.Rejected) != 0 {
			t.Fatalf("ack = %+v, want ids %s %s", ack, e1.ID, e2.ID)
		}
		if !hasMeal(t, c, e1.ID) {
			t.Fatal("acked meal not in the store")
		}
	})
	t.Run("OtherGatewaysUpNotDelivered", func(t *testing.T) {
		user, pass := c.ServiceCredentials()
		spy := mustConnect(t, c, user, pass)
		seen := make(chan string, 4)
		tok := spy.Subscribe(eldergate.Topic("gw-b", eldergate.ChannelUp), 1, func(_ paho.Client, m paho.Message) {
			seen <- string(m.Payload())
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("spy subscribe: %v", tok.Error())
		}
		a := mustConnect(t, c, "gw-a", "secret-a")
		forged := storetest.Meal(t, "gw-b", 1, "E-forged", now)
		// The broker drops the connection instead of a PUBACK (MQTT 3.1.1).
		a.Publish(eldergate.Topic("gw-b", eldergate.ChannelUp), 1, false, batch(t, "gw-b", forged)).WaitTimeout(time.Second)
		select {
		case p := <-seen:
			t.Fatalf("forged batch delivered: %s", p)
		case <-time.After(time.Second):
		}
		if hasMeal(t, c, forged.ID) {
			t.Fatal("forged meal stored")
		}
		// Nor may gw-a publish on gw-b's state or anywhere else.
		a2 := mustConnect(t, c, "gw-a", "secret-a")
		a2.Publish("eg/v1/gw/gw-b/state", 1, true, `{"online":true,"boot":99}`).WaitTimeout(time.Second)
		gws, _ := c.Store().ListGateways(context.Background(), "")
		for _, g := range gws {
			if g.ID == "gw-b" && g.Boot == 99 {
				t.Fatal("gw-a changed gw-b's state")
			}
		}
	})
	t.Run("SubscribeOtherGatewayRefused", func(t *testing.T) {
		a := mustConnect(t, c, "gw-a", "secret-a")
		for _, f := range []string{"eg/v1/gw/gw-b/ack", "eg/v1/gw/+/ack", "#", "eg/v1/gw/gw-b/cmd", "$share/x/eg/v1/gw/+/up", "eg/v1/gw/gw-a/up"} {
			tok := a.Subscribe(f, 1, func(_ paho.Client, m paho.Message) {
				t.Errorf("gw-a received %s on refused filter %s", m.Payload(), f)
			})
			if !tok.WaitTimeout(5 * time.Second) {
				t.Fatalf("subscribe %s timed out", f)
			}
			if tok.Error() == nil {
				// paho keys shared filters without their $share/group/ prefix.
				res := tok.(*paho.SubscribeToken).Result()
				if len(res) != 1 {
					t.Fatalf("subscribe %s: result %v", f, res)
				}
				for _, code := range res {
					if code != 0x80 {
						t.Errorf("subscribe %s granted %#x, want 0x80", f, code)
					}
				}
			}
		}
		// Something published to gw-b's ack does not reach gw-a.
		user, pass := c.ServiceCredentials()
		svc := mustConnect(t, c, user, pass)
		if err := publish(t, svc, "eg/v1/gw/gw-b/ack", []byte(`{"ids":[]}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	})
	t.Run("WillOnOtherTopicRefused", func(t *testing.T) {
		_, err := connect(t, url, "gw-a", "secret-a", "gw-a-will", func(o *paho.ClientOptions) {
			o.SetWill("eg/v1/gw/gw-b/state", `{"online":false,"boot":1}`, 1, true)
		})
		if err == nil {
			t.Fatal("connected with a will on gw-b's state topic")
		}
		if _, err := connect(t, url, "gw-a", "secret-a", "gw-a-will-ok", func(o *paho.ClientOptions) {
			o.SetWill("eg/v1/gw/gw-a/state", `{"online":false,"boot":1}`, 1, true)
		}); err != nil {
			t.Fatalf("will on own state refused: %v", err)
		}
	})
	t.Run("SessionTakeoverRefused", func(t *testing.T) {
		if _, err := connect(t, url, "gw-b", "secret-b", "shared-id", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := connect(t, url, "gw-a", "secret-a", "shared-id", nil); err == nil {
			t.Fatal("gw-a took over gw-b's session")
		}
		if _, err := connect(t, url, "gw-a", "secret-a", "eg-cloud-ingest-x", nil); err == nil {
			t.Fatal("gw-a used a cloud client id")
		}
	})
}

func TestMalformedPayloads(t *testing.T) {
	c := newCloud(t)
	a := mustConnect(t, c, "gw-a", "secret-a")
	acks := subscribeAcks(t, a, "gw-a")
	up := eldergate.Topic("gw-a", eldergate.ChannelUp)
	now := time.Now().UTC()

	noID := storetest.Meal(t, "gw-a", 1, "E1", now)
	noID.ID = ""
	big := bytes.Repeat([]byte("x"), 10<<20)
	bad := []struct {
		payload []byte
		reason  string
	}{
		{[]byte("not json"), "not a valid JSON"},
		{[]byte(strings.Replace(string(batch(t, "gw-a", storetest.Meal(t, "gw-a", 2, "E2", now))), `"v":1`, `"v":2`, 1)), "version"},
		{[]byte(strings.Replace(string(batch(t, "gw-a", noID)), `"id":"",`, ``, 1)), "id: missing"},
		{big, "exceeds the limit"},
	}
	if !strings.Contains(string(bad[1].payload), `"v":2`) || strings.Contains(string(bad[2].payload), `"id"`) {
		t.Fatalf("test payloads not built as intended: %s / %s", bad[1].payload, bad[2].payload)
	}
	for _, b := range bad {
		if err := publish(t, a, up, b.payload); err != nil {
			t.Fatalf("publish %.20q: %v", b.payload, err)
		}
	}
	good := storetest.Meal(t, "gw-a", 3, "E3", now)
	if err := publish(t, a, up, batch(t, "gw-a", good)); err != nil {
		t.Fatal(err)
	}
	// Messages are processed off paho's callbacks without an order
	// guarantee, and the acks of one gateway's messages handled in one
	// group are merged into one ack: match the five answers by content,
	// in at most five acks.
	want := map[string]bool{}
	for _, b := range bad {
		want[b.reason] = false
	}
	gotGood := false
	answers := 0
	for i := 0; i < 5 && answers < 5; i++ {
		ack := waitAck(t, acks)
		for _, id := range ack.IDs {
			if id != good.ID {
				t.Errorf("unexpected id %s acked", id)
				continue
			}
			gotGood = true
			answers++
		}
		for _, r := range ack.Rejected {
			answers++
			if r.ID != "" {
				t.Errorf("rejection %+v names an id; none of these payloads has one", r)
			}
			matched := false
			for w := range want {
				if strings.Contains(r.Reason, w) {
					want[w], matched = true, true
				}
			}
			if !matched {
				t.Errorf("rejection reason %q matches none of the expected", r.Reason)
			}
		}
	}
	if answers != 5 {
		t.Errorf("%d answers to 5 messages", answers)
	}
	for r, ok := range want {
		if !ok {
			t.Errorf("no rejection saying %q", r)
		}
	}
	if !gotGood {
		t.Error("valid batch after the bad ones not acked")
	}
	if !hasMeal(t, c, good.ID) {
		t.Error("valid batch not committed")
	}
	rs, err := c.Store().ListRejections(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for r := range want {
		found := false
		for _, row := range rs {
			if row.GW == "gw-a" && strings.Contains(row.Reason, r) {
				found = true
				if len(row.PayloadPrefix) > 4096 {
					t.Errorf("dead letter keeps %d bytes of payload", len(row.PayloadPrefix))
				}
			}
		}
		if !found {
			t.Errorf("dead-letter table has no row saying %q: %+v", r, rs)
		}
	}
}

func do(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func TestAPI(t *testing.T) {
	c := newCloud(t)
	base := c.HTTPURL()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	for _, p := range []string{"/api/v1/meals", "/api/v1/alerts", "/api/v1/gateways", "/api/v1/rejections"} {
		for _, tok := range []string{"", "wrong"} {
			code, body := do(t, "GET", base+p, tok, "")
			var e struct{ Error string }
			if code != http.StatusUnauthorized || json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("GET %s with token %q: %d %s, want 401 JSON error", p, tok, code, body)
			}
		}
	}
	if code, _ := do(t, "POST", base+"/api/v1/alerts/x/ack", "", ""); code != http.StatusUnauthorized {
		t.Errorf("ack without token: %d", code)
	}
	if code, _ := do(t, "GET", base+"/healthz", "", ""); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}

	meal := storetest.Meal(t, "gw-a", 1, "E1", now)
	alert := storetest.Alert(t, "gw-a", 2, "al-1", eldergate.AlertRaised, "btn-1", now)
	if _, err := c.Store().IngestBatch(ctx, "gw-a", []eldergate.Envelope{meal, alert}, now); err != nil {
		t.Fatal(err)
	}

	code, body := do(t, "GET", base+"/api/v1/meals", adminToken, "")
	if code != http.StatusOK {
		t.Fatalf("meals: %d %s", code, body)
	}
	var meals []map[string]any
	if err := json.Unmarshal(body, &meals); err != nil || len(meals) != 1 {
		t.Fatalf("meals body %s: %v", body, err)
	}
	for _, k := range []string{"event_id", "gw", "site", "elder_id", "window", "day", "decision", "reason", "price_fen", "subsidy_fen", "pay_fen", "at"} {
		if _, ok := meals[0][k]; !ok {
			t.Errorf("meal has no %q: %s", k, body)
		}
	}
	if meals[0]["event_id"] != meal.ID || meals[0]["price_fen"] != float64(1200) || meals[0]["pay_fen"] != float64(700) {
		t.Errorf("meal = %v", meals[0])
	}
	if strings.Contains(string(body), `"price_fen":12.`) {
		t.Errorf("money not integer fen: %s", body)
	}

	alerts := func() []map[string]any {
		code, body := do(t, "GET", base+"/api/v1/alerts", adminToken, "")
		var as []map[string]any
		if code != http.StatusOK || json.Unmarshal(body, &as) != nil {
			t.Fatalf("alerts: %d %s", code, body)
		}
		return as
	}
	as := alerts()
	if len(as) != 1 || as[0]["id"] != alert.ID || as[0]["state"] != "open" || as[0]["presses"] != float64(1) {
		t.Fatalf("alerts = %v", as)
	}
	for _, k := range []string{"id", "gw", "site", "button", "type", "state", "presses", "opened_at", "last_at", "acked_at", "acked_by",
		"acked_via", "pressed_again_at", "closed_at", "closed_by", "outcome", "note"} {
		if _, ok := as[0][k]; !ok {
			t.Errorf("alert has no %q", k)
		}
	}
	code, body = do(t, "POST", base+"/api/v1/alerts/"+alert.ID+"/ack", adminToken, `{"via":"console"}`)
	if code != http.StatusOK {
		t.Fatalf("ack: %d %s", code, body)
	}
	as = alerts()
	// Who acknowledged is the token (here the configured admin token), not a name in the body.
	if as[0]["state"] != "acknowledged" || as[0]["acked_by"] != "admin" || as[0]["acked_via"] != "console" || as[0]["acked_at"] == nil {
		t.Fatalf("after ack: %v", as[0])
	}
	if code, body = do(t, "POST", base+"/api/v1/alerts/"+alert.ID+"/ack", adminToken, ""); code != http.StatusConflict {
		t.Errorf("second ack: %d %s, want 409", code, body)
	}
	if code, _ = do(t, "POST", base+"/api/v1/alerts/"+storetest.NewID(t)+"/ack", adminToken, ""); code != http.StatusNotFound {
		t.Errorf("ack unknown: %d, want 404", code)
	}
	if code, _ = do(t, "POST", base+"/api/v1/alerts/"+alert.ID+"/resolve", adminToken, `{"by":`); code != http.StatusBadRequest {
		t.Errorf("bad body: %d, want 400", code)
	}
	if code, _ = do(t, "POST", base+"/api/v1/alerts/"+alert.ID+"/resolve", adminToken, `{"note":"`+strings.Repeat("x", 20000)+`"}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d, want 413", code)
	}

	code, body = do(t, "GET", base+"/api/v1/gateways", adminToken, "")
	if code != http.StatusOK || !strings.Contains(string(body), `"id":"gw-a"`) || !strings.Contains(string(body), `"id":"gw-b"`) {
		t.Errorf("gateways: %d %s", code, body)
	}
	if strings.Contains(string(body), "secret") || strings.Contains(string(body), "$2a$") || strings.Contains(string(body), "sha256$") {
		t.Errorf("gateways leak secrets: %s", body)
	}

	code, body = do(t, "GET", base+"/", "", "")
	for _, id := range []string{`data-testid="login-user"`, `data-testid="login-password"`, `data-testid="login-button"`, `src="app.js"`} {
		if code != http.StatusOK || !strings.Contains(string(body), id) {
			t.Errorf("console: %d, missing %s", code, id)
		}
	}
	code, body = do(t, "GET", base+"/app.js", "", "")
	for _, id := range []string{`"meal-row"`, `"alert-row"`, `"ack-button"`, `"zh-HK"`} {
		if code != http.StatusOK || !strings.Contains(string(body), id) {
			t.Errorf("app.js: %d, missing %s", code, id)
		}
	}
}

func TestGatewayState(t *testing.T) {
	c := newCloud(t)
	online := func() (bool, uint64) {
		gws, err := c.Store().ListGateways(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gws {
			if g.ID == "gw-a" {
				return g.Online, g.Boot
			}
		}
		return false, 0
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cl, err := connect(t, c.BrokerURL(), "gw-a", "secret-a", "gw-a-state", func(o *paho.ClientOptions) {
		o.SetWill("eg/v1/gw/gw-a/state", `{"online":false,"boot":3}`, 1, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := cl.Publish("eg/v1/gw/gw-a/state", 1, true, `{"online":true,"boot":3,"version":"0.1"}`)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	waitFor("online", func() bool { on, b := online(); return on && b == 3 })
	// A stale will of an older boot is ignored.
	if err := publish(t, cl, "eg/v1/gw/gw-a/state", []byte(`{"online":false,"boot":2}`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if on, _ := online(); !on {
		t.Fatal("stale will applied")
	}
	// The broker sends the will when the connection drops uncleanly: the
	// service account cannot fake that, so force it by closing the
	// broker-side connection through a session takeover by the same user.
	if _, err := connect(t, c.BrokerURL(), "gw-a", "secret-a", "gw-a-state", nil); err != nil {
		t.Fatal(err)
	}
	waitFor("offline after will", func() bool { on, _ := online(); return !on })
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	c1, err := cloud.New(cloud.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0",
		AdminToken: adminToken, Gateways: seeds, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	httpAddr := strings.TrimPrefix(c1.HTTPURL(), "http://")
	brokerAddr := strings.TrimPrefix(c1.BrokerURL(), "tcp://")
	now := time.Now().UTC()
	first := storetest.Meal(t, "gw-a", 1, "E1", now)
	{
		a, err := connect(t, c1.BrokerURL(), "gw-a", "secret-a", "gw-a-r1", nil)
		if err != nil {
			t.Fatal(err)
		}
		acks := subscribeAcks(t, a, "gw-a")
		if err := publish(t, a, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", first)); err != nil {
			t.Fatal(err)
		}
		if ack := waitAck(t, acks); !sameIDs(ack.IDs, first) {
			t.Fatalf("ack before restart = %+v", ack)
		}
		a.Disconnect(50)
	}
	if err := c1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	c2 := startCloud(t, dir, httpAddr, brokerAddr)
	if c2.HTTPURL() != "http://"+httpAddr || c2.BrokerURL() != "tcp://"+brokerAddr {
		t.Fatalf("restarted on %s %s, want %s %s", c2.HTTPURL(), c2.BrokerURL(), httpAddr, brokerAddr)
	}
	if !hasMeal(t, c2, first.ID) {
		t.Fatal("meal lost across restart")
	}
	a := mustConnect(t, c2, "gw-a", "secret-a")
	acks := subscribeAcks(t, a, "gw-a")
	second := storetest.Meal(t, "gw-a", 2, "E2", now.Add(time.Second))
	// The resent first event is acknowledged again, the new one committed.
	if err := publish(t, a, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", first, second)); err != nil {
		t.Fatal(err)
	}
	if ack := waitAck(t, acks); !sameIDs(ack.IDs, first, second) {
		t.Fatalf("ack after restart = %+v", ack)
	}
	ms, err := c2.Store().ListMeals(context.Background(), "")
	if err != nil || len(ms) != 2 {
		t.Fatalf("meals after restart = %d, %v", len(ms), err)
	}
	if code, body := do(t, "GET", c2.HTTPURL()+"/api/v1/meals", adminToken, ""); code != http.StatusOK || !strings.Contains(string(body), second.ID) {
		t.Fatalf("API after restart: %d %s", code, body)
	}
}

func TestExternalBroker(t *testing.T) {
	// The first cloud's embedded broker plays the external broker (e.g.
	// mosquitto) for a second cloud that logs in with its own credentials.
	a := newCloud(t)
	user, pass := a.ServiceCredentials()

	bad, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerURL: a.BrokerURL(),
		BrokerUser: user, BrokerPassword: "wrong", AdminToken: adminToken, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := bad.Start(ctx); err == nil {
		t.Fatal("started with a wrong broker password")
	}
	if err := bad.Close(); err != nil {
		t.Fatalf("Close after failed Start: %v", err)
	}

	// b has its own store: its gateways are registered there too (an
	// ingester files events under the site their gateway is registered at).
	b, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerURL: a.BrokerURL(),
		BrokerUser: user, BrokerPassword: pass, AdminToken: adminToken, Gateways: seeds, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("Start with external broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	if b.BrokerURL() != a.BrokerURL() {
		t.Fatalf("BrokerURL = %s, want %s", b.BrokerURL(), a.BrokerURL())
	}
	// The two ingesters share the subscription: every batch is committed
	// by one of them and acked once.
	gw := mustConnect(t, a, "gw-a", "secret-a")
	acks := subscribeAcks(t, gw, "gw-a")
	const n = 6
	for i := range n {
		e := storetest.Meal(t, "gw-a", uint64(i+1), fmt.Sprintf("E%d", i), time.Now().UTC())
		if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", e)); err != nil {
			t.Fatal(err)
		}
		if ack := waitAck(t, acks); !sameIDs(ack.IDs, e) {
			t.Fatalf("ack = %+v", ack)
		}
	}
	ma, _ := a.Store().ListMeals(context.Background(), "")
	mb, _ := b.Store().ListMeals(context.Background(), "")
	if len(ma)+len(mb) != n {
		t.Fatalf("meals: %d + %d, want %d in all", len(ma), len(mb), n)
	}
	select {
	case extra := <-acks:
		t.Fatalf("extra ack %+v: a batch was processed twice", extra)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestMalformedStateAndResultCopies: a birth/will and a quick copy of a
// command result that cannot be decoded are kept in the dead letters with
// a reason naming the channel; nothing else happens.
func TestMalformedStateAndResultCopies(t *testing.T) {
	c := newCloud(t)
	a := mustConnect(t, c, "gw-a", "secret-a")
	for _, ch := range []eldergate.Channel{eldergate.ChannelState, eldergate.ChannelCmdRes} {
		if err := publish(t, a, eldergate.Topic("gw-a", ch), []byte("not json")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rs, err := c.Store().ListRejections(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range rs {
			if r.GW == "gw-a" && string(r.PayloadPrefix) == "not json" {
				got[strings.SplitN(r.Reason, ":", 2)[0]] = true
			}
		}
		if got["state"] && got["cmdres"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters %+v: want one state and one cmdres row for gw-a", rs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
