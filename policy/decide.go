package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/eldergate/eldergate"
)

// Reason codes of a decision; the kiosk translates them.
const (
	ReasonOK                  = eldergate.ReasonOK
	ReasonOutsideWindow       = eldergate.ReasonOutsideWindow
	ReasonAlreadyServed       = eldergate.ReasonAlreadyServed  // a window count limit with action refuse
	ReasonLimitReached        = eldergate.ReasonNoSubsidyLimit // any other limit; Decision.Limit says which
	ReasonNotEligible         = "not_eligible"
	ReasonBelowMinSpend       = "below_minimum_spend"
	ReasonOutsideJurisdiction = "outside_jurisdiction" // every share lost: eaten outside the home jurisdiction
	ReasonNoSubsidy           = "no_subsidy"           // the rule grants nothing for this meal (e.g. price 0)
	ReasonUsageStale          = "usage_stale"          // usage not synced for longer than stale_usage.after
	ReasonPriceUnknown        = "price_unknown"        // no price given, and the window has no fixed price or no weight was given
	ReasonInvalidInput        = "invalid_input"        // negative or absurd price or weight
	ReasonDiscountOnly        = "discount_only"        // a rule with a discount and no subsidy (decision "discounted")
)

// DecisionDiscounted: served without a subsidy, at the price less the
// rule's discount (a discount-only rule, or a discount before the subsidy
// when the subsidy is not granted; the reason says why). It does not count
// in the usage counters.
const DecisionDiscounted = eldergate.DecisionDiscounted

// Place is a jurisdiction as administrative division codes.
type Place struct {
	City     string `json:"city,omitempty" yaml:"city"`
	District string `json:"district,omitempty" yaml:"district"`
	Street   string `json:"street,omitempty" yaml:"street"` // street (街道) or town (镇)
}

// Elder is what a decision needs to know about the elder.
type Elder struct {
	ID         string   `json:"id" yaml:"id"`
	Birth      string   `json:"birth,omitempty" yaml:"birth"` // YYYY-MM-DD; unknown age matches no age band
	Categories []string `json:"categories,omitempty" yaml:"categories"`
	HukouLocal bool     `json:"hukou_local,omitempty" yaml:"hukou_local"`
	Home       Place    `json:"home" yaml:"home"` // home (hukou) jurisdiction
	// Residence is where the elder lives, for rules with a residence
	// condition; empty codes match none.
	Residence Place `json:"residence,omitzero" yaml:"residence"`
}

// FromRoster converts a roster entry; its Category counts as a category.
func FromRoster(e eldergate.Elder) Elder {
	cats := slices.Clone(e.Categories)
	if e.Category != "" && !slices.Contains(cats, e.Category) {
		cats = append(cats, e.Category)
	}
	return Elder{ID: e.ID, Birth: e.Birth, Categories: cats, HukouLocal: e.HukouLocal,
		Home:      Place{City: e.HomeCity, District: e.HomeDistrict, Street: e.HomeStreet},
		Residence: Place{City: e.ResidenceCity, District: e.ResidenceDistrict, Street: e.ResidenceStreet}}
}

// Site is where the meal is eaten.
type Site struct {
	ID    string `json:"id" yaml:"id"`
	Place `yaml:",inline"`
}

// Counter is an elder's usage in one period: subsidised meals and the
// subsidy they received, across all sites.
type Counter struct {
	Count      int           `json:"count" yaml:"count"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen" yaml:"subsidy_fen"`
}

// Usage holds the counters of the periods of the meal (see Periods).
type Usage struct {
	Window Counter `json:"window" yaml:"window"`
	Day    Counter `json:"day" yaml:"day"`
	Week   Counter `json:"week" yaml:"week"`
	Month  Counter `json:"month" yaml:"month"`
}

func (u Usage) of(period string) Counter {
	switch period {
	case PeriodWindow:
		return u.Window
	case PeriodDay:
		return u.Day
	case PeriodWeek:
		return u.Week
	}
	return u.Month
}

// Input is one meal to decide.
type Input struct {
	Elder Elder
	Site  Site
	At    time.Time
	// PriceFen is the actual price rung up; when 0 the window's price is
	// used (fixed, or by WeightG).
	PriceFen eldergate.Fen
	WeightG  int64
	Usage    Usage
	// UsageAge is the time since usage was last synced from the cloud; a
	// negative value means never. Only used with stale_usage.
	UsageAge time.Duration
}

// Periods are the keys of the usage counters a meal at a given time
// counts in. Window is empty outside any meal window.
type Periods struct {
	Window string `json:"window,omitempty"` // "window:2025-03-03/lunch"
	Day    string `json:"day"`              // "day:2025-03-03"
	Week   string `json:"week"`             // "week:2025-W10" (ISO 8601)
	Month  string `json:"month"`            // "month:2025-03"
}

// Keys lists the non-empty keys.
func (ps Periods) Keys() []string {
	out := make([]string, 0, 4)
	for _, k := range []string{ps.Window, ps.Day, ps.Week, ps.Month} {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Decision is the outcome of one meal. PayFen = PriceFen - SubsidyFen -
// DiscountFen, and the Funding shares sum to SubsidyFen.
type Decision struct {
	Decision      string                   `json:"decision"` // approved | full_pay | discounted | refused
	Reason        string                   `json:"reason"`
	Limit         string                   `json:"limit,omitempty"` // the limit reached, e.g. "week.count"
	Rule          string                   `json:"rule,omitempty"`
	PolicyVersion string                   `json:"policy_version"`
	Window        string                   `json:"window,omitempty"`
	Day           string                   `json:"day"` // local date of the meal
	Periods       Periods                  `json:"periods"`
	PriceFen      eldergate.Fen            `json:"price_fen"`
	WeightG       int64                    `json:"weight_g,omitempty"`
	SubsidyFen    eldergate.Fen            `json:"subsidy_fen"`
	DiscountFen   eldergate.Fen            `json:"discount_fen"`
	DiscountBy    string                   `json:"discount_funded_by,omitempty"`
	PayFen        eldergate.Fen            `json:"pay_fen"`
	Funding       []eldergate.FundingShare `json:"funding"`
	OperatingFen  eldergate.Fen            `json:"operating_subsidy_fen"`
	OperatingBy   string                   `json:"operating_funded_by,omitempty"`
	// Remaining is what is left of the week and month limits after this
	// meal, for the elder's screen: set when a rule with a subsidy
	// matched and the usage could be trusted (see remaining).
	Remaining []Remaining `json:"remaining,omitempty"`
}

// Remaining is what is left of an elder's limits of one week or month
// after a meal: subsidised meals (Count, with a count limit) and subsidy
// (Fen, with a fen limit), never below 0, until the period's last local
// day. With several limits of one period the tightest of each kind is
// given.
type Remaining struct {
	Period string         `json:"period"` // PeriodWeek or PeriodMonth
	Until  string         `json:"until"`  // the period's last local day, YYYY-MM-DD (a Sunday, or the month's last day)
	Count  *int           `json:"count,omitempty"`
	Fen    *eldergate.Fen `json:"fen,omitempty"`
}

// halfUp returns round(a*num/den) with halves rounded up, for a, num >= 0.
func halfUp(a eldergate.Fen, num, den int64) eldergate.Fen {
	return eldergate.Fen((int64(a)*num*2 + den) / (2 * den))
}

func (p *Policy) prepared() (*compiled, error) {
	if p.c != nil {
		return p.c, nil
	}
	return p.compile() // not validated: compile for this call, without caching (no data race)
}

// windowAt finds the window containing local time lt.
func (c *compiled) windowAt(lt time.Time) int {
	m := lt.Hour()*60 + lt.Minute()
	for i, w := range c.windows {
		if m >= w.start && m < w.end {
			return i
		}
	}
	return -1
}

// Periods returns the usage keys of a meal at time at (and the window
// name, empty outside any window), so that the caller can read the
// counters before deciding.
func (p *Policy) Periods(at time.Time) (Periods, string) {
	c, err := p.prepared()
	if err != nil {
		return Periods{}, ""
	}
	ps, w := p.periods(c, at)
	return ps, w
}

func (p *Policy) periods(c *compiled, at time.Time) (Periods, string) {
	lt := at.In(c.loc)
	day := lt.Format(time.DateOnly)
	y, wk := lt.ISOWeek()
	ps := Periods{Day: "day:" + day, Week: fmt.Sprintf("week:%04d-W%02d", y, wk), Month: "month:" + lt.Format("2006-01")}
	name := ""
	if i := c.windowAt(lt); i >= 0 {
		name = p.Windows[i].Name
		ps.Window = "window:" + day + "/" + name
	}
	return ps, name
}

// Refused returns a refusal at time at for a reason decided outside the
// policy (unknown or inactive card, ...), with the day and periods filled.
func (p *Policy) Refused(at time.Time, reason string) Decision {
	d := Decision{Decision: eldergate.DecisionRefused, Reason: reason, PolicyVersion: p.Version, Funding: []eldergate.FundingShare{}}
	if c, err := p.prepared(); err == nil {
		d.Periods, d.Window = p.periods(c, at)
		d.Day = at.In(c.loc).Format(time.DateOnly)
	}
	return d
}

// AgeAt returns the age in completed years on the local date day of
// someone born on birth (both YYYY-MM-DD). Someone born on 29 February
// has their birthday on 1 March in common years.
func AgeAt(birth string, day time.Time) (int, bool) {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return 0, false
	}
	age := day.Year() - b.Year()
	if day.Month() < b.Month() || (day.Month() == b.Month() && day.Day() < b.Day()) {
		age--
	}
	if age < 0 {
		return 0, false
	}
	return age, true
}

// outcome is what one rule grants for one meal.
type outcome struct {
	rule    int
	subsidy eldergate.Fen
	shares  []eldergate.FundingShare // fen > 0 only, sum == subsidy
	reason  string                   // when subsidy is 0
	pre     eldergate.Fen            // discount taken off the price before the subsidy (or without one)
}

// better reports whether o beats b under best_match: the larger subsidy,
// then the larger discount before the subsidy; ties go to the earlier.
func (o *outcome) better(b *outcome) bool {
	return o.subsidy > b.subsidy || (o.subsidy == b.subsidy && o.pre > b.pre)
}

// Decide decides one meal. It never fails: problems with the input are
// refusals with a reason. The subsidy is never above the price, the
// funding shares sum to the subsidy, the pay is never negative and no
// limit is exceeded given the usage passed in. The decision carries what
// remains of the week and month limits after the meal (Remaining).
func (p *Policy) Decide(in Input) Decision {
	var quota bool
	d := p.decide(in, &quota)
	if quota {
		if c, err := p.prepared(); err == nil {
			d.Remaining = p.remaining(in.At.In(c.loc), in.Usage, d)
		}
	}
	return d
}

// remaining is what is left of the week and month limits after decision
// d of a meal at local time lt with the usage before it: the limit less
// the usage less the meal when it counts (an approved meal: one meal and
// its subsidy), never below 0; the tightest limit of each kind per
// period. Every limit applies to every elder (limits are the policy's,
// not a rule's), so the rule chosen does not matter.
func (p *Policy) remaining(lt time.Time, u Usage, d Decision) []Remaining {
	var out []Remaining
	for _, period := range []string{PeriodWeek, PeriodMonth} {
		r := Remaining{Period: period, Until: periodEnd(period, lt)}
		used := u.of(period)
		if d.Counts() {
			used.Count++
			used.SubsidyFen += d.SubsidyFen
		}
		for _, l := range p.Limits {
			if l.Period != period {
				continue
			}
			if l.Count > 0 {
				n := max(l.Count-used.Count, 0)
				if r.Count == nil || n < *r.Count {
					r.Count = &n
				}
			}
			if l.Fen > 0 {
				f := max(l.Fen-used.SubsidyFen, 0)
				if r.Fen == nil || f < *r.Fen {
					r.Fen = &f
				}
			}
		}
		if r.Count != nil || r.Fen != nil {
			out = append(out, r)
		}
	}
	return out
}

// periodEnd is the last local day of the week (ISO: its Sunday) or month
// of local time lt, YYYY-MM-DD.
func periodEnd(period string, lt time.Time) string {
	y, m, day := lt.Date()
	if period == PeriodWeek {
		day += (7 - int(lt.Weekday())) % 7 // Sunday is 0
	} else {
		m, day = m+1, 0 // the day before the next month's first
	}
	return time.Date(y, m, day, 12, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// decide is Decide without Remaining; it sets *quota when the week and
// month limits apply to the elder and can be told: a rule with a subsidy
// matched (a discount-only rule counts nothing), and the usage is not
// stale (or stale usage is allowed).
func (p *Policy) decide(in Input, quota *bool) Decision {
	c, err := p.prepared()
	if err != nil {
		return Decision{Decision: eldergate.DecisionRefused, Reason: ReasonInvalidInput, PolicyVersion: p.Version, Funding: []eldergate.FundingShare{}}
	}
	lt := in.At.In(c.loc)
	d := Decision{Decision: eldergate.DecisionRefused, PolicyVersion: p.Version, Funding: []eldergate.FundingShare{}}
	d.Periods, d.Window = p.periods(c, in.At)
	d.Day = lt.Format(time.DateOnly)
	wi := c.windowAt(lt)
	if wi < 0 {
		d.Reason = ReasonOutsideWindow
		return d
	}
	w := p.Windows[wi]

	// The price: as rung up, else fixed, else by weight.
	if in.PriceFen < 0 || in.PriceFen > MaxFen || in.WeightG < 0 || in.WeightG > MaxWeightG {
		d.Reason = ReasonInvalidInput
		return d
	}
	price := in.PriceFen
	if in.WeightG > 0 {
		d.WeightG = in.WeightG
	}
	if price == 0 {
		switch {
		case w.Price.Per100gFen > 0 && in.WeightG > 0:
			price = halfUp(w.Price.Per100gFen, in.WeightG, 100)
			if price < w.Price.MinFen {
				price = w.Price.MinFen
			}
			if w.Price.MaxFen > 0 && price > w.Price.MaxFen {
				price = w.Price.MaxFen
			}
		case w.Price.FixedFen > 0:
			price = w.Price.FixedFen
		default: // by weight without a weight, or a price rung up at the till without one
			d.Reason = ReasonPriceUnknown
			return d
		}
	}
	fullPay := func(reason string) Decision {
		d.Decision, d.Reason = eldergate.DecisionFullPay, reason
		d.PriceFen, d.PayFen = price, price
		return d
	}
	refuse := func(reason string) Decision {
		d.Decision, d.Reason = eldergate.DecisionRefused, reason
		return d
	}

	// Eligibility: the matching rules, in order.
	age, ageOK := AgeAt(in.Elder.Birth, lt)
	var best *outcome
	subsidised := false // a matching rule has a subsidy
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.matches(w.Name, age, ageOK, in.Elder, in.Site.Place) {
			continue
		}
		o := p.grant(i, price, in)
		subsidised = subsidised || r.hasSubsidy()
		if best == nil || o.better(best) {
			best = &o
		}
		if p.Match == FirstMatch {
			break
		}
	}
	// Stale usage: cross-site limits cannot be trusted.
	stale := p.StaleUsage != nil && (in.UsageAge < 0 || in.UsageAge > time.Duration(p.StaleUsage.After))
	*quota = subsidised && (!stale || p.StaleUsage.Action == ActionAllow)
	if best == nil {
		if p.NotEligible == ActionRefuse {
			return refuse(ReasonNotEligible)
		}
		return fullPay(ReasonNotEligible)
	}
	rule := &p.Rules[best.rule]
	d.Rule = rule.ID
	// Served without a subsidy: at full price, or less the rule's discount
	// when it comes before the subsidy (it does not depend on it).
	noSubsidy := func(reason string) Decision {
		if best.pre == 0 {
			return fullPay(reason)
		}
		d.Decision, d.Reason = DecisionDiscounted, reason
		d.PriceFen, d.DiscountFen, d.DiscountBy = price, best.pre, rule.Discount.FundedBy
		d.PayFen = price - best.pre
		return d
	}
	if !rule.hasSubsidy() {
		return noSubsidy(ReasonDiscountOnly) // no limits, no stale usage: nothing is counted
	}

	if stale {
		switch p.StaleUsage.Action {
		case ActionFullPay:
			return noSubsidy(ReasonUsageStale)
		case ActionRefuse:
			return refuse(ReasonUsageStale)
		}
	}
	if best.subsidy == 0 {
		return noSubsidy(best.reason)
	}

	// Limits: count limits block, fen limits cap the subsidy.
	subsidy := best.subsidy
	reached, action := "", ""
	for _, l := range p.Limits {
		u := in.Usage.of(l.Period)
		hit := ""
		if l.Count > 0 && u.Count >= l.Count {
			hit = l.Period + ".count"
		} else if l.Fen > 0 {
			if left := l.Fen - u.SubsidyFen; left <= 0 {
				hit = l.Period + ".fen"
			} else {
				subsidy = min(subsidy, left)
			}
		}
		if hit == "" {
			continue
		}
		act := l.Action
		if act == "" {
			act = ActionFullPay
		}
		if reached == "" || (act == ActionRefuse && action != ActionRefuse) {
			reached, action = hit, act
		}
	}
	if reached != "" {
		d.Limit = reached
		reason := ReasonLimitReached
		if reached == PeriodWindow+".count" && action == ActionRefuse {
			reason = ReasonAlreadyServed
		}
		if action == ActionRefuse {
			return refuse(reason)
		}
		return noSubsidy(reason)
	}

	d.Decision, d.Reason = eldergate.DecisionApproved, ReasonOK
	d.PriceFen = price
	d.SubsidyFen = subsidy
	d.Funding = trim(best.shares, subsidy)
	if dc := rule.Discount; dc != nil {
		if rule.discountFirst() {
			d.DiscountFen = best.pre // the subsidy is capped at price - pre
		} else {
			d.DiscountFen = halfUp(price-subsidy, int64(dc.Percent), 100)
		}
		d.DiscountBy = dc.FundedBy
	}
	d.PayFen = price - subsidy - d.DiscountFen
	op := rule.OperatingSubsidy
	if op == nil {
		op = p.OperatingSubsidy
	}
	if op != nil && op.Fen > 0 {
		d.OperatingFen, d.OperatingBy = op.Fen, op.FundedBy
	}
	return d
}

func (r *Rule) matches(window string, age int, ageOK bool, e Elder, site Place) bool {
	if len(r.Windows) > 0 && !slices.Contains(r.Windows, window) {
		return false
	}
	if r.Age != nil {
		if !ageOK || age < r.Age.Min || (r.Age.Max > 0 && age > r.Age.Max) {
			return false
		}
	}
	if len(r.Categories) > 0 && !slices.ContainsFunc(e.Categories, func(c string) bool { return slices.Contains(r.Categories, c) }) {
		return false
	}
	switch r.Hukou {
	case HukouLocal:
		if !e.HukouLocal {
			return false
		}
	case HukouNonLocal:
		if e.HukouLocal {
			return false
		}
	}
	if rs := r.Residence; rs != nil {
		code := siteCode(rs.Scope, e.Residence)
		if code == "" {
			return false
		}
		if len(rs.Codes) == 0 {
			return code == siteCode(rs.Scope, site)
		}
		return slices.Contains(rs.Codes, code)
	}
	return true
}

// grant computes what rule i grants for a meal at price: a discount taken
// off the price first when the rule says so, then the nominal subsidy
// split over the funding layers in order, the shares lost outside their
// jurisdiction dropped, then capped at the price less that discount (taken
// off the last layers first).
func (p *Policy) grant(i int, price eldergate.Fen, in Input) outcome {
	r := &p.Rules[i]
	o := outcome{rule: i}
	if r.discountFirst() {
		o.pre = halfUp(price, int64(r.Discount.Percent), 100)
	}
	if !r.hasSubsidy() {
		o.reason = ReasonDiscountOnly
		return o
	}
	price -= o.pre // from here on, the price the subsidy applies to
	spend := price + o.pre
	if r.MinSpendOn == MinSpendOnDiscounted {
		spend = price
	}
	if spend < r.MinSpendFen {
		o.reason = ReasonBelowMinSpend
		return o
	}
	nominal := r.Subsidy.FixedFen
	if r.Subsidy.Percent > 0 {
		nominal = halfUp(price, int64(r.Subsidy.Percent), 100)
	}
	layers := r.Funding
	if layers == nil {
		layers = p.Funding
	}
	fens := make([]eldergate.Fen, len(layers))
	left, restAt := nominal, -1
	for j, l := range layers {
		if l.Rest {
			restAt = j
			continue
		}
		fens[j] = min(l.Fen, left)
		left -= fens[j]
	}
	if restAt >= 0 {
		fens[restAt] = left
	}
	lost := false
	for j, l := range layers {
		if fens[j] == 0 {
			continue
		}
		code, inside := jurisdiction(l.Scope, in.Elder.Home, in.Site.Place)
		out := l.Outside
		if out == "" {
			out = OutsideLose
		}
		if !inside {
			switch out {
			case OutsideLose:
				fens[j], lost = 0, true
				continue
			case OutsideSite:
				code = siteCode(l.Scope, in.Site.Place)
			}
		}
		o.shares = append(o.shares, eldergate.FundingShare{Layer: l.Layer, Code: code, Fen: fens[j]})
		o.subsidy += fens[j]
	}
	if o.subsidy > price {
		o.shares = trim(o.shares, price)
		o.subsidy = price
	}
	if o.subsidy == 0 {
		o.shares = nil
		o.reason = ReasonNoSubsidy
		if lost {
			o.reason = ReasonOutsideJurisdiction
		}
	}
	return o
}

// trim reduces shares to total, taking from the last share first, and
// drops the shares left at zero. It returns a new slice.
func trim(shares []eldergate.FundingShare, total eldergate.Fen) []eldergate.FundingShare {
	out := slices.Clone(shares)
	var sum eldergate.Fen
	for _, s := range out {
		sum += s.Fen
	}
	for j := len(out) - 1; j >= 0 && sum > total; j-- {
		cut := min(out[j].Fen, sum-total)
		out[j].Fen -= cut
		sum -= cut
	}
	out = slices.DeleteFunc(out, func(s eldergate.FundingShare) bool { return s.Fen == 0 })
	if out == nil {
		out = []eldergate.FundingShare{}
	}
	return out
}

// jurisdiction reports the elder's home code at scope and whether the site
// lies in it. An elder without a home code at that scope (no local hukou)
// is outside everywhere.
func jurisdiction(scope string, home, site Place) (string, bool) {
	var h, s string
	switch scope {
	case ScopeCity:
		h, s = home.City, site.City
	case ScopeDistrict:
		h, s = home.District, site.District
	case ScopeStreet:
		h, s = home.Street, site.Street
	default:
		return "", true
	}
	return h, h != "" && h == s
}

func siteCode(scope string, site Place) string {
	switch scope {
	case ScopeCity:
		return site.City
	case ScopeDistrict:
		return site.District
	case ScopeStreet:
		return site.Street
	}
	return ""
}

// WindowStart returns the start of the window called name on the local
// day (in the policy's zone) of day, and false when the policy has no
// such window or is not valid.
func (p *Policy) WindowStart(name string, day time.Time) (time.Time, bool) {
	c, err := p.prepared()
	if err != nil {
		return time.Time{}, false
	}
	i, ok := c.index[name]
	if !ok {
		return time.Time{}, false
	}
	lt := day.In(c.loc)
	m := c.windows[i].start
	return time.Date(lt.Year(), lt.Month(), lt.Day(), m/60, m%60, 0, 0, c.loc), true
}

// WindowAt returns the meal window that contains at (in the policy's
// zone) and when it ends, in UTC; ok is false outside every window and
// for a policy that is not valid. An update waits for that end: no
// gateway installs while its site serves a meal (docs/adr/0031).
func (p *Policy) WindowAt(at time.Time) (name string, end time.Time, ok bool) {
	c, err := p.prepared()
	if err != nil {
		return "", time.Time{}, false
	}
	lt := at.In(c.loc)
	i := c.windowAt(lt)
	if i < 0 {
		return "", time.Time{}, false
	}
	m := c.windows[i].end // "24:00" is 1440: midnight of the next day
	return p.Windows[i].Name, time.Date(lt.Year(), lt.Month(), lt.Day(), m/60, m%60, 0, 0, c.loc).UTC(), true
}
