package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// FuzzParse feeds arbitrary bytes to Parse (YAML and JSON). It must never
// panic; a policy it accepts must decide meals that obey the money rules
// and tell a remaining quota that agrees with its limits, and must
// survive a JSON round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(policiesDir, "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(base))
	f.Add([]byte(`{"version":"j","time_zone":"UTC","match":"best_match","windows":[{"name":"a","start":"00:00","end":"24:00","price":{"per_100g_fen":5}}],"rules":[{"id":"r","subsidy":{"percent":50}}],"funding":[{"layer":"x","scope":"none","rest":true}],"limits":[{"period":"week","fen":10}],"stale_usage":{"after":"1h","action":"allow"}}`))
	f.Add([]byte(ordered))
	f.Add([]byte(`{"version":"k","time_zone":"UTC","match":"first_match","windows":[{"name":"a","start":"00:00","end":"24:00","price":{"fixed_fen":999}}],"rules":[{"id":"d","age":{"min":60},"residence":{"scope":"street","codes":["x"]},"discount":{"percent":15,"funded_by":"hall","apply":"before_subsidy"},"subsidy":{"percent":40},"min_spend_fen":500,"min_spend_on":"discounted"},{"id":"o","subsidy":{},"discount":{"percent":100,"funded_by":"hall"}}],"funding":[{"layer":"x","scope":"none","rest":true}]}`))
	f.Add([]byte("version: [\n"))
	f.Add([]byte(`{"version": 1}`))
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned a policy with an error")
			}
			return
		}
		for i, in := range []Input{
			{Elder: local, Site: homeSite, At: at},
			{Elder: local, Site: homeSite, At: at.Add(6 * time.Hour), WeightG: 777},
			{Elder: Elder{ID: "x", Categories: []string{"低保"}}, At: at.Add(-3 * time.Hour), PriceFen: 1999, UsageAge: -1},
			{Elder: local, Site: homeSite, At: at, PriceFen: MaxFen, Usage: Usage{Window: Counter{1, 1}, Month: Counter{50, 100000}}},
			{Elder: Elder{ID: "r", Birth: "1960-02-29", Residence: homeSite.Place}, Site: homeSite, At: at, PriceFen: 1253},
		} {
			d := p.Decide(in)
			checkInvariants(t, "fuzz", d)
			if d.Decision == "" || d.Reason == "" || d.PolicyVersion != p.Version {
				t.Fatalf("decision %d incomplete: %+v", i, d)
			}
			if d.Decision == eldergate.DecisionApproved && d.SubsidyFen > MaxFen {
				t.Fatalf("subsidy beyond MaxFen: %+v", d)
			}
			after := in.Usage
			if d.Counts() {
				after.Week.Count, after.Week.SubsidyFen = after.Week.Count+1, after.Week.SubsidyFen+d.SubsidyFen
				after.Month.Count, after.Month.SubsidyFen = after.Month.Count+1, after.Month.SubsidyFen+d.SubsidyFen
			}
			checkRemaining(t, "fuzz", p, d, after)
		}
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if q, err := Parse(js); err != nil || q.Version != p.Version {
			t.Fatalf("JSON round trip: %v\n%s", err, js)
		}
	})
}
