package and

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/scaletest"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  scale.Weight
		err   error
	}{
		// A&D GX-A/GF-A Communication Manual 7-2 "Weighing data format".
		{"manual stable", "ST,+00123.45  g", scale.Weight{Grams: 123, State: scale.Stable}, nil},
		// A&D GX instruction manual 10-8 "Data format examples".
		{"manual stable small", "ST,+00001.27  g", scale.Weight{Grams: 1, State: scale.Stable}, nil},
		{"manual unstable negative", "US,-00183.69  g", scale.Weight{Grams: -184, State: scale.Unstable}, nil},
		{"manual overload positive", "OL,+9999999E+19", scale.Weight{State: scale.Overload}, nil},
		{"manual overload negative", "OL,-9999999E+19", scale.Weight{State: scale.Underload}, nil},
		{"overload short variant", "OL,+999999E+19", scale.Weight{State: scale.Overload}, nil},
		{"overload with unit", "OL,+9999999  g", scale.Weight{State: scale.Overload}, nil},
		{"brief example", "ST,+001234.5  g", scale.Weight{Grams: 1235, State: scale.Stable}, nil},
		{"kg", "ST,+0012.345 kg", scale.Weight{Grams: 12345, State: scale.Stable}, nil},
		{"kg rounding", "US,-0.000500 kg", scale.Weight{Grams: -1, State: scale.Unstable}, nil},
		{"zero", "ST,+00000.00  g", scale.Weight{Grams: 0, State: scale.Stable}, nil},
		{"counting", "QT,+00000123 PC", scale.Weight{}, ErrCounting},
		{"pounds", "ST,+00012.34 lb", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"ounces", "ST,+00012.34 oz", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"carats", "ST,+00012.34 ct", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"percent", "ST,+00012.34 % ", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"truncated", "ST,+00123.4", scale.Weight{}, ErrFrame},
		{"too long", "ST,+000123.45  g", scale.Weight{}, ErrFrame},
		{"no sign", "ST, 00123.45  g", scale.Weight{}, ErrFrame},
		{"bad digit", "ST,+001x3.45  g", scale.Weight{}, weight.ErrSyntax},
		{"unknown header", "XX,+00123.45  g", scale.Weight{}, ErrFrame},
		{"no comma", "ST+00123.45   g", scale.Weight{}, ErrFrame},
		{"overload without sign", "OL,9999999E+19", scale.Weight{}, ErrFrame},
		{"empty", "", scale.Weight{}, ErrFrame},
		{"header only", "ST,", scale.Weight{}, ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.frame))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want error %v", tt.frame, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.frame, got, err, tt.want)
			}
		})
	}
}

func TestDecodeNoise(t *testing.T) {
	tests := []struct {
		line string
		want scale.Weight
		ok   bool
	}{
		{"\x00\xff\x13ST,+00123.45  g", scale.Weight{Grams: 123, State: scale.Stable}, true},
		{"ST,+0012ST,+00123.45  g", scale.Weight{Grams: 123, State: scale.Stable}, true}, // cut frame then a full one
		{"garbage", scale.Weight{}, false},
		{"\x00ST,+00123.4", scale.Weight{}, false},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.line))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Decode(%q) = %+v, %v; want %+v ok=%v", tt.line, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"ST,+00123.45  g", "US,-00183.69  g", "OL,+9999999E+19", "OL,-9999999E+19", "QT,+00000123 PC", "ST,+0012.345 kg", "\x00ST,+1", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		w, err := Decode(line)
		if err != nil {
			if w != (scale.Weight{}) {
				t.Fatalf("error %v with a reading %+v", err, w)
			}
			return
		}
		if !w.State.Valid() {
			t.Fatalf("invalid state %q", w.State)
		}
		if (w.State == scale.Overload || w.State == scale.Underload) && w.Grams != 0 {
			t.Fatalf("out of range reading with grams: %+v", w)
		}
		if w.State == scale.Stable || w.State == scale.Unstable {
			// A weight comes only from a full 15-byte frame with a g or kg unit.
			i := bytes.LastIndex(line, []byte(","))
			if i < 2 || len(line)-i+2 != FrameLen {
				t.Fatalf("weight %+v from a frame that is not 15 bytes: %q", w, line)
			}
			u := bytes.ToLower(bytes.TrimSpace(line[len(line)-3:]))
			if string(u) != "g" && string(u) != "kg" {
				t.Fatalf("weight %+v with unit %q", w, u)
			}
		}
	})
}

func TestEndToEnd(t *testing.T) {
	scaletest.RunStream(t, scaletest.Stream{
		New: func(path string, log *slog.Logger, onStatus func(drivers.Status), now func() time.Time) (scale.Scale, error) {
			return New(Config{Name: "hall", Serial: serialport.Config{Path: path, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}, Now: now, OnStatus: onStatus, Log: log})
		},
		Garbage: []byte("\x00\xfe\x7f~~ noise"),
		Good: []scaletest.Frame{
			{Bytes: []byte("ST,+00123.45  g\r\n"), Want: scale.Weight{Grams: 123, State: scale.Stable}},
			{Bytes: []byte("US,-00183.69  g\r\n"), Want: scale.Weight{Grams: -184, State: scale.Unstable}},
			{Bytes: []byte("OL,+9999999E+19\r\n"), Want: scale.Weight{State: scale.Overload}},
			{Bytes: []byte("ST,+0012.345 kg\r\n"), Want: scale.Weight{Grams: 12345, State: scale.Stable}},
		},
		Bad:    []byte("ST,+00012.34 lb\r\nST,+00\r\n"),
		BadLog: "lb",
	})
}

func TestNewNeedsPath(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a device path succeeded")
	}
}
