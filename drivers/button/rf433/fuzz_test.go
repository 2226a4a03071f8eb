package rf433

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzDecoderFD checks the binary framings: no panic, every code comes
// from an FD ... DF frame present in the input, the buffer stays bounded,
// and cutting the input into pieces does not change the codes.
func FuzzDecoderFD(f *testing.F) {
	f.Add([]byte{0xFD, 0xA1, 0xB2, 0xC3, 0xDF}, uint8(2), false)
	f.Add([]byte{0x00, 0xFD, 0xA1, 0xB2, 0xFD, 0x01, 0x02, 0x03, 0xDF, 0xFF}, uint8(1), false)
	f.Add([]byte{0xFD, 0xA1, 0xB2, 0xC3, 0x2A, 0xDF}, uint8(3), true)
	f.Add([]byte{0xFD, 0xFD, 0xFD, 0xFD, 0xDF, 0xDF}, uint8(0), true)
	f.Fuzz(func(t *testing.T, in []byte, cut uint8, six bool) {
		format, n := FormatFD, frameLen
		if six {
			format, n = FormatFD6, frameLenX
		}
		d, _ := NewDecoder(format, 0)
		whole := d.Feed(in, time.Unix(0, 0))
		for _, r := range whole {
			if r.Err != nil {
				continue
			}
			if r.Code > MaxCode {
				t.Fatalf("code %X out of range", uint32(r.Code))
			}
			frame := []byte{0xFD, byte(r.Code >> 16), byte(r.Code >> 8), byte(r.Code)}
			found := false
			for i := 0; i+n <= len(in); i++ {
				if bytes.Equal(in[i:i+4], frame) && in[i+n-1] == 0xDF {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("code %s is not from an FD..DF frame in % X", r.Code, in)
			}
		}
		if len(d.buf) >= n {
			t.Fatalf("decoder kept %d bytes", len(d.buf))
		}
		// Same codes when fed in pieces of cut+1 bytes.
		d2, _ := NewDecoder(format, 0)
		var pieces []Result
		step := int(cut%8) + 1
		for i := 0; i < len(in); i += step {
			pieces = append(pieces, d2.Feed(in[i:min(i+step, len(in))], time.Unix(0, 0))...)
		}
		if codes(pieces) != codes(whole) {
			t.Fatalf("codes in pieces %q != whole %q", codes(pieces), codes(whole))
		}
	})
}

// FuzzDecoderASCII checks the text framing: no panic, every code is six
// hex digits of the input followed by a line end, pieces give the same
// results, and the buffer stays bounded.
func FuzzDecoderASCII(f *testing.F) {
	f.Add("RX:A1B2C3\r\n", uint8(1))
	f.Add("LC:A1B2C3\r\nLC:A1B2C8\n", uint8(3))
	f.Add("\x00\xffRX:A1B2C3\r\n\x13RX:A1B\r\n", uint8(2))
	f.Add(strings.Repeat("RX:", 30)+"A1B2C3\r\n", uint8(5))
	f.Fuzz(func(t *testing.T, in string, cut uint8) {
		d, _ := NewDecoder(FormatASCII, 0)
		whole := d.Feed([]byte(in), time.Unix(0, 0))
		upper := strings.ToUpper(in)
		for _, r := range whole {
			if r.Err != nil {
				continue
			}
			s := r.Code.String()
			if !strings.Contains(upper, s+"\r") && !strings.Contains(upper, s+"\n") && !strings.Contains(upper, s+" ") && !strings.Contains(upper, s+"\t") {
				t.Fatalf("code %s not followed by a line end in %q", s, in)
			}
		}
		if len(d.buf) > maxLine {
			t.Fatalf("decoder kept %d bytes", len(d.buf))
		}
		d2, _ := NewDecoder(FormatASCII, 0)
		var pieces []Result
		step := int(cut%8) + 1
		for i := 0; i < len(in); i += step {
			pieces = append(pieces, d2.Feed([]byte(in[i:min(i+step, len(in))]), time.Unix(0, 0))...)
		}
		if outcome(pieces) != outcome(whole) {
			t.Fatalf("pieces %q != whole %q", outcome(pieces), outcome(whole))
		}
	})
}

// FuzzCollapser checks that every burst gives exactly one press: a
// stream of frames of one code is one short or one long press per burst,
// never both, never an event for a code not fed.
func FuzzCollapser(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1, 10, 1}, false)
	f.Add([]byte{0, 0, 0, 255, 3}, true)
	f.Fuzz(func(t *testing.T, gaps []byte, two bool) {
		c := &Collapser{Lockout: 500 * time.Millisecond, Long: 2 * time.Second}
		at := time.Unix(0, 0)
		var evs []Event
		bursts := 0
		var last time.Time
		for i, g := range gaps {
			at = at.Add(time.Duration(g) * 10 * time.Millisecond) // 0..2.55 s
			code := Code(1)
			if two && i%2 == 1 {
				code = 2
			}
			if code == 1 {
				if last.IsZero() || at.Sub(last) >= 500*time.Millisecond {
					bursts++
				}
				last = at
			}
			e, _ := c.Add(code, at)
			evs = append(evs, e...)
		}
		evs = append(evs, c.Flush()...)
		n := 0
		for _, e := range evs {
			if e.Code != 1 && !(two && e.Code == 2) {
				t.Fatalf("event for code %s never fed", e.Code)
			}
			if e.Code == 1 {
				n++
			}
		}
		if n != bursts {
			t.Fatalf("%d presses of code 1 for %d bursts: %v", n, bursts, evs)
		}
	})
}
