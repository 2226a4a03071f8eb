package alarm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/alarm"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/notify"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type sentCommands struct {
	mu   sync.Mutex
	cmds []domain.Command
}

func (s *sentCommands) SendCommand(_ context.Context, c domain.Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmds = append(s.cmds, c)
}

func (s *sentCommands) updates(t *testing.T) []eldergate.AlertUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []eldergate.AlertUpdate
	for _, c := range s.cmds {
		u, err := eldergate.DecodeAlertUpdate(c.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// hook is a local webhook receiver: it records the steps it was told.
type hook struct {
	mu    sync.Mutex
	steps []string
	srv   *httptest.Server
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Step  string `json:"step"`
			Level string `json:"level"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		h.mu.Lock()
		h.steps = append(h.steps, body.Step+"@"+body.Level)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.steps...)
}

func channels(id, url string) string {
	return fmt.Sprintf(`[{"id":%q,"kind":"webhook","url":%q,"secret":"s3cret"}]`, id, url)
}

// TestRunnerEscalatesAndPushes: a press at 10:00 (Shanghai) is told to
// the site, reminded, escalated to the community and the street, each
// through its own webhook; the acknowledgement in the console stops the
// escalation; a press after it re-notifies; every change reaches the
// site's gateways as an alert command.
func TestRunnerEscalatesAndPushes(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CreateOrgTree(t, s)
	siteHook, commHook, streetHook := newHook(t), newHook(t), newHook(t)
	for unit, body := range map[string]string{
		"site-gw-b1": `{"remind_after_s":30,"escalate_after_s":60,"channels":` + channels("site", siteHook.srv.URL) + `}`,
		"c-b1":       `{"escalate_after_s":60,"channels":` + channels("comm", commHook.srv.URL) + `}`,
		"st-b":       `{"remind_after_s":0,"channels":` + channels("street", streetHook.srv.URL) + `}`,
	} {
		if err := s.PutAlarmSettings(ctx, unit, []byte(body), "admin", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for _, gw := range []string{"gw-b1", "gw-b1-kiosk2"} {
		if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-gw-b1"}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC) // Monday 10:00 in Shanghai
	clk := &clock{t: t0}
	var deliveries sync.WaitGroup
	var r *alarm.Runner
	d := notify.New(notify.Config{Now: clk.Now, Record: func(dl notify.Delivery) {
		r.RecordDelivery(dl)
		if dl.Final {
			deliveries.Done()
		}
	}})
	defer d.Close()
	sender := &sentCommands{}
	r, err = alarm.New(alarm.Config{Store: s, Sender: sender, Notifier: d, ConsoleURL: "https://console.example/", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	press := storetest.Alert(t, "gw-b1", 1, "al-1", eldergate.AlertRaised, "btn-1", t0)
	if _, err := s.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{press}, t0); err != nil {
		t.Fatal(err)
	}
	run := func(d time.Duration, told int) {
		t.Helper()
		clk.Add(d)
		deliveries.Add(told)
		r.RunOnce(ctx)
		deliveries.Wait()
	}
	run(0, 1)              // raised → site
	run(30*time.Second, 1) // reminder → site
	run(30*time.Second, 1) // 60 s: escalated → community
	run(59*time.Second, 0) // not yet: the community's escalation (and its default reminder) are at 120 s
	run(1*time.Second, 1)  // 120 s: escalated → street (the escalation wins over the reminder due with it)
	if got := siteHook.got(); fmt.Sprint(got) != "[raised@site reminder@site]" {
		t.Fatalf("site told %v", got)
	}
	if got := commHook.got(); fmt.Sprint(got) != "[escalated@community]" {
		t.Fatalf("community told %v", got)
	}
	if got := streetHook.got(); fmt.Sprint(got) != "[escalated@street]" {
		t.Fatalf("street told %v", got)
	}
	// Acknowledged in the console: nothing more is due.
	if err := s.AckAlert(ctx, press.ID, "王*华", domain.ViaConsole, clk.Now()); err != nil {
		t.Fatal(err)
	}
	run(10*time.Minute, 0)
	if n := len(siteHook.got()) + len(commHook.got()) + len(streetHook.got()); n != 4 {
		t.Fatalf("%d notifications after the acknowledgement, want still 4", n)
	}
	// Pressed again: the street (the level last told) hears it at once.
	again := storetest.Alert(t, "gw-b1", 2, "al-2", eldergate.AlertRaised, "btn-1", clk.Now())
	if _, err := s.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{again}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	run(0, 1)
	if got := streetHook.got(); fmt.Sprint(got) != "[escalated@street pressed_again@street]" {
		t.Fatalf("street told %v", got)
	}
	log, err := s.AlertLog(ctx, press.ID)
	if err != nil {
		t.Fatal(err)
	}
	var delivered, escalated int
	for _, l := range log {
		switch l.Kind {
		case domain.AlertLogDelivery:
			if l.Detail != "ok" {
				t.Errorf("delivery %+v", l)
			}
			delivered++
		case domain.AlertLogEscalated:
			escalated++
		}
	}
	if delivered != 5 || escalated != 2 {
		t.Fatalf("timeline has %d deliveries and %d escalations, want 5 and 2", delivered, escalated)
	}
	// Each change went to both gateways of the site: opened, acked, pressed again.
	ups := sender.updates(t)
	if len(ups) != 6 {
		t.Fatalf("%d alert commands, want 6 (3 changes × 2 gateways)", len(ups))
	}
	if last := ups[len(ups)-1]; last.State != "acknowledged" || last.AckedBy != "王*华" || last.PressedAgainAt == nil || last.Presses != 2 {
		t.Fatalf("last update %+v", last)
	}
}

// TestDeadEndpointNeverBlocksTheBoard: a channel whose endpoint never
// answers delays only itself: the board's feed and the kiosk push see the
// new alert at once.
func TestDeadEndpointNeverBlocksTheBoard(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CreateOrgTree(t, s)
	hang := make(chan struct{})
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer dead.Close()
	defer close(hang)
	if err := s.PutAlarmSettings(ctx, "site-gw-b1", []byte(`{"channels":`+channels("dead", dead.URL)+`}`), "admin", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-b1", Site: "site-gw-b1"}); err != nil {
		t.Fatal(err)
	}
	d := notify.New(notify.Config{Timeout: time.Minute})
	defer d.Close()
	sender := &sentCommands{}
	r, err := alarm.New(alarm.Config{Store: s, Sender: sender, Notifier: d, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	feed := alarm.NewFeed(s, time.Hour, nil)
	if err := feed.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	changes, stop := feed.Subscribe()
	defer stop()
	r.Start()
	defer r.Close()

	for i := range 3 {
		start := time.Now()
		press := storetest.Alert(t, "gw-b1", uint64(i+1), fmt.Sprintf("al-%d", i), eldergate.AlertRaised, fmt.Sprintf("btn-%d", i), start)
		if _, err := s.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{press}, start); err != nil {
			t.Fatal(err)
		}
		r.Wake()
		feed.Wake()
		timeout := time.After(time.Second)
	board:
		for {
			select {
			case cs := <-changes:
				for _, c := range cs {
					if c.Alert.ID == press.ID {
						break board
					}
				}
			case <-timeout:
				t.Fatalf("press %d not on the board within 1 s while the endpoint hangs", i)
			}
		}
		deadline := time.Now().Add(time.Second)
		for len(sender.updates(t)) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("press %d not pushed to the kiosk within 1 s while the endpoint hangs", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("press %d: on the board and pushed in %v", i, time.Since(start))
	}
}

// TestRunnerSupervisesSilentGateways: a gateway silent past the window
// raises one supervision alert, told once to the site; it clears itself
// when the gateway is back; a press after a resolution opens a new alert
// that is told as new.
func TestRunnerSupervisesSilentGateways(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CreateOrgTree(t, s)
	siteHook := newHook(t)
	if err := s.PutAlarmSettings(ctx, "site-gw-b1", []byte(`{"channels":`+channels("site", siteHook.srv.URL)+`}`), "admin", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-b1", Site: "site-gw-b1"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	if _, err := s.ApplyGatewayState(ctx, "gw-b1", eldergate.State{Online: true, Boot: 1}, t0); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	var deliveries sync.WaitGroup
	d := notify.New(notify.Config{Now: clk.Now, Record: func(dl notify.Delivery) {
		if dl.Final {
			deliveries.Done()
		}
	}})
	defer d.Close()
	r, err := alarm.New(alarm.Config{Store: s, Notifier: d, SilentAfter: 150 * time.Second, SuperviseEvery: time.Nanosecond, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	run := func(dt time.Duration, told int) {
		t.Helper()
		clk.Add(dt)
		deliveries.Add(told)
		r.RunOnce(ctx)
		deliveries.Wait()
	}
	run(149*time.Second, 0)
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 0 {
		t.Fatalf("supervision raised before the window: %+v", as)
	}
	run(2*time.Second, 1) // silent 151 s: raised and told
	run(time.Hour, 0)     // told once, never reminded, never raised twice
	as, _ := s.ListAlerts(ctx, "")
	if len(as) != 1 || as[0].Type != eldergate.AlertTypeSupervision || as[0].Reason != eldergate.SuperviseGatewaySilent || as[0].State != domain.AlertOpen {
		t.Fatalf("alerts %+v", as)
	}
	if got := siteHook.got(); fmt.Sprint(got) != "[supervision@site]" {
		t.Fatalf("site told %v", got)
	}
	if _, err := s.ApplyGatewayState(ctx, "gw-b1", eldergate.State{Online: true, Boot: 2}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	run(time.Second, 0)
	if as, _ := s.ListAlerts(ctx, ""); as[0].State != domain.AlertResolved || as[0].Outcome != domain.OutcomeRecovered || as[0].ClosedBy != domain.ClosedByCloud {
		t.Fatalf("after the gateway came back: %+v", as[0])
	}

	// A press, resolved; the next press is a new alert, told as new.
	press := storetest.Alert(t, "gw-b1", 1, "al-1", eldergate.AlertRaised, "btn-1", clk.Now())
	if _, err := s.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{press}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	run(0, 1)
	if err := s.ResolveAlert(ctx, press.ID, "王*华", domain.ViaConsole, domain.Resolution{Outcome: domain.OutcomeTest}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	again := storetest.Alert(t, "gw-b1", 2, "al-2", eldergate.AlertRaised, "btn-1", clk.Now().Add(time.Second))
	if _, err := s.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{again}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	run(time.Second, 1)
	if got := siteHook.got(); fmt.Sprint(got) != "[supervision@site raised@site raised@site]" {
		t.Fatalf("site told %v", got)
	}
	if as, _ := s.ListAlerts(ctx, ""); len(as) != 3 || as[0].ID != again.ID || as[0].State != domain.AlertOpen {
		t.Fatalf("a press after the resolution is not a new open alert: %+v", as)
	}
}
