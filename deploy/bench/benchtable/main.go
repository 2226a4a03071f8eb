// Command benchtable turns `go test -bench` output into a results table
// of docs/PERFORMANCE.md (or docs/RELIABILITY.md) through deploy/benchdoc.
// Every block of deploy/scripts/bench.sh pipes its benchmarks' output
// through it, so each suite owns one section with the figure, the target,
// whether it was met, the command and the machine.
//
//	go test -run '^$' -bench X ./pkg | benchtable -section bench-x -title "X" \
//	    -command "make bench" -target 'X/sub p99-ms <= 100'
//
// A row is one metric of one benchmark line (name, value, unit). -metrics
// keeps only the listed units (default: all). A -target names a
// benchmark (exact name without the -GOMAXPROCS suffix, or a prefix
// ending in "/" or "*"), a unit, "<=" or ">=" and a number; the rows it
// matches show the target and "yes" or "**no**". Lines that are not
// benchmark results are ignored; a FAIL line or no benchmark line at all
// still writes the section, saying so, and exits 1.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/eldergate/eldergate/deploy/bench/benchtable/parse"
	"github.com/eldergate/eldergate/deploy/benchdoc"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, "; ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var targets, notes multi
	doc := flag.String("doc", "docs/PERFORMANCE.md", "the Markdown document to write")
	section := flag.String("section", "", "the section name (required)")
	title := flag.String("title", "", "the heading of the table")
	command := flag.String("command", "make bench", "the command that produced the figures")
	metrics := flag.String("metrics", "", "comma-separated units to keep (default: all)")
	in := flag.String("in", "-", "the go test -bench output (- for stdin)")
	flag.Var(&targets, "target", "a target: 'Benchmark[/sub] unit <= N' (repeatable)")
	flag.Var(&notes, "note", "a line printed under the table (repeatable)")
	flag.Parse()
	if *section == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: benchtable -section NAME [-doc FILE] [-title T] [-command C] [-metrics u,v] [-target 'Name unit <= N']... [-note N]... [-in FILE]")
		os.Exit(2)
	}
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer f.Close()
		r = f
	}
	var ts []parse.Target
	for _, s := range targets {
		t, err := parse.ParseTarget(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(2)
		}
		ts = append(ts, t)
	}
	var keep []string
	if *metrics != "" {
		keep = strings.Split(*metrics, ",")
	}
	var results []parse.Result
	failed := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "panic:") {
			failed = true
		}
		if res, ok := parse.Line(line); ok {
			results = append(results, res)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	tab := parse.Table(results, keep, ts)
	tab.Title, tab.Command = *title, *command
	tab.Notes = append(tab.Notes, notes...)
	if failed {
		tab.Notes = append(tab.Notes, "**The run failed** (a FAIL or panic line in the output): the figures above are those it printed before.")
	}
	if len(results) == 0 {
		tab.Notes = append(tab.Notes, "**No benchmark result** was printed by this run.")
		failed = true
	}
	tab.Notes = append(tab.Notes, fmt.Sprintf("Load average (1, 5, 15 min) when the table was written: %s.", benchdoc.LoadAverage()))
	for i := range tab.Notes[:max(len(tab.Notes)-1, 0)] {
		tab.Notes[i] += "\n" // one paragraph each
	}
	if err := benchdoc.Write(*doc, *section, tab.Markdown(time.Now())); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	missed := 0
	for _, row := range tab.Rows {
		if row[len(row)-1] == parse.Missed {
			missed++
		}
	}
	fmt.Fprintf(os.Stderr, "benchtable: %s: %d rows, %d targets missed, written to %s\n", *section, len(tab.Rows), missed, *doc)
	if failed {
		os.Exit(1)
	}
}
