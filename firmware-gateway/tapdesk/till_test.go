package tapdesk_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// The Shenzhen 2025 policy prices every window at the till. E4 is a
// 75-year-old local 低保 elder: priority-60 grants 15 yuan (best_match,
// not 15 + 5), never above the actual price.
const (
	szCard  = "04SZ0075"
	szElder = "E4"
)

func shenzhen(t *testing.T) policy.Policy {
	t.Helper()
	b, err := os.ReadFile("../../docs/policies/shenzhen-2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

// newTillDesk is a desk on the Shenzhen policy with the roster of newDesk
// plus E4, and a till timeout of 60 s.
func newTillDesk(t *testing.T) *fixture {
	t.Helper()
	f := newDesk(t, shenzhen(t), 1<<30, func(c *tapdesk.Config) {
		c.Till = tapdesk.TillConfig{Timeout: time.Minute, MaxFen: 20000}
	})
	u := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 1, Version: 2, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: szElder, Name: "王福寿", Card: szCard, Birth: "1950-01-15", Active: true,
			Categories: []string{"低保"}, HukouLocal: true}},
	}}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyRoster(t.Context(), u, lunch); err != nil {
		t.Fatal(err)
	}
	return f
}

func tillAmount(fen eldergate.Fen) tapdesk.Amount {
	return tapdesk.Amount{Fen: fen, Source: eldergate.PriceSourceTill, Till: "till-1", Ref: "S-0042"}
}

func (f *fixture) tillEvents() []tapdesk.TillEvent {
	f.kiosk.mu.Lock()
	defer f.kiosk.mu.Unlock()
	var out []tapdesk.TillEvent
	for _, p := range f.kiosk.got {
		if p.event == tapdesk.EventTill {
			out = append(out, p.data.(tapdesk.TillEvent))
		}
	}
	return out
}

func TestTillAmountThenTap(t *testing.T) {
	f := newTillDesk(t)
	res, err := f.desk.Amount(t.Context(), tapdesk.Amount{Fen: 2000, Source: eldergate.PriceSourceCashier, Cashier: "S1"})
	if err != nil || res.State != tapdesk.TillPending || !res.Expires.Equal(lunch.Add(time.Minute)) {
		t.Fatalf("amount: %+v, %v", res, err)
	}
	if st := f.desk.Till(); st.AmountFen != 2000 || st.Source != eldergate.PriceSourceCashier {
		t.Fatalf("till state %+v", st)
	}
	if ev := f.tillEvents(); len(ev) != 1 || ev[0].State != tapdesk.TillPending || ev[0].AmountFen != 2000 {
		t.Fatalf("till events %+v", ev)
	}
	f.read(t, szCard, lunch.Add(10*time.Second))
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Decision != eldergate.DecisionApproved || taps[0].PriceFen != 2000 || taps[0].SubsidyFen != 1500 || taps[0].PayFen != 500 {
		t.Fatalf("taps = %+v", taps)
	}
	out := f.outbox(t)
	if len(out) != 1 {
		t.Fatalf("outbox = %+v", out)
	}
	m := mealOf(t, out[0])
	if m.PriceSource != eldergate.PriceSourceCashier || m.Cashier != "S1" || m.Till != "" || m.Rule != "priority-60" ||
		len(m.Funding) != 1 || m.Funding[0].Layer != "city" || m.Funding[0].Fen != 1500 {
		t.Fatalf("meal data = %+v", m)
	}
	if st := f.desk.Till(); st != (tapdesk.TillState{}) {
		t.Fatalf("the amount was not used up: %+v", st)
	}
}

func TestTillTapThenAmount(t *testing.T) {
	f := newTillDesk(t)
	f.read(t, szCard, lunch)
	if taps := f.kiosk.taps(); len(taps) != 0 {
		t.Fatalf("a waiting tap was shown as a decision: %+v", taps)
	}
	if ev := f.tillEvents(); len(ev) != 1 || ev[0].State != tapdesk.TillWaiting || ev[0].Reason != tapdesk.ReasonAwaitingAmount ||
		ev[0].Window != "lunch" || ev[0].ElderName != eldergate.MaskName("王福寿") || ev[0].Card != eldergate.MaskID(szCard) ||
		!ev[0].Expires.Equal(lunch.Add(time.Minute)) {
		t.Fatalf("tap without an amount: %+v", ev)
	}
	if out := f.outbox(t); len(out) != 0 {
		t.Fatalf("a waiting tap was recorded: %+v", out)
	}
	if st := f.desk.Till(); st.Waiting != eldergate.MaskID(szCard) {
		t.Fatalf("till state %+v", st)
	}
	// A 12-yuan meal: the subsidy is capped at the actual price.
	f.now = lunch.Add(30 * time.Second)
	res, err := f.desk.Amount(t.Context(), tillAmount(1200))
	if err != nil || res.State != tapdesk.TillDecided || res.Tap == nil {
		t.Fatalf("amount: %+v, %v", res, err)
	}
	if ev := res.Tap; ev.Decision != eldergate.DecisionApproved || ev.PriceFen != 1200 || ev.SubsidyFen != 1200 || ev.PayFen != 0 || ev.EventID == "" || !ev.At.Equal(lunch) {
		t.Fatalf("decided tap %+v", ev)
	}
	if taps := f.kiosk.taps(); len(taps) != 1 || taps[0].EventID != res.Tap.EventID {
		t.Fatalf("the kiosk was not shown the decision: %+v", taps)
	}
	out := f.outbox(t)
	if len(out) != 1 || out[0].ID != res.Tap.EventID {
		t.Fatalf("outbox = %+v", out)
	}
	if m := mealOf(t, out[0]); m.PriceSource != eldergate.PriceSourceTill || m.Till != "till-1" || m.TillRef != "S-0042" || m.PriceFen != 1200 || m.SubsidyFen != 1200 {
		t.Fatalf("meal data = %+v", m)
	}
	if f.metrics.taps["waiting/awaiting_amount"] != 1 || f.metrics.taps["approved/ok"] != 1 {
		t.Fatalf("metrics %+v", f.metrics.taps)
	}
}

func TestTillTimeout(t *testing.T) {
	f := newTillDesk(t)
	// An amount older than the timeout is not used: the tap waits.
	if _, err := f.desk.Amount(t.Context(), tillAmount(2000)); err != nil {
		t.Fatal(err)
	}
	f.now = lunch.Add(61 * time.Second)
	f.read(t, szCard, f.now)
	if st := f.desk.Till(); st.Waiting != eldergate.MaskID(szCard) || st.AmountFen != 0 || len(f.kiosk.taps()) != 0 {
		t.Fatalf("tap after the amount expired: %+v, taps %+v", st, f.kiosk.taps())
	}
	// A waiting tap older than the timeout is not decided: the amount waits.
	f.now = lunch.Add(3 * time.Minute)
	res, err := f.desk.Amount(t.Context(), tillAmount(1800))
	if err != nil || res.State != tapdesk.TillPending || res.Tap != nil {
		t.Fatalf("amount after the tap expired: %+v, %v", res, err)
	}
	if out := f.outbox(t); len(out) != 0 {
		t.Fatalf("outbox = %+v", out)
	}
	ev := f.tillEvents()
	var expired int
	for _, e := range ev {
		if e.State == tapdesk.TillExpired {
			expired++
		}
	}
	if expired != 2 {
		t.Fatalf("till events %+v, want the expired amount and the expired tap", ev)
	}
	// Within the timeout the pair is made; exactly at the limit too.
	f.read(t, "04A1B2C3", lunch.Add(4*time.Minute))
	if taps := f.kiosk.taps(); len(taps) != 1 || taps[0].Decision != eldergate.DecisionFullPay || taps[0].PriceFen != 1800 || taps[0].Reason != policy.ReasonNotEligible {
		t.Fatalf("tap at the timeout: %+v", taps)
	}
}

func TestTillOneAmountOneTap(t *testing.T) {
	f := newTillDesk(t)
	if _, err := f.desk.Amount(t.Context(), tillAmount(2000)); err != nil {
		t.Fatal(err)
	}
	// A second amount while one waits is refused, with the first named.
	_, err := f.desk.Amount(t.Context(), tillAmount(2500))
	if !errors.Is(err, tapdesk.ErrAmountWaiting) || !strings.Contains(err.Error(), "20.00 yuan") {
		t.Fatalf("second amount: %v", err)
	}
	f.read(t, szCard, lunch.Add(time.Second))
	f.read(t, "04A1B2C3", lunch.Add(2*time.Second))
	taps := f.kiosk.taps()
	if len(taps) != 1 || taps[0].Decision != eldergate.DecisionApproved || taps[0].PriceFen != 2000 {
		t.Fatalf("two taps for one amount: %+v", taps)
	}
	if ev := f.tillEvents(); ev[len(ev)-1].State != tapdesk.TillWaiting || ev[len(ev)-1].Card != eldergate.MaskID("04A1B2C3") {
		t.Fatalf("the second tap does not wait for an amount: %+v", ev)
	}
	if out := f.outbox(t); len(out) != 1 {
		t.Fatalf("outbox = %+v", out)
	}
	// A newer tap replaces the waiting one: the amount goes to E2.
	f.read(t, "04D5E6F7", lunch.Add(3*time.Second))
	res, err := f.desk.Amount(t.Context(), tillAmount(1500))
	if err != nil || res.Tap == nil || mealOf(t, f.outbox(t)[1]).ElderID != "E2" {
		t.Fatalf("amount for the last tap: %+v, %v", res, err)
	}
	// Canceling: nothing waits afterwards.
	if f.desk.CancelAmount() {
		t.Fatal("canceled an amount that was not there")
	}
	if _, err := f.desk.Amount(t.Context(), tillAmount(900)); err != nil {
		t.Fatal(err)
	}
	if !f.desk.CancelAmount() || f.desk.Till() != (tapdesk.TillState{}) {
		t.Fatal("cancel")
	}
}

func TestTillBadAmounts(t *testing.T) {
	f := newTillDesk(t)
	for name, tc := range map[string]struct {
		a    tapdesk.Amount
		want string
	}{
		"zero":             {tillAmount(0), "must be more than zero"},
		"negative":         {tillAmount(-1250), "must be more than zero"},
		"absurd":           {tillAmount(20001), "above the most a meal may cost here (20000 fen, 200.00 yuan)"},
		"no source":        {tapdesk.Amount{Fen: 100}, "unknown price source"},
		"no till":          {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceTill}, "till is missing"},
		"no cashier":       {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceCashier}, "cashier is missing"},
		"long ref":         {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceTill, Till: "t", Ref: strings.Repeat("r", 129)}, "ref is longer than 128 bytes"},
		"control in ref":   {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceTill, Till: "t", Ref: "a\nb"}, "control character"},
		"bad utf-8 till":   {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceTill, Till: "\xff"}, "not valid UTF-8"},
		"menu, no dish":    {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceMenu, Cashier: "S1"}, "no dish picked"},
		"menu, sum":        {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceMenu, Cashier: "S1", Items: []eldergate.MenuLine{{Dish: "rice", Qty: 2, PriceFen: 100}}}, "the dishes add up to 200 fen, not the amount 100"},
		"menu, qty":        {tapdesk.Amount{Fen: 2100, Source: eldergate.PriceSourceMenu, Cashier: "S1", Items: []eldergate.MenuLine{{Dish: "rice", Qty: 21, PriceFen: 100}}}, "is not a quantity from 1 to 20"},
		"dishes of a till": {tapdesk.Amount{Fen: 100, Source: eldergate.PriceSourceTill, Till: "t", Items: []eldergate.MenuLine{{Dish: "rice", Qty: 1, PriceFen: 100}}}, "dishes are given only with price source menu"},
	} {
		_, err := f.desk.Amount(t.Context(), tc.a)
		if !errors.Is(err, tapdesk.ErrBadAmount) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if st := f.desk.Till(); st != (tapdesk.TillState{}) {
		t.Fatalf("a bad amount waits: %+v", st)
	}
	if _, err := f.desk.Amount(t.Context(), tillAmount(20000)); err != nil {
		t.Fatalf("the maximum: %v", err)
	}
}

// A window with its own price (fixed or weighed) does not take the till
// amount: the amount keeps waiting.
func TestTillAmountNotUsedByPricedWindow(t *testing.T) {
	f := newDesk(t, lunchPolicy(), 1<<30)
	if _, err := f.desk.Amount(t.Context(), tillAmount(2000)); err != nil {
		t.Fatal(err)
	}
	f.read(t, "04A1B2C3", lunch)
	if taps := f.kiosk.taps(); len(taps) != 1 || taps[0].PriceFen != 1500 || taps[0].Decision != eldergate.DecisionApproved {
		t.Fatalf("taps = %+v", taps)
	}
	if m := mealOf(t, f.outbox(t)[0]); m.PriceSource != "" {
		t.Fatalf("meal data = %+v", m)
	}
	if st := f.desk.Till(); st.AmountFen != 2000 {
		t.Fatalf("till state %+v", st)
	}
}

// A meal entered by staff on a till-priced window needs the amount first.
func TestTillManualMeal(t *testing.T) {
	f := newTillDesk(t)
	elder := eldergate.Elder{ID: "E2", Name: "李秀英", Active: true}
	rd := card.Read{Credential: "manual:E2", Reader: "staff:S1", At: lunch}
	ev := f.desk.Tap(t.Context(), rd, lunch, &tapdesk.Manual{StaffID: "S1", Elder: elder})
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != tapdesk.ReasonAwaitingAmount || ev.EventID != "" {
		t.Fatalf("manual meal without an amount: %+v", ev)
	}
	if _, err := f.desk.Amount(t.Context(), tapdesk.Amount{Fen: 1600, Source: eldergate.PriceSourceCashier, Cashier: "S1"}); err != nil {
		t.Fatal(err)
	}
	ev = f.desk.Tap(t.Context(), rd, lunch, &tapdesk.Manual{StaffID: "S1", Elder: elder})
	if ev.EventID == "" || ev.PriceFen != 1600 {
		t.Fatalf("manual meal: %+v", ev)
	}
	if m := mealOf(t, f.outbox(t)[0]); !m.Manual || m.Staff != "S1" || m.Cashier != "S1" || m.PriceSource != eldergate.PriceSourceCashier {
		t.Fatalf("meal data = %+v", m)
	}
}
