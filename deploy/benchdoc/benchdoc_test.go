package benchdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplaceKeepsTheRest(t *testing.T) {
	doc := []byte("# P\n\nintro\n<!-- BEGIN a -->\nold\n<!-- END a -->\ntail\n")
	out, err := Replace(doc, "a", "new")
	if err != nil {
		t.Fatal(err)
	}
	want := "# P\n\nintro\n<!-- BEGIN a -->\nnew\n<!-- END a -->\ntail\n"
	if string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	out, err = Replace(out, "b", "bee\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(out), "tail\n\n<!-- BEGIN b -->\nbee\n<!-- END b -->\n") {
		t.Fatalf("section b not appended: %q", out)
	}
	if _, err := Replace([]byte("<!-- BEGIN a -->\nx\n"), "a", "y"); err == nil || !strings.Contains(err.Error(), "no END") {
		t.Fatalf("unterminated section: %v", err)
	}
}

func TestWriteAndMarkdown(t *testing.T) {
	p := filepath.Join(t.TempDir(), "P.md")
	tb := Table{Title: "T", Command: "make bench", Header: []string{"a", "b|c"}, Rows: [][]string{{"1", "2"}}, Notes: []string{"n"}}
	if err := Write(p, "s", tb.Markdown(time.Date(2026, 12, 7, 1, 2, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	for _, w := range []string{"### T", "2026-12-07 01:02 UTC", "`make bench`", "| a | b\\|c |", "| 1 | 2 |", "cores"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("missing %q in %s", w, b)
		}
	}
}

func FuzzReplace(f *testing.F) {
	f.Add([]byte("x\n<!-- BEGIN s -->\ny\n<!-- END s -->\n"), "z")
	f.Fuzz(func(t *testing.T, doc []byte, body string) {
		out, err := Replace(doc, "s", body)
		if err != nil {
			return
		}
		again, err := Replace(out, "s", body)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q then %q (%v)", out, again, err)
		}
	})
}
