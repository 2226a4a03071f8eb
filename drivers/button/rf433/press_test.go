package rf433

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCollapser(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	const A, B Code = 0xA1B2C3, 0xA1B2C8
	type step struct {
		at   int  // ms
		code Code // 0: Expire only
	}
	// repeats every 100 ms from start to end (inclusive) of code c.
	repeats := func(c Code, start, end int) []step {
		var s []step
		for at := start; at <= end; at += 100 {
			s = append(s, step{at, c})
		}
		return s
	}
	cat := func(parts ...[]step) []step {
		var all []step
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	tests := []struct {
		name  string
		steps []step
		want  string // "kind code at" items
	}{
		{"single frame", []step{{0, A}, {499, 0}, {500, 0}}, "press A1B2C3 0"},
		{"tap with burst of repeats", cat(repeats(A, 0, 800), []step{{1299, 0}, {1300, 0}}), "press A1B2C3 0"},
		{"two taps apart", cat(repeats(A, 0, 300), repeats(A, 900, 1000), []step{{2000, 0}}), "press A1B2C3 0, press A1B2C3 900"},
		{"gap just under lockout is one press", []step{{0, A}, {499, A}, {998, A}, {1498, 0}}, "press A1B2C3 0"},
		{"held long", cat(repeats(A, 0, 4000), []step{{6000, 0}}), "long_press A1B2C3 3000"},
		{"held just under long", cat(repeats(A, 0, 2900), []step{{4000, 0}}), "press A1B2C3 0"},
		{"two pendants interleaved", cat([]step{{0, A}, {50, B}, {100, A}, {150, B}, {700, 0}}), "press A1B2C3 0, press A1B2C8 50"},
		{"new burst ends the old one on Add", []step{{0, A}, {600, B}}, "press A1B2C3 0"},
		{"same code after lockout starts a new press", []step{{0, A}, {600, A}, {1200, 0}}, "press A1B2C3 0, press A1B2C3 600"},
		{"clock going back stays one burst", []step{{1000, A}, {900, A}, {1499, 0}, {1500, 0}}, "press A1B2C3 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Collapser{Lockout: 500 * time.Millisecond, Long: 3 * time.Second}
			var got []string
			rec := func(evs []Event) {
				for _, e := range evs {
					got = append(got, fmt.Sprintf("%s %s %d", e.Kind, e.Code, e.At.Sub(t0).Milliseconds()))
				}
			}
			for _, s := range tt.steps {
				if s.code == 0 {
					rec(c.Expire(ms(s.at)))
					continue
				}
				evs, _ := c.Add(s.code, ms(s.at))
				rec(evs)
			}
			if g := strings.Join(got, ", "); g != tt.want {
				t.Fatalf("presses = %q, want %q", g, tt.want)
			}
		})
	}
}

func TestCollapserStartedNextFlush(t *testing.T) {
	t0 := time.Unix(100, 0)
	c := &Collapser{Lockout: 500 * time.Millisecond}
	if _, ok := c.Next(); ok {
		t.Fatal("Next on an idle collapser")
	}
	if _, started := c.Add(1, t0); !started {
		t.Fatal("first frame did not start a burst")
	}
	if _, started := c.Add(1, t0.Add(100*time.Millisecond)); started {
		t.Fatal("repeat started a burst")
	}
	if next, ok := c.Next(); !ok || !next.Equal(t0.Add(600*time.Millisecond)) {
		t.Fatalf("Next = %v %v, want last+lockout", next, ok)
	}
	// Long disabled: a burst of 10 s is one short press.
	for i := 2; i < 100; i++ {
		if evs, _ := c.Add(1, t0.Add(time.Duration(i)*100*time.Millisecond)); len(evs) != 0 {
			t.Fatalf("event while held with long disabled: %v", evs)
		}
	}
	evs := c.Flush()
	if len(evs) != 1 || evs[0].Kind != "press" || !evs[0].At.Equal(t0) {
		t.Fatalf("Flush = %v", evs)
	}
	if _, ok := c.Next(); ok || len(c.Flush()) != 0 {
		t.Fatal("bursts left after Flush")
	}
	// A burst that already gave a long press gives nothing on Flush.
	c = &Collapser{Lockout: 500 * time.Millisecond, Long: time.Second}
	for i := 0; i < 10; i++ {
		if evs, _ := c.Add(2, t0.Add(time.Duration(i)*100*time.Millisecond)); len(evs) != 0 {
			t.Fatalf("event before the long-press time: %v", evs)
		}
	}
	if evs, _ := c.Add(2, t0.Add(time.Second)); len(evs) != 1 || evs[0].Kind != "long_press" {
		t.Fatalf("long = %v", evs)
	}
	if evs := c.Flush(); len(evs) != 0 {
		t.Fatalf("Flush after long = %v", evs)
	}
}
