package serialtill

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

// feedDisplay runs bytes through a parser and Totals, one command per
// step of 10 ms, and returns the amounts taken (settle 100 ms) and the
// errors; after the bytes, time runs on by a second.
func feedDisplay(in string) (amounts []eldergate.Fen, errs []error) {
	var p DisplayParser
	tot := NewTotals(100 * time.Millisecond)
	now := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	for i := 0; i < len(in); i++ {
		if in[i] == '|' { // test marker: a pause longer than the settle time
			now = now.Add(time.Second)
			if f, due := tot.Due(now); due {
				amounts = append(amounts, f)
			}
			continue
		}
		cmd, ok, err := p.Feed(in[i])
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			if f, due := tot.Due(now); due {
				amounts = append(amounts, f)
			}
			now = now.Add(10 * time.Millisecond)
			tot.Apply(cmd, now)
		}
	}
	if f, due := tot.Due(now.Add(time.Second)); due {
		amounts = append(amounts, f)
	}
	return amounts, errs
}

// The byte sequences are what the POS software cited in display.go sends.
func TestDisplayTotals(t *testing.T) {
	const (
		init_  = "\x1b@"
		price  = "\x1bs1"
		total  = "\x1bs2"
		paid   = "\x1bs3"
		change = "\x1bs4"
	)
	num := func(s string) string { return "\x1bQA" + s + "\r" }
	tests := []struct {
		name string
		in   string
		want string // amounts in yuan, space separated
		errs int
	}{
		{"light first (ASCII n)", init_ + price + num("8.00") + price + num("4.50") + total + num("12.50"), "12.50", 0},
		{"number first (GiPOS, fastfd)", num("8.00") + price + num("4.50") + price + num("12.50") + total, "12.50", 0},
		{"binary n (Wintec)", "\x1bs\x01" + num("8.00") + "\x1bs\x02" + num("25.00"), "25.00", 0},
		{"paid and change ignored", total + num("12.50") + "|" + paid + num("20.00") + change + num("7.50"), "12.50", 0},
		{"the total again after paid and change is one amount", total + num("12.50") + "|" + paid + num("20.00") + "|" + change + num("7.50") + "|" + total + num("12.50"), "12.50", 0},
		{"off light starts a new sale", total + num("12.50") + "|\x1bs0|" + total + num("12.50"), "12.50 12.50", 0},
		{"number first: paid after total ignored", num("12.50") + total + "|" + num("20.00") + paid + num("7.50") + change, "12.50", 0},
		{"total shown twice is one amount", total + num("12.50") + "|" + total + num("12.50") + "|" + num("12.50"), "12.50", 0},
		{"same total after a reset is a new sale", total + num("12.50") + "|" + init_ + total + num("12.50"), "12.50 12.50", 0},
		{"same total after CLR is a new sale", total + num("12.50") + "|\x0c" + total + num("12.50"), "12.50 12.50", 0},
		{"same total after another sale's price", total + num("12.50") + "|" + price + num("12.50") + "|" + total + num("12.50"), "12.50 12.50", 0},
		{"a corrected total is another amount", total + num("12.50") + "|" + num("13.00"), "12.50 13.00", 0},
		{"zero total is nothing", total + num("0.00") + "|" + total + num("0"), "", 0},
		{"zero shown between two equal totals: two sales", total + num("12.50") + "|" + num("0.00") + "|" + num("12.50"), "12.50 12.50", 0},
		{"not money between two equal totals: one sale", total + num("12.50") + "|" + num("x") + "|" + num("12.50"), "12.50", 1},
		{"12 and 12.5 are money", total + num(" 12 ") + "|" + init_ + total + num("12.5"), "12.00 12.50", 0},
		{"not money", total + num("12.345") + num("1.2.3") + num("-5.00") + num("12,50") + num("") + num(".5"), "", 6},
		{"not money hides the last number", total + num("9.00") + num("9x"), "", 1},
		{"over-long number", total + num(strings.Repeat("1", MaxNumber+4)), "", 1},
		{"partial frame cut by ESC", total + "\x1bQA12.5" + total + num("3.00"), "3.00", 1},
		{"garbage between frames reported once", "hello world" + total + num("6.00"), "6.00", 1},
		{"unknown ESC command skipped", "\x1bQB WELCOME\r\x1bW1" + total + num("6.00"), "6.00", 2},
		{"bad light", "\x1bs9" + total + num("6.00"), "6.00", 1},
		{"CR LF after frames", total + "\r\n" + num("6.00") + "\n", "6.00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			amounts, errs := feedDisplay(tt.in)
			var got []string
			for _, a := range amounts {
				got = append(got, a.String())
			}
			if strings.Join(got, " ") != tt.want || len(errs) != tt.errs {
				t.Fatalf("amounts %v errs %v; want %q and %d errors", got, errs, tt.want, tt.errs)
			}
			for _, err := range errs {
				if !errors.Is(err, ErrFrame) || !strings.HasPrefix(err.Error(), "serialtill: ") {
					t.Fatalf("error %v is not a serialtill ErrFrame", err)
				}
			}
		})
	}
}

// A total not yet settled is not taken; its deadline moves with every
// command.
func TestTotalsSettle(t *testing.T) {
	tot := NewTotals(300 * time.Millisecond)
	t0 := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	tot.Apply(DisplayCommand{Kind: KindLight, Light: LightTotal}, t0)
	if _, ok := tot.Deadline(); ok {
		t.Fatal("a deadline with no number shown")
	}
	tot.Apply(DisplayCommand{Kind: KindNumber, Fen: 1250}, t0.Add(10*time.Millisecond))
	if d, ok := tot.Deadline(); !ok || !d.Equal(t0.Add(310*time.Millisecond)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if _, ok := tot.Due(t0.Add(300 * time.Millisecond)); ok {
		t.Fatal("taken before it settled")
	}
	if f, ok := tot.Due(t0.Add(310 * time.Millisecond)); !ok || f != 1250 {
		t.Fatalf("Due = %v %v", f, ok)
	}
	if _, ok := tot.Due(t0.Add(time.Hour)); ok {
		t.Fatal("taken twice")
	}
}

// FuzzDisplay feeds arbitrary bytes through the parser and Totals: no
// panic; every error is an ErrFrame; every amount taken is above zero and
// is a number the parser read as money while the total light was on.
func FuzzDisplay(f *testing.F) {
	f.Add([]byte("\x1b@\x1bs2\x1bQA12.50\r"), uint8(3))
	f.Add([]byte("\x1bQA12.50\r\x1bs2\x1bQA20.00\r\x1bs3"), uint8(1))
	f.Add([]byte("\x1bs\x02\x1bQA1.2.3\r\x0c\x1bQB hi\r\xff\x1b\x1b\x1bs"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, pauseEvery uint8) {
		var p DisplayParser
		tot := NewTotals(50 * time.Millisecond)
		now := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
		light := LightOff
		seen := map[eldergate.Fen]bool{}
		for i, c := range in {
			cmd, ok, err := p.Feed(c)
			if err != nil && !errors.Is(err, ErrFrame) {
				t.Fatalf("error %v is not an ErrFrame", err)
			}
			if ok {
				now = now.Add(time.Millisecond)
				tot.Apply(cmd, now)
				switch cmd.Kind {
				case KindLight:
					light = cmd.Light
				case KindInit, KindClear:
					light = LightOff
				case KindNumber:
					if cmd.Fen < 0 || (err != nil && cmd.Fen != 0) {
						t.Fatalf("number %+v with error %v", cmd, err)
					}
					if cmd.Fen > 0 {
						seen[cmd.Fen] = true
					}
				}
				if cmd.Kind == KindLight && cmd.Light > LightChange {
					t.Fatalf("light %d", cmd.Light)
				}
			}
			if pauseEvery > 0 && i%int(pauseEvery) == 0 {
				now = now.Add(100 * time.Millisecond)
			}
			if f, due := tot.Due(now); due && (f <= 0 || !seen[f] || light != LightTotal) {
				t.Fatalf("took %v (seen %v, light %d)", f, seen[f], light)
			}
		}
		if len(p.num) > MaxNumber {
			t.Fatalf("number buffer grew to %d", len(p.num))
		}
	})
}
