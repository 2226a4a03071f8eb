package indicator

import (
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
	st := func(g int64, net bool) scale.Weight { return scale.Weight{Grams: g, State: scale.Stable, Net: net} }
	us := func(g int64, net bool) scale.Weight { return scale.Weight{Grams: g, State: scale.Unstable, Net: net} }
	tests := []struct {
		name string
		line string
		want scale.Weight
		err  error
	}{
		// CAS CI-400 / PDI manuals, "18 Bytes for AND": header1 , header2 , data 8 bytes, unit 2 bytes.
		{"manual gross", "ST,GS,+  1.234kg", st(1234, false), nil},
		{"manual net unstable", "US,NT,-   0.50 kg", us(-500, true), nil},
		{"manual overload", "OL,GS,+ 99.999kg", scale.Weight{State: scale.Overload}, nil},
		{"overload negative", "OL,GS,-  0.000kg", scale.Weight{State: scale.Underload}, nil},
		{"overload dashes", "OL,GS,--------kg", scale.Weight{State: scale.Underload}, nil},
		{"overload text", "OL,GS,   OL   ", scale.Weight{State: scale.Overload}, nil},
		// CAS "18 bytes": 13.5 kg sent as "000013.5" (CAS PDI manual).
		{"cas 18 bytes", "ST,GS,000013.5kg", st(13500, false), nil},
		{"unit after comma", "ST,GS,+0001.234,kg", st(1234, false), nil},
		{"lowercase", "st,nt,+0001.234kg", st(1234, true), nil},
		{"no sign", "ST,GS,  1.234kg", st(1234, false), nil},
		{"spaces around commas", " ST , GS , + 1.234 kg ", st(1234, false), nil},
		{"grams", "US,GS,+  123.4 g", us(123, false), nil},
		{"grams upper", "ST,GS,+001234G", st(1234, false), nil},
		{"rounding half away", "ST,GS,+ 0.0005kg", st(1, false), nil},
		{"negative rounding", "ST,NT,-0.0005kg", st(-1, true), nil},
		{"no header2", "ST,+0001.234kg", st(1234, false), nil},
		{"pounds", "ST,GS,+  2.500lb", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"ounces", "ST,GS,+  2.500oz", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"tonnes", "ST,GS,+  2.500 t", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"no unit", "ST,GS,+  2.500", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"two units", "ST,GS,+2.5kg,kg", scale.Weight{}, ErrFrame},
		{"unknown header", "XX,GS,+  1.234kg", scale.Weight{}, ErrFrame},
		{"unknown header2", "ST,ZZ,+  1.234kg", scale.Weight{}, ErrFrame},
		{"truncated", "ST,GS,", scale.Weight{}, ErrFrame},
		{"truncated number", "ST,GS,+ 1.2", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"header only", "ST", scale.Weight{}, ErrFrame},
		{"bad number", "ST,GS,+1.2.3kg", scale.Weight{}, weight.ErrSyntax},
		{"space in digits", "ST,GS,+1 234kg", scale.Weight{}, weight.ErrSyntax},
		{"control byte", "ST,GS,+1.2\x00kg", scale.Weight{}, ErrFrame},
		{"too long", "ST,GS,+000000000000000000000000000001.234kg", scale.Weight{}, ErrFrame},
		{"too many fields", "ST,GS,NT,+1.2,kg", scale.Weight{}, ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parser{}.Parse([]byte(tt.line))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want error %v", tt.line, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestDefaultUnit(t *testing.T) {
	p := Parser{DefaultUnit: "kg"}
	got, err := p.Parse([]byte("ST,GS,+  2.500"))
	if err != nil || got.Grams != 2500 {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
	got, err = p.Parse([]byte("ST,GS,+  2.500 g"))
	if err != nil || got.Grams != 3 {
		t.Fatalf("explicit unit wins: %+v, %v", got, err)
	}
	if _, err := New(Config{Serial: serialport.Config{Path: "/dev/null"}, DefaultUnit: "lb"}); !errors.Is(err, weight.ErrUnsupportedUnit) {
		t.Fatalf("New with default unit lb: %v", err)
	}
}

func TestDecodeNoise(t *testing.T) {
	tests := []struct {
		line string
		want scale.Weight
		ok   bool
	}{
		{"\x00\xffxyzST,GS,+  1.234kg", scale.Weight{Grams: 1234, State: scale.Stable}, true},
		{"ST,GS,+  1.2US,NT,-   0.50 kg", scale.Weight{Grams: -500, State: scale.Unstable, Net: true}, true},
		{"noise only", scale.Weight{}, false},
		{"\xffst ,gs,+1kg", scale.Weight{Grams: 1000, State: scale.Stable}, true},
	}
	for _, tt := range tests {
		got, err := Parser{}.Decode([]byte(tt.line))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Decode(%q) = %+v, %v; want %+v ok=%v", tt.line, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"ST,GS,+  1.234kg", "US,NT,-   0.50 kg", "OL,GS,+ 99.999kg", "ST,GS,+0001.234,kg", "st,gs,1g", "ST,+1kg", "\x00OL,", ""} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, defKg bool) {
		p := Parser{}
		if defKg {
			p.DefaultUnit = "kg"
		}
		w, err := p.Decode(line)
		if err != nil {
			if w != (scale.Weight{}) {
				t.Fatalf("error %v with reading %+v", err, w)
			}
			return
		}
		if !w.State.Valid() {
			t.Fatalf("invalid state %+v", w)
		}
		if (w.State == scale.Overload || w.State == scale.Underload) && w.Grams != 0 {
			t.Fatalf("out of range with grams %+v", w)
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
			{Bytes: []byte("ST,GS,+  1.234kg\r\n"), Want: scale.Weight{Grams: 1234, State: scale.Stable}},
			{Bytes: []byte("US,NT,-   0.50 kg\r\n"), Want: scale.Weight{Grams: -500, State: scale.Unstable, Net: true}},
			{Bytes: []byte("OL,GS,+ 99.999kg\r\n"), Want: scale.Weight{State: scale.Overload}},
			{Bytes: []byte("ST,NT,+0001.234,kg\r\n"), Want: scale.Weight{Grams: 1234, State: scale.Stable, Net: true}},
		},
		Bad:    []byte("ST,GS,+  2.500lb\r\nST,GS,+1.2.3kg\r\n"),
		BadLog: "lb",
	})
}
