package drivers

import (
	"strings"
	"testing"
	"time"
)

func TestParams(t *testing.T) {
	p, err := ParseParams([]string{"bits=34", "gap = 25ms", "order=le", "learn=true", "factor=-412.5"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.Int("bits", 26); err != nil || n != 34 {
		t.Errorf("bits = %d, %v", n, err)
	}
	if n, _ := p.Int("missing", 26); n != 26 {
		t.Errorf("default int = %d", n)
	}
	if d, err := p.Duration("gap", 0); err != nil || d != 25*time.Millisecond {
		t.Errorf("gap = %v, %v", d, err)
	}
	if b, err := p.Bool("learn", false); err != nil || !b {
		t.Errorf("learn = %v, %v", b, err)
	}
	if f, err := p.Float("factor", 1); err != nil || f != -412.5 {
		t.Errorf("factor = %v, %v", f, err)
	}
	if s := p.String("order", "be"); s != "le" {
		t.Errorf("order = %q", s)
	}
	if _, err := p.Int("order", 0); err == nil || !strings.Contains(err.Error(), "order") {
		t.Errorf("non-integer accepted: %v", err)
	}
	if _, err := ParseParams([]string{"novalue"}); err == nil {
		t.Error("setting without = accepted")
	}
	docs := []ParamDoc{{Key: "bits"}, {Key: "gap"}, {Key: "order"}, {Key: "learn"}}
	err = p.Check(docs)
	if err == nil || !strings.Contains(err.Error(), "factor") || !strings.Contains(err.Error(), "known: bits") {
		t.Errorf("Check = %v, want unknown factor named with the known keys", err)
	}
	if err := (Params{"x": "1"}).Check(nil); err == nil || !strings.Contains(err.Error(), "takes none") {
		t.Errorf("Check without docs = %v", err)
	}
}

func TestTracker(t *testing.T) {
	var got []Status
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker("card", "rdm6300", func() time.Time { return now }, func(s Status) { got = append(got, s) })
	tr.Set(true, nil)
	tr.Set(true, nil) // no change, no report
	now = now.Add(time.Minute)
	tr.Set(false, errTest("unplugged"))
	if len(got) != 2 || !got[0].Connected || got[1].Connected || got[1].Err != "unplugged" || !got[1].Since.Equal(now) {
		t.Fatalf("reports = %+v", got)
	}
	if s := tr.Status(); s.Name != "card" || s.Driver != "rdm6300" || s.Connected {
		t.Fatalf("status = %+v", s)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
