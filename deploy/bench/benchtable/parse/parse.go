// Package parse reads the result lines of `go test -bench` and turns them
// into a benchdoc.Table with a target column (cmd benchtable).
package parse

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/eldergate/eldergate/deploy/benchdoc"
)

// Metric is one value of a benchmark line with its unit ("ns/op",
// "p99-ms", ...).
type Metric struct {
	Value float64
	Unit  string
}

// Result is one benchmark line: its name without the -GOMAXPROCS suffix,
// its iteration count and its metrics in the order printed.
type Result struct {
	Name    string
	N       int64
	Metrics []Metric
}

var procs = regexp.MustCompile(`-[0-9]+$`)

// Line parses one line of `go test -bench` output. It reports false for
// any line that is not a complete benchmark result: a name starting with
// "Benchmark", an iteration count, then value-unit pairs.
func Line(line string) (Result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return Result{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Result{}, false
	}
	r := Result{Name: procs.ReplaceAllString(f[0], ""), N: n}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Result{}, false
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: f[i+1]})
	}
	return r, true
}

// Target is a bound on one unit of the benchmarks that Name matches.
type Target struct {
	Name  string // exact, or a prefix when it ends in "/" or "*"
	Unit  string
	Op    string // "<=" or ">="
	Bound float64
}

// ParseTarget reads "Name unit <= N" (or >=).
func ParseTarget(s string) (Target, error) {
	f := strings.Fields(s)
	if len(f) != 4 || (f[2] != "<=" && f[2] != ">=") {
		return Target{}, fmt.Errorf("target %q: want 'BenchmarkName unit <= N' or '... >= N'", s)
	}
	v, err := strconv.ParseFloat(f[3], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Target{}, fmt.Errorf("target %q: %q is not a number", s, f[3])
	}
	if !strings.HasPrefix(f[0], "Benchmark") {
		return Target{}, fmt.Errorf("target %q: the name must start with Benchmark", s)
	}
	return Target{Name: f[0], Unit: f[1], Op: f[2], Bound: v}, nil
}

// Matches reports whether t applies to the metric unit of benchmark name.
func (t Target) Matches(name, unit string) bool {
	if unit != t.Unit {
		return false
	}
	switch {
	case strings.HasSuffix(t.Name, "*"):
		return strings.HasPrefix(name, strings.TrimSuffix(t.Name, "*"))
	case strings.HasSuffix(t.Name, "/"):
		return strings.HasPrefix(name, t.Name) || name == strings.TrimSuffix(t.Name, "/")
	}
	return name == t.Name
}

// Met reports whether v is within t.
func (t Target) Met(v float64) bool {
	if t.Op == "<=" {
		return v <= t.Bound
	}
	return v >= t.Bound
}

func (t Target) String() string {
	if v := math.Abs(t.Bound); v == math.Trunc(v) && v < 1e15 {
		sign := ""
		if t.Bound < 0 {
			sign = "-"
		}
		return t.Op + " " + sign + group(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return t.Op + " " + strconv.FormatFloat(t.Bound, 'f', -1, 64)
}

// The last column of a row.
const (
	MetText = "yes"
	Missed  = "**no**"
)

// Header is the header row of Table.
var Header = []string{"benchmark", "figure", "value", "target", "met"}

// Table makes one row per kept metric of each result (keep nil: every
// metric), with the first target that matches it.
func Table(results []Result, keep []string, targets []Target) benchdoc.Table {
	t := benchdoc.Table{Header: Header}
	for _, r := range results {
		for _, m := range r.Metrics {
			if keep != nil && !slices.Contains(keep, m.Unit) {
				continue
			}
			target, met := "", ""
			for _, tg := range targets {
				if tg.Matches(r.Name, m.Unit) {
					target, met = tg.String(), Missed
					if tg.Met(m.Value) {
						met = MetText
					}
					break
				}
			}
			t.Rows = append(t.Rows, []string{"`" + r.Name + "`", m.Unit, Num(m.Value), target, met})
		}
	}
	return t
}

// Num prints v with thousands separators and at most 3 significant
// decimals below 100.
func Num(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	var s string
	switch {
	case v >= 100:
		s = group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case v >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
	}
	if neg {
		s = "-" + s
	}
	return s
}

func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	pre := len(digits) % 3
	if pre > 0 {
		b.WriteString(digits[:pre])
	}
	for i := pre; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
