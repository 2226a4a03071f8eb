package hx711

import (
	"errors"
	"testing"

	"github.com/eldergate/eldergate/drivers/scale"
)

type step struct {
	raw   int64
	ok    bool        // a weight is returned
	grams int64       // when ok
	state scale.State // when ok
	err   error       // expected rejection
}

func runSteps(t *testing.T, f *Filter, steps []step) {
	t.Helper()
	for i, s := range steps {
		w, ok, err := f.Add(s.raw)
		if s.err != nil {
			if !errors.Is(err, s.err) || ok {
				t.Fatalf("step %d raw %d: got %+v ok=%v err=%v; want error %v", i, s.raw, w, ok, err, s.err)
			}
			continue
		}
		if err != nil || ok != s.ok {
			t.Fatalf("step %d raw %d: got %+v ok=%v err=%v; want ok=%v", i, s.raw, w, ok, err, s.ok)
		}
		if ok && (w.Grams != s.grams || w.State != s.state) {
			t.Fatalf("step %d raw %d: got %d g %s; want %d g %s", i, s.raw, w.Grams, w.State, s.grams, s.state)
		}
	}
}

func TestFilterRecorded(t *testing.T) {
	// A recorded-style sequence at 100 counts/g, offset 8000 (empty scale),
	// with the garbage values periph's hx711 issue reports mixed in:
	// 0xFFFFFF (-1), a lone 0x7FFFFF and a lone wild spike.
	f, err := NewFilter(FilterConfig{Offset: 8000, CountsPerGram: 100, Window: 3, StableWindow: 3, StableGrams: 2})
	if err != nil {
		t.Fatal(err)
	}
	U, S := scale.Unstable, scale.Stable
	runSteps(t, f, []step{
		{raw: 8010},
		{raw: 7990},
		{raw: 8005, ok: true, grams: 0, state: U}, // window full
		{raw: -1, err: ErrGarbage},
		{raw: 8000, ok: true, grams: 0, state: U},
		{raw: RawMax, err: ErrGarbage},            // lone saturation value
		{raw: 8002, ok: true, grams: 0, state: S}, // three medians within ±2 g
		{raw: 5_000_000, err: ErrSpike},           // wild spike, ~50 kg
		{raw: 7998, ok: true, grams: 0, state: S}, // spike not confirmed: dropped
		{raw: 1 << 24, err: ErrGarbage},           // outside 24 bits
		// 250 g put on: an ordinary change, followed by the median.
		{raw: 33000, ok: true, grams: 0, state: U},   // median still 8002, but the newest reading disagrees
		{raw: 33010, ok: true, grams: 250, state: U}, // median 33000
		{raw: 33020, ok: true, grams: 250, state: U}, // medians 8002, 33000, 33010
		{raw: 33005, ok: true, grams: 250, state: S}, // medians 33000, 33010, 33010
		{raw: 33008, ok: true, grams: 250, state: S},
		// 3 kg put on at once (more than MaxJumpGrams, 2 kg): held back,
		// confirmed by the next reading, the window restarts there.
		{raw: 308000, err: ErrSpike},
		{raw: 308010},
		{raw: 308020, ok: true, grams: 3000, state: U},
		{raw: 308000, ok: true, grams: 3000, state: U},
		{raw: 308005, ok: true, grams: 3000, state: S},
	})
}

func TestFilterStability(t *testing.T) {
	f, _ := NewFilter(FilterConfig{CountsPerGram: 10, Window: 1, StableWindow: 3, StableGrams: 2, MaxJumpGrams: -1})
	U, S := scale.Unstable, scale.Stable
	runSteps(t, f, []step{
		{raw: 1000, ok: true, grams: 100, state: U},
		{raw: 1020, ok: true, grams: 102, state: U},
		{raw: 1040, ok: true, grams: 104, state: S}, // spread 4 g = 2×2
		{raw: 1050, ok: true, grams: 105, state: S}, // 102..105
		{raw: 1080, ok: true, grams: 108, state: S}, // 104..108: 4 g
		{raw: 1100, ok: true, grams: 110, state: U}, // 105..110: 5 g
	})
}

func TestFilterSaturation(t *testing.T) {
	f, _ := NewFilter(FilterConfig{CountsPerGram: 100, Window: 1, SaturationCount: 3})
	runSteps(t, f, []step{
		{raw: 100, ok: true, grams: 1, state: scale.Unstable},
		{raw: RawMax, err: ErrGarbage},
		{raw: RawMax, err: ErrGarbage},
		{raw: RawMax, ok: true, state: scale.Overload},
		{raw: RawMax, ok: true, state: scale.Overload},
		{raw: RawMin, err: ErrGarbage},
		{raw: -1, err: ErrGarbage},
		{raw: RawMin, err: ErrGarbage}, // the count restarted after -1
		{raw: RawMin, err: ErrGarbage},
		{raw: RawMin, ok: true, state: scale.Underload},
	})
	// A reversed load cell (negative factor): high saturation is underload.
	g, _ := NewFilter(FilterConfig{CountsPerGram: -100, Window: 1, SaturationCount: 1})
	runSteps(t, g, []step{
		{raw: RawMax, ok: true, state: scale.Underload},
		{raw: RawMin, ok: true, state: scale.Overload},
		{raw: -500, ok: true, grams: 5, state: scale.Unstable},
	})
}

func TestFilterConfig(t *testing.T) {
	if _, err := NewFilter(FilterConfig{}); err == nil {
		t.Fatal("zero calibration factor accepted")
	}
	f, _ := NewFilter(FilterConfig{CountsPerGram: 1})
	c := f.Config()
	if c.Window != 5 || c.StableWindow != 5 || c.StableGrams != 2 || c.MaxJumpGrams != 2000 || c.SaturationCount != 3 {
		t.Fatalf("defaults %+v", c)
	}
}

func TestAverage(t *testing.T) {
	tests := []struct {
		raws []int64
		want int64
		n    int
	}{
		{[]int64{8000, 8001, 8001}, 8001, 3}, // 8000.67
		{[]int64{8000, 8001}, 8001, 2},       // 8000.5 rounds away from zero
		{[]int64{-8000, -8001}, -8001, 2},
		{[]int64{8000, -1, RawMax, RawMin, 8002}, 8001, 2},
		{[]int64{-1}, 0, 0},
		{nil, 0, 0},
	}
	for _, tt := range tests {
		got, n := Average(tt.raws)
		if got != tt.want || n != tt.n {
			t.Errorf("Average(%v) = %d, %d; want %d, %d", tt.raws, got, n, tt.want, tt.n)
		}
	}
}

func FuzzFilter(f *testing.F) {
	f.Add([]byte{0x10, 0x20, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0x00, 0x00, 0x01}, int8(3), int8(3))
	f.Fuzz(func(t *testing.T, data []byte, window, sat int8) {
		flt, err := NewFilter(FilterConfig{CountsPerGram: 7.5, Offset: 1234, Window: int(window) % 9, StableWindow: 3, SaturationCount: int(sat) % 5})
		if err != nil {
			t.Fatal(err)
		}
		satRun := 0
		var last int64
		for i := 0; i+3 <= len(data); i += 3 {
			raw := int64(int32(uint32(data[i])<<24|uint32(data[i+1])<<16|uint32(data[i+2])<<8) >> 8)
			if raw == last && (raw == RawMax || raw == RawMin) {
				satRun++
			} else if raw == RawMax || raw == RawMin {
				satRun = 1
			} else {
				satRun = 0
			}
			last = raw
			w, ok, err := flt.Add(raw)
			if raw == -1 && (ok || err == nil) {
				t.Fatalf("all-ones value accepted: %+v", w)
			}
			if err != nil && ok {
				t.Fatal("error with a weight")
			}
			if !ok {
				continue
			}
			if !w.State.Valid() {
				t.Fatalf("invalid state %+v", w)
			}
			if (w.State == scale.Overload || w.State == scale.Underload) && satRun < flt.Config().SaturationCount {
				t.Fatalf("out of range after %d saturated readings", satRun)
			}
			if w.Grams > (1<<24)/7 || w.Grams < -(1<<24)/7 {
				t.Fatalf("weight %d beyond the ADC range", w.Grams)
			}
		}
	})
}
