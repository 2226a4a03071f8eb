package toledo

import (
	"bufio"
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

// Status words built from the bit tables of the Wildcat Technical Manual
// (Tables 6-9..6-11) and the IND560 Technical Manual, Appendix C.
const (
	swaX_XXX  = 0x20 | 0x08 | 5 // X.XXX, count by 1  -> '-'
	swaXXXX_X = 0x20 | 0x18 | 3 // XXX.X, count by 5
	swaXX00   = 0x20 | 0x10 | 0 // XX00, count by 2
	swaXXXX   = 0x20 | 0x08 | 2 // XXXX
	swaX5     = 0x20 | 0x08 | 7 // .XXXXX
	swbKg     = 0x20 | SWBKilograms
	swbLb     = 0x20
	swcLbKg   = 0x20
	swcGrams  = 0x20 | 1
)

func frame(swa, swb, swc byte, w, tare string, checksum bool) []byte {
	b := append([]byte{STX, swa, swb, swc}, w+tare+"\r"...)
	if checksum {
		b = append(b, Checksum(b))
	}
	return b
}

func TestChecksum(t *testing.T) {
	f := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
	var sum int
	for _, c := range f {
		sum += int(c)
	}
	if sum%128 != 0 {
		t.Fatalf("frame %q sums to %d, not 0 mod 128", f, sum)
	}
}

func TestParse(t *testing.T) {
	w := func(g int64, st scale.State, net bool) scale.Weight {
		return scale.Weight{Grams: g, State: st, Net: net}
	}
	tests := []struct {
		name     string
		b        []byte
		checksum bool
		want     Frame
		err      error
	}{
		{"stable gross kg X.XXX", frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", false), false,
			Frame{Weight: w(1234, scale.Stable, false), Increment: 1}, nil},
		{"with checksum", frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true), true,
			Frame{Weight: w(1234, scale.Stable, false), Increment: 1}, nil},
		{"net negative motion tare", frame(swaX_XXX, swbKg|SWBNet|SWBNegative|SWBMotion, swcLbKg, "000500", "000250", true), true,
			Frame{Weight: w(-500, scale.Unstable, true), TareGrams: 250, Increment: 1}, nil},
		{"leading spaces", frame(swaX_XXX, swbKg, swcLbKg, "  1234", "     0", false), false,
			Frame{Weight: w(1234, scale.Stable, false), Increment: 1}, nil},
		{"grams XXX.X rounding", frame(swaXXXX_X, swbLb, swcGrams, "012345", "000000", false), false,
			Frame{Weight: w(1235, scale.Stable, false), Increment: 5}, nil},
		{"kg XX00", frame(swaXX00, swbKg, swcLbKg, "000012", "000000", false), false,
			Frame{Weight: w(1200000, scale.Stable, false), Increment: 2}, nil},
		{"kg XXXX", frame(swaXXXX, swbKg, swcLbKg, "000015", "000000", false), false,
			Frame{Weight: w(15000, scale.Stable, false), Increment: 1}, nil},
		{"kg .XXXXX", frame(swaX5, swbKg, swcLbKg, "012345", "000000", false), false,
			Frame{Weight: w(123, scale.Stable, false), Increment: 1}, nil},
		{"overload", frame(swaX_XXX, swbKg|SWBOutOfRange, swcLbKg, "999999", "000000", false), false,
			Frame{Weight: w(0, scale.Overload, false), Increment: 1}, nil},
		{"underload", frame(swaX_XXX, swbKg|SWBOutOfRange|SWBNegative, swcLbKg, "000100", "000000", false), false,
			Frame{Weight: w(0, scale.Underload, false), Increment: 1}, nil},
		{"power-up zero not captured", frame(swaX_XXX, swbKg|SWBPowerUp, swcLbKg, "000100", "000000", false), false,
			Frame{Weight: w(100, scale.Unstable, false), Increment: 1, PowerUp: true}, nil},
		{"print request", frame(swaX_XXX, swbKg, swcLbKg|SWCPrint, "000100", "000000", false), false,
			Frame{Weight: w(100, scale.Stable, false), Increment: 1, Print: true}, nil},
		{"pounds", frame(swaX_XXX, swbLb, swcLbKg, "001234", "000000", false), false, Frame{}, weight.ErrUnsupportedUnit},
		{"tonnes", frame(swaX_XXX, swbKg, 0x20|2, "001234", "000000", false), false, Frame{}, weight.ErrUnsupportedUnit},
		{"ounces", frame(swaX_XXX, swbKg, 0x20|3, "001234", "000000", false), false, Frame{}, weight.ErrUnsupportedUnit},
		{"expanded", frame(swaX_XXX, swbKg, swcLbKg|SWCExpanded, "001234", "000000", false), false, Frame{}, ErrExpanded},
		{"wrong checksum", func() []byte {
			b := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
			b[17] ^= 1
			return b
		}(), true, Frame{}, ErrChecksum},
		{"corrupted digit under checksum", func() []byte {
			b := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
			b[7] = '9'
			return b
		}(), true, Frame{}, ErrChecksum},
		{"checksum missing", frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", false), true, Frame{}, ErrLength},
		{"truncated", frame(swaX_XXX, swbKg, swcLbKg, "01234", "000000", false), false, Frame{}, ErrLength},
		{"no CR", append(frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", false)[:16], '\n'), false, Frame{}, ErrFrame},
		{"SWA bit 5 clear", frame(0x08|5, swbKg, swcLbKg, "001234", "000000", false), false, Frame{}, ErrFrame},
		{"SWA bit 6 set", frame(swaX_XXX|0x40, swbKg, swcLbKg, "001234", "000000", false), false, Frame{}, ErrFrame},
		{"SWB bit 5 clear", frame(swaX_XXX, SWBKilograms, swcLbKg, "001234", "000000", false), false, Frame{}, ErrFrame},
		{"SWC bit 6 set", frame(swaX_XXX, swbKg, swcLbKg|0x40, "001234", "000000", false), false, Frame{}, ErrFrame},
		{"bit 7 set (parity read as data)", frame(swaX_XXX|0x80, swbKg, swcLbKg, "001234", "000000", false), false, Frame{}, ErrFrame},
		{"letter in weight", frame(swaX_XXX, swbKg, swcLbKg, "00A234", "000000", false), false, Frame{}, ErrFrame},
		{"space inside weight", frame(swaX_XXX, swbKg, swcLbKg, "00 234", "000000", false), false, Frame{}, ErrFrame},
		{"blank weight", frame(swaX_XXX, swbKg, swcLbKg, "      ", "000000", false), false, Frame{}, ErrFrame},
		{"bad tare", frame(swaX_XXX, swbKg, swcLbKg, "001234", "00-000", false), false, Frame{}, ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.b, tt.checksum)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want error %v", tt.b, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.b, got, err, tt.want)
			}
		})
	}
}

func TestSplitResync(t *testing.T) {
	good := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
	cut := good[:9]
	var in bytes.Buffer
	in.WriteString("noise\r\n\x7f")
	in.Write(good)
	in.Write(cut) // a frame cut short by a new one
	in.Write(good)
	in.WriteString("\x02-0 0012340000") // STX and a frame without CR
	in.WriteString("00xx\r")
	in.Write(good)
	sc := bufio.NewScanner(&in)
	sc.Split(Split(true))
	var ok, bad int
	for sc.Scan() {
		if f, err := Parse(sc.Bytes(), true); err == nil {
			if f.Weight.Grams != 1234 {
				t.Fatalf("frame %+v", f)
			}
			ok++
		} else {
			bad++
		}
	}
	if ok != 3 || bad < 2 {
		t.Fatalf("good frames %d, bad tokens %d; want 3 and at least 2", ok, bad)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true), true)
	f.Add(frame(swaX_XXX, swbKg|SWBNet|SWBNegative|SWBMotion, swcLbKg, "000500", "000250", true), true)
	f.Add(frame(swaXXXX_X, swbLb, swcGrams, "012345", "000000", false), false)
	f.Add(frame(swaX_XXX, swbKg|SWBOutOfRange, swcLbKg, "999999", "000000", false), false)
	f.Fuzz(func(t *testing.T, b []byte, checksum bool) {
		fr, err := Parse(b, checksum)
		if err != nil {
			if fr != (Frame{}) {
				t.Fatalf("error %v with frame %+v", err, fr)
			}
			return
		}
		if checksum {
			var s int
			for _, c := range b {
				s += int(c)
			}
			if s%128 != 0 {
				t.Fatalf("accepted %q with a bad checksum", b)
			}
		}
		if !fr.Weight.State.Valid() || b[0] != STX || b[16] != CR {
			t.Fatalf("accepted %q as %+v", b, fr)
		}
		if fr.Weight.State == scale.Stable && (b[2]&(SWBMotion|SWBOutOfRange|SWBPowerUp) != 0) {
			t.Fatalf("stable reading from status 0x%02x", b[2])
		}
	})
}

// FuzzStream checks that whatever the bytes, the splitter never makes the
// scanner fail and a frame is accepted only with a good checksum.
func FuzzStream(f *testing.F) {
	good := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
	f.Add(append(append([]byte("xx"), good...), good[:5]...))
	f.Fuzz(func(t *testing.T, in []byte) {
		sc := bufio.NewScanner(bytes.NewReader(in))
		sc.Buffer(make([]byte, 0, 256), 256)
		sc.Split(Split(true))
		for sc.Scan() {
			tok := sc.Bytes()
			if len(tok) > FrameLen+1 {
				t.Fatalf("token of %d bytes", len(tok))
			}
			if _, err := Parse(tok, true); err == nil && Checksum(tok[:FrameLen]) != tok[FrameLen] {
				t.Fatal("accepted a bad checksum")
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("scanner: %v", err)
		}
	})
}

func TestEndToEnd(t *testing.T) {
	scaletest.RunStream(t, scaletest.Stream{
		New: func(path string, log *slog.Logger, onStatus func(drivers.Status), now func() time.Time) (scale.Scale, error) {
			return New(Config{Name: "hall", Serial: serialport.Config{Path: path, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}, Checksum: true, Now: now, OnStatus: onStatus, Log: log})
		},
		Garbage: []byte("\x00\xfe\x7f~~ noise\r\n"),
		Good: []scaletest.Frame{
			{Bytes: frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true), Want: scale.Weight{Grams: 1234, State: scale.Stable}},
			{Bytes: frame(swaX_XXX, swbKg|SWBNet|SWBNegative|SWBMotion, swcLbKg, "000500", "000250", true), Want: scale.Weight{Grams: -500, State: scale.Unstable, Net: true}},
			{Bytes: frame(swaX_XXX, swbKg|SWBOutOfRange, swcLbKg, "999999", "000000", true), Want: scale.Weight{State: scale.Overload}},
			{Bytes: frame(swaXXXX_X, swbLb, swcGrams, "012345", "000000", true), Want: scale.Weight{Grams: 1235, State: scale.Stable}},
		},
		Bad: func() []byte {
			b := frame(swaX_XXX, swbKg, swcLbKg, "001234", "000000", true)
			b[17] ^= 0x10
			return b
		}(),
		BadLog: "checksum",
	})
}
