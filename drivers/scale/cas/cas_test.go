package cas

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/scaletest"
	"github.com/eldergate/eldergate/drivers/scale/internal/serialscale"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// frame builds a 22-byte frame as laid out in the CAS CI-400 manual,
// Appendix 1 "22 Bytes for CAS".
func frame(h1, h2 string, id, lamp byte, data, unit string) []byte {
	var b bytes.Buffer
	b.WriteString(h1 + "," + h2 + ",")
	b.WriteByte(id)
	b.WriteByte(lamp)
	b.WriteString("," + data + " " + unit + "\r\n")
	return b.Bytes()
}

const (
	lampST = 0x80 | LampStable | 0x20 | LampGross // CI-400: bit5 always 1
	lampUS = 0x80 | 0x20 | LampGross
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want Frame
		err  error
	}{
		// CAS PDI / CI-600D manual: "13.5 kg ... '0','0','0','0','1','3','.','5' are sent".
		{"manual 13.5 kg", frame("ST", "GS", '1', lampST, "000013.5", "kg"), Frame{scale.Weight{Grams: 13500, State: scale.Stable}, '1', lampST}, nil},
		{"unstable net", frame("US", "NT", '1', lampUS|LampTare, "-0000.50", "kg"), Frame{scale.Weight{Grams: -500, State: scale.Unstable, Net: true}, '1', lampUS | LampTare}, nil},
		{"grams", frame("ST", "GS", '=', lampST, "001234.5", " g"), Frame{scale.Weight{Grams: 1235, State: scale.Stable}, '=', lampST}, nil},
		{"leading spaces", frame("ST", "GS", '1', lampST, "   1.234", "kg"), Frame{scale.Weight{Grams: 1234, State: scale.Stable}, '1', lampST}, nil},
		{"overload", frame("OL", "GS", '1', 0x80, "99999999", "kg"), Frame{scale.Weight{State: scale.Overload}, '1', 0x80}, nil},
		{"underload", frame("OL", "GS", '1', 0x80, "-9999999", "kg"), Frame{scale.Weight{State: scale.Underload}, '1', 0x80}, nil},
		{"pounds", frame("ST", "GS", '1', lampST, "000013.5", "lb"), Frame{}, weight.ErrUnsupportedUnit},
		{"tonnes", frame("ST", "GS", '1', lampST, "000013.5", " t"), Frame{}, weight.ErrUnsupportedUnit},
		{"bad header1", frame("XX", "GS", '1', lampST, "000013.5", "kg"), Frame{}, ErrFrame},
		{"bad header2", frame("ST", "GR", '1', lampST, "000013.5", "kg"), Frame{}, ErrFrame},
		{"lamp without bit 7", frame("ST", "GS", '1', 0x40, "000013.5", "kg"), Frame{}, ErrFrame},
		{"bad digits", frame("ST", "GS", '1', lampST, "0000x3.5", "kg"), Frame{}, weight.ErrSyntax},
		{"two points", frame("ST", "GS", '1', lampST, "00.013.5", "kg"), Frame{}, weight.ErrSyntax},
		{"no blank", []byte("ST,GS,1\xc0,000013.5Xkg\r\n"), Frame{}, ErrFrame},
		{"separator", []byte("ST;GS,1\xc0,000013.5 kg\r\n"), Frame{}, ErrFrame},
		{"no CR LF", []byte("ST,GS,1\xc0,000013.5 kg\n\r"), Frame{}, ErrFrame},
		{"truncated", []byte("ST,GS,1\xc0,00013.5 kg\r\n"), Frame{}, ErrLength},
		{"too long", []byte("ST,GS,1\xc0,0000013.5 kg\r\n"), Frame{}, ErrLength},
		{"empty", nil, Frame{}, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == ErrLength && len(tt.b) == FrameLen {
				t.Fatalf("test frame has the right length")
			}
			got, err := Parse(tt.b)
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

func TestDecodeNoise(t *testing.T) {
	f := frame("ST", "GS", '1', lampST, "000013.5", "kg")
	line := append([]byte("\x00\xff garbage"), f[:20]...)
	got, err := Decode(line)
	if err != nil || got.Weight.Grams != 13500 {
		t.Fatalf("Decode(%q) = %+v, %v", line, got, err)
	}
	if _, err := Decode([]byte("ST,GS,1\xc0,13.5 kg")); err == nil {
		t.Fatal("short line decoded")
	}
}

func TestDeviceFilter(t *testing.T) {
	s, err := New(Config{Serial: serialport.Config{Path: "/dev/null"}, DeviceID: '2'})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.decode(frame("ST", "GS", '1', lampST, "000013.5", "kg")[:20]); !errors.Is(err, serialscale.ErrSkip) {
		t.Fatalf("frame of device 1: %v", err)
	}
	if w, err := s.decode(frame("ST", "GS", '2', lampST, "000013.5", "kg")[:20]); err != nil || w.Grams != 13500 {
		t.Fatalf("frame of device 2: %+v %v", w, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(frame("ST", "GS", '1', lampST, "000013.5", "kg"))
	f.Add(frame("US", "NT", '1', lampUS, "-0000.50", "kg"))
	f.Add(frame("OL", "GS", '1', 0x80, "99999999", "kg"))
	f.Add(frame("ST", "GS", '1', lampST, "001234.5", " g"))
	f.Add([]byte("ST,GS,1\xc0,13.5 kg\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Parse(b)
		if err != nil {
			if fr != (Frame{}) {
				t.Fatalf("error %v with frame %+v", err, fr)
			}
			return
		}
		if len(b) != FrameLen && len(b) != FrameLen-2 {
			t.Fatalf("accepted %d bytes", len(b))
		}
		if !fr.Weight.State.Valid() || fr.Lamp&0x80 == 0 || b[2] != ',' || b[5] != ',' || b[8] != ',' {
			t.Fatalf("accepted invalid frame %q: %+v", b, fr)
		}
		if fr.Weight.State == scale.Stable || fr.Weight.State == scale.Unstable {
			u := string(b[18:20])
			if u != "kg" && u != " g" && u != "KG" && u != " G" && u != "Kg" && u != "kG" && u != "g " && u != "G " {
				t.Fatalf("weight with unit %q", u)
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
			{Bytes: frame("ST", "GS", '1', lampST, "000013.5", "kg"), Want: scale.Weight{Grams: 13500, State: scale.Stable}},
			{Bytes: frame("US", "NT", '1', lampUS, "-0000.50", "kg"), Want: scale.Weight{Grams: -500, State: scale.Unstable, Net: true}},
			{Bytes: frame("OL", "GS", '1', 0x80, "99999999", "kg"), Want: scale.Weight{State: scale.Overload}},
			{Bytes: frame("ST", "GS", '1', lampST, "001234.5", " g"), Want: scale.Weight{Grams: 1235, State: scale.Stable}},
		},
		Bad:    append(frame("ST", "GS", '1', lampST, "000013.5", "lb"), "ST,GS,1\xc0,13.5 kg\r\n"...),
		BadLog: "lb",
	})
}
