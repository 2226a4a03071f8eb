package rdm6300

import (
	"bytes"
	"errors"
	"testing"
)

// datasheetFrame is the example of the RDM630/RDM6300 datasheet, section
// "Output data format": card 62E3086CED, checksum 08.
var datasheetFrame = []byte{0x02, '6', '2', 'E', '3', '0', '8', '6', 'C', 'E', 'D', '0', '8', 0x03}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Frame
		wantErr error
	}{
		{"datasheet example", datasheetFrame, Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}}, nil},
		{"lower-case hex", []byte("\x0262e3086ced08\x03"), Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}}, nil},
		{"all zero", []byte("\x02000000000000\x03"), Frame{}, nil},
		{"bad checksum", []byte("\x0262E3086CED09\x03"), Frame{}, ErrChecksum},
		{"flipped data char", []byte("\x0262E3086CEE08\x03"), Frame{}, ErrChecksum},
		{"non-hex char", []byte("\x0262E3086CEG08\x03"), Frame{}, ErrFrame},
		{"no ETX", []byte("\x0262E3086CED08\x04"), Frame{}, ErrFrame},
		{"no STX", []byte("\x0162E3086CED08\x03"), Frame{}, ErrFrame},
		{"truncated", datasheetFrame[:10], Frame{}, ErrFrame},
		{"too long", append(append([]byte{}, datasheetFrame...), 0x03), Frame{}, ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Decode = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	got := Encode(Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}})
	if !bytes.Equal(got, datasheetFrame) {
		t.Fatalf("Encode = % X, want % X", got, datasheetFrame)
	}
}

type scanResult struct {
	frames []Frame
	errs   []error
}

func scanAll(b []byte) (scanResult, *Scanner) {
	var s Scanner
	var r scanResult
	for _, c := range b {
		f, ok, err := s.Feed(c)
		if err != nil {
			r.errs = append(r.errs, err)
		}
		if ok {
			r.frames = append(r.frames, f)
		}
	}
	return r, &s
}

func TestScanner(t *testing.T) {
	a := Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}}
	b := Frame{Version: 0x01, Card: [4]byte{0x04, 0xA1, 0xB2, 0xC3}}
	badSum := append([]byte{}, Encode(b)...)
	badSum[12] ^= 0x01 // '3'->'2' or similar: still hex, wrong checksum
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name       string
		in         []byte
		wantFrames []Frame
		wantErrs   []error
	}{
		{"one frame", Encode(a), []Frame{a}, nil},
		{"garbage around frames", cat([]byte("\xff\x00noise"), Encode(a), []byte("\r\n\xaa"), Encode(b), []byte("zz")), []Frame{a, b}, nil},
		{"repeated frames", cat(Encode(a), Encode(a), Encode(a)), []Frame{a, a, a}, nil},
		{"bad checksum skipped", cat(Encode(a), badSum, Encode(b)), []Frame{a, b}, []error{ErrChecksum}},
		{"truncated by a new STX", cat(Encode(a)[:7], Encode(b)), []Frame{b}, []error{ErrFrame}},
		{"early ETX", cat([]byte("\x0262E3\x03"), Encode(b)), []Frame{b}, []error{ErrFrame}},
		{"missing ETX, extra char", cat([]byte("\x0262E3086CED08A\x03"), Encode(a)), []Frame{a}, []error{ErrFrame}},
		{"truncated at end of stream", cat(Encode(a), Encode(b)[:9]), []Frame{a}, nil},
		{"only garbage", []byte("hello world\x03\x03"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := scanAll(tt.in)
			if len(got.frames) != len(tt.wantFrames) {
				t.Fatalf("frames = %+v, want %+v", got.frames, tt.wantFrames)
			}
			for i := range got.frames {
				if got.frames[i] != tt.wantFrames[i] {
					t.Fatalf("frame %d = %+v, want %+v", i, got.frames[i], tt.wantFrames[i])
				}
			}
			if len(got.errs) != len(tt.wantErrs) {
				t.Fatalf("errors = %v, want %v", got.errs, tt.wantErrs)
			}
			for i := range got.errs {
				if !errors.Is(got.errs[i], tt.wantErrs[i]) {
					t.Fatalf("error %d = %v, want %v", i, got.errs[i], tt.wantErrs[i])
				}
			}
		})
	}
	_, s := scanAll(cat([]byte("abc"), Encode(a)))
	if s.Skipped != 3 {
		t.Fatalf("Skipped = %d, want 3", s.Skipped)
	}
}

// FuzzScanner feeds arbitrary bytes: the scanner never panics, every
// frame it returns re-encodes to a frame present in the input (so no
// frame with a bad checksum gets through), and a good frame appended
// after any garbage is always found (resynchronisation).
func FuzzScanner(f *testing.F) {
	f.Add(datasheetFrame)
	f.Add([]byte("\x0262E3086CED09\x03"))
	f.Add([]byte("\x02\x02\x03\x0262e3086ced08\x03"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		got, _ := scanAll(in)
		for _, fr := range got.frames {
			upper := Encode(fr)
			lower := bytes.ToLower(upper)
			lower[0], lower[13] = STX, ETX
			if !bytes.Contains(bytes.ToUpper(in), bytes.ToUpper(upper)) && !bytes.Contains(in, lower) {
				t.Fatalf("frame %+v not in input % X", fr, in)
			}
			if _, err := Decode(upper); err != nil {
				t.Fatalf("returned frame does not decode: %v", err)
			}
		}
		// Resynchronisation: a good frame after the input is found.
		var s Scanner
		for _, c := range in {
			s.Feed(c)
		}
		var found bool
		for _, c := range datasheetFrame {
			fr, ok, _ := s.Feed(c)
			if ok && fr.Card == [4]byte{0xE3, 0x08, 0x6C, 0xED} {
				found = true
			}
		}
		if !found {
			t.Fatalf("frame after % X not found", in)
		}
	})
}
