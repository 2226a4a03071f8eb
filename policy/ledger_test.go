package policy

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// TestLedgerCountsOnlyApproved: an approved meal adds one meal and its
// subsidy to each of its periods, a full-pay, discounted or refused meal
// adds nothing, and Remove takes out exactly what Add put in (never below
// zero).
func TestLedgerCountsOnlyApproved(t *testing.T) {
	ps := Periods{Window: "window:2025-03-03/lunch", Day: "day:2025-03-03", Week: "week:2025-W10", Month: "month:2025-03"}
	var l Ledger
	if u := l.Usage("e", ps); u != (Usage{}) {
		t.Fatalf("empty ledger: %+v", u)
	}
	for _, dec := range []string{eldergate.DecisionFullPay, eldergate.DecisionDiscounted, eldergate.DecisionRefused} {
		if l.Add("e", Decision{Decision: dec, Periods: ps, SubsidyFen: 5}) || l.Usage("e", ps) != (Usage{}) {
			t.Fatalf("%s counted", dec)
		}
	}
	ok := Decision{Decision: eldergate.DecisionApproved, Periods: ps, SubsidyFen: 700}
	if !l.Add("e", ok) || !l.Add("e", ok) {
		t.Fatal("approved meal not counted")
	}
	want := Counter{Count: 2, SubsidyFen: 1400}
	if u := l.Usage("e", ps); u != (Usage{Window: want, Day: want, Week: want, Month: want}) {
		t.Fatalf("usage %+v", u)
	}
	if u := l.Usage("other", ps); u != (Usage{}) {
		t.Fatalf("other elder %+v", u)
	}
	next := Periods{Window: "window:2025-03-04/lunch", Day: "day:2025-03-04", Week: "week:2025-W10", Month: "month:2025-03"}
	if u := l.Usage("e", next); u.Window != (Counter{}) || u.Day != (Counter{}) || u.Week != want || u.Month != want {
		t.Fatalf("next day %+v", u)
	}
	l.Remove("e", ok)
	l.Remove("e", ok)
	l.Remove("e", ok) // a third void of two meals: stays at zero
	if u := l.Usage("e", ps); u != (Usage{}) {
		t.Fatalf("after removes %+v", u)
	}
}

// TestPropertyLedgerIsARecount: over random policies and tap sequences
// decided with the ledger's usage, the ledger equals a recount of the
// approved decisions per period key, and no limit is exceeded by the counters.
func TestPropertyLedgerIsARecount(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for range 200 {
		p := randomPolicy(r)
		if len(p.Limits) == 0 {
			p.Limits = []Limit{{Period: PeriodWindow, Count: 1}, {Period: PeriodWeek, Fen: 5000}}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		e := randomElder(r, "e")
		var l Ledger
		var done []Decision
		times := make([]time.Time, 60)
		start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		for k := range times {
			times[k] = start.Add(time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
		}
		sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
		for _, at := range times {
			ps, _ := p.Periods(at)
			d := p.Decide(Input{Elder: e, Site: Site{ID: "s", Place: places[0]}, At: at, PriceFen: eldergate.Fen(100 + r.IntN(2000)), Usage: l.Usage(e.ID, ps)})
			l.Add(e.ID, d)
			done = append(done, d)
			recount := map[string]Counter{}
			for _, x := range done {
				if x.Decision != eldergate.DecisionApproved {
					continue
				}
				for _, k := range x.Periods.Keys() {
					c := recount[k]
					c.Count++
					c.SubsidyFen += x.SubsidyFen
					recount[k] = c
				}
			}
			if got, want := l.Usage(e.ID, ps), (Usage{Window: recount[ps.Window], Day: recount[ps.Day], Week: recount[ps.Week], Month: recount[ps.Month]}); got != want {
				t.Fatalf("ledger %+v, recount %+v", got, want)
			}
			after := l.Usage(e.ID, ps)
			for _, lim := range p.Limits {
				if c := after.of(lim.Period); (lim.Count > 0 && c.Count > lim.Count) || (lim.Fen > 0 && c.SubsidyFen > lim.Fen) {
					t.Fatalf("limit %+v exceeded: %+v", lim, c)
				}
			}
		}
	}
}
