package parse

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	r, ok := Line("BenchmarkTapToSSE-2   	    3000	   1523412 ns/op	         1.40 p50-ms	         3.91 p99-ms	   12345 B/op	      87 allocs/op")
	if !ok || r.Name != "BenchmarkTapToSSE" || r.N != 3000 || len(r.Metrics) != 5 ||
		r.Metrics[1] != (Metric{1.40, "p50-ms"}) || r.Metrics[4] != (Metric{87, "allocs/op"}) {
		t.Fatalf("Line: %+v %v", r, ok)
	}
	r, ok = Line("BenchmarkDrainToCloud/batch=500/inflight=4-16 3 123 ns/op 51234 events/s")
	if !ok || r.Name != "BenchmarkDrainToCloud/batch=500/inflight=4" {
		t.Fatalf("sub-benchmark: %+v %v", r, ok)
	}
	for _, bad := range []string{
		"", "PASS", "ok  	github.com/x	1.2s", "BenchmarkX", "BenchmarkX-2 3", "BenchmarkX-2 3 12 ns/op 7",
		"BenchmarkX-2 abc 12 ns/op", "BenchmarkX-2 0 12 ns/op", "BenchmarkX-2 3 NaN ns/op", "BenchmarkX-2 3 x ns/op",
		"goos: linux", "--- FAIL: BenchmarkX-2 1 2 3",
	} {
		if r, ok := Line(bad); ok {
			t.Errorf("Line(%q) = %+v, want not a result", bad, r)
		}
	}
}

func TestTargets(t *testing.T) {
	if _, err := ParseTarget("BenchmarkX p99-ms < 100"); err == nil {
		t.Error("'<' accepted")
	}
	if _, err := ParseTarget("BenchmarkX p99-ms <= ten"); err == nil {
		t.Error("a word as bound accepted")
	}
	if _, err := ParseTarget("X p99-ms <= 1"); err == nil {
		t.Error("a name without Benchmark accepted")
	}
	p99, err := ParseTarget("BenchmarkAlarmBehindBacklog ms-max <= 1000")
	if err != nil {
		t.Fatal(err)
	}
	rss, _ := ParseTarget("BenchmarkGatewayProcess idle-RSS-MB <= 20")
	eps, _ := ParseTarget("BenchmarkRoster* s/import <= 10")
	res := []Result{
		{Name: "BenchmarkAlarmBehindBacklog", N: 5, Metrics: []Metric{{900, "ms-p50"}, {1200.4, "ms-max"}}},
		{Name: "BenchmarkGatewayProcess", N: 1, Metrics: []Metric{{18.25, "idle-RSS-MB"}, {3, "ns/op"}}},
		{Name: "BenchmarkRosterImport/store=sqlite", N: 1, Metrics: []Metric{{4.5, "s/import"}}},
	}
	tab := Table(res, nil, []Target{p99, rss, eps})
	want := [][]string{
		{"`BenchmarkAlarmBehindBacklog`", "ms-p50", "900", "", ""},
		{"`BenchmarkAlarmBehindBacklog`", "ms-max", "1,200", "<= 1,000", Missed},
		{"`BenchmarkGatewayProcess`", "idle-RSS-MB", "18.2", "<= 20", MetText},
		{"`BenchmarkGatewayProcess`", "ns/op", "3.00", "", ""},
		{"`BenchmarkRosterImport/store=sqlite`", "s/import", "4.50", "<= 10", MetText},
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("rows: %q", tab.Rows)
	}
	for i := range want {
		if strings.Join(tab.Rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, tab.Rows[i], want[i])
		}
	}
	if tab := Table(res, []string{"ms-max"}, nil); len(tab.Rows) != 1 || tab.Rows[0][2] != "1,200" {
		t.Fatalf("kept units: %q", tab.Rows)
	}
}

func TestTargetString(t *testing.T) {
	for s, want := range map[string]string{"BenchmarkX u <= 20": "<= 20", "BenchmarkX u >= 5000": ">= 5,000", "BenchmarkX u <= -250": "<= -250", "BenchmarkX u <= 0.5": "<= 0.5"} {
		tg, err := ParseTarget(s)
		if err != nil || tg.String() != want {
			t.Errorf("%q: %q %v, want %q", s, tg.String(), err, want)
		}
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.01234: "0.0123", 1.5: "1.50", 12.34: "12.3", 999.6: "1,000", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := Num(v); got != want {
			t.Errorf("Num(%v) = %q, want %q", v, got, want)
		}
	}
}

// FuzzLine: any line either is refused or gives a result whose fields
// are those of the line.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"BenchmarkX-2 3 12 ns/op", "BenchmarkA/b=1-16 1 1e3 x 2.5 y", "Benchmark 1 1 1", "PASS", "BenchmarkX-2 3 Inf ns/op"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := Line(s)
		if !ok {
			return
		}
		f := strings.Fields(s)
		if !strings.HasPrefix(r.Name, "Benchmark") || r.N <= 0 || len(r.Metrics) != (len(f)-2)/2 || len(r.Metrics) == 0 {
			t.Fatalf("Line(%q) = %+v", s, r)
		}
		for i, m := range r.Metrics {
			if m.Unit != f[3+2*i] {
				t.Fatalf("Line(%q): unit %d = %q", s, i, m.Unit)
			}
		}
		_ = Table([]Result{r}, nil, nil) // renders without panicking
	})
}

// FuzzTarget: a target is refused with an error or reads back the same
// from its name, unit and String.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"BenchmarkX p99-ms <= 100", "BenchmarkA/ events/s >= 5e3", "BenchmarkB* u <= -0.5", "X u <= 1", "BenchmarkX u < 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		back, err := ParseTarget(tg.Name + " " + tg.Unit + " " + strings.ReplaceAll(tg.String(), ",", ""))
		if err != nil || back != tg {
			t.Fatalf("ParseTarget(%q) = %+v; its String %q reads back as %+v, %v", s, tg, tg.String(), back, err)
		}
	})
}
