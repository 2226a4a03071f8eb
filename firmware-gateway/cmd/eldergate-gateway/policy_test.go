package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/policy"
)

const policies = "../../../docs/policies/"

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func evalJSON(t *testing.T, args ...string) policy.Decision {
	t.Helper()
	var out, errb bytes.Buffer
	if err := runPolicy(append([]string{"eval"}, args...), &out, &errb); err != nil {
		t.Fatalf("policy eval %v: %v (%s)", args, err, errb.String())
	}
	var d policy.Decision
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("output is not a decision: %v", err)
	}
	return d
}

// TestPolicyEvalZhuhai: the worked example of the issue through the
// command line: a 20-yuan meal weighed at 500 g costs the elder 12.60.
func TestPolicyEvalZhuhai(t *testing.T) {
	elder := writeFile(t, "elder.json", `{"id":"H1","birth":"1950-05-05","hukou_local":true,"home":{"city":"440400","district":"440402","street":"440402001"}}`)
	d := evalJSON(t, "--policy", policies+"zhuhai-2024.yaml", "--elder", elder, "--at", "2025-03-03T12:00", "--weight-g", "500", "--site", "440400/440402/440402005")
	if d.Decision != "approved" || d.PriceFen != 2000 || d.SubsidyFen != 600 || d.DiscountFen != 140 || d.PayFen != 1260 ||
		len(d.Funding) != 2 || d.Funding[1].Code != "440402" || d.Rule != "zhuhai-60" || d.PolicyVersion != "zhuhai-2024.1" {
		t.Fatalf("decision = %+v", d)
	}
	// The same elder as a roster entry (YAML), eating in Doumen: the
	// district share is lost.
	roster := writeFile(t, "elder.yaml", "{id: H1, name: 张三明, card: C1, birth: '1950-05-05', active: true, hukou_local: true, home_city: '440400', home_district: '440402', home_street: '440402001'}\n")
	site := writeFile(t, "site.yaml", "{id: dm-1, city: '440400', district: '440403', street: '440403001'}\n")
	d = evalJSON(t, "--policy", policies+"zhuhai-2024.yaml", "--elder", roster, "--at", "2025-03-03T04:00:00Z", "--price-fen", "2000", "--site", site)
	if d.SubsidyFen != 300 || d.PayFen != 1530 {
		t.Fatalf("other district = %+v", d)
	}
}

func TestPolicyEvalUsageAndStale(t *testing.T) {
	elder := writeFile(t, "elder.yaml", "id: L1\nbirth: '1950-01-15'\nhukou_local: true\ncategories: [低保]\n")
	usage := writeFile(t, "usage.json", `{"week":{"count":5,"subsidy_fen":7500},"month":{"count":5,"subsidy_fen":7500}}`)
	args := []string{"--policy", policies + "shenzhen-longgang-2025.yaml", "--elder", elder, "--at", "2025-03-03T12:00", "--price-fen", "1800"}
	// What remains of the week's five meals is printed with the decision.
	weekLeft := func(d policy.Decision) int {
		if len(d.Remaining) != 1 || d.Remaining[0].Period != "week" || d.Remaining[0].Until != "2025-03-09" || d.Remaining[0].Count == nil || d.Remaining[0].Fen != nil {
			t.Fatalf("remaining = %+v", d.Remaining)
		}
		return *d.Remaining[0].Count
	}
	if d := evalJSON(t, append(args, "--usage-age", "2h")...); d.Decision != "approved" || d.SubsidyFen != 1500 || d.OperatingFen != 300 || weekLeft(d) != 4 {
		t.Fatalf("fresh = %+v", d)
	}
	if d := evalJSON(t, append(args, "--usage", usage, "--usage-age", "2h")...); d.Decision != "full_pay" || d.Limit != "week.count" || d.PayFen != 1800 || weekLeft(d) != 0 {
		t.Fatalf("sixth of the week = %+v", d)
	}
	if d := evalJSON(t, append(args, "--usage-age", "never")...); d.Decision != "full_pay" || d.Reason != "usage_stale" || d.Remaining != nil {
		t.Fatalf("never synced = %+v", d)
	}
}

func TestPolicyEvalErrors(t *testing.T) {
	elder := writeFile(t, "elder.json", `{"id":"x","birth":"1950-01-01"}`)
	badElder := writeFile(t, "bad.json", `{"id":"x","birthday":"1950-01-01"}`)
	badPolicy := writeFile(t, "p.yaml", "version: v\ntime_zone: Asia/Shanghai\nmatch: sometimes\n")
	zh := policies + "zhuhai-2024.yaml"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "usage: eldergate-gateway policy eval"},
		{[]string{"eval", "--elder", elder, "--at", "2025-03-03T12:00"}, "--policy is required"},
		{[]string{"eval", "--policy", zh, "--at", "2025-03-03T12:00"}, "--elder is required"},
		{[]string{"eval", "--policy", zh, "--elder", elder}, "--at is required"},
		{[]string{"eval", "--policy", zh, "--elder", elder, "--at", "noon"}, `--at "noon"`},
		{[]string{"eval", "--policy", zh, "--elder", elder, "--at", "2025-03-03T12:00", "--price-fen", "1", "--weight-g", "1"}, "not both"},
		{[]string{"eval", "--policy", badPolicy, "--elder", elder, "--at", "2025-03-03T12:00"}, `policy: match: "sometimes"`},
		{[]string{"eval", "--policy", zh, "--elder", badElder, "--at", "2025-03-03T12:00"}, `unknown field "birthday"; the fields are: id, birth, categories`},
		{[]string{"eval", "--policy", zh, "--elder", elder, "--at", "2025-03-03T12:00", "--site", "nowhere"}, "CITY/DISTRICT/STREET"},
		{[]string{"eval", "--policy", zh, "--elder", elder, "--at", "2025-03-03T12:00", "--usage-age", "-1h"}, "--usage-age"},
		{[]string{"eval", "--policy", "/nonexistent.yaml", "--elder", elder, "--at", "2025-03-03T12:00"}, "no such file"},
	} {
		var out, errb bytes.Buffer
		err := runPolicy(tc.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q on an error", tc.args, out.String())
		}
	}
	// Through the command's dispatcher.
	if err := run(context.Background(), []string{"policy"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "policy eval") {
		t.Fatalf("run policy = %v", err)
	}
}
