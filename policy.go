package eldergate

import (
	"fmt"
	"time"
)

// Elder is one person on the roster as the decision needs them.
type Elder struct {
	ID       string `json:"id" yaml:"id"`
	Name     string `json:"name" yaml:"name"`
	Card     string `json:"card" yaml:"card"` // canonical credential
	Birth    string `json:"birth,omitempty" yaml:"birth"`
	Category string `json:"category,omitempty" yaml:"category"`
	Active   bool   `json:"active" yaml:"active"`
}

// MealWindow is one meal service of the day with its price and subsidy.
// Start and End are local times "HH:MM"; End is exclusive and may be
// "24:00" for a window that runs to midnight.
type MealWindow struct {
	Name       string `json:"name" yaml:"name"`
	Start      string `json:"start" yaml:"start"`
	End        string `json:"end" yaml:"end"`
	PriceFen   Fen    `json:"price_fen" yaml:"price_fen"`
	SubsidyFen Fen    `json:"subsidy_fen" yaml:"subsidy_fen"`
}

// Policy is the subsidy policy a gateway decides with. This first version
// knows meal windows with a fixed price and a fixed subsidy, one meal per
// elder per window; the full engine replaces it (issue 4).
type Policy struct {
	Version  string       `json:"version" yaml:"version"`
	TimeZone string       `json:"time_zone" yaml:"time_zone"`
	Windows  []MealWindow `json:"windows" yaml:"windows"`
}

// Reason codes of a decision; the kiosk translates them.
const (
	ReasonOK             = "ok"
	ReasonUnknownCard    = "unknown_card"
	ReasonCardInactive   = "card_inactive"
	ReasonOutsideWindow  = "outside_meal_window"
	ReasonAlreadyServed  = "already_served"
	ReasonNoSubsidyLimit = "subsidy_limit_reached"
)

// Decision is the outcome of one tap.
type Decision struct {
	Decision      string `json:"decision"`
	Reason        string `json:"reason"`
	Window        string `json:"window,omitempty"`
	Day           string `json:"day,omitempty"`
	PriceFen      Fen    `json:"price_fen"`
	SubsidyFen    Fen    `json:"subsidy_fen"`
	PayFen        Fen    `json:"pay_fen"`
	PolicyVersion string `json:"policy_version,omitempty"`
}

// Usage is what an elder has already used that the decision depends on.
type Usage struct {
	MealsInWindow int // meals already recorded in this window today
}

func parseClock(s string) (int, error) {
	if s == "24:00" { // end of day, for a window that runs to midnight
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate checks that the policy can be used for decisions.
func (p *Policy) Validate() error {
	if p.Version == "" {
		return fmt.Errorf("eldergate: policy: version is missing")
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "" {
		return fmt.Errorf("eldergate: policy: time_zone %q is not a known IANA zone", p.TimeZone)
	}
	if len(p.Windows) == 0 {
		return fmt.Errorf("eldergate: policy: no meal windows")
	}
	seen := map[string]bool{}
	for i, w := range p.Windows {
		if w.Name == "" {
			return fmt.Errorf("eldergate: policy: windows[%d]: name is missing", i)
		}
		if seen[w.Name] {
			return fmt.Errorf("eldergate: policy: windows[%d]: duplicate name %q", i, w.Name)
		}
		seen[w.Name] = true
		s, err := parseClock(w.Start)
		if err != nil {
			return fmt.Errorf("eldergate: policy: windows[%d].start: %v", i, err)
		}
		e, err := parseClock(w.End)
		if err != nil {
			return fmt.Errorf("eldergate: policy: windows[%d].end: %v", i, err)
		}
		if e <= s {
			return fmt.Errorf("eldergate: policy: windows[%d]: end %s is not after start %s", i, w.End, w.Start)
		}
		if w.PriceFen < 0 || w.SubsidyFen < 0 {
			return fmt.Errorf("eldergate: policy: windows[%d]: negative amount", i)
		}
	}
	return nil
}

// WindowAt returns the meal window that contains at, and the local date of
// that window.
func (p *Policy) WindowAt(at time.Time) (MealWindow, string, bool) {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return MealWindow{}, "", false
	}
	lt := at.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range p.Windows {
		s, err1 := parseClock(w.Start)
		e, err2 := parseClock(w.End)
		if err1 == nil && err2 == nil && m >= s && m < e {
			return w, lt.Format(time.DateOnly), true
		}
	}
	return MealWindow{}, lt.Format(time.DateOnly), false
}

// Decide decides one tap by elder at time at. It is pure: the caller looks
// up the elder and the usage and records the result. The subsidy is never
// above the price.
func Decide(p *Policy, e Elder, at time.Time, u Usage) Decision {
	d := Decision{Decision: DecisionRefused, PolicyVersion: p.Version}
	w, day, ok := p.WindowAt(at)
	d.Day = day
	if !e.Active {
		d.Reason = ReasonCardInactive
		return d
	}
	if !ok {
		d.Reason = ReasonOutsideWindow
		return d
	}
	d.Window = w.Name
	if u.MealsInWindow > 0 {
		d.Reason = ReasonAlreadyServed
		return d
	}
	d.PriceFen = w.PriceFen
	d.SubsidyFen = min(w.SubsidyFen, w.PriceFen)
	d.PayFen = d.PriceFen - d.SubsidyFen
	d.Decision = DecisionApproved
	d.Reason = ReasonOK
	return d
}
