package tapdesk_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// The desk runs here on the real gateway store in a temp dir, with fakes
// for the clock, the kiosk, the metrics and the staff cards: no broker,
// no HTTP server.

// lunch is 12:00 in Shanghai.
var lunch = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

const site = "测试饭堂"

// passClock stamps a time as it is (the clock rules are clockguard's).
type passClock struct{}

func (passClock) Stamp(t time.Time) (time.Time, string) { return t.UTC(), eldergate.ClockSynced }

type published struct {
	event string
	data  any
}

// kiosk records what the desk publishes.
type kiosk struct {
	mu  sync.Mutex
	got []published
}

func (k *kiosk) Publish(event string, data any) {
	k.mu.Lock()
	k.got = append(k.got, published{event, data})
	k.mu.Unlock()
}

func (k *kiosk) taps() []tapdesk.TapEvent {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []tapdesk.TapEvent
	for _, p := range k.got {
		if p.event == tapdesk.EventTap {
			out = append(out, p.data.(tapdesk.TapEvent))
		}
	}
	return out
}

// counts records the desk's metrics.
type counts struct {
	mu      sync.Mutex
	taps    map[string]int // decision/reason
	timings int
}

func (c *counts) Tap(decision, reason string) {
	c.mu.Lock()
	c.taps[decision+"/"+reason]++
	c.mu.Unlock()
}

func (c *counts) TapSeconds(float64) {
	c.mu.Lock()
	c.timings++
	c.mu.Unlock()
}

// staffCards knows one staff card.
type staffCards struct{ card string }

func (s staffCards) StaffCardTap(_ context.Context, cred string) bool { return cred == s.card }

type fixture struct {
	desk    *tapdesk.Desk
	store   *sqlite.Store
	kiosk   *kiosk
	metrics *counts
	notifed int
	disk    *tapdesk.DiskGuard
	now     time.Time
}

func lunchPolicy() policy.Policy {
	return policy.MustFlat("p1", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1500, SubsidyFen: 1000})
}

// newDesk opens a store with a roster of three elders (E3's card lost)
// and a desk on it; free is the free space the disk guard measures.
func newDesk(t *testing.T, p policy.Policy, free uint64, opts ...func(*tapdesk.Config)) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.SetRosterKey(ctx, []byte("0123456789abcdef0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E1", Name: "张三明", Card: "04A1B2C3", Active: true}},
		{Elder: eldergate.Elder{ID: "E2", Name: "李秀英", Card: "04D5E6F7", Active: true}},
		{Elder: eldergate.Elder{ID: "E3", Name: "陈大文", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "0411", State: eldergate.CredLost}}},
	}}
	if err := u.Validate(); err != nil { // folds each Card into the credentials
		t.Fatal(err)
	}
	if _, err := st.ApplyRoster(ctx, u, lunch); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, kiosk: &kiosk{}, metrics: &counts{taps: map[string]int{}}, now: lunch}
	f.disk = tapdesk.NewDiskGuard(tapdesk.DiskConfig{Dir: dir, Reserve: -1, MinFree: 1 << 20,
		Free: func(string) (uint64, error) { return free, nil }}, nil)
	f.disk.Start()
	c := tapdesk.Config{
		Store: st, Clock: passClock{}, Envelopes: envelope.Maker{GW: "gw-t1", Site: site, Boot: st.Boot()},
		Publisher: f.kiosk, Metrics: f.metrics, Disk: f.disk, Staff: staffCards{card: "STAFF01"},
		Notify: func() { f.notifed++ }, Now: func() time.Time { return f.now },
		Site: policy.Site{ID: site}, Policy: p, Dedupe: 3 * time.Second,
	}
	for _, o := range opts {
		o(&c)
	}
	f.desk = tapdesk.New(c)
	return f
}

func (f *fixture) read(t *testing.T, cred string, at time.Time) {
	t.Helper()
	f.desk.Read(t.Context(), card.Read{Credential: cred, Reader: "card", At: at})
}

// outbox returns the envelopes of the outbox in seq order.
func (f *fixture) outbox(t *testing.T) []eldergate.Envelope {
	t.Helper()
	rows, err := f.store.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]eldergate.Envelope, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal(r.Payload, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func mealOf(t *testing.T, env eldergate.Envelope) eldergate.MealData {
	t.Helper()
	if env.Kind != eldergate.KindMeal {
		t.Fatalf("event kind %s, want meal", env.Kind)
	}
	var m eldergate.MealData
	if err := json.Unmarshal(env.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApprovedTapCommitsMealUsageAndOutbox(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	f.read(t, "04A1B2C3", lunch)

	taps := f.kiosk.taps()
	if len(taps) != 1 {
		t.Fatalf("%d taps shown, want 1", len(taps))
	}
	ev := taps[0]
	if ev.Decision != eldergate.DecisionApproved || ev.Reason != eldergate.ReasonOK || ev.Window != "lunch" ||
		ev.PriceFen != 1500 || ev.SubsidyFen != 1000 || ev.PayFen != 500 || ev.EventID == "" {
		t.Fatalf("tap = %+v", ev)
	}
	if ev.Card != eldergate.MaskID("04A1B2C3") || ev.ElderName != eldergate.MaskName("张三明") {
		t.Fatalf("personal data not masked: %+v", ev)
	}
	out := f.outbox(t)
	if len(out) != 1 || out[0].ID != ev.EventID || out[0].GW != "gw-t1" || out[0].Site != site {
		t.Fatalf("outbox = %+v", out)
	}
	if m := mealOf(t, out[0]); m.ElderID != "E1" || m.SubsidyFen != 1000 || m.PolicyVer != "p1" || m.Manual || m.Day != "2025-03-03" {
		t.Fatalf("meal data = %+v", m)
	}
	// The usage counters were committed with the meal.
	p := lunchPolicy()
	ps, _ := p.Periods(lunch)
	u, err := f.store.Usage(t.Context(), "E1", ps, site)
	if err != nil {
		t.Fatal(err)
	}
	if u.Window.Count != 1 || u.Window.SubsidyFen != 1000 {
		t.Fatalf("usage = %+v", u)
	}
	if f.notifed != 1 || f.metrics.taps["approved/ok"] != 1 || f.metrics.timings != 1 {
		t.Fatalf("notified %d, metrics %+v", f.notifed, f.metrics.taps)
	}
}

func TestDuplicateReadIsOneTap(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	f.read(t, "04A1B2C3", lunch)
	f.read(t, "04A1B2C3", lunch.Add(2*time.Second)) // held on the reader
	if n := len(f.kiosk.taps()); n != 1 {
		t.Fatalf("%d taps within the dedupe window, want 1", n)
	}
	// Past the window it is a second tap, refused by the window's limit.
	f.read(t, "04A1B2C3", lunch.Add(6*time.Second))
	taps := f.kiosk.taps()
	if len(taps) != 2 || taps[1].Decision != eldergate.DecisionRefused || taps[1].Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("taps = %+v", taps)
	}
	// A live change of the window applies to the next read.
	f.desk.SetDedupe(time.Minute)
	f.read(t, "04D5E6F7", lunch.Add(10*time.Second))
	f.read(t, "04D5E6F7", lunch.Add(40*time.Second))
	if n := len(f.kiosk.taps()); n != 3 {
		t.Fatalf("%d taps with a 1 min dedupe window, want 3", n)
	}
}

func TestUnknownCardRecordsAudit(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	f.read(t, "DEADBEEF", lunch)
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Decision != eldergate.DecisionRefused || taps[0].Reason != eldergate.ReasonUnknownCard || taps[0].EventID == "" {
		t.Fatalf("taps = %+v", taps)
	}
	out := f.outbox(t)
	if len(out) != 1 || out[0].Kind != eldergate.KindAudit {
		t.Fatalf("outbox = %+v", out)
	}
	var a tapdesk.UnknownCardData
	if err := json.Unmarshal(out[0].Data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Type != "tap_refused" || a.Reason != eldergate.ReasonUnknownCard || a.Credential != eldergate.MaskID("DEADBEEF") || a.Reader != "card" {
		t.Fatalf("audit = %+v", a)
	}
}

func TestLostCardRefused(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	f.read(t, "0411", lunch)
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Reason != eldergate.ReasonCardLost || taps[0].Decision != eldergate.DecisionRefused {
		t.Fatalf("taps = %+v", taps)
	}
	if out := f.outbox(t); len(out) != 1 || out[0].Kind != eldergate.KindAudit {
		t.Fatalf("a lost card must leave an audit event, not a meal: %+v", out)
	}
}

func TestDiskFullRefusesMeal(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 4096) // below MinFree
	if !f.disk.Full() {
		t.Fatal("disk not full")
	}
	f.read(t, "04A1B2C3", lunch)
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Reason != tapdesk.ReasonDiskFull || taps[0].EventID != "" {
		t.Fatalf("taps = %+v", taps)
	}
	if out := f.outbox(t); len(out) != 0 {
		t.Fatalf("outbox = %+v, want nothing written", out)
	}
	if f.metrics.taps["refused/disk_full"] != 1 || f.notifed != 0 {
		t.Fatalf("metrics %+v, notified %d", f.metrics.taps, f.notifed)
	}
}

func TestManualMealIsAnArgument(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	elder := eldergate.Elder{ID: "E2", Name: "李秀英", Active: true}
	rd := card.Read{Credential: "manual:E2", Reader: "staff:S1", At: lunch}
	ev := f.desk.Tap(t.Context(), rd, lunch, &tapdesk.Manual{StaffID: "S1", Elder: elder})
	if ev.Decision != eldergate.DecisionApproved || ev.SubsidyFen != 1000 || ev.EventID == "" {
		t.Fatalf("manual meal = %+v", ev)
	}
	out := f.outbox(t)
	if len(out) != 1 {
		t.Fatalf("outbox = %+v", out)
	}
	if m := mealOf(t, out[0]); !m.Manual || m.Staff != "S1" || m.Credential != "" || m.ElderID != "E2" {
		t.Fatalf("manual meal data = %+v", m)
	}
	// Limits apply to manual meals: the elder's card is then refused.
	f.read(t, "04D5E6F7", lunch.Add(time.Minute))
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("card after a manual meal = %+v", taps)
	}
	// A card read is never marked manual.
	if m := mealOf(t, f.outbox(t)[1]); m.Manual || m.Staff != "" {
		t.Fatalf("card meal data = %+v", m)
	}
}

func TestUsageLimitsAcrossSites(t *testing.T) {
	p := lunchPolicy()
	p.Version = "daily"
	p.Limits = append(p.Limits, policy.Limit{Period: policy.PeriodDay, Count: 1, Action: policy.ActionRefuse})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	f := newDesk(t, p, 1<<30)
	// E1 ate at another hall today; rows of the desk's own site are ignored.
	n, err := f.desk.ApplyRemoteUsage(t.Context(), []sqlite.RemoteUsage{
		{ElderID: "E1", Site: "other-hall", Day: "2025-03-03", Meals: 1, SubsidyFen: 1000},
		{ElderID: "E2", Site: site, Day: "2025-03-03", Meals: 1, SubsidyFen: 1000},
	})
	if err != nil || n != 1 {
		t.Fatalf("remote usage: %d, %v", n, err)
	}
	f.read(t, "04A1B2C3", lunch)
	f.read(t, "04D5E6F7", lunch)
	taps := f.kiosk.taps()
	if len(taps) != 2 || taps[0].Decision != eldergate.DecisionRefused || taps[1].Decision != eldergate.DecisionApproved {
		t.Fatalf("taps = %+v", taps)
	}
	if taps[0].SubsidyFen != 0 {
		t.Fatalf("refused tap with a subsidy: %+v", taps[0])
	}
	// The kiosk is told which limit was reached, to say so.
	if taps[0].Reason != eldergate.ReasonNoSubsidyLimit || taps[0].Limit != "day.count" || taps[1].Limit != "" {
		t.Fatalf("reason %q limit %q, then limit %q", taps[0].Reason, taps[0].Limit, taps[1].Limit)
	}
}

func TestStaffCardIsNotAMeal(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	f.read(t, "STAFF01", lunch)
	if taps := f.kiosk.taps(); len(taps) != 0 {
		t.Fatalf("a staff card made taps: %+v", taps)
	}
	if out := f.outbox(t); len(out) != 0 {
		t.Fatalf("outbox = %+v", out)
	}
}

func TestWeighedMealPricedByStableWeight(t *testing.T) {
	p := lunchPolicy()
	p.Version = "weighed"
	p.Windows[0].Price = policy.Price{Per100gFen: 400, MinFen: 800}
	p.Rules[0].Subsidy = policy.Subsidy{FixedFen: 500}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	f := newDesk(t, p, 1<<30)
	f.desk.Weigh(scale.Weight{Grams: 350, State: scale.Unstable}) // not used for a price
	f.desk.Weigh(scale.Weight{Grams: 450, State: scale.Stable})
	f.read(t, "04A1B2C3", lunch)
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].WeightG != 450 || taps[0].PriceFen != 1800 || taps[0].SubsidyFen != 500 || taps[0].PayFen != 1300 {
		t.Fatalf("taps = %+v", taps)
	}
	if n := len(f.kiosk.got); n != 3 || f.kiosk.got[0].event != tapdesk.EventWeight {
		t.Fatalf("published %d events, want 2 weights and a tap", n)
	}
}

func TestPolicyChangedLive(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	bad := lunchPolicy()
	bad.Match = "whatever"
	if err := f.desk.SetPolicy(bad); err == nil {
		t.Fatal("an invalid policy was accepted")
	}
	q := policy.MustFlat("p2", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1200, SubsidyFen: 1200})
	if err := f.desk.SetPolicy(q); err != nil {
		t.Fatal(err)
	}
	f.read(t, "04A1B2C3", lunch)
	if taps := f.kiosk.taps(); len(taps) != 1 || taps[0].PayFen != 0 || f.desk.Policy().Version != "p2" {
		t.Fatalf("taps = %+v", taps)
	}
}

// TestTapTellsRemainingQuota: the tap event tells the kiosk what remains
// of the week and month limits after the meal, counted from the store
// (this hall's meals and other halls' usage), down to 0.
func TestTapTellsRemainingQuota(t *testing.T) {
	p := lunchPolicy()
	p.Version = "quota"
	p.Limits = append(p.Limits, policy.Limit{Period: policy.PeriodWeek, Count: 3}, policy.Limit{Period: policy.PeriodMonth, Fen: 2500})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	f := newDesk(t, p, 1<<30)
	if _, err := f.desk.ApplyRemoteUsage(t.Context(), []sqlite.RemoteUsage{
		{ElderID: "E1", Site: "other-hall", Day: "2025-03-01", Meals: 1, SubsidyFen: 1000}, // Saturday: last week, this month
	}); err != nil {
		t.Fatal(err)
	}
	for day := range 3 { // Monday to Wednesday
		f.read(t, "04A1B2C3", lunch.AddDate(0, 0, day))
	}
	type left struct{ week, fen int64 }
	var got []left
	var decisions []string
	for _, ev := range f.kiosk.taps() {
		decisions = append(decisions, ev.Decision+"/"+ev.Limit)
		l := left{-1, -1}
		for _, r := range ev.Remaining {
			switch {
			case r.Period == policy.PeriodWeek && r.Until == "2025-03-09" && r.Count != nil && r.Fen == nil:
				l.week = int64(*r.Count)
			case r.Period == policy.PeriodMonth && r.Until == "2025-03-31" && r.Fen != nil && r.Count == nil:
				l.fen = int64(*r.Fen)
			default:
				t.Fatalf("remaining %+v", r)
			}
		}
		got = append(got, l)
	}
	// 1500 meals subsidised 1000: month 2500 - 1000 (other hall) - 1000 = 500;
	// then capped at 500: 0 left; then the month's fen limit is used up.
	want := []left{{2, 500}, {1, 0}, {1, 0}}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] ||
		decisions[0] != "approved/" || decisions[1] != "approved/" || decisions[2] != "full_pay/month.fen" {
		t.Fatalf("decisions %v, remaining %+v, want %+v", decisions, got, want)
	}
	raw, err := json.Marshal(f.kiosk.taps()[0])
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if r, ok := ev["remaining"].([]any); !ok || len(r) != 2 {
		t.Fatalf("tap event JSON %s has no remaining quota", raw)
	}
}
