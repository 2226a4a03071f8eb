package textdiff

import (
	"strings"
	"testing"
)

// apply rebuilds both texts from a diff.
func apply(d []Line) (string, string) {
	var a, b []string
	for _, l := range d {
		if l.Op != Add {
			a = append(a, l.Text)
		}
		if l.Op != Remove {
			b = append(b, l.Text)
		}
	}
	return strings.Join(a, "\n"), strings.Join(b, "\n")
}

func TestLines(t *testing.T) {
	old := "version: a\nmatch: first_match\nwindows:\n  - lunch\nrules: []\n"
	new := "version: b\nmatch: first_match\nwindows:\n  - lunch\n  - dinner\nrules: []\n"
	d := Lines(old, new)
	var ops string
	for _, l := range d {
		ops += l.Op
	}
	if ops != "-+   + " {
		t.Fatalf("ops %q: %+v", ops, d)
	}
	if d[5].Op != Add || d[5].B != 5 || d[5].Text != "  - dinner" {
		t.Errorf("added line %+v", d[5])
	}
	if last := d[len(d)-1]; last.A != 5 || last.B != 6 {
		t.Errorf("last line numbers %+v", last)
	}
	if Changed(Lines(old, old)) || !Changed(d) {
		t.Error("Changed")
	}
}

func FuzzLines(f *testing.F) {
	f.Add("a\nb\nc", "a\nc\nd")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		a, b = strings.ReplaceAll(a, "\r", ""), strings.ReplaceAll(b, "\r", "")
		d := Lines(a, b)
		ga, gb := apply(d)
		if ga != strings.TrimSuffix(a, "\n") || gb != strings.TrimSuffix(b, "\n") {
			t.Fatalf("diff does not rebuild the texts: %q %q -> %q %q", a, b, ga, gb)
		}
	})
}
