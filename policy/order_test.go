package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
)

// ordered is a policy with the shapes of ADR 0015: a discount before the
// subsidy with the minimum spend on the discounted price, a discount-only
// rule, and a residence rule.
const ordered = `
version: o1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: lunch, start: "11:00", end: "13:30", price: {}}
rules:
  - id: first
    age: {min: 80}
    discount: {percent: 20, funded_by: hall, apply: before_subsidy}
    subsidy: {fixed_fen: 500}
    min_spend_fen: 1000
    min_spend_on: discounted
  - id: resident
    age: {min: 70}
    residence: {scope: district}
    subsidy: {percent: 50}
    funding:
      - {layer: district, scope: district, rest: true, outside: site}
  - id: only
    age: {min: 60, max: 69}
    discount: {percent: 10, funded_by: hall}
funding:
  - {layer: city, scope: none, rest: true}
limits:
  - {period: day, count: 1}
`

// TestValidateOrderFieldsNameTheField: each new field used wrongly is a
// FieldError naming it.
func TestValidateOrderFieldsNameTheField(t *testing.T) {
	mustParse(t, ordered)
	for _, tc := range []struct{ from, to, field string }{
		{"apply: before_subsidy", "apply: first", "rules[0].discount.apply"},
		{"min_spend_on: discounted", "min_spend_on: cost", "rules[0].min_spend_on"},
		{"apply: before_subsidy", "apply: after_subsidy", "rules[0].min_spend_on"}, // discounted needs the discount first
		{"    min_spend_fen: 1000\n", "", "rules[0].min_spend_on"},                 // min_spend_on without min_spend_fen
		{"residence: {scope: district}", "residence: {scope: county}", "rules[1].residence.scope"},
		{"residence: {scope: district}", "residence: {codes: ['440307']}", "rules[1].residence.scope"},
		{"residence: {scope: district}", "residence: {scope: district, codes: ['']}", "rules[1].residence.codes[0]"},
		{"discount: {percent: 10, funded_by: hall}", "discount: {percent: 10, funded_by: hall, apply: after_subsidy}", "rules[2].discount.apply"},
		{"discount: {percent: 10, funded_by: hall}", "discount: {percent: 10, funded_by: hall}\n    min_spend_fen: 100", "rules[2].min_spend_fen"},
		{"discount: {percent: 10, funded_by: hall}", "discount: {percent: 10, funded_by: hall}\n    operating_subsidy: {fen: 100, funded_by: x}", "rules[2].operating_subsidy"},
		{"discount: {percent: 10, funded_by: hall}", "discount: {percent: 10, funded_by: hall}\n    funding: [{layer: x, scope: none, rest: true}]", "rules[2].funding"},
		{"discount: {percent: 10, funded_by: hall}", "discount: {percent: 0, funded_by: hall}", "rules[2].discount.percent"},
		{"    discount: {percent: 10, funded_by: hall}\n", "", "rules[2].subsidy"}, // neither subsidy nor discount
	} {
		if !strings.Contains(ordered, tc.from) {
			t.Fatalf("%q not in the policy", tc.from)
		}
		_, err := Parse([]byte(strings.Replace(ordered, tc.from, tc.to, 1)))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s -> %s: err = %v, want a FieldError on %s", tc.from, tc.to, err, tc.field)
		}
	}
}

func TestDiscountBeforeSubsidy(t *testing.T) {
	p := mustParse(t, ordered)
	old := Elder{ID: "o", Birth: "1940-01-01"}
	for _, tc := range []struct {
		name                   string
		price                  eldergate.Fen
		usage                  Usage
		decision, reason       string
		subsidy, discount, pay eldergate.Fen
	}{
		// 15.00: 20% off = 3.00, then 5.00 subsidy on 12.00: pays 7.00.
		{"15 yuan", 1500, Usage{}, "approved", "ok", 500, 300, 700},
		// 12.00 - 2.40 = 9.60 < 10.00 (minimum on the discounted price): the
		// discount stands, no subsidy.
		{"12 yuan below the minimum once discounted", 1200, Usage{}, "discounted", "below_minimum_spend", 0, 240, 960},
		// 12.50 - 2.50 = 10.00: exactly the minimum.
		{"12.50 yuan", 1250, Usage{}, "approved", "ok", 500, 250, 500},
		// 12.53: 20% = 2.506 -> 2.51 off (half up), 10.02 >= 10.00.
		{"rounding half up", 1253, Usage{}, "approved", "ok", 500, 251, 502}, // 250.6 -> 251
		// Day limit used: the discount stands, the subsidy does not.
		{"limit reached", 1500, Usage{Day: Counter{1, 500}}, "discounted", ReasonLimitReached, 0, 300, 1200},
	} {
		d := p.Decide(Input{Elder: old, At: noon, PriceFen: tc.price, Usage: tc.usage})
		checkInvariants(t, tc.name, d)
		if d.Decision != tc.decision || d.Reason != tc.reason || d.SubsidyFen != tc.subsidy || d.DiscountFen != tc.discount || d.PayFen != tc.pay || d.Rule != "first" {
			t.Errorf("%s: %+v", tc.name, d)
		}
		if d.Decision == DecisionDiscounted && d.Counts() {
			t.Errorf("%s: a discounted meal counts in the usage", tc.name)
		}
	}
	// The subsidy is capped at the discounted price, never the price.
	q := mustParse(t, strings.Replace(ordered, "{fixed_fen: 500}", "{fixed_fen: 5000}", 1))
	d := q.Decide(Input{Elder: old, At: noon, PriceFen: 1500})
	checkInvariants(t, "cap", d)
	if d.SubsidyFen != 1200 || d.DiscountFen != 300 || d.PayFen != 0 {
		t.Fatalf("cap = %+v", d)
	}
	// min_spend_on: price compares the undiscounted price.
	q = mustParse(t, strings.Replace(ordered, "min_spend_on: discounted", "min_spend_on: price", 1))
	if d := q.Decide(Input{Elder: old, At: noon, PriceFen: 1200}); d.Decision != "approved" || d.SubsidyFen != 500 || d.DiscountFen != 240 || d.PayFen != 460 {
		t.Fatalf("min spend on the price = %+v", d)
	}
}

func TestDiscountOnlyRule(t *testing.T) {
	p := mustParse(t, ordered)
	young := Elder{ID: "y", Birth: "1960-01-01"} // 65
	// 10% off 12.35 = 1.235 -> 1.24 (half up); no subsidy, no funding.
	d := p.Decide(Input{Elder: young, At: noon, PriceFen: 1235, Usage: Usage{Day: Counter{5, 5000}}})
	checkInvariants(t, "discount only", d)
	if d.Decision != DecisionDiscounted || d.Reason != ReasonDiscountOnly || d.DiscountFen != 124 || d.PayFen != 1111 ||
		d.SubsidyFen != 0 || len(d.Funding) != 0 || d.DiscountBy != "hall" || d.Rule != "only" || d.Counts() {
		t.Fatalf("discount only = %+v", d)
	}
	// A discount rounding to nothing: full price.
	if d := p.Decide(Input{Elder: young, At: noon, PriceFen: 4}); d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonDiscountOnly || d.PayFen != 4 {
		t.Fatalf("4 fen = %+v", d)
	}
	// best_match: a subsidy beats a discount; among rules granting no
	// subsidy, the larger discount wins.
	best := strings.Replace(ordered, "match: first_match", "match: best_match", 1)
	best = strings.Replace(best, "age: {min: 60, max: 69}", "age: {min: 60}", 1)
	q := mustParse(t, best)
	old := Elder{ID: "o", Birth: "1940-01-01"}
	if d := q.Decide(Input{Elder: old, At: noon, PriceFen: 1500}); d.Rule != "first" || d.SubsidyFen != 500 {
		t.Fatalf("best with subsidy = %+v", d)
	}
	// 11.00 - 2.20 = 8.80 < 10: rule first grants nothing but 20%; rule
	// only 10%: first wins on the discount.
	if d := q.Decide(Input{Elder: old, At: noon, PriceFen: 1100}); d.Rule != "first" || d.DiscountFen != 220 || d.Decision != DecisionDiscounted {
		t.Fatalf("best by discount = %+v", d)
	}
}

func TestResidenceRule(t *testing.T) {
	p := mustParse(t, ordered)
	site := Site{ID: "s", Place: Place{City: "440300", District: "440307", Street: "440307001"}}
	resident := Elder{ID: "r", Birth: "1950-01-01", HukouLocal: false, Residence: Place{City: "440300", District: "440307"}}
	d := p.Decide(Input{Elder: resident, Site: site, At: noon, PriceFen: 1500})
	checkInvariants(t, "resident", d)
	if d.Decision != "approved" || d.Rule != "resident" || d.SubsidyFen != 750 || d.PayFen != 750 ||
		len(d.Funding) != 1 || d.Funding[0].Code != "440307" {
		t.Fatalf("resident = %+v", d)
	}
	// Living in another district, or residence unknown: not this rule.
	for _, e := range []Elder{
		{ID: "a", Birth: "1950-01-01", Residence: Place{City: "440300", District: "440304"}},
		{ID: "b", Birth: "1950-01-01", HukouLocal: true, Home: site.Place},
	} {
		if d := p.Decide(Input{Elder: e, Site: site, At: noon, PriceFen: 1500}); d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonNotEligible {
			t.Fatalf("%s: %+v", e.ID, d)
		}
	}
	// Listed codes instead of the site's district.
	q := mustParse(t, strings.Replace(ordered, "residence: {scope: district}", "residence: {scope: district, codes: ['440304']}", 1))
	other := Elder{ID: "a", Birth: "1950-01-01", Residence: Place{District: "440304"}}
	if d := q.Decide(Input{Elder: other, Site: site, At: noon, PriceFen: 1500}); d.Rule != "resident" || d.SubsidyFen != 750 {
		t.Fatalf("listed code = %+v", d)
	}
	// The roster carries the residence codes.
	r := FromRoster(eldergate.Elder{ID: "x", ResidenceCity: "440300", ResidenceDistrict: "440307", ResidenceStreet: "440307001"})
	if r.Residence != site.Place {
		t.Fatalf("FromRoster residence = %+v", r.Residence)
	}
}
