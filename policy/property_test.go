package policy

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// randomPolicy builds a valid random policy: 1-3 windows with fixed or
// by-weight prices, 1-4 rules with random conditions, fixed or percentage
// subsidies, minimum spends (on the price or the discounted price),
// discounts before or after the subsidy, discount-only rules, residence
// conditions, funding layers with every out-of-jurisdiction rule, and
// random limits of every period and action.
func randomPolicy(r *rand.Rand) *Policy {
	p := &Policy{Version: "prop", TimeZone: "Asia/Shanghai", Match: []string{FirstMatch, BestMatch}[r.IntN(2)]}
	if r.IntN(3) == 0 {
		p.NotEligible = ActionRefuse
	}
	starts := []string{"06:00", "11:00", "17:00"}
	ends := []string{"09:00", "14:00", "24:00"}
	for i := range 1 + r.IntN(3) {
		w := Window{Name: fmt.Sprintf("w%d", i), Start: starts[i], End: ends[i]}
		if r.IntN(2) == 0 {
			w.Price.FixedFen = eldergate.Fen(r.IntN(3000))
			if w.Price.FixedFen == 0 {
				w.Price.FixedFen = 1
			}
		} else {
			w.Price.Per100gFen = eldergate.Fen(1 + r.IntN(800))
			if r.IntN(2) == 0 {
				w.Price.MinFen = eldergate.Fen(r.IntN(1000))
				w.Price.MaxFen = w.Price.MinFen + eldergate.Fen(r.IntN(4000))
			}
		}
		p.Windows = append(p.Windows, w)
	}
	scopes := []string{ScopeCity, ScopeDistrict, ScopeStreet, ScopeNone}
	outs := []string{OutsideLose, OutsideHome, OutsideSite, ""}
	for i := range 1 + r.IntN(4) {
		ru := Rule{ID: fmt.Sprintf("r%d", i)}
		if r.IntN(2) == 0 {
			ru.Subsidy.FixedFen = eldergate.Fen(1 + r.IntN(2500))
		} else {
			ru.Subsidy.Percent = 1 + r.IntN(100)
		}
		if r.IntN(3) == 0 {
			ru.Age = &AgeBand{Min: 50 + r.IntN(40)}
			if r.IntN(2) == 0 {
				ru.Age.Max = ru.Age.Min + r.IntN(30)
			}
		}
		if r.IntN(3) == 0 {
			ru.Categories = []string{"低保", "特困", "disability"}[:1+r.IntN(3)]
		}
		ru.Hukou = []string{HukouAny, HukouLocal, HukouNonLocal}[r.IntN(3)]
		if r.IntN(3) == 0 {
			ru.MinSpendFen = eldergate.Fen(r.IntN(1500))
		}
		if r.IntN(3) == 0 {
			ru.Discount = &Discount{Percent: 1 + r.IntN(100), FundedBy: "hall"}
			if r.IntN(2) == 0 {
				ru.Discount.Apply = DiscountBeforeSubsidy
				if ru.MinSpendFen > 0 && r.IntN(2) == 0 {
					ru.MinSpendOn = MinSpendOnDiscounted
				}
			}
		}
		if r.IntN(4) == 0 {
			ru.Residence = &Residence{Scope: scopes[r.IntN(3)]}
			if r.IntN(2) == 0 {
				ru.Residence.Codes = []string{"440307", "440304001", "440300"}[:1+r.IntN(3)]
			}
		}
		if r.IntN(8) == 0 { // a discount-only rule
			ru.Subsidy, ru.MinSpendFen, ru.MinSpendOn, ru.OperatingSubsidy = Subsidy{}, 0, "", nil
			ru.Discount = &Discount{Percent: 1 + r.IntN(100), FundedBy: "hall"}
			p.Rules = append(p.Rules, ru)
			continue
		}
		if r.IntN(3) == 0 {
			ru.OperatingSubsidy = &Operating{Fen: eldergate.Fen(r.IntN(500)), FundedBy: "district"}
		}
		n := 1 + r.IntN(4)
		restAt := r.IntN(n)
		for j := range n {
			l := Layer{Layer: fmt.Sprintf("l%d", j), Scope: scopes[r.IntN(4)], Outside: outs[r.IntN(4)]}
			if j == restAt {
				l.Rest = true
			} else {
				l.Fen = eldergate.Fen(1 + r.IntN(800))
			}
			ru.Funding = append(ru.Funding, l)
		}
		p.Rules = append(p.Rules, ru)
	}
	for range r.IntN(5) {
		l := Limit{Period: []string{PeriodWindow, PeriodDay, PeriodWeek, PeriodMonth}[r.IntN(4)], Action: []string{ActionFullPay, ActionRefuse, ""}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			l.Count = 1 + r.IntN(6)
		} else {
			l.Fen = eldergate.Fen(1 + r.IntN(8000))
		}
		p.Limits = append(p.Limits, l)
	}
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("randomPolicy built an invalid policy: %v", err))
	}
	return p
}

var places = []Place{
	{City: "440300", District: "440307", Street: "440307001"},
	{City: "440300", District: "440307", Street: "440307002"},
	{City: "440300", District: "440304", Street: "440304001"},
	{City: "440100", District: "440118", Street: "440118001"},
	{},
}

func randomElder(r *rand.Rand, id string) Elder {
	e := Elder{ID: id, Birth: fmt.Sprintf("%d-%02d-%02d", 1920+r.IntN(80), 1+r.IntN(12), 1+r.IntN(28)), HukouLocal: r.IntN(2) == 0, Home: places[r.IntN(len(places))],
		Residence: places[r.IntN(len(places))]}
	if r.IntN(5) == 0 {
		e.Birth = ""
	}
	for _, c := range []string{"低保", "特困", "disability"} {
		if r.IntN(3) == 0 {
			e.Categories = append(e.Categories, c)
		}
	}
	return e
}

// TestPropertyMoneyRules: for 2,000 random policies and 20 random meals
// each, the subsidy is never above the price, the funding shares are
// positive and sum to the subsidy, pay = price - subsidy - discount >= 0,
// only approved meals carry a subsidy, only approved and discounted meals a
// discount, and a discount before the subsidy is the same whether or not
// the subsidy is granted.
func TestPropertyMoneyRules(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2025))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	approved, discounted, first := 0, 0, 0
	for i := range 2000 {
		p := randomPolicy(r)
		for j := range 20 {
			in := Input{
				Elder: randomElder(r, "e"), Site: Site{ID: "s", Place: places[r.IntN(len(places))]},
				At: start.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour)))),
			}
			switch r.IntN(3) {
			case 0:
				in.PriceFen = eldergate.Fen(r.IntN(5000))
			case 1:
				in.WeightG = int64(r.IntN(2000))
			}
			d := p.Decide(in)
			checkInvariants(t, fmt.Sprintf("policy %d meal %d", i, j), d)
			switch d.Decision {
			case eldergate.DecisionApproved:
				approved++
			case DecisionDiscounted:
				discounted++
			}
			if d.Rule != "" {
				for k := range p.Rules {
					ru := &p.Rules[k]
					if ru.ID != d.Rule || !ru.discountFirst() || (d.Decision != eldergate.DecisionApproved && d.Decision != DecisionDiscounted) {
						continue
					}
					first++
					if want := halfUp(d.PriceFen, int64(ru.Discount.Percent), 100); d.DiscountFen != want && !(d.DiscountFen == 0 && want == 0) {
						t.Errorf("policy %d meal %d: discount before the subsidy %d, want %d of %d", i, j, d.DiscountFen, want, d.PriceFen)
					}
					if d.SubsidyFen > d.PriceFen-d.DiscountFen {
						t.Errorf("policy %d meal %d: subsidy %d above the discounted price", i, j, d.SubsidyFen)
					}
				}
			}
			if t.Failed() {
				t.Fatalf("policy %+v\ninput %+v\ndecision %+v", p, in, d)
			}
		}
	}
	if approved < 2000 || discounted < 500 || first < 1000 {
		t.Fatalf("%d approved, %d discounted, %d with a discount first of 40,000 meals: the generator does not exercise every path", approved, discounted, first)
	}
}

// TestPropertyLimitsHoldUnderAnyTapSequence: for 400 random policies, an
// elder taps 120 times at random moments over 10 weeks (several taps in
// one window, days without meals, month and ISO-week boundaries), and
// other sites add usage now and then. The counters are fed back from the
// decisions exactly as the gateway does. After every tap no count or fen
// limit is exceeded in any period, and a meal refused or paid in full for
// a limit really had that limit reached.
func TestPropertyLimitsHoldUnderAnyTapSequence(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2025))
	limited, capped, told := 0, 0, 0
	for i := range 400 {
		p := randomPolicy(r)
		if len(p.Limits) == 0 {
			p.Limits = []Limit{{Period: PeriodDay, Count: 1}, {Period: PeriodMonth, Fen: 3000}}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		e := randomElder(r, "e")
		e.Home = places[0]
		site := Site{ID: "s", Place: places[r.IntN(2)]}
		start := time.Date(2025, 1, 20+r.IntN(15), 0, 0, 0, 0, time.UTC)
		times := make([]time.Time, 120)
		for k := range times {
			times[k] = start.Add(time.Duration(r.Int64N(int64(70 * 24 * time.Hour))))
		}
		sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
		used := map[string]Counter{} // period key -> usage across sites
		for k, at := range times {
			ps, _ := p.Periods(at)
			if r.IntN(10) == 0 { // another site reports a meal today
				fen := eldergate.Fen(r.IntN(1500))
				for _, key := range []string{ps.Day, ps.Week, ps.Month} {
					c := used[key]
					c.Count++
					c.SubsidyFen += fen
					used[key] = c
				}
			}
			in := Input{Elder: e, Site: site, At: at,
				Usage: Usage{Window: used[ps.Window], Day: used[ps.Day], Week: used[ps.Week], Month: used[ps.Month]}}
			if r.IntN(2) == 0 {
				in.PriceFen = eldergate.Fen(200 + r.IntN(3000))
			} else {
				in.WeightG = int64(50 + r.IntN(900))
			}
			d := p.Decide(in)
			name := fmt.Sprintf("policy %d tap %d", i, k)
			checkInvariants(t, name, d)
			if d.Limit != "" {
				limited++
				if !limitReached(p, d.Limit, in.Usage) {
					t.Fatalf("%s: %s for limit %s not reached: usage %+v, limits %+v", name, d.Decision, d.Limit, in.Usage, p.Limits)
				}
			}
			if d.Counts() {
				if d.Periods != ps {
					t.Fatalf("%s: periods %+v, Periods gave %+v", name, d.Periods, ps)
				}
				for _, key := range d.Periods.Keys() {
					c := used[key]
					c.Count++
					c.SubsidyFen += d.SubsidyFen
					used[key] = c
				}
			}
			after := Usage{Window: used[ps.Window], Day: used[ps.Day], Week: used[ps.Week], Month: used[ps.Month]}
			checkRemaining(t, name, p, d, after)
			if d.Remaining != nil {
				told++
			}
			if d.Counts() {
				for _, l := range p.Limits {
					u := after.of(l.Period)
					if l.Count > 0 && u.Count > l.Count {
						t.Fatalf("%s: %s count %d exceeded: %+v", name, l.Period, l.Count, u)
					}
					if l.Fen > 0 && u.SubsidyFen > l.Fen {
						t.Fatalf("%s: %s fen %d exceeded: %+v (subsidy %d)", name, l.Period, l.Fen, u, d.SubsidyFen)
					}
					if l.Fen > 0 && u.SubsidyFen == l.Fen {
						capped++
					}
				}
			}
		}
	}
	if limited < 1000 || capped < 50 || told < 1000 {
		t.Fatalf("limits hit %d times, fen limits reached exactly %d times, remaining told %d times: the sequences do not exercise the limits", limited, capped, told)
	}
}

// checkRemaining: what a decision says remains of a week or month agrees
// with the usage after the meal (after): 0 left exactly when that limit is
// reached for the next meal, and the period ends on its last day (a
// Sunday, the month's last day) in the same period as the meal.
func checkRemaining(t *testing.T, name string, p *Policy, d Decision, after Usage) {
	t.Helper()
	for _, r := range d.Remaining {
		if r.Period != PeriodWeek && r.Period != PeriodMonth {
			t.Fatalf("%s: remaining of period %q", name, r.Period)
		}
		if r.Count != nil && (*r.Count < 0 || (*r.Count == 0) != limitReached(p, r.Period+".count", after)) {
			t.Fatalf("%s: %d %s meals left, but usage after is %+v, limits %+v", name, *r.Count, r.Period, after, p.Limits)
		}
		if r.Fen != nil && (*r.Fen < 0 || (*r.Fen == 0) != limitReached(p, r.Period+".fen", after)) {
			t.Fatalf("%s: %d %s fen left, but usage after is %+v, limits %+v", name, *r.Fen, r.Period, after, p.Limits)
		}
		end, err := time.ParseInLocation(time.DateOnly, r.Until, p.c.loc)
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := p.Periods(end.Add(12 * time.Hour))
		next, _ := p.Periods(end.Add(36 * time.Hour))
		weekEnds, monthEnds := ps.Week == d.Periods.Week && next.Week != ps.Week, ps.Month == d.Periods.Month && next.Month != ps.Month
		if (r.Period == PeriodWeek && !weekEnds) || (r.Period == PeriodMonth && !monthEnds) {
			t.Fatalf("%s: %s ends %s, the meal is in %+v", name, r.Period, r.Until, d.Periods)
		}
	}
}

// limitReached reports whether the named limit ("week.count") of p is
// reached with usage u.
func limitReached(p *Policy, name string, u Usage) bool {
	for _, l := range p.Limits {
		c := u.of(l.Period)
		if l.Count > 0 && name == l.Period+".count" && c.Count >= l.Count {
			return true
		}
		if l.Fen > 0 && name == l.Period+".fen" && c.SubsidyFen >= l.Fen {
			return true
		}
	}
	return false
}
