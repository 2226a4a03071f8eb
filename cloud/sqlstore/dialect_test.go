package sqlstore

import (
	"strings"
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	pg := &Dialect{Numbered: true}
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE x = ? AND y = ?`, `SELECT a FROM t WHERE x = $1 AND y = $2`},
		{`WHERE ?1 = '' OR id = ?1 LIMIT ?2`, `WHERE $1 = '' OR id = $1 LIMIT $2`},
		{`SELECT '?' || ?, 'it''s ?' FROM t WHERE v = ?`, `SELECT '?' || $1, 'it''s ?' FROM t WHERE v = $2`},
		{`SELECT 1`, `SELECT 1`},
	} {
		if got := pg.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := pg.Rebind(c.in); got != c.want { // from the cache
			t.Errorf("Rebind(%q) again = %q", c.in, got)
		}
	}
	lite := &Dialect{}
	if q := `WHERE x = ?1`; lite.Rebind(q) != q {
		t.Errorf("SQLite's placeholders were rewritten: %q", lite.Rebind(q))
	}
}

func TestTimeScan(t *testing.T) {
	want := time.Date(2025, 3, 4, 3, 30, 0, 123456789, time.UTC)
	sh := time.FixedZone("CST", 8*3600)
	for _, src := range []any{"2025-03-04T03:30:00.123456789Z", []byte("2025-03-04T03:30:00.123456789Z"), want.In(sh)} {
		var got time.Time
		if err := Time(&got).Scan(src); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Scan(%v) = %v, %v", src, got, err)
		}
		var p *time.Time
		if err := NullTime(&p).Scan(src); err != nil || p == nil || !p.Equal(want) {
			t.Errorf("NullTime Scan(%v) = %v, %v", src, p, err)
		}
	}
	p := &want
	if err := NullTime(&p).Scan(nil); err != nil || p != nil {
		t.Errorf("NullTime Scan(nil) = %v, %v", p, err)
	}
	var got time.Time
	if err := Time(&got).Scan(nil); err == nil {
		t.Error("Time Scan(nil) accepted NULL")
	}
	if err := Time(&got).Scan("yesterday"); err == nil {
		t.Error("Time Scan accepted a bad time")
	}
}

// In makes each value storable (Dialect.Text) as the stored one was, so
// that a value the engine cleaned on its way in still matches, with or
// without arrays; the caller's slice is left as it was.
func TestInMakesValuesStorable(t *testing.T) {
	clean := func(s string) string { return strings.ReplaceAll(s, "\x00", "?") }
	vals := []string{"a\x00b", "c"}
	for _, arrays := range []bool{false, true} {
		d := &Dialect{Text: clean, Arrays: arrays}
		cond, args := d.In("id", vals)
		var got []string
		if arrays {
			if cond != "id = ANY(?)" || len(args) != 1 {
				t.Fatalf("arrays: %q %v", cond, args)
			}
			got = args[0].([]string)
		} else {
			if cond != "id IN (?, ?)" || len(args) != 2 {
				t.Fatalf("no arrays: %q %v", cond, args)
			}
			got = []string{args[0].(string), args[1].(string)}
		}
		if got[0] != "a?b" || got[1] != "c" {
			t.Errorf("arrays %v: values %q, want the storable [a?b c]", arrays, got)
		}
	}
	if vals[0] != "a\x00b" {
		t.Errorf("In changed the caller's slice: %q", vals)
	}
}
