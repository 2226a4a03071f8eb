package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// noon is 12:00 in Shanghai on Monday 3 March 2025.
var noon = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

const base = `
version: t1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: lunch, start: "11:00", end: "13:30", price: {fixed_fen: 1200}}
  - {name: dinner, start: "17:00", end: "19:00", price: {per_100g_fen: 300, min_fen: 800, max_fen: 2000}}
rules:
  - {id: r1, subsidy: {fixed_fen: 500}}
funding:
  - {layer: city, scope: city, fen: 200, outside: lose}
  - {layer: district, scope: district, rest: true, outside: home}
`

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var local = Elder{ID: "e1", Birth: "1950-01-01", HukouLocal: true, Home: Place{City: "440300", District: "440307", Street: "440307001"}}
var homeSite = Site{ID: "s1", Place: Place{City: "440300", District: "440307", Street: "440307001"}}

func TestParseYAMLAndJSONAgree(t *testing.T) {
	p := mustParse(t, base)
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(js)
	if err != nil {
		t.Fatalf("JSON of a parsed policy: %v\n%s", err, js)
	}
	in := Input{Elder: local, Site: homeSite, At: noon}
	if a, b := p.Decide(in), q.Decide(in); a.PayFen != b.PayFen || a.SubsidyFen != 500 || b.SubsidyFen != 500 {
		t.Fatalf("YAML %+v, JSON %+v", a, b)
	}
}

func TestParseStrict(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"yaml unknown key":  {base + "bogus: 1\n", `line 12: unknown field "bogus"`},
		"yaml nested key":   {strings.Replace(base, "{fixed_fen: 500}", "{fixed_fen: 500, extra: 1}", 1), `unknown field "extra"`},
		"json unknown key":  {`{"version":"v","bogus":1}`, `unknown field "bogus"`},
		"json trailing":     {`{"version":"v"} {}`, "trailing"},
		"empty":             {"  \n", "empty"},
		"too large":         {strings.Repeat(" ", MaxPolicyBytes+1), "larger"},
		"yaml wrong type":   {strings.Replace(base, "fixed_fen: 1200", "fixed_fen: twelve", 1), `expected a whole number, got "twelve"`},
		"json wrong type":   {`{"version":"v","windows":[{"price":{"fixed_fen":"x"}}]}`, "windows.price.fixed_fen: expected a whole number, got string"},
		"yaml list":         {strings.Replace(base, "match: first_match", "match: [a]", 1), "expected text, got a list"},
		"duration":          {base + "stale_usage: {after: soon, action: allow}\n", "not a duration"},
		"validation in yml": {strings.Replace(base, "match: first_match", "match: any", 1), `policy: match: "any"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct{ from, to, field string }{
		{"version: t1", "version: ''", "version"},
		{"Asia/Shanghai", "Mars/Base", "time_zone"},
		{"Asia/Shanghai", "Local", "time_zone"},
		{`start: "11:00"`, `start: "11:60"`, "windows[0].start"},
		{`end: "13:30"`, `end: "10:00"`, "windows[0].end"},
		{`start: "17:00"`, `start: "13:00"`, "windows[1]"}, // overlaps lunch
		{"name: dinner", "name: lunch", "windows[1].name"},
		{"name: dinner", "name: a/b", "windows[1].name"},
		{"{fixed_fen: 1200}", "{fixed_fen: 1200, per_100g_fen: 10}", "windows[0].price"},
		{"min_fen: 800", "min_fen: 3000", "windows[1].price.min_fen"},
		{"fixed_fen: 1200", "fixed_fen: -1", "windows[0].price.fixed_fen"},
		{"fixed_fen: 1200", "fixed_fen: 10000001", "windows[0].price.fixed_fen"},
		{"{id: r1, subsidy", "{id: '', subsidy", "rules[0].id"},
		{"{fixed_fen: 500}", "{}", "rules[0].subsidy"},
		{"{fixed_fen: 500}", "{percent: 101}", "rules[0].subsidy.percent"},
		{"{fixed_fen: 500}", "{fixed_fen: 500}, hukou: maybe", "rules[0].hukou"},
		{"{fixed_fen: 500}", "{fixed_fen: 500}, age: {min: 80, max: 70}", "rules[0].age.max"},
		{"{fixed_fen: 500}", "{fixed_fen: 500}, windows: [brunch]", "rules[0].windows[0]"},
		{"{fixed_fen: 500}", "{fixed_fen: 500}, discount: {percent: 0, funded_by: hall}", "rules[0].discount.percent"},
		{"{fixed_fen: 500}", "{fixed_fen: 500}, discount: {percent: 10}", "rules[0].discount.funded_by"},
		{"scope: city", "scope: planet", "funding[0].scope"},
		{"outside: lose", "outside: maybe", "funding[0].outside"},
		{"fen: 200,", "fen: 200, rest: true,", "funding[0]"},
		{"rest: true, outside: home", "fen: 100, outside: home", "funding"}, // 300 fen do not fund 500
		{"layer: district", "layer: city", "funding[1].layer"},
		{"match: first_match", "match: ''", "match"},
	} {
		if !strings.Contains(base, tc.from) {
			t.Fatalf("%q not in the base policy", tc.from)
		}
		_, err := Parse([]byte(strings.Replace(base, tc.from, tc.to, 1)))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s -> %s: err = %v, want a FieldError on %s", tc.from, tc.to, err, tc.field)
		}
	}
	extra := map[string]string{
		"limits:\n  - {period: year, count: 1}\n":               "limits[0].period",
		"limits:\n  - {period: day}\n":                          "limits[0]",
		"limits:\n  - {period: day, count: 1, action: shrug}\n": "limits[0].action",
		"stale_usage: {after: 0s, action: allow}\n":             "stale_usage.after",
		"stale_usage: {after: 1h, action: pray}\n":              "stale_usage.action",
		"operating_subsidy: {fen: 100}\n":                       "operating_subsidy.funded_by",
		"not_eligible: ignore\n":                                "not_eligible",
	}
	for add, field := range extra {
		_, err := Parse([]byte(base + add))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%q: err = %v, want a FieldError on %s", add, err, field)
		}
	}
}

func TestPriceSources(t *testing.T) {
	p := mustParse(t, base)
	dinner := noon.Add(6 * time.Hour) // 18:00
	for _, tc := range []struct {
		name   string
		in     Input
		price  eldergate.Fen
		reason string
	}{
		{"fixed", Input{At: noon}, 1200, ReasonOK},
		{"rung up overrides fixed", Input{At: noon, PriceFen: 1500}, 1500, ReasonOK},
		{"by weight, half up: 455 g x 3.00/100 g = 13.65", Input{At: dinner, WeightG: 455}, 1365, ReasonOK},
		{"by weight rounds 0.5 fen up: 1 g x 3.5", Input{At: dinner, WeightG: 1}, 800, ReasonOK}, // min 8 yuan
		{"by weight below min", Input{At: dinner, WeightG: 100}, 800, ReasonOK},
		{"by weight above max", Input{At: dinner, WeightG: 5000}, 2000, ReasonOK},
		{"by weight without weight", Input{At: dinner}, 0, ReasonPriceUnknown},
		{"negative price", Input{At: noon, PriceFen: -1}, 0, ReasonInvalidInput},
		{"absurd weight", Input{At: dinner, WeightG: MaxWeightG + 1}, 0, ReasonInvalidInput},
	} {
		tc.in.Elder, tc.in.Site = local, homeSite
		d := p.Decide(tc.in)
		if d.PriceFen != tc.price || d.Reason != tc.reason {
			t.Errorf("%s: price %d reason %s, want %d %s", tc.name, d.PriceFen, d.Reason, tc.price, tc.reason)
		}
	}
	if got := halfUp(1, 35, 10); got != 4 { // 3.5 -> 4
		t.Errorf("halfUp(3.5) = %d", got)
	}
	if got := halfUp(1, 34, 10); got != 3 {
		t.Errorf("halfUp(3.4) = %d", got)
	}
}

func TestFundingSplitCapAndJurisdiction(t *testing.T) {
	p := mustParse(t, base)
	// Price 300 < subsidy 500: capped at the price, taken off the last layer first.
	d := p.Decide(Input{Elder: local, Site: homeSite, At: noon, PriceFen: 300})
	if d.SubsidyFen != 300 || d.PayFen != 0 || len(d.Funding) != 2 || d.Funding[0].Fen != 200 || d.Funding[1].Fen != 100 {
		t.Fatalf("capped: %+v", d)
	}
	d = p.Decide(Input{Elder: local, Site: homeSite, At: noon, PriceFen: 150})
	if d.SubsidyFen != 150 || len(d.Funding) != 1 || d.Funding[0].Layer != "city" {
		t.Fatalf("capped below the first share: %+v", d)
	}
	// Another city: the city share (outside: lose) is lost, the district
	// share (outside: home) is still paid by the home district.
	far := Site{ID: "gz", Place: Place{City: "440100", District: "440106", Street: "440106001"}}
	d = p.Decide(Input{Elder: local, Site: far, At: noon})
	if d.SubsidyFen != 300 || len(d.Funding) != 1 || d.Funding[0] != (eldergate.FundingShare{Layer: "district", Code: "440307", Fen: 300}) {
		t.Fatalf("outside: %+v", d)
	}
	// outside: site makes the site's district pay.
	q := mustParse(t, strings.Replace(base, "outside: home", "outside: site", 1))
	d = q.Decide(Input{Elder: local, Site: far, At: noon})
	if d.Funding[0].Code != "440106" {
		t.Fatalf("site pays: %+v", d)
	}
	// Every share lost: full price, reason outside_jurisdiction.
	r := mustParse(t, strings.Replace(base, "outside: home", "outside: lose", 1))
	d = r.Decide(Input{Elder: local, Site: far, At: noon})
	if d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonOutsideJurisdiction || d.PayFen != 1200 {
		t.Fatalf("all lost: %+v", d)
	}
	// Percentage subsidy: 33% of 1200 = 396.
	s := mustParse(t, strings.Replace(base, "{fixed_fen: 500}", "{percent: 33}", 1))
	if d := s.Decide(Input{Elder: local, Site: homeSite, At: noon}); d.SubsidyFen != 396 || d.Funding[1].Fen != 196 {
		t.Fatalf("percent: %+v", d)
	}
}

func TestMatchModes(t *testing.T) {
	rules := `
rules:
  - {id: small, age: {min: 60}, subsidy: {fixed_fen: 300}}
  - {id: big, categories: [低保], subsidy: {fixed_fen: 800}}
  - {id: nonlocal, hukou: nonlocal, subsidy: {fixed_fen: 100}}
`
	src := strings.Replace(base, "rules:\n  - {id: r1, subsidy: {fixed_fen: 500}}\n", rules, 1)
	first := mustParse(t, src)
	best := mustParse(t, strings.Replace(src, "first_match", "best_match", 1))
	e := local
	e.Categories = []string{"低保"}
	if d := first.Decide(Input{Elder: e, Site: homeSite, At: noon}); d.Rule != "small" || d.SubsidyFen != 300 {
		t.Errorf("first_match: %+v", d)
	}
	if d := best.Decide(Input{Elder: e, Site: homeSite, At: noon}); d.Rule != "big" || d.SubsidyFen != 800 {
		t.Errorf("best_match: %+v", d)
	}
	// Best match compares what is actually granted: at a 200-fen meal both
	// rules give 200 and the earlier rule wins the tie.
	if d := best.Decide(Input{Elder: e, Site: homeSite, At: noon, PriceFen: 200}); d.Rule != "small" || d.SubsidyFen != 200 {
		t.Errorf("best_match tie: %+v", d)
	}
	young := Elder{ID: "y", Birth: "1990-01-01", HukouLocal: true}
	if d := best.Decide(Input{Elder: young, Site: homeSite, At: noon}); d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonNotEligible {
		t.Errorf("not eligible: %+v", d)
	}
	nb := Elder{ID: "n", Birth: "not a date"}
	if d := best.Decide(Input{Elder: nb, Site: homeSite, At: noon}); d.Rule != "nonlocal" {
		t.Errorf("unknown age matches no age band, the hukou rule still applies: %+v", d)
	}
	refuse := mustParse(t, src+"not_eligible: refuse\n")
	if d := refuse.Decide(Input{Elder: young, Site: homeSite, At: noon}); d.Decision != eldergate.DecisionRefused || d.Reason != ReasonNotEligible {
		t.Errorf("not eligible, refuse: %+v", d)
	}
}

func TestLimits(t *testing.T) {
	p := mustParse(t, base+`limits:
  - {period: window, count: 1, action: refuse}
  - {period: week, count: 3}
  - {period: month, fen: 1200}
`)
	in := Input{Elder: local, Site: homeSite, At: noon}
	d := p.Decide(in)
	if d.Decision != eldergate.DecisionApproved {
		t.Fatalf("first: %+v", d)
	}
	in.Usage = Usage{Window: Counter{1, 500}, Day: Counter{1, 500}, Week: Counter{1, 500}, Month: Counter{1, 500}}
	if d := p.Decide(in); d.Decision != eldergate.DecisionRefused || d.Reason != ReasonAlreadyServed || d.Limit != "window.count" {
		t.Fatalf("same window: %+v", d)
	}
	// A week count limit (default action full_pay).
	in.Usage = Usage{Week: Counter{3, 1000}, Month: Counter{3, 1000}}
	if d := p.Decide(in); d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonLimitReached || d.Limit != "week.count" || d.PayFen != 1200 {
		t.Fatalf("week: %+v", d)
	}
	// Refuse wins over full_pay when both are reached.
	in.Usage = Usage{Window: Counter{1, 500}, Week: Counter{3, 1000}, Month: Counter{3, 1000}}
	if d := p.Decide(in); d.Decision != eldergate.DecisionRefused || d.Limit != "window.count" {
		t.Fatalf("both: %+v", d)
	}
	// A fen limit caps the last meal at what is left: 1200 - 1000 = 200.
	in.Usage = Usage{Month: Counter{2, 1000}}
	d = p.Decide(in)
	if d.Decision != eldergate.DecisionApproved || d.SubsidyFen != 200 || d.PayFen != 1000 || d.Funding[0].Fen != 200 || len(d.Funding) != 1 {
		t.Fatalf("month fen cap: %+v", d)
	}
	in.Usage = Usage{Month: Counter{3, 1200}}
	if d := p.Decide(in); d.Decision != eldergate.DecisionFullPay || d.Limit != "month.fen" {
		t.Fatalf("month fen exhausted: %+v", d)
	}
}

func TestDiscountOperatingAndStale(t *testing.T) {
	p := mustParse(t, strings.Replace(base, "{id: r1, subsidy: {fixed_fen: 500}}",
		"{id: r1, subsidy: {fixed_fen: 500}, min_spend_fen: 1000, discount: {percent: 15, funded_by: charity}, operating_subsidy: {fen: 250, funded_by: street}}", 1)+
		"operating_subsidy: {fen: 100, funded_by: district}\nstale_usage: {after: 72h, action: refuse}\n")
	in := Input{Elder: local, Site: homeSite, At: noon, UsageAge: time.Hour}
	d := p.Decide(in)
	// 1200 - 500 = 700; 15% = 105; pays 595.
	if d.DiscountFen != 105 || d.DiscountBy != "charity" || d.PayFen != 595 || d.OperatingFen != 250 || d.OperatingBy != "street" {
		t.Fatalf("discount and operating: %+v", d)
	}
	in.PriceFen = 999
	if d := p.Decide(in); d.Decision != eldergate.DecisionFullPay || d.Reason != ReasonBelowMinSpend || d.DiscountFen != 0 || d.OperatingFen != 0 {
		t.Fatalf("below min spend: %+v", d)
	}
	in.PriceFen, in.UsageAge = 0, 73*time.Hour
	if d := p.Decide(in); d.Decision != eldergate.DecisionRefused || d.Reason != ReasonUsageStale {
		t.Fatalf("stale refuse: %+v", d)
	}
	in.UsageAge = 72 * time.Hour // not longer than after: fresh
	if d := p.Decide(in); d.Decision != eldergate.DecisionApproved {
		t.Fatalf("72h exactly: %+v", d)
	}
	allow := mustParse(t, base+"stale_usage: {after: 72h, action: allow}\n")
	if d := allow.Decide(Input{Elder: local, Site: homeSite, At: noon, UsageAge: -1}); d.Decision != eldergate.DecisionApproved {
		t.Fatalf("stale allow: %+v", d)
	}
}

func TestPeriodsAndAge(t *testing.T) {
	p := mustParse(t, base)
	// 2024-12-30 (Monday) 12:00 local is in ISO week 2025-W01.
	ps, w := p.Periods(time.Date(2024, 12, 30, 4, 0, 0, 0, time.UTC))
	want := Periods{Window: "window:2024-12-30/lunch", Day: "day:2024-12-30", Week: "week:2025-W01", Month: "month:2024-12"}
	if ps != want || w != "lunch" {
		t.Fatalf("periods = %+v %s, want %+v", ps, w, want)
	}
	// 20:00 UTC on 2 March is 04:00 on 3 March in Shanghai: no window, local day.
	ps, w = p.Periods(time.Date(2025, 3, 2, 20, 0, 0, 0, time.UTC))
	if ps.Window != "" || w != "" || ps.Day != "day:2025-03-03" || len(ps.Keys()) != 3 {
		t.Fatalf("night periods = %+v", ps)
	}
	d := p.Refused(noon, eldergate.ReasonCardInactive)
	if d.Decision != eldergate.DecisionRefused || d.Day != "2025-03-03" || d.Window != "lunch" || d.PolicyVersion != "t1" {
		t.Fatalf("Refused = %+v", d)
	}
	for _, tc := range []struct {
		birth, day string
		age        int
		ok         bool
	}{
		{"1950-03-03", "2025-03-03", 75, true},
		{"1950-03-04", "2025-03-03", 74, true},
		{"1952-02-29", "2025-02-28", 72, true},
		{"1952-02-29", "2025-03-01", 73, true},
		{"1952-02-29", "2024-02-29", 72, true},
		{"2030-01-01", "2025-03-03", 0, false},
		{"", "2025-03-03", 0, false},
	} {
		day, _ := time.Parse(time.DateOnly, tc.day)
		if age, ok := AgeAt(tc.birth, day); age != tc.age || ok != tc.ok {
			t.Errorf("AgeAt(%s, %s) = %d %v, want %d %v", tc.birth, tc.day, age, ok, tc.age, tc.ok)
		}
	}
}

func TestFlatAndUnvalidated(t *testing.T) {
	p := MustFlat("f1", "Asia/Shanghai",
		FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1500, SubsidyFen: 1000},
		FlatWindow{Name: "snack", Start: "15:00", End: "16:00", PriceFen: 300, SubsidyFen: 500})
	in := Input{Elder: Elder{ID: "e"}, At: noon}
	if d := p.Decide(in); d.Decision != eldergate.DecisionApproved || d.PayFen != 500 || d.Funding[0].Layer != "subsidy" {
		t.Fatalf("flat: %+v", d)
	}
	in.Usage.Window = Counter{1, 1000}
	if d := p.Decide(in); d.Reason != ReasonAlreadyServed {
		t.Fatalf("flat second: %+v", d)
	}
	if d := p.Decide(Input{At: noon.Add(3*time.Hour + 30*time.Minute)}); d.SubsidyFen != 300 || d.PayFen != 0 {
		t.Fatalf("flat capped: %+v", d)
	}
	if _, err := Flat("", "Asia/Shanghai"); err == nil {
		t.Fatal("Flat without version or windows succeeded")
	}
	// A policy built in Go and never validated still decides (compiled per
	// call), concurrently without a data race.
	raw := Policy{Version: "raw", TimeZone: "Asia/Shanghai", Match: FirstMatch,
		Windows: []Window{{Name: "all", Start: "00:00", End: "24:00", Price: Price{FixedFen: 100}}},
		Rules:   []Rule{{ID: "r", Subsidy: Subsidy{FixedFen: 50}, Funding: []Layer{{Layer: "x", Scope: ScopeNone, Rest: true}}}}}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d := raw.Decide(Input{At: noon}); d.SubsidyFen != 50 {
				t.Errorf("raw: %+v", d)
			}
		}()
	}
	wg.Wait()
	bad := raw
	bad.TimeZone = "Nowhere/Nothing"
	if d := bad.Decide(Input{At: noon}); d.Decision != eldergate.DecisionRefused || d.Reason != ReasonInvalidInput {
		t.Fatalf("invalid policy decides: %+v", d)
	}
}

// BenchmarkDecide: one decision with the Zengcheng policy (3 rules, 3
// funding layers, a limit).
func BenchmarkDecide(b *testing.B) {
	data, err := os.ReadFile("../docs/policies/guangzhou-zengcheng-2020.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Elder: Elder{ID: "e", Birth: "1950-01-01", HukouLocal: true, Home: Place{City: "440100", District: "440118", Street: "440118001"}},
		Site: Site{Place: Place{City: "440100", District: "440118", Street: "440118102"}}, At: noon}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(in); d.SubsidyFen != 600 {
			b.Fatalf("%+v", d)
		}
	}
}

// TestRemainingWhenLimitsApply: the week and month quota is told when a
// rule with a subsidy matched (whichever rule the decision took, under
// either match mode) and the usage can be trusted; never for a
// discount-only elder, an elder no rule matches, stale usage served at
// full price or refused, or a policy without week or month limits.
func TestRemainingWhenLimitsApply(t *testing.T) {
	limits := "limits:\n  - {period: day, count: 1}\n  - {period: month, count: 20, fen: 9000}\n  - {period: month, count: 8, action: refuse}\n  - {period: week, fen: 3000}\n"
	p := mustParse(t, base+limits)
	u := Usage{Week: Counter{Count: 2, SubsidyFen: 1000}, Month: Counter{Count: 5, SubsidyFen: 2500}}
	d := p.Decide(Input{Elder: local, Site: homeSite, At: noon, Usage: u})
	// Approved 500: week 3000-1000-500; month count min(20, 8)-6, fen 9000-2500-500.
	got, _ := json.Marshal(d.Remaining)
	if want := `[{"period":"week","until":"2025-03-09","fen":1500},{"period":"month","until":"2025-03-31","count":2,"fen":6000}]`; string(got) != want {
		t.Fatalf("remaining %s, want %s", got, want)
	}
	// The day's limit reached: full price, nothing counted, the quota as before the meal.
	u.Day.Count = 1
	d = p.Decide(Input{Elder: local, Site: homeSite, At: noon, Usage: u})
	got, _ = json.Marshal(d.Remaining)
	if want := `[{"period":"week","until":"2025-03-09","fen":2000},{"period":"month","until":"2025-03-31","count":3,"fen":6500}]`; d.Decision != eldergate.DecisionFullPay || string(got) != want {
		t.Fatalf("%s: remaining %s, want %s", d.Decision, got, want)
	}
	if d := mustParse(t, base+"limits:\n  - {period: day, count: 1}\n").Decide(Input{Elder: local, Site: homeSite, At: noon}); d.Remaining != nil {
		t.Fatalf("no week or month limit: %+v", d.Remaining)
	}
	young := local
	young.Birth = "1990-01-01"
	aged := strings.Replace(base, "{id: r1, subsidy: {fixed_fen: 500}}", "{id: r1, age: {min: 60}, subsidy: {fixed_fen: 500}}", 1)
	if d := mustParse(t, aged+limits).Decide(Input{Elder: young, Site: homeSite, At: noon}); d.Reason != ReasonNotEligible || d.Remaining != nil {
		t.Fatalf("not eligible: %+v", d)
	}
	// A discount-only rule first (first_match): no limit applies to the elder.
	discountFirst := strings.Replace(base, "  - {id: r1,", "  - {id: d1, discount: {percent: 10, funded_by: hall}, subsidy: {}}\n  - {id: r1,", 1)
	if d := mustParse(t, discountFirst+limits).Decide(Input{Elder: local, Site: homeSite, At: noon}); d.Decision != DecisionDiscounted || d.Remaining != nil {
		t.Fatalf("discount only: %+v", d)
	}
	// best_match: the subsidy rule below its minimum spend loses to the
	// discount, but its limits are the elder's: the quota is told.
	best := strings.Replace(strings.Replace(discountFirst, "match: first_match", "match: best_match", 1),
		"{id: r1, subsidy: {fixed_fen: 500}}", "{id: r1, subsidy: {fixed_fen: 500}, min_spend_fen: 5000}", 1)
	d = mustParse(t, best+limits).Decide(Input{Elder: local, Site: homeSite, At: noon})
	if d.Decision != DecisionDiscounted || len(d.Remaining) != 2 || *d.Remaining[1].Count != 8 {
		t.Fatalf("best_match, discount wins: %+v", d)
	}
	for action, told := range map[string]bool{ActionFullPay: false, ActionRefuse: false, ActionAllow: true} {
		sp := mustParse(t, base+limits+"stale_usage: {after: 72h, action: "+action+"}\n")
		if d := sp.Decide(Input{Elder: local, Site: homeSite, At: noon, UsageAge: -1}); (d.Remaining != nil) != told {
			t.Fatalf("stale usage, %s: %s, remaining %+v", action, d.Decision, d.Remaining)
		}
	}
}

func TestErrorLine(t *testing.T) {
	doc := "version: v1\ntime_zone: Asia/Shanghai\nmatch: first_match\nwindows:\n  - {name: lunch, start: \"11:00\", end: \"13:00\", price: {fixed_fen: 1500}}\nrules:\n  - id: a\n    subsidy: {fixed_fen: 500}\n  - id: b\n    subsidy:\n      percent: 140\nfunding:\n  - {layer: city, scope: city, rest: true}\n"
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("percent 140 accepted")
	}
	if got := ErrorLine([]byte(doc), err); got != 11 {
		t.Errorf("line of %v = %d, want 11", err, got)
	}
	bad := "version: v1\nmatch: [\n"
	_, err = Parse([]byte(bad))
	if got := ErrorLine([]byte(bad), err); got == 0 {
		t.Errorf("no line for the syntax error %v", err)
	}
	unknown := "version: v1\ntime_zone: Asia/Shanghai\nmatchh: first_match\n"
	_, err = Parse([]byte(unknown))
	if got := ErrorLine([]byte(unknown), err); got != 3 {
		t.Errorf("line of %v = %d, want 3", err, got)
	}
}

func TestPriceDevicesOfAPolicy(t *testing.T) {
	for _, c := range []struct {
		prices []Price
		want   string
	}{
		{[]Price{{FixedFen: 1500}}, ""},
		{[]Price{{FixedFen: 1500}, {}}, "till"},
		{[]Price{{Per100gFen: 300}}, "scale"},
		{[]Price{{}, {Per100gFen: 300}}, "scale,till"},
	} {
		p := Policy{}
		for i, pr := range c.prices {
			p.Windows = append(p.Windows, Window{Name: fmt.Sprint(i), Price: pr})
		}
		if got := strings.Join(p.PriceDevices(), ","); got != c.want {
			t.Errorf("%+v needs %q, want %q", c.prices, got, c.want)
		}
	}
}
