package cloudhttp

import "strings"

// DiffLine is one line of a line diff: Op is " " (in both), "-" (only in
// the old text) or "+" (only in the new one).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// maxDiffCells bounds the work of LineDiff (old lines × new lines); past
// it the diff is every old line removed and every new line added.
const maxDiffCells = 4 << 20

// LineDiff returns the shortest line diff from a to b (the longest common
// subsequence of their lines), in order. A missing final newline does not
// count as a difference.
func LineDiff(a, b string) []DiffLine {
	x, y := splitLines(a), splitLines(b)
	// Common head and tail first: an edit usually touches a few lines.
	var head, tail []DiffLine
	for len(x) > 0 && len(y) > 0 && x[0] == y[0] {
		head = append(head, DiffLine{" ", x[0]})
		x, y = x[1:], y[1:]
	}
	for len(x) > 0 && len(y) > 0 && x[len(x)-1] == y[len(y)-1] {
		tail = append([]DiffLine{{" ", x[len(x)-1]}}, tail...)
		x, y = x[:len(x)-1], y[:len(y)-1]
	}
	out := append(head, middleDiff(x, y)...)
	return append(out, tail...)
}

func middleDiff(x, y []string) []DiffLine {
	out := []DiffLine{}
	if len(x)*len(y) > maxDiffCells {
		for _, l := range x {
			out = append(out, DiffLine{"-", l})
		}
		for _, l := range y {
			out = append(out, DiffLine{"+", l})
		}
		return out
	}
	// lcs[i][j]: the longest common subsequence of x[i:] and y[j:].
	w := len(y) + 1
	lcs := make([]int32, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, DiffLine{" ", x[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, DiffLine{"-", x[i]})
			i++
		default:
			out = append(out, DiffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, DiffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, DiffLine{"+", y[j]})
	}
	return out
}

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
