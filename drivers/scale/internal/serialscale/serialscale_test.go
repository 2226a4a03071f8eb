package serialscale

import (
	"bufio"
	"strings"
	"testing"
)

func TestSplitLines(t *testing.T) {
	in := "\r\nST,+00123.45  g\r\nUS,-00001.00  g\n\n\rOL,+9999999E+19\r" + strings.Repeat("x", 25) + "\r\nlast"
	sc := bufio.NewScanner(strings.NewReader(in))
	sc.Buffer(make([]byte, 0, 64), 64)
	sc.Split(SplitLines(20))
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"ST,+00123.45  g", "US,-00001.00  g", "OL,+9999999E+19", strings.Repeat("x", 20), "xxxxx", "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lines = %q, want %q", got, want)
	}
}
