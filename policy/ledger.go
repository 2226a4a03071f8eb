package policy

import "github.com/eldergate/eldergate"

// The usage rule, written once. What a decided meal adds to an elder's
// usage counters is decided here and nowhere else: the gateway's SQLite
// counters (firmware-gateway/sqlite, usage.go) and the cloud's
// reconciliation (cloud/reports, reconcile.go, through Ledger) both call
// CountsDecision and Counted; a void takes out exactly what Counted put in.

// CountsDecision reports whether a meal with this decision counts in the
// usage counters: only an approved (subsidised) meal does. A full-pay,
// discounted or refused meal does not, whatever its price.
func CountsDecision(decision string) bool { return decision == eldergate.DecisionApproved }

// Counts reports whether the decision counts in the usage counters
// (CountsDecision).
func (d Decision) Counts() bool { return CountsDecision(d.Decision) }

// Counted is what decision d adds to the usage counters: one meal and its
// subsidy in each of keys (its periods). keys is nil when the decision
// does not count.
func Counted(d Decision) (keys []string, add Counter) {
	if !d.Counts() {
		return nil, Counter{}
	}
	return d.Periods.Keys(), Counter{Count: 1, SubsidyFen: d.SubsidyFen}
}

// Ledger is the usage counters of many elders in memory, keyed by elder
// and period key (Periods.Keys), across all sites: what a gateway's
// counters would hold with a perfect network. The zero Ledger is empty
// and ready; it is not safe for concurrent use.
type Ledger struct {
	m map[string]map[string]Counter
}

// Usage returns the elder's counters of the periods ps, as Decide takes
// them.
func (l *Ledger) Usage(elder string, ps Periods) Usage {
	c := l.m[elder]
	return Usage{Window: c[ps.Window], Day: c[ps.Day], Week: c[ps.Week], Month: c[ps.Month]}
}

// Add counts decision d of a meal of elder (Counted) and reports whether
// it counted.
func (l *Ledger) Add(elder string, d Decision) bool {
	keys, add := Counted(d)
	if keys == nil {
		return false
	}
	if l.m == nil {
		l.m = map[string]map[string]Counter{}
	}
	c := l.m[elder]
	if c == nil {
		c = map[string]Counter{}
		l.m[elder] = c
	}
	for _, k := range keys {
		x := c[k]
		x.Count += add.Count
		x.SubsidyFen += add.SubsidyFen
		c[k] = x
	}
	return true
}

// Remove takes out what Add counted for decision d (a voided meal); the
// counters never go below zero, as on the gateway.
func (l *Ledger) Remove(elder string, d Decision) {
	keys, add := Counted(d)
	c := l.m[elder]
	if keys == nil || c == nil {
		return
	}
	for _, k := range keys {
		x := c[k]
		x.Count = max(0, x.Count-add.Count)
		x.SubsidyFen = max(0, x.SubsidyFen-add.SubsidyFen)
		c[k] = x
	}
}
