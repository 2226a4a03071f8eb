package domain

import (
	"testing"
	"time"
)

func TestNewSeqStats(t *testing.T) {
	for _, c := range []struct{ lo, hi, n, gaps int64 }{{0, 0, 0, 0}, {1, 10, 10, 0}, {1, 10, 8, 2}, {5, 5, 1, 0}} {
		if g := NewSeqStats(c.lo, c.hi, c.n).Gaps; g != c.gaps {
			t.Errorf("NewSeqStats(%d, %d, %d).Gaps = %d, want %d", c.lo, c.hi, c.n, g, c.gaps)
		}
	}
}

func TestSeqTally(t *testing.T) {
	var tl SeqTally
	for _, s := range []uint64{7, 3, 9, 4} {
		tl.Add(s)
	}
	if tl != (SeqTally{Lo: 3, Hi: 9, N: 4}) {
		t.Fatalf("tally = %+v, want lo 3 hi 9 n 4", tl)
	}
}

func TestLater(t *testing.T) {
	a, b := time.Unix(10, 0), time.Unix(20, 0)
	for _, c := range []struct{ x, y, want *time.Time }{{nil, nil, nil}, {&a, nil, &a}, {nil, &b, &b}, {&a, &b, &b}, {&b, &a, &b}} {
		if got := Later(c.x, c.y); got != c.want {
			t.Errorf("Later(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}
