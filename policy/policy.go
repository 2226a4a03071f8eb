// Package policy is the subsidy policy engine shared by the gateway (offline
// decisions at the counter) and the cloud (settlement, reconciliation).
//
// A Policy is data, versioned and pushed to gateways: meal windows in a
// local time zone with a fixed or by-weight price, ordered eligibility rules
// (age band from the birth date, categories, hukou, residence) chosen by
// first or best match, a fixed or percentage subsidy never above the actual
// price, an optional minimum spend (on the price or on the discounted
// price), a discount before or after the subsidy or a discount alone
// (rules without a subsidy), funding layers
// (city, district, street/town, charity) with their own rule for meals
// eaten outside their jurisdiction, limits per window, day, ISO week and
// month (count and fen), an operating subsidy paid to the hall per
// subsidised meal, and what to do when usage has not been synced for too
// long. See docs/policies/README.md for the model with worked city
// policies.
//
// The package is pure: no I/O, no clock. The caller passes the time, the
// price or weight and the usage counters, and records the Decision.
//
// Money is integer fen. Every percentage (percentage subsidies, discounts)
// and every by-weight price is computed on integers and rounded half up to
// the fen: 12.5 fen becomes 13 fen, 12.4 fen 12 fen. A discount before the
// subsidy is computed on the price; a percentage subsidy after it on the
// discounted price, and the subsidy is capped at the discounted price, so
// that price = subsidy + discount + pay with every term >= 0 (ADR 0015).
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
)

// Bounds that keep all arithmetic far from overflow and reject nonsense.
const (
	MaxPolicyBytes = 1 << 20
	MaxFen         = eldergate.Fen(10_000_000) // 100,000 yuan: no meal, share or limit is above
	MaxWeightG     = 100_000                   // 100 kg
	maxItems       = 256                       // windows, rules, layers, limits, categories
)

// Rule selection modes.
const (
	FirstMatch = "first_match" // the first rule, in order, whose conditions hold
	BestMatch  = "best_match"  // the matching rule granting the largest subsidy; ties go to the earlier rule
)

// Actions when a limit is reached, the elder is not eligible or usage is stale.
const (
	ActionFullPay = "full_pay" // the meal is recorded, the elder pays the full price
	ActionRefuse  = "refuse"   // no meal
	ActionAllow   = "allow"    // stale usage only: decide with the counters at hand
)

// Periods of limits and usage counters.
const (
	PeriodWindow = "window" // one meal window of one local day
	PeriodDay    = "day"    // local calendar day
	PeriodWeek   = "week"   // ISO 8601 week (Monday to Sunday), local time
	PeriodMonth  = "month"  // local calendar month
)

// Jurisdiction scopes of funding layers.
const (
	ScopeCity     = "city"
	ScopeDistrict = "district"
	ScopeStreet   = "street" // street (街道) or town (镇)
	ScopeNone     = "none"   // no jurisdiction (charity, enterprise): pays wherever the meal is eaten
)

// What a funding layer does when the meal is eaten outside the elder's home
// jurisdiction at the layer's scope.
const (
	OutsideLose = "lose" // the share is not granted: the elder pays it
	OutsideHome = "home" // the elder's home jurisdiction still pays
	OutsideSite = "site" // the site's jurisdiction pays
)

// Hukou conditions of a rule.
const (
	HukouAny      = ""
	HukouLocal    = "local"
	HukouNonLocal = "nonlocal"
)

// When a rule's discount is taken: on what the elder pays after the
// subsidy (default, and the only order before ADR 0015), or on the price
// before the subsidy.
const (
	DiscountAfterSubsidy  = "after_subsidy"
	DiscountBeforeSubsidy = "before_subsidy"
)

// What a rule's minimum spend is compared with: the price (default) or the
// price less a discount taken before the subsidy.
const (
	MinSpendOnPrice      = "price"
	MinSpendOnDiscounted = "discounted"
)

// Policy is one version of a subsidy policy. Build it with Parse, or fill
// the fields and call Validate, which must be called again after any
// change. A validated Policy is safe for concurrent use.
type Policy struct {
	Version  string `json:"version" yaml:"version"`
	Name     string `json:"name,omitempty" yaml:"name,omitempty"`
	TimeZone string `json:"time_zone" yaml:"time_zone"` // IANA zone of the meal windows and periods
	// Match is FirstMatch or BestMatch.
	Match string `json:"match" yaml:"match"`
	// NotEligible is what happens when no rule matches: ActionFullPay
	// (default) or ActionRefuse.
	NotEligible string   `json:"not_eligible,omitempty" yaml:"not_eligible,omitempty"`
	Windows     []Window `json:"windows" yaml:"windows"`
	Rules       []Rule   `json:"rules" yaml:"rules"`
	// Funding is used by the rules that have none of their own.
	Funding []Layer `json:"funding,omitempty" yaml:"funding,omitempty"`
	Limits  []Limit `json:"limits,omitempty" yaml:"limits,omitempty"`
	// OperatingSubsidy is paid to the hall per subsidised meal, unless the
	// rule has its own.
	OperatingSubsidy *Operating  `json:"operating_subsidy,omitempty" yaml:"operating_subsidy,omitempty"`
	StaleUsage       *StaleUsage `json:"stale_usage,omitempty" yaml:"stale_usage,omitempty"`

	c *compiled
}

// Window is one meal service of the day. Start and End are local "HH:MM";
// End is exclusive and may be "24:00". Windows must not overlap.
type Window struct {
	Name  string `json:"name" yaml:"name"`
	Start string `json:"start" yaml:"start"`
	End   string `json:"end" yaml:"end"`
	Price Price  `json:"price" yaml:"price"`
}

// Price is either fixed (FixedFen) or by weight (Per100gFen, rounded half
// up to the fen, then raised to MinFen and lowered to MaxFen when set). A
// price given in the Input (the actual price rung up) takes precedence;
// a window with neither (price: {}) needs it.
type Price struct {
	FixedFen   eldergate.Fen `json:"fixed_fen,omitempty" yaml:"fixed_fen,omitempty"`
	Per100gFen eldergate.Fen `json:"per_100g_fen,omitempty" yaml:"per_100g_fen,omitempty"`
	MinFen     eldergate.Fen `json:"min_fen,omitempty" yaml:"min_fen,omitempty"`
	MaxFen     eldergate.Fen `json:"max_fen,omitempty" yaml:"max_fen,omitempty"`
}

// Rule grants a subsidy to the elders matching all of its conditions. An
// empty condition matches everyone.
type Rule struct {
	ID string `json:"id" yaml:"id"`
	// Windows restricts the rule to these meal windows.
	Windows []string `json:"windows,omitempty" yaml:"windows,omitempty"`
	// Age is the band of age in completed years at the meal's local date.
	Age *AgeBand `json:"age,omitempty" yaml:"age,omitempty"`
	// Categories: the elder must hold at least one of them.
	Categories []string `json:"categories,omitempty" yaml:"categories,omitempty"`
	// Hukou is HukouAny (""), HukouLocal or HukouNonLocal.
	Hukou string `json:"hukou,omitempty" yaml:"hukou,omitempty"`
	// Residence requires the elder to live in a jurisdiction (whatever
	// the hukou).
	Residence *Residence `json:"residence,omitempty" yaml:"residence,omitempty"`
	// Subsidy may be left out ({}) only by a rule with a Discount: a
	// discount-only rule (decision "discounted", reason "discount_only").
	Subsidy Subsidy `json:"subsidy" yaml:"subsidy"`
	// MinSpendFen: a meal below it gets no subsidy. MinSpendOn says what
	// is compared with it: MinSpendOnPrice (default) or
	// MinSpendOnDiscounted (the price less a discount before the subsidy).
	MinSpendFen eldergate.Fen `json:"min_spend_fen,omitempty" yaml:"min_spend_fen,omitempty"`
	MinSpendOn  string        `json:"min_spend_on,omitempty" yaml:"min_spend_on,omitempty"`
	// Discount is taken off the price before the subsidy or off what
	// remains after it (Discount.Apply).
	Discount         *Discount  `json:"discount,omitempty" yaml:"discount,omitempty"`
	Funding          []Layer    `json:"funding,omitempty" yaml:"funding,omitempty"`
	OperatingSubsidy *Operating `json:"operating_subsidy,omitempty" yaml:"operating_subsidy,omitempty"`
}

// AgeBand is an inclusive band of ages; Max 0 means no upper bound.
type AgeBand struct {
	Min int `json:"min" yaml:"min"`
	Max int `json:"max,omitempty" yaml:"max,omitempty"`
}

// Subsidy is either a fixed amount or a percentage (0-100) of the price,
// rounded half up. It is always capped at the actual price.
type Subsidy struct {
	FixedFen eldergate.Fen `json:"fixed_fen,omitempty" yaml:"fixed_fen,omitempty"`
	Percent  int           `json:"percent,omitempty" yaml:"percent,omitempty"`
}

// Discount takes Percent (1-100) off, rounded half up; FundedBy names who
// bears it (e.g. "hall"). Apply is DiscountAfterSubsidy (default: off what
// the elder would pay after the subsidy, subsidised meals only) or
// DiscountBeforeSubsidy (off the price; the subsidy then applies to the
// discounted price, and the discount stands when the subsidy is not
// granted). A rule without a subsidy takes its discount off the price.
type Discount struct {
	Percent  int    `json:"percent" yaml:"percent"`
	FundedBy string `json:"funded_by" yaml:"funded_by"`
	Apply    string `json:"apply,omitempty" yaml:"apply,omitempty"`
}

// Residence is a rule's condition on where the elder lives: the elder's
// residence code at Scope (city, district or street) must be one of Codes,
// or, when Codes is empty, the site's code at that scope (lives in the
// hall's district, say). An elder without a residence code at that scope
// does not match.
type Residence struct {
	Scope string   `json:"scope" yaml:"scope"`
	Codes []string `json:"codes,omitempty" yaml:"codes,omitempty"`
}

// Layer is one funder of the subsidy. Shares are taken from the subsidy in
// the order listed: a fixed share takes min(Fen, what is left); the one
// Rest layer takes what the fixed shares leave. Scope is the layer's
// jurisdiction level and Outside what it does for a meal eaten outside the
// elder's home jurisdiction at that level (default OutsideLose).
type Layer struct {
	Layer   string        `json:"layer" yaml:"layer"`
	Scope   string        `json:"scope" yaml:"scope"`
	Fen     eldergate.Fen `json:"fen,omitempty" yaml:"fen,omitempty"`
	Rest    bool          `json:"rest,omitempty" yaml:"rest,omitempty"`
	Outside string        `json:"outside,omitempty" yaml:"outside,omitempty"`
}

// Limit bounds the subsidised meals of one elder in a period, across all
// sites (the usage counters include cross-site usage). Count bounds the
// number of subsidised meals; Fen bounds the subsidy: the last meal gets
// only what is left. When a limit is reached the meal is recorded at full
// price (ActionFullPay, default) or refused (ActionRefuse).
type Limit struct {
	Period string        `json:"period" yaml:"period"`
	Count  int           `json:"count,omitempty" yaml:"count,omitempty"`
	Fen    eldergate.Fen `json:"fen,omitempty" yaml:"fen,omitempty"`
	Action string        `json:"action,omitempty" yaml:"action,omitempty"`
}

// Operating is the operating subsidy paid to the hall per subsidised meal.
type Operating struct {
	Fen      eldergate.Fen `json:"fen" yaml:"fen"`
	FundedBy string        `json:"funded_by" yaml:"funded_by"`
}

// StaleUsage says what to do when the usage counters have not been synced
// from the cloud for longer than After (cross-site limits can no longer be
// trusted): ActionFullPay, ActionAllow or ActionRefuse.
type StaleUsage struct {
	After  Duration `json:"after" yaml:"after"`
	Action string   `json:"action" yaml:"action"`
}

// Duration is a time.Duration written as "72h" in YAML and JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 72h", clip(string(b)))
	}
	*d = Duration(v)
	return nil
}

// Parse reads a policy in YAML or JSON (a document starting with '{' is
// JSON), strictly: unknown fields are errors. It validates the policy; a
// validation error names the field.
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, fmt.Errorf("policy: larger than %d bytes", MaxPolicyBytes)
	}
	var p Policy
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("policy: empty")
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("policy: %w", plainJSON(err))
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, errors.New("policy: trailing data after the JSON object")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(trimmed))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("policy: %w", plainYAML(err))
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// decodeError is a decoding error told in words, without the Go types.
type decodeError struct {
	msg string
	err error
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.err }

var (
	yamlUnknown = regexp.MustCompile(`^(line \d+: )?field (\S+) not found in type \S+$`)
	yamlType    = regexp.MustCompile("^(line \\d+: )?cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

// expected names, in words, what a Go type of the policy holds.
func expected(goType string) string {
	switch {
	case strings.HasSuffix(goType, "Fen"), strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "string":
		return "text"
	case goType == "bool":
		return "true or false"
	case strings.HasSuffix(goType, "Duration"):
		return "a duration such as 72h"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "an object (key: value)"
	}
	return goType
}

// plainYAML rewrites the YAML decoder's errors ("field x not found in type
// policy.Rule", "cannot unmarshal !!str `a` into eldergate.Fen") in words.
func plainYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		switch m := yamlUnknown.FindStringSubmatch(e); {
		case m != nil:
			lines[i] = fmt.Sprintf("%sunknown field %q", m[1], m[2])
		default:
			if m := yamlType.FindStringSubmatch(e); m != nil {
				got := strconv.Quote(m[3])
				switch m[2] {
				case "map":
					got = "an object"
				case "seq":
					got = "a list"
				}
				lines[i] = fmt.Sprintf("%sexpected %s, got %s", m[1], expected(m[4]), got)
			} else {
				lines[i] = e
			}
		}
	}
	return &decodeError{msg: strings.Join(lines, "; "), err: err}
}

// plainJSON rewrites the JSON decoder's type errors in words.
func plainJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "the policy"
		}
		return &decodeError{msg: fmt.Sprintf("%s: expected %s, got %s", f, expected(te.Type.String()), te.Value), err: err}
	}
	return &decodeError{msg: strings.TrimPrefix(err.Error(), "json: "), err: err}
}

// MarshalJSON writes the policy's data (not its compiled form).
func (p Policy) MarshalJSON() ([]byte, error) {
	type plain Policy
	q := plain(p)
	q.c = nil
	return json.Marshal(q)
}

// FieldError is a validation error naming the offending field.
type FieldError struct {
	Field   string // e.g. "rules[2].subsidy.percent"
	Problem string
}

func (e *FieldError) Error() string { return "policy: " + e.Field + ": " + e.Problem }

func bad(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func checkFen(field string, v eldergate.Fen) error {
	if v < 0 || v > MaxFen {
		return bad(field, "%d is not between 0 and %d fen", v, MaxFen)
	}
	return nil
}

func checkName(field, s string) error {
	if s == "" {
		return bad(field, "missing")
	}
	if len(s) > 64 {
		return bad(field, "longer than 64 bytes")
	}
	return nil
}

// compiled is the validated, ready-to-use form of a policy.
type compiled struct {
	loc     *time.Location
	windows []cwindow
	index   map[string]int // window name -> index
}

type cwindow struct {
	start, end int // minutes of the local day, end exclusive
}

func parseClock(s string) (int, error) {
	if s == "24:00" {
		return 24 * 60, nil
	}
	if len(s) != 5 {
		return 0, fmt.Errorf("%q is not HH:MM", clip(s))
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", clip(s))
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate checks the policy and prepares it for decisions. The first
// problem is returned as a *FieldError.
func (p *Policy) Validate() error {
	p.c = nil
	c, err := p.compile()
	if err != nil {
		return err
	}
	p.c = c
	return nil
}

func (p *Policy) compile() (*compiled, error) {
	if err := checkName("version", p.Version); err != nil {
		return nil, err
	}
	if len(p.Name) > 256 {
		return nil, bad("name", "longer than 256 bytes")
	}
	if p.TimeZone == "" {
		return nil, bad("time_zone", "missing")
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil || strings.HasPrefix(p.TimeZone, "Local") {
		return nil, bad("time_zone", "%q is not a known IANA zone", clip(p.TimeZone))
	}
	switch p.Match {
	case FirstMatch, BestMatch:
	case "":
		return nil, bad("match", "missing: %q or %q", FirstMatch, BestMatch)
	default:
		return nil, bad("match", "%q: must be %q or %q", clip(p.Match), FirstMatch, BestMatch)
	}
	switch p.NotEligible {
	case "", ActionFullPay, ActionRefuse:
	default:
		return nil, bad("not_eligible", "%q: must be %q or %q", clip(p.NotEligible), ActionFullPay, ActionRefuse)
	}
	c := &compiled{loc: loc, index: map[string]int{}}
	if len(p.Windows) == 0 {
		return nil, bad("windows", "missing")
	}
	if len(p.Windows) > maxItems {
		return nil, bad("windows", "more than %d", maxItems)
	}
	for i, w := range p.Windows {
		f := fmt.Sprintf("windows[%d]", i)
		if err := checkName(f+".name", w.Name); err != nil {
			return nil, err
		}
		if strings.ContainsAny(w.Name, "/:") {
			return nil, bad(f+".name", "%q must not contain / or :", w.Name)
		}
		if _, dup := c.index[w.Name]; dup {
			return nil, bad(f+".name", "duplicate window %q", w.Name)
		}
		s, err := parseClock(w.Start)
		if err != nil || s >= 24*60 {
			return nil, bad(f+".start", "%q is not HH:MM", clip(w.Start))
		}
		e, err := parseClock(w.End)
		if err != nil {
			return nil, bad(f+".end", "%v", err)
		}
		if e <= s {
			return nil, bad(f+".end", "%s is not after start %s", w.End, w.Start)
		}
		for j, o := range c.windows {
			if s < o.end && o.start < e {
				return nil, bad(f, "overlaps windows[%d] %q", j, p.Windows[j].Name)
			}
		}
		if err := w.Price.validate(f + ".price"); err != nil {
			return nil, err
		}
		c.index[w.Name] = i
		c.windows = append(c.windows, cwindow{start: s, end: e})
	}
	if len(p.Rules) == 0 {
		return nil, bad("rules", "missing: at least one rule")
	}
	if len(p.Rules) > maxItems {
		return nil, bad("rules", "more than %d", maxItems)
	}
	if p.Funding != nil {
		if err := validateFunding("funding", p.Funding, nil); err != nil {
			return nil, err
		}
	}
	ids := map[string]bool{}
	for i, r := range p.Rules {
		if err := r.validate(fmt.Sprintf("rules[%d]", i), p, c, ids); err != nil {
			return nil, err
		}
	}
	if len(p.Limits) > maxItems {
		return nil, bad("limits", "more than %d", maxItems)
	}
	for i, l := range p.Limits {
		f := fmt.Sprintf("limits[%d]", i)
		switch l.Period {
		case PeriodWindow, PeriodDay, PeriodWeek, PeriodMonth:
		default:
			return nil, bad(f+".period", "%q: must be window, day, week or month", clip(l.Period))
		}
		if l.Count < 0 || l.Count > 10_000 {
			return nil, bad(f+".count", "%d is not between 0 and 10000", l.Count)
		}
		if err := checkFen(f+".fen", l.Fen); err != nil {
			return nil, err
		}
		if l.Count == 0 && l.Fen == 0 {
			return nil, bad(f, "neither count nor fen is set")
		}
		switch l.Action {
		case "", ActionFullPay, ActionRefuse:
		default:
			return nil, bad(f+".action", "%q: must be %q or %q", clip(l.Action), ActionFullPay, ActionRefuse)
		}
	}
	if p.OperatingSubsidy != nil {
		if err := p.OperatingSubsidy.validate("operating_subsidy"); err != nil {
			return nil, err
		}
	}
	if s := p.StaleUsage; s != nil {
		if s.After <= 0 {
			return nil, bad("stale_usage.after", "must be a positive duration such as 72h")
		}
		switch s.Action {
		case ActionFullPay, ActionAllow, ActionRefuse:
		default:
			return nil, bad("stale_usage.action", "%q: must be %q, %q or %q", clip(s.Action), ActionFullPay, ActionAllow, ActionRefuse)
		}
	}
	return c, nil
}

func (pr Price) validate(f string) error {
	for _, x := range []struct {
		k string
		v eldergate.Fen
	}{{"fixed_fen", pr.FixedFen}, {"per_100g_fen", pr.Per100gFen}, {"min_fen", pr.MinFen}, {"max_fen", pr.MaxFen}} {
		if err := checkFen(f+"."+x.k, x.v); err != nil {
			return err
		}
	}
	switch {
	case pr.FixedFen > 0 && pr.Per100gFen > 0:
		return bad(f, "fixed_fen and per_100g_fen are exclusive")
	case pr.FixedFen > 0 && (pr.MinFen > 0 || pr.MaxFen > 0):
		return bad(f, "min_fen and max_fen apply to a price by weight only")
	case pr.MaxFen > 0 && pr.MinFen > pr.MaxFen:
		return bad(f+".min_fen", "%d is above max_fen %d", pr.MinFen, pr.MaxFen)
	}
	return nil
}

func (r Rule) validate(f string, p *Policy, c *compiled, ids map[string]bool) error {
	if err := checkName(f+".id", r.ID); err != nil {
		return err
	}
	if ids[r.ID] {
		return bad(f+".id", "duplicate rule %q", r.ID)
	}
	ids[r.ID] = true
	if len(r.Windows) > maxItems || len(r.Categories) > maxItems {
		return bad(f, "more than %d windows or categories", maxItems)
	}
	for j, w := range r.Windows {
		if _, ok := c.index[w]; !ok {
			return bad(fmt.Sprintf("%s.windows[%d]", f, j), "unknown window %q", clip(w))
		}
	}
	if a := r.Age; a != nil {
		if a.Min < 0 || a.Min > 150 || a.Max < 0 || a.Max > 150 {
			return bad(f+".age", "ages must be between 0 and 150")
		}
		if a.Max != 0 && a.Max < a.Min {
			return bad(f+".age.max", "%d is below min %d", a.Max, a.Min)
		}
	}
	for j, cat := range r.Categories {
		if err := checkName(fmt.Sprintf("%s.categories[%d]", f, j), cat); err != nil {
			return err
		}
	}
	switch r.Hukou {
	case HukouAny, HukouLocal, HukouNonLocal:
	default:
		return bad(f+".hukou", "%q: must be %q, %q or empty", clip(r.Hukou), HukouLocal, HukouNonLocal)
	}
	if rs := r.Residence; rs != nil {
		switch rs.Scope {
		case ScopeCity, ScopeDistrict, ScopeStreet:
		case "":
			return bad(f+".residence.scope", "missing: city, district or street")
		default:
			return bad(f+".residence.scope", "%q: must be city, district or street", clip(rs.Scope))
		}
		if len(rs.Codes) > maxItems {
			return bad(f+".residence.codes", "more than %d", maxItems)
		}
		for j, code := range rs.Codes {
			if err := checkName(fmt.Sprintf("%s.residence.codes[%d]", f, j), code); err != nil {
				return err
			}
		}
	}
	s := r.Subsidy
	if err := checkFen(f+".subsidy.fixed_fen", s.FixedFen); err != nil {
		return err
	}
	switch {
	case s.FixedFen > 0 && s.Percent != 0:
		return bad(f+".subsidy", "fixed_fen and percent are exclusive")
	case s.Percent < 0 || s.Percent > 100:
		return bad(f+".subsidy.percent", "%d is not between 0 and 100", s.Percent)
	case s.FixedFen == 0 && s.Percent == 0 && r.Discount == nil:
		return bad(f+".subsidy", "missing: fixed_fen or percent (only a rule with a discount may have no subsidy)")
	}
	if err := checkFen(f+".min_spend_fen", r.MinSpendFen); err != nil {
		return err
	}
	if d := r.Discount; d != nil {
		if d.Percent < 1 || d.Percent > 100 {
			return bad(f+".discount.percent", "%d is not between 1 and 100", d.Percent)
		}
		if err := checkName(f+".discount.funded_by", d.FundedBy); err != nil {
			return err
		}
		switch d.Apply {
		case "", DiscountBeforeSubsidy:
		case DiscountAfterSubsidy:
			if !r.hasSubsidy() {
				return bad(f+".discount.apply", "%q needs a subsidy; a rule without one takes the discount off the price (leave apply out)", d.Apply)
			}
		default:
			return bad(f+".discount.apply", "%q: must be %q or %q", clip(d.Apply), DiscountBeforeSubsidy, DiscountAfterSubsidy)
		}
	}
	switch r.MinSpendOn {
	case "", MinSpendOnPrice:
	case MinSpendOnDiscounted:
		if r.Discount == nil || r.Discount.Apply != DiscountBeforeSubsidy {
			return bad(f+".min_spend_on", "%q needs a discount with apply: %s", r.MinSpendOn, DiscountBeforeSubsidy)
		}
	default:
		return bad(f+".min_spend_on", "%q: must be %q or %q", clip(r.MinSpendOn), MinSpendOnPrice, MinSpendOnDiscounted)
	}
	if r.MinSpendOn != "" && r.MinSpendFen == 0 {
		return bad(f+".min_spend_on", "set without min_spend_fen")
	}
	if !r.hasSubsidy() {
		// A discount-only rule: nothing to fund, no minimum spend, no
		// operating subsidy (paid per subsidised meal).
		switch {
		case r.MinSpendFen > 0:
			return bad(f+".min_spend_fen", "a rule without a subsidy has no minimum spend")
		case r.Funding != nil:
			return bad(f+".funding", "a rule without a subsidy has nothing to fund")
		case r.OperatingSubsidy != nil:
			return bad(f+".operating_subsidy", "paid per subsidised meal: a rule without a subsidy has none")
		}
		return nil
	}
	funding := r.Funding
	ff := f + ".funding"
	if funding == nil {
		funding, ff = p.Funding, "funding"
	} else if err := validateFunding(ff, funding, nil); err != nil {
		return err
	}
	if len(funding) == 0 {
		return bad(f+".funding", "missing (and the policy has no default funding)")
	}
	if err := validateFunding(ff, funding, &s); err != nil {
		return fmt.Errorf("%w (for %s)", err, f)
	}
	if r.OperatingSubsidy != nil {
		if err := r.OperatingSubsidy.validate(f + ".operating_subsidy"); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) hasSubsidy() bool { return r.Subsidy.FixedFen > 0 || r.Subsidy.Percent > 0 }

// discountFirst reports whether the rule's discount is taken off the price
// before the subsidy (or without one).
func (r *Rule) discountFirst() bool {
	return r.Discount != nil && (r.Discount.Apply == DiscountBeforeSubsidy || !r.hasSubsidy())
}

// validateFunding checks a list of layers and, when s is given, that the
// layers fund all of that subsidy: a rest layer, or fixed shares summing
// to at least a fixed subsidy.
func validateFunding(f string, layers []Layer, s *Subsidy) error {
	if len(layers) == 0 {
		return bad(f, "empty")
	}
	if len(layers) > eldergate.MaxFundingShares {
		return bad(f, "more than %d layers", eldergate.MaxFundingShares)
	}
	seen := map[string]bool{}
	rest := 0
	var fixed eldergate.Fen
	for i, l := range layers {
		lf := fmt.Sprintf("%s[%d]", f, i)
		if err := checkName(lf+".layer", l.Layer); err != nil {
			return err
		}
		if seen[l.Layer] {
			return bad(lf+".layer", "duplicate layer %q", l.Layer)
		}
		seen[l.Layer] = true
		switch l.Scope {
		case ScopeCity, ScopeDistrict, ScopeStreet, ScopeNone:
		default:
			return bad(lf+".scope", "%q: must be city, district, street or none", clip(l.Scope))
		}
		switch l.Outside {
		case "", OutsideLose, OutsideHome, OutsideSite:
		default:
			return bad(lf+".outside", "%q: must be lose, home or site", clip(l.Outside))
		}
		if err := checkFen(lf+".fen", l.Fen); err != nil {
			return err
		}
		switch {
		case l.Rest && l.Fen != 0:
			return bad(lf, "fen and rest are exclusive")
		case !l.Rest && l.Fen == 0:
			return bad(lf, "missing: fen or rest")
		case l.Rest:
			rest++
		}
		fixed += l.Fen
	}
	if rest > 1 {
		return bad(f, "more than one rest layer")
	}
	if s == nil {
		return nil
	}
	// Fixed shares beyond the subsidy are fine (the shares are taken in
	// order until the subsidy is funded); short of it is not.
	if rest == 0 && (s.Percent != 0 || fixed < s.FixedFen) {
		return bad(f, "the shares (%d fen) may not fund the whole subsidy; add a layer with rest: true", fixed)
	}
	return nil
}

func (o *Operating) validate(f string) error {
	if err := checkFen(f+".fen", o.Fen); err != nil {
		return err
	}
	if o.Fen > 0 {
		return checkName(f+".funded_by", o.FundedBy)
	}
	return nil
}

// PriceDevices lists the devices the policy's windows need at the
// gateway (ADR 0026), in the order eldergate.PriceDeviceScale,
// eldergate.PriceDeviceTill: a scale for a window priced by weight, a
// till for a window with neither a fixed price nor a price by weight
// (`price: {}`, the amount rung up). A policy of fixed prices needs
// none (nil).
func (p *Policy) PriceDevices() []string {
	var scale, till bool
	for _, w := range p.Windows {
		switch {
		case w.Price.Per100gFen > 0:
			scale = true
		case w.Price.FixedFen == 0:
			till = true
		}
	}
	var out []string
	if scale {
		out = append(out, eldergate.PriceDeviceScale)
	}
	if till {
		out = append(out, eldergate.PriceDeviceTill)
	}
	return out
}

// ErrorLine returns the line of data (a policy's YAML or JSON text) an
// error of Parse is about, 0 when unknown: the line a YAML decoding error
// names ("line 7: ..."), or for a validation error (*FieldError) the line
// of its field ("rules[2].subsidy.percent"), or of the nearest enclosing
// field the text has. JSON is YAML, so a JSON document's lines are found
// the same way.
func ErrorLine(data []byte, err error) int {
	if err == nil {
		return 0
	}
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	node, line := doc.Content[0], 0
	for _, part := range fieldPath.FindAllStringSubmatch(fe.Field, -1) {
		var next *yaml.Node
		switch {
		case part[1] != "" && node.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == part[1] {
					line, next = node.Content[i].Line, node.Content[i+1]
				}
			}
		case part[2] != "" && node.Kind == yaml.SequenceNode:
			if i, _ := strconv.Atoi(part[2]); i < len(node.Content) {
				next = node.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		node = next
	}
	return line
}

var (
	lineRE    = regexp.MustCompile(`\bline (\d+)\b`)
	fieldPath = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]`)
)
