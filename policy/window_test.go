package policy

import (
	"testing"
	"time"
)

// TestWindowAt: the window containing a time and its end in UTC, from
// the policy's zone; none between windows; "24:00" ends at midnight.
func TestWindowAt(t *testing.T) {
	p := MustFlat("w1", "Asia/Shanghai",
		FlatWindow{Name: "lunch", Start: "11:00", End: "13:30", PriceFen: 1000, SubsidyFen: 500},
		FlatWindow{Name: "late", Start: "22:00", End: "24:00", PriceFen: 1000, SubsidyFen: 500})
	for _, c := range []struct {
		at   string // UTC
		name string
		end  string // UTC
	}{
		{"2026-03-02T03:00:00Z", "lunch", "2026-03-02T05:30:00Z"}, // 11:00 local
		{"2026-03-02T05:29:59Z", "lunch", "2026-03-02T05:30:00Z"},
		{"2026-03-02T05:30:00Z", "", ""}, // 13:30 local: the end is exclusive
		{"2026-03-02T02:59:00Z", "", ""},
		{"2026-03-02T15:10:00Z", "late", "2026-03-02T16:00:00Z"}, // 23:10 local, ends at local midnight
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		name, end, ok := p.WindowAt(at)
		if ok != (c.name != "") || name != c.name {
			t.Errorf("%s: window %q %v, want %q", c.at, name, ok, c.name)
			continue
		}
		if ok && end.Format(time.RFC3339) != c.end {
			t.Errorf("%s: ends %s, want %s", c.at, end.Format(time.RFC3339), c.end)
		}
	}
	var bad Policy
	if _, _, ok := bad.WindowAt(time.Now()); ok {
		t.Error("an invalid policy has a window")
	}
}
