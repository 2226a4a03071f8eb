package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/textdiff"
	"github.com/eldergate/eldergate/policy"
)

// tillPolicy prices lunch at the till (price: {}).
const tillPolicy = `version: till-1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: lunch, start: "10:00", end: "14:00", price: {}}
rules:
  - {id: age, age: {min: 60}, subsidy: {fixed_fen: 800}}
funding:
  - {layer: city, scope: none, rest: true}
`

// storePolicy uploads a policy text as the bootstrap admin.
func storePolicy(t *testing.T, f *orgFixture, body string) {
	t.Helper()
	if w := do(f.h, "POST", "/api/v1/policies", "adm", body); w.Code != http.StatusCreated && w.Code != http.StatusOK {
		t.Fatalf("store policy: %d %s", w.Code, w.Body)
	}
}

// birth records gw's birth reporting price devices devs.
func birth(t *testing.T, f *orgFixture, gw string, boot uint64, devs string) {
	t.Helper()
	st := eldergate.State{Online: true, Boot: boot, PolicyVersion: "p", PriceDevices: devs}
	if _, err := f.st.ApplyGatewayState(context.Background(), gw, st, f.clock()); err != nil {
		t.Fatal(err)
	}
}

// TestAssignRefusesAPolicyNeedingATill: a till-priced policy to a site
// whose gateway reported no till is 409 with the code, the device and the
// gateway, and nothing changes (no assignment, no command); once the
// gateway reports a till it is assigned; a site whose gateway never
// reported is assigned with the gateway named as unknown; a policy of
// fixed prices needs nothing.
func TestAssignRefusesAPolicyNeedingATill(t *testing.T) {
	f := reconcileFixtureOnly(t)
	ctx := context.Background()
	storePolicy(t, f, tillPolicy)
	_, opA := f.token(t, `{"name":"A 街道运维","role":"operator","scope":"st-a"}`)
	birth(t, f, "gw-a1", 5, eldergate.PriceDeviceScale)

	w := do(f.h, "PUT", "/api/v1/sites/site-gw-a1/policy", opA, `{"version":"till-1"}`)
	var ref PolicyRefusal
	if err := json.Unmarshal(w.Body.Bytes(), &ref); err != nil || w.Code != http.StatusConflict {
		t.Fatalf("till policy to a site without a till: %d %s, want 409", w.Code, w.Body)
	}
	if ref.Code != CodePriceDeviceMissing || len(ref.Checks) != 1 || ref.Checks[0].Device != "till" ||
		!slices.Equal(ref.Checks[0].Lacking, []string{"gw-a1"}) || !strings.Contains(ref.Error, "till") || !strings.Contains(ref.Error, "gw-a1") {
		t.Errorf("refusal %+v", ref)
	}
	if v, err := f.st.SitePolicy(ctx, "site-gw-a1"); err != nil || v != "" {
		t.Errorf("after the refusal the site runs %q (%v), want none", v, err)
	}
	if cmds, _ := f.st.ListCommands(ctx, "gw-a1"); len(cmds) != 0 {
		t.Errorf("commands queued despite the refusal: %+v", cmds)
	}

	if v := getJSON[ConfigView](t, f, opA, "/api/v1/gateways/gw-a1/config"); v.Reported == nil || v.Reported.PriceDevices != "scale" {
		t.Errorf("the config view's reported price devices: %+v", v.Reported)
	}
	birth(t, f, "gw-a1", 6, "scale,till")
	w = do(f.h, "PUT", "/api/v1/sites/site-gw-a1/policy", opA, `{"version":"till-1"}`)
	var ok AssignPolicyResponse
	if json.Unmarshal(w.Body.Bytes(), &ok); w.Code != http.StatusAccepted || len(ok.Commands) != 1 || len(ok.Unknown) != 0 {
		t.Fatalf("till policy to a site with a till: %d %s", w.Code, w.Body)
	}

	w = do(f.h, "PUT", "/api/v1/sites/site-gw-a2/policy", opA, `{"version":"till-1"}`)
	ok = AssignPolicyResponse{}
	if json.Unmarshal(w.Body.Bytes(), &ok); w.Code != http.StatusAccepted || len(ok.Unknown) != 1 || !slices.Equal(ok.Unknown[0].Unknown, []string{"gw-a2"}) {
		t.Fatalf("till policy to a site whose gateway never reported: %d %s, want 202 naming gw-a2 unknown", w.Code, w.Body)
	}

	birth(t, f, "gw-b1", 5, eldergate.PriceDevicesNone)
	if w := do(f.h, "PUT", "/api/v1/sites/site-gw-b1/policy", "adm", `{"version":"http-rec-1"}`); w.Code != http.StatusAccepted {
		t.Errorf("fixed-price policy to a site without devices: %d %s", w.Code, w.Body)
	}

	// The list: each version with its sites, within the caller's scope.
	list := getJSON[[]PolicyEntry](t, f, opA, "/api/v1/policies")
	sites := map[string][]string{}
	for _, p := range list {
		sites[p.Version] = p.Sites
	}
	if !slices.Equal(sites["till-1"], []string{"site-gw-a1", "site-gw-a2"}) || len(sites["http-rec-1"]) != 0 {
		t.Errorf("st-a operator's list: %+v", sites)
	}
	all := getJSON[[]PolicyEntry](t, f, "adm", "/api/v1/policies")
	for _, p := range all {
		if p.Version == "http-rec-1" && !slices.Equal(p.Sites, []string{"site-gw-b1"}) {
			t.Errorf("admin's list: http-rec-1 at %v", p.Sites)
		}
	}
	one := getJSON[PolicyView](t, f, opA, "/api/v1/policies/till-1")
	if one.Body != tillPolicy || !slices.Equal(one.Needs, []string{"till"}) || len(one.Sites) != 2 || one.TimeZone != "Asia/Shanghai" {
		t.Errorf("GET till-1: %+v", one)
	}
}

// reconcileFixtureOnly is the reconciliation's fixture (policy
// http-rec-1, elder E9 with two lunches of 10 February 2026).
func reconcileFixtureOnly(t *testing.T) *orgFixture {
	f, _ := reconcileFixture(t)
	return f
}

// TestPolicyDiffAndValidate: the diff of two stored versions names the
// changed lines; validation answers a valid text with its needs and an
// invalid one with 422, the field and its line.
func TestPolicyDiffAndValidate(t *testing.T) {
	f := reconcileFixtureOnly(t)
	storePolicy(t, f, tillPolicy)
	v2 := strings.Replace(strings.Replace(tillPolicy, "till-1", "till-2", 1), "fixed_fen: 800", "fixed_fen: 900", 1)
	storePolicy(t, f, v2)
	d := getJSON[PolicyDiff](t, f, "adm", "/api/v1/policies/till-2/diff?against=till-1")
	var removed, added []string
	for _, l := range d.Lines {
		switch l.Op {
		case textdiff.Remove:
			removed = append(removed, l.Text)
		case textdiff.Add:
			added = append(added, l.Text)
		}
	}
	if !d.Changed || len(removed) != 2 || len(added) != 2 || !strings.Contains(added[1], "900") || !strings.Contains(removed[1], "800") {
		t.Errorf("diff: removed %q added %q", removed, added)
	}
	if w := do(f.h, "GET", "/api/v1/policies/till-2/diff", "adm", ""); w.Code != http.StatusBadRequest {
		t.Errorf("diff without against: %d", w.Code)
	}
	if w := do(f.h, "GET", "/api/v1/policies/till-2/diff?against=nope", "adm", ""); w.Code != http.StatusNotFound {
		t.Errorf("diff against an unknown version: %d", w.Code)
	}

	w := do(f.h, "POST", "/api/v1/policies/validate", "adm", v2)
	var c PolicyCheck
	if json.Unmarshal(w.Body.Bytes(), &c); w.Code != http.StatusOK || !c.Valid || !c.Stored || !c.Same || !slices.Equal(c.Needs, []string{"till"}) {
		t.Errorf("validate a stored text: %d %s", w.Code, w.Body)
	}
	bad := strings.Replace(v2, "fixed_fen: 900", "percent: 140", 1)
	w = do(f.h, "POST", "/api/v1/policies/validate", "adm", bad)
	c = PolicyCheck{}
	if json.Unmarshal(w.Body.Bytes(), &c); w.Code != http.StatusUnprocessableEntity || c.Valid || c.Field != "rules[0].subsidy.percent" || c.Line != 7 {
		t.Errorf("validate a bad text: %d %s, want 422 on rules[0].subsidy.percent line 7", w.Code, w.Body)
	}
	if _, err := policy.Parse([]byte(bad)); err == nil || !strings.Contains(c.Error, err.Error()) {
		t.Errorf("validation says %q, the upload's parser %v", c.Error, err)
	}
	// The upload refuses it the same way, line included.
	w = do(f.h, "POST", "/api/v1/policies", "adm", bad)
	var up PolicyCheck
	if json.Unmarshal(w.Body.Bytes(), &up); w.Code != http.StatusBadRequest || up.Error != c.Error || up.Line != c.Line || up.Field != c.Field {
		t.Errorf("upload of a bad text: %d %s, want 400 with %+v", w.Code, w.Body, c)
	}
}

// TestPreviewIsTheGatewaysDecision: the preview of E9's lunch at a1
// after the two lunches of the fixture is what the engine decides with
// the counters a gateway holds then (two subsidised lunches in the window,
// day, week and month): full pay on the window limit; the next day's
// lunch is approved with the subsidy split as the gateway splits it.
func TestPreviewIsTheGatewaysDecision(t *testing.T) {
	f := reconcileFixtureOnly(t)
	p, err := policy.Parse([]byte(reconcilePolicy))
	if err != nil {
		t.Fatal(err)
	}
	site := policy.Site{ID: "site-gw-a1", Place: policy.Place{City: "440300", District: "440304", Street: "440304001"}}
	e9 := eldergate.Elder{ID: "E9", Name: "陈九妹", Birth: "1944-04-04", Active: true, HomeCity: "440300", HomeDistrict: "440304", HomeStreet: "440304001"}
	two := policy.Counter{Count: 2, SubsidyFen: 2000}
	for _, c := range []struct {
		name  string
		at    time.Time
		usage policy.Usage
		want  string
	}{
		{"same lunch", time.Date(2026, 2, 10, 5, 0, 0, 0, time.UTC), policy.Usage{Window: two, Day: two, Week: two, Month: two}, eldergate.DecisionFullPay},
		{"next day", time.Date(2026, 2, 11, 4, 0, 0, 0, time.UTC), policy.Usage{Week: two, Month: two}, eldergate.DecisionApproved},
	} {
		gateway := p.Decide(policy.Input{Elder: policy.FromRoster(e9), Site: site, At: c.at, Usage: c.usage})
		body, _ := json.Marshal(PreviewRequest{Site: "site-gw-a1", Elder: "E9", At: &c.at})
		w := do(f.h, "POST", "/api/v1/policies/http-rec-1/preview", "adm", string(body))
		var v PreviewView
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: preview %d %s", c.name, w.Code, w.Body)
		}
		got, _ := json.Marshal(v.Decision)
		want, _ := json.Marshal(gateway)
		if string(got) != string(want) || v.Decision.Decision != c.want {
			t.Errorf("%s: preview decided\n%s\nthe gateway's engine\n%s", c.name, got, want)
		}
		if v.Usage != c.usage || v.Name != eldergate.MaskName("陈九妹") || v.TimeZone != "Asia/Shanghai" {
			t.Errorf("%s: usage %+v name %q zone %q", c.name, v.Usage, v.Name, v.TimeZone)
		}
	}
	// window: the lunch's start on the day of at.
	at := time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)
	body, _ := json.Marshal(PreviewRequest{Site: "site-gw-a1", Elder: "E9", At: &at, Window: "lunch"})
	var v PreviewView
	if w := do(f.h, "POST", "/api/v1/policies/http-rec-1/preview", "adm", string(body)); json.Unmarshal(w.Body.Bytes(), &v) != nil || v.Local != "2026-02-11 10:00" ||
		v.Decision.Decision != eldergate.DecisionApproved || v.Decision.SubsidyFen != 1000 {
		t.Errorf("preview at the lunch window: %d %s", w.Code, w.Body)
	}
	_, opB := f.token(t, `{"name":"B 运维","role":"operator","scope":"st-b"}`)
	for _, c := range []struct {
		tok, body string
		code      int
	}{
		{opB, `{"site":"site-gw-a1","elder":"E9"}`, http.StatusNotFound},
		{"adm", `{"site":"site-gw-a1","elder":"E404"}`, http.StatusNotFound},
		{"adm", `{"site":"site-gw-a1"}`, http.StatusBadRequest},
		{"adm", `{"site":"site-gw-a1","elder":"E9","window":"supper"}`, http.StatusBadRequest},
		{"adm", `{"site":"site-gw-a1","elder":"E9","price_fen":-1}`, http.StatusBadRequest},
	} {
		if w := do(f.h, "POST", "/api/v1/policies/http-rec-1/preview", c.tok, c.body); w.Code != c.code {
			t.Errorf("preview %s: %d %s, want %d", c.body, w.Code, w.Body, c.code)
		}
	}
}

func FuzzPreviewRequest(f *testing.F) {
	f.Add([]byte(`{"site":"s","elder":"E1","at":"2026-02-10T04:00:00Z","window":"lunch","price_fen":1250}`))
	f.Add([]byte(`{"site":"","elder":"E1","weight_g":-3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var q PreviewRequest
		if json.Unmarshal(body, &q) != nil || q.Check() != nil {
			return
		}
		if q.Site == "" || q.Elder == "" || q.PriceFen < 0 || q.PriceFen > policy.MaxFen || q.WeightG < 0 || q.WeightG > policy.MaxWeightG || len(q.Window) > 64 {
			t.Fatalf("accepted %+v", q)
		}
	})
}

func FuzzCheckPolicyText(f *testing.F) {
	f.Add([]byte(tillPolicy))
	f.Add([]byte(strings.Replace(tillPolicy, "800", "-1", 1)))
	f.Add([]byte("{\"version\": 3}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, p := CheckPolicyText(body)
		if (p != nil) != c.Valid || (!c.Valid && c.Error == "") {
			t.Fatalf("check %+v for a parsed %v", c, p != nil)
		}
		// YAML breaks lines at \n, \r and \r\n.
		if lines := strings.Count(string(body), "\n") + strings.Count(string(body), "\r") + 1; c.Line < 0 || c.Line > lines {
			t.Fatalf("line %d of a text of at most %d lines", c.Line, lines)
		}
	})
}

// TestKioskResultsServed: the console's preview words decisions with the
// kiosk's own texts, served from the kiosk package (one copy).
func TestKioskResultsServed(t *testing.T) {
	f := newOrgFixture(t)
	w := do(f.h, "GET", "/kiosk/results.js", "", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "const EG_RESULTS") || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("GET /kiosk/results.js: %d %s %.80s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if w := do(f.h, "GET", "/kiosk/app.js", "", ""); w.Code != http.StatusNotFound {
		t.Errorf("GET /kiosk/app.js: %d, want 404: only the results' texts are served", w.Code)
	}
}
