package policy

import (
	"fmt"

	"github.com/eldergate/eldergate"
)

// FlatWindow is one window of a flat policy.
type FlatWindow struct {
	Name       string
	Start, End string // local "HH:MM", End exclusive, may be "24:00"
	PriceFen   eldergate.Fen
	SubsidyFen eldergate.Fen
}

// Flat builds the simplest policy, the one of the gateway's first version:
// everyone gets a fixed subsidy in each window at a fixed price, paid by
// one layer "subsidy", one subsidised meal per window; a second meal in
// the same window is refused (already_served). Useful for demos and
// tests. A window with no subsidy serves at full price (not_eligible).
func Flat(version, timeZone string, windows ...FlatWindow) (Policy, error) {
	p := Policy{
		Version: version, TimeZone: timeZone, Match: FirstMatch,
		Funding: []Layer{{Layer: "subsidy", Scope: ScopeNone, Rest: true}},
		Limits:  []Limit{{Period: PeriodWindow, Count: 1, Action: ActionRefuse}},
	}
	for _, w := range windows {
		p.Windows = append(p.Windows, Window{Name: w.Name, Start: w.Start, End: w.End, Price: Price{FixedFen: w.PriceFen}})
		if w.SubsidyFen > 0 {
			p.Rules = append(p.Rules, Rule{ID: w.Name, Windows: []string{w.Name}, Subsidy: Subsidy{FixedFen: w.SubsidyFen}})
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// MustFlat is Flat for tests and constants: it panics on an invalid policy.
func MustFlat(version, timeZone string, windows ...FlatWindow) Policy {
	p, err := Flat(version, timeZone, windows...)
	if err != nil {
		panic(fmt.Sprintf("policy: MustFlat: %v", err))
	}
	return p
}
