// Package textdiff is the line diff the console shows between two texts
// (two policy versions; any two configurations): the lines kept, removed
// and added, with their line numbers in each text.
package textdiff

import "strings"

// Ops of a Line.
const (
	Same   = " "
	Remove = "-"
	Add    = "+"
)

// Line is one line of a diff. A is its number in the old text (0 for an
// added line), B in the new text (0 for a removed line), from 1.
type Line struct {
	Op   string `json:"op"`
	A    int    `json:"a,omitempty"`
	B    int    `json:"b,omitempty"`
	Text string `json:"text"`
}

// maxCells bounds the table of the longest common subsequence: beyond it
// the differing middle is shown as removed then added, still correct.
const maxCells = 4_000_000

// Lines diffs old and new line by line ("\r\n" counts as "\n"; a final
// newline ends the last line). The lines kept are a longest common
// subsequence of the two, after the common head and tail.
func Lines(old, new string) []Line {
	a, b := split(old), split(new)
	var out []Line
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		out = append(out, Line{Op: Same, A: head + 1, B: head + 1, Text: a[head]})
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	am, bm := a[head:len(a)-tail], b[head:len(b)-tail]
	out = append(out, middle(am, bm, head)...)
	for i := 0; i < tail; i++ {
		ia, ib := len(a)-tail+i, len(b)-tail+i
		out = append(out, Line{Op: Same, A: ia + 1, B: ib + 1, Text: a[ia]})
	}
	return out
}

// Changed reports whether a diff holds a removed or added line.
func Changed(d []Line) bool {
	for _, l := range d {
		if l.Op != Same {
			return true
		}
	}
	return false
}

func split(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// middle diffs a and b, the lines after the common head of off lines.
func middle(a, b []string, off int) []Line {
	n, m := len(a), len(b)
	var out []Line
	if n*m > maxCells {
		for i, t := range a {
			out = append(out, Line{Op: Remove, A: off + i + 1, Text: t})
		}
		for j, t := range b {
			out = append(out, Line{Op: Add, B: off + j + 1, Text: t})
		}
		return out
	}
	// l[i][j]: the longest common subsequence of a[i:] and b[j:].
	l := make([][]int32, n+1)
	for i := range l {
		l[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, Line{Op: Same, A: off + i + 1, B: off + j + 1, Text: a[i]})
			i++
			j++
		case i < n && (j == m || l[i+1][j] >= l[i][j+1]): // a removed line before the added one
			out = append(out, Line{Op: Remove, A: off + i + 1, Text: a[i]})
			i++
		default:
			out = append(out, Line{Op: Add, B: off + j + 1, Text: b[j]})
			j++
		}
	}
	return out
}
