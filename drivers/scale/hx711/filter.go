package hx711

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/eldergate/eldergate/drivers/scale"
)

// The HX711's 24-bit two's complement output range.
const (
	RawMax = 0x7FFFFF  // positive saturation (input above range)
	RawMin = -0x800000 // negative saturation (input below range)
)

// Errors of rejected raw readings.
var (
	ErrGarbage = errors.New("hx711: garbage reading rejected")
	ErrSpike   = errors.New("hx711: outlier rejected")
)

// FilterConfig configures a Filter.
type FilterConfig struct {
	// Offset is the raw reading with nothing on the scale (set by Tare).
	Offset int64
	// CountsPerGram is the calibration factor: raw counts per gram
	// (negative when the load cell is wired the other way round). Must
	// not be zero.
	CountsPerGram float64
	// Window is the size of the median filter; default 5.
	Window int
	// StableWindow is how many consecutive filtered readings are looked
	// at for stability; default 5.
	StableWindow int
	// StableGrams: the reading is stable when the last StableWindow
	// filtered readings lie within a band of ±StableGrams (max - min <=
	// 2*StableGrams) and the newest raw reading is within 2*StableGrams
	// of the median; default 2.
	StableGrams int64
	// MaxJumpGrams: a raw reading further than this from the current
	// median is held back as a possible spike; it is accepted only when
	// the next reading confirms it (lies within MaxJumpGrams of it),
	// otherwise it is dropped. 0 means the default, 2000 g; negative
	// disables the check.
	MaxJumpGrams int64
	// SaturationCount consecutive saturated readings (0x7FFFFF or
	// 0x800000) report overload/underload; fewer are taken for garbage
	// (a disturbed clock reads all ones or all zeros). Default 3.
	SaturationCount int
}

func (c *FilterConfig) defaults() error {
	if c.CountsPerGram == 0 || math.IsNaN(c.CountsPerGram) || math.IsInf(c.CountsPerGram, 0) {
		return fmt.Errorf("hx711: calibration factor (counts per gram) %v is not usable", c.CountsPerGram)
	}
	if c.Window <= 0 {
		c.Window = 5
	}
	if c.StableWindow <= 0 {
		c.StableWindow = 5
	}
	if c.StableGrams <= 0 {
		c.StableGrams = 2
	}
	if c.MaxJumpGrams == 0 {
		c.MaxJumpGrams = 2000
	}
	if c.SaturationCount <= 0 {
		c.SaturationCount = 3
	}
	return nil
}

// Filter turns the HX711's raw readings into weights: it rejects the
// garbage values a disturbed bit-banged read produces (all ones = -1,
// isolated saturation values, values outside 24 bits), holds back
// single spikes, takes the median over a window, converts to grams with
// the offset and calibration factor, and judges stability. It is pure
// (no I/O, no clock) and not safe for concurrent use.
type Filter struct {
	cfg     FilterConfig
	window  []int64 // last accepted raw values, oldest first
	medians []int64 // last medians, oldest first
	pending *int64  // a raw value held back as a possible spike
	satHigh int
	satLow  int
}

// NewFilter returns a filter for cfg.
func NewFilter(cfg FilterConfig) (*Filter, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Filter{cfg: cfg}, nil
}

// Config returns the effective configuration.
func (f *Filter) Config() FilterConfig { return f.cfg }

// Check reports whether raw is a garbage value that no filter state can
// make valid: outside the 24-bit range or all ones (-1).
func Check(raw int64) error {
	switch {
	case raw > RawMax || raw < RawMin:
		return fmt.Errorf("%w: %d is outside the 24-bit range", ErrGarbage, raw)
	case raw == -1:
		return fmt.Errorf("%w: all ones (0xFFFFFF), DOUT stuck high or clock disturbed", ErrGarbage)
	}
	return nil
}

// Add feeds one raw reading. It returns the current weight and true when
// there is one; a rejected reading returns an error wrapping ErrGarbage
// or ErrSpike (and false). While the median window is filling no weight
// is returned.
func (f *Filter) Add(raw int64) (scale.Weight, bool, error) {
	if err := Check(raw); err != nil {
		f.satHigh, f.satLow = 0, 0
		return scale.Weight{}, false, err
	}
	if raw == RawMax || raw == RawMin {
		n := &f.satHigh
		if raw == RawMin {
			n = &f.satLow
			f.satHigh = 0
		} else {
			f.satLow = 0
		}
		*n++
		if *n < f.cfg.SaturationCount {
			return scale.Weight{}, false, fmt.Errorf("%w: saturation value 0x%06X (%d in a row, %d needed for overload)", ErrGarbage, raw&0xFFFFFF, *n, f.cfg.SaturationCount)
		}
		// Saturated for good: the load is out of the ADC's range. The
		// history is dropped so that the weight after it is fresh.
		f.reset()
		high := raw == RawMax
		if f.cfg.CountsPerGram < 0 {
			high = !high
		}
		if high {
			return scale.Weight{State: scale.Overload}, true, nil
		}
		return scale.Weight{State: scale.Underload}, true, nil
	}
	f.satHigh, f.satLow = 0, 0

	if f.cfg.MaxJumpGrams > 0 && len(f.window) > 0 {
		med := median(f.window)
		if f.far(raw, med) {
			if f.pending != nil && !f.far(raw, *f.pending) {
				// Confirmed: a real step (something put on or taken off).
				// Restart the window at the new level.
				p := *f.pending
				f.reset()
				f.window = append(f.window, p)
			} else {
				p := raw
				f.pending = &p
				return scale.Weight{}, false, fmt.Errorf("%w: %d is %d g away from the median %d, held until confirmed", ErrSpike, raw, f.grams(raw-med), med)
			}
		}
	}
	f.pending = nil
	f.window = append(f.window, raw)
	if len(f.window) > f.cfg.Window {
		f.window = f.window[1:]
	}
	if len(f.window) < f.cfg.Window {
		return scale.Weight{}, false, nil
	}
	med := median(f.window)
	f.medians = append(f.medians, med)
	if len(f.medians) > f.cfg.StableWindow {
		f.medians = f.medians[1:]
	}
	w := scale.Weight{Grams: f.grams(med - f.cfg.Offset), State: scale.Unstable}
	if len(f.medians) == f.cfg.StableWindow {
		lo, hi := slices.Min(f.medians), slices.Max(f.medians)
		// The newest reading must agree too: otherwise the first reading
		// after a change would still be called stable at the old weight.
		if abs(f.grams(hi-lo)) <= 2*f.cfg.StableGrams && abs(f.grams(raw-med)) <= 2*f.cfg.StableGrams {
			w.State = scale.Stable
		}
	}
	return w, true, nil
}

// far reports whether raw values a and b are more than MaxJumpGrams apart.
func (f *Filter) far(a, b int64) bool {
	return abs(f.grams(a-b)) > f.cfg.MaxJumpGrams
}

// grams converts a raw count difference to grams, rounding halves away
// from zero (math.Round). The raw values are 24-bit, so the float64
// arithmetic is exact up to the division.
func (f *Filter) grams(counts int64) int64 {
	return int64(math.Round(float64(counts) / f.cfg.CountsPerGram))
}

// SetOffset sets the zero offset (raw counts with an empty scale). The
// filter history is kept: it holds raw values.
func (f *Filter) SetOffset(offset int64) { f.cfg.Offset = offset }

// Offset returns the zero offset.
func (f *Filter) Offset() int64 { return f.cfg.Offset }

func (f *Filter) reset() {
	f.window, f.medians, f.pending = f.window[:0], f.medians[:0], nil
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	// even window: the mean of the two middle values, rounded down
	return (s[n/2-1] + s[n/2]) >> 1
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Average returns the mean of raw values that pass Check and are not
// saturated, rounded to the nearest count, and how many were used. It
// is how Tare computes the offset.
func Average(raws []int64) (int64, int) {
	var sum, n int64
	for _, r := range raws {
		if Check(r) != nil || r == RawMax || r == RawMin {
			continue
		}
		sum += r
		n++
	}
	if n == 0 {
		return 0, 0
	}
	q, m := sum/n, sum%n
	if 2*abs(m) >= n {
		if sum < 0 {
			q--
		} else {
			q++
		}
	}
	return q, int(n)
}
