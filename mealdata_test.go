package eldergate

import (
	"strings"
	"testing"
)

// TestMealDataPolicyFields: the fields added with the policy engine are
// optional (old events still decode) and checked when present.
func TestMealDataPolicyFields(t *testing.T) {
	const head = `{"elder_id":"E1","window":"lunch","day":"2025-03-03","decision":"approved","price_fen":2000,"subsidy_fen":600,"pay_fen":1260`
	ok := head + `,"rule":"zhuhai-60","discount_fen":140,"discount_funded_by":"hall","operating_subsidy_fen":300,"funding":[{"layer":"city","code":"440400","fen":300},{"layer":"district","code":"440402","fen":300}]}`
	m, err := DecodeMealData([]byte(ok))
	if err != nil || m.Rule != "zhuhai-60" || m.DiscountFen != 140 || len(m.Funding) != 2 || m.Funding[1].Code != "440402" || m.OperatingFen != 300 {
		t.Fatalf("DecodeMealData = %+v, %v", m, err)
	}
	if m, err := DecodeMealData([]byte(head + `,"price_source":"till","till":"till-1","till_ref":"S-0042"}`)); err != nil || m.PriceSource != PriceSourceTill || m.Till != "till-1" || m.TillRef != "S-0042" {
		t.Fatalf("a meal priced by a till: %+v, %v", m, err)
	}
	if _, err := DecodeMealData([]byte(head + `}`)); err != nil {
		t.Fatalf("a meal without the policy fields: %v", err)
	}
	// A discount-only meal (ADR 0015): decision discounted, no subsidy.
	disc := `{"elder_id":"E1","window":"lunch","day":"2025-03-03","decision":"discounted","reason":"discount_only","price_fen":1235,"subsidy_fen":0,"pay_fen":1111,"rule":"only","discount_fen":124,"discount_funded_by":"hall"}`
	if m, err := DecodeMealData([]byte(disc)); err != nil || m.Decision != DecisionDiscounted || m.DiscountFen != 124 {
		t.Fatalf("discounted meal = %+v, %v", m, err)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"discounted with a subsidy": {strings.Replace(head, `"approved"`, `"discounted"`, 1) + `}`, "data.subsidy_fen"},
		"unknown decision":          {strings.Replace(head, `"approved"`, `"half_pay"`, 1) + `}`, "data.decision"},
		"unknown price source":      {head + `,"price_source":"abacus"}`, "data.price_source"},
		"till ref too long":         {head + `,"price_source":"till","till":"till-1","till_ref":"` + strings.Repeat("r", 300) + `"}`, "too long"},
		"shares do not sum":         {head + `,"funding":[{"layer":"city","fen":300}]}`, "data.funding"},
		"negative share":            {head + `,"funding":[{"layer":"city","fen":300},{"layer":"x","fen":-300}]}`, "data.funding[1]"},
		"share without layer":       {head + `,"funding":[{"fen":600}]}`, "data.funding[0]"},
		"discount too large":        {head + `,"discount_fen":1401}`, "data.discount_fen"},
		"negative discount":         {head + `,"discount_fen":-1}`, "negative"},
		"negative operating":        {head + `,"operating_subsidy_fen":-1}`, "negative"},
		"rule too long":             {head + `,"rule":"` + strings.Repeat("r", 300) + `"}`, "too long"},
		"too many shares":           {head + `,"funding":[` + strings.TrimSuffix(strings.Repeat(`{"layer":"a","fen":1},`, MaxFundingShares+1), ",") + `]}`, "data.funding"},
		"subsidy above price":       {strings.Replace(head, `"subsidy_fen":600`, `"subsidy_fen":2001`, 1) + `}`, "data.subsidy_fen"},
	} {
		if _, err := DecodeMealData([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}
