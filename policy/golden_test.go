package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

var update = flag.Bool("update", false, "rewrite the golden decisions in docs/policies/testdata")

const policiesDir = "../docs/policies"

// goldenCase is one meal of a city policy: the input, and the figures a
// person worked out by hand from the published rules (Expect, a subset of
// the decision's JSON). The full decision is kept in the golden file.
type goldenCase struct {
	Name     string          `json:"name"`
	Elder    Elder           `json:"elder"`
	Site     Site            `json:"site"`
	At       time.Time       `json:"at"`
	PriceFen eldergate.Fen   `json:"price_fen,omitempty"`
	WeightG  int64           `json:"weight_g,omitempty"`
	Usage    Usage           `json:"usage"`
	UsageAge string          `json:"usage_age,omitempty"` // a duration, or "never"
	Expect   json.RawMessage `json:"expect"`
}

type goldenResult struct {
	Name     string   `json:"name"`
	Decision Decision `json:"decision"`
}

// remainingResult is one case's remaining quota, kept in its own golden
// file (<policy>.remaining.golden.json) so that the decision goldens,
// written before the engine told what remains, stand unchanged.
type remainingResult struct {
	Name      string      `json:"name"`
	Remaining []Remaining `json:"remaining"`
}

func (c goldenCase) input(t *testing.T) Input {
	t.Helper()
	in := Input{Elder: c.Elder, Site: c.Site, At: c.At, PriceFen: c.PriceFen, WeightG: c.WeightG, Usage: c.Usage}
	switch c.UsageAge {
	case "":
	case "never":
		in.UsageAge = -1
	default:
		d, err := time.ParseDuration(c.UsageAge)
		if err != nil {
			t.Fatalf("%s: usage_age: %v", c.Name, err)
		}
		in.UsageAge = d
	}
	return in
}

// TestGoldenCityPolicies decides every case of every policy in
// docs/policies: each hand-worked figure must hold, and the whole decision
// must equal the golden file (go test ./policy -run Golden -update rewrites
// it after a reviewed change).
func TestGoldenCityPolicies(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(policiesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d policies in %s, want at least the four city examples", len(files), policiesDir)
	}
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(policiesDir, "testdata", base+".cases.json"))
			if err != nil {
				t.Fatalf("every policy needs worked cases: %v", err)
			}
			var cases []goldenCase
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&cases); err != nil {
				t.Fatal(err)
			}
			if len(cases) < 5 {
				t.Fatalf("%d cases, want at least 5", len(cases))
			}
			var got []goldenResult
			var left []remainingResult
			for _, c := range cases {
				d := p.Decide(c.input(t))
				checkInvariants(t, c.Name, d)
				checkExpect(t, c.Name, d, c.Expect)
				if d.Remaining != nil {
					left = append(left, remainingResult{Name: c.Name, Remaining: d.Remaining})
				}
				d.Remaining = nil
				got = append(got, goldenResult{Name: c.Name, Decision: d})
			}
			compareGolden(t, filepath.Join(policiesDir, "testdata", base+".golden.json"), got)
			remGolden := filepath.Join(policiesDir, "testdata", base+".remaining.golden.json")
			if left == nil { // no week or month limit, or never told: no file
				if *update {
					_ = os.Remove(remGolden)
				} else if _, err := os.Stat(remGolden); err == nil {
					t.Errorf("%s exists, but no case has a remaining quota", remGolden)
				}
				return
			}
			compareGolden(t, remGolden, left)
		})
	}
}

// compareGolden compares v as indented JSON with the golden file (or
// rewrites it with -update).
func compareGolden(t *testing.T, golden string, v any) {
	t.Helper()
	out, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -run Golden -update)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("decisions differ from %s; got:\n%s", golden, out)
	}
}

// checkExpect compares the hand-worked fields with the decision.
func checkExpect(t *testing.T, name string, d Decision, expect json.RawMessage) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(expect, &want); err != nil || len(want) == 0 {
		t.Fatalf("%s: expect must be a non-empty object: %v", name, err)
	}
	raw, _ := json.Marshal(d)
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			g = nil // omitted empty field
		}
		if g == nil && (w == "" || w == float64(0)) {
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s = %v, want %v", name, k, g, w)
		}
	}
}

// checkInvariants are the money rules every decision obeys.
func checkInvariants(t *testing.T, name string, d Decision) {
	t.Helper()
	var sum eldergate.Fen
	for _, s := range d.Funding {
		if s.Fen <= 0 {
			t.Errorf("%s: share %+v is not positive", name, s)
		}
		sum += s.Fen
	}
	switch {
	case d.SubsidyFen < 0 || d.DiscountFen < 0 || d.PayFen < 0 || d.OperatingFen < 0:
		t.Errorf("%s: negative amount: %+v", name, d)
	case d.SubsidyFen > d.PriceFen:
		t.Errorf("%s: subsidy %d above price %d", name, d.SubsidyFen, d.PriceFen)
	case sum != d.SubsidyFen:
		t.Errorf("%s: funding sums to %d, subsidy is %d", name, sum, d.SubsidyFen)
	case d.PayFen != d.PriceFen-d.SubsidyFen-d.DiscountFen:
		t.Errorf("%s: pay %d != price %d - subsidy %d - discount %d", name, d.PayFen, d.PriceFen, d.SubsidyFen, d.DiscountFen)
	case d.Decision == DecisionDiscounted && (d.SubsidyFen != 0 || d.DiscountFen <= 0 || d.OperatingFen != 0 || d.Rule == "" || d.DiscountBy == "" || d.Reason == ""):
		t.Errorf("%s: discounted without a discount or rule, or with a subsidy: %+v", name, d)
	case d.Decision != eldergate.DecisionApproved && d.Decision != DecisionDiscounted && (d.SubsidyFen != 0 || d.DiscountFen != 0 || d.OperatingFen != 0):
		t.Errorf("%s: %s with a subsidy, discount or operating subsidy: %+v", name, d.Decision, d)
	case d.Decision == eldergate.DecisionRefused && d.PayFen != 0:
		t.Errorf("%s: refused but pays %d", name, d.PayFen)
	case d.Decision == eldergate.DecisionApproved && (d.SubsidyFen == 0 || d.Rule == "" || d.Reason != ReasonOK):
		t.Errorf("%s: approved without a subsidy or rule: %+v", name, d)
	}
}
