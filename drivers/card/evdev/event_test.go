package evdev

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/card"
)

var t0 = time.Unix(1700000000, 0)

// keyCodes of input-event-codes.h for the characters the tests type.
func keyCodes() map[rune]uint16 {
	return map[rune]uint16{
		'1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10, '0': 11,
		'A': 30, 'B': 48, 'C': 46, 'D': 32, 'E': 18, 'F': 33, 'X': 45, ',': 51, 'G': 34,
	}
}

// typeKeys returns the events a wedge reader sends for s then Enter, as
// recorded from such readers: for each key MSC_SCAN, the key press, SYN,
// MSC_SCAN, the key release, SYN; letters with Left Shift held. Keys are
// 8 ms apart.
func typeKeys(s string, start time.Time) []Event {
	var ev []Event
	at := start
	key := func(code uint16, v int32) {
		ev = append(ev,
			Event{Time: at, Type: EvMsc, Code: 4, Value: 0x70000 + int32(code)},
			Event{Time: at, Type: EvKey, Code: code, Value: v},
			Event{Time: at, Type: EvSyn})
	}
	codes := keyCodes()
	for _, r := range s + "\n" {
		code := uint16(KeyEnter)
		if r != '\n' {
			code = codes[r]
		}
		shift := r >= 'A' && r <= 'Z'
		if shift {
			key(KeyLeftShift, 1)
		}
		key(code, 1)
		key(code, 0)
		if shift {
			key(KeyLeftShift, 0)
		}
		at = at.Add(8 * time.Millisecond)
	}
	return ev
}

func feedAll(d *Decoder, evs []Event) (creds []string, errs []error) {
	for _, e := range evs {
		c, ok, err := d.Feed(e)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			creds = append(creds, c)
		}
	}
	return creds, errs
}

func TestParseEvent(t *testing.T) {
	// struct input_event on x86-64/arm64: tv_sec 1700000000 (0x6553F100),
	// tv_usec 250000 (0x3D090), EV_KEY, KEY_A (30), value 1.
	b64 := []byte{
		0x00, 0xF1, 0x53, 0x65, 0, 0, 0, 0,
		0x90, 0xD0, 0x03, 0x00, 0, 0, 0, 0,
		0x01, 0x00, 0x1E, 0x00, 0x01, 0x00, 0x00, 0x00,
	}
	// The same on 32-bit ARM: 4-byte tv_sec and tv_usec.
	b32 := []byte{
		0x00, 0xF1, 0x53, 0x65,
		0x90, 0xD0, 0x03, 0x00,
		0x01, 0x00, 0x1E, 0x00, 0x01, 0x00, 0x00, 0x00,
	}
	want := Event{Time: time.Unix(1700000000, 250000000), Type: EvKey, Code: 30, Value: 1}
	for _, b := range [][]byte{b64, b32} {
		got, err := ParseEvent(b)
		if err != nil || !got.Time.Equal(want.Time) || got.Type != want.Type || got.Code != want.Code || got.Value != want.Value {
			t.Fatalf("ParseEvent(%d bytes) = %+v, %v", len(b), got, err)
		}
		if enc := AppendEvent(nil, want, len(b)); !bytes.Equal(enc, b) {
			t.Fatalf("AppendEvent(%d) = % X, want % X", len(b), enc, b)
		}
	}
	neg := AppendEvent(nil, Event{Type: EvKey, Code: 1, Value: -1}, EventSize64)
	if e, _ := ParseEvent(neg); e.Value != -1 {
		t.Fatalf("negative value = %d", e.Value)
	}
	if _, err := ParseEvent(b64[:20]); err == nil {
		t.Fatal("ParseEvent accepted 20 bytes")
	}
	if NativeEventSize != EventSize32 && NativeEventSize != EventSize64 {
		t.Fatalf("NativeEventSize = %d", NativeEventSize)
	}
}

func TestDecoder(t *testing.T) {
	cat := func(parts ...[]Event) []Event {
		var all []Event
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	press := func(at time.Time, code uint16) Event { return Event{Time: at, Type: EvKey, Code: code, Value: 1} }
	tests := []struct {
		name  string
		d     Decoder
		in    []Event
		creds []string
		errs  int
	}{
		{"hex with shift", Decoder{}, typeKeys("04A1B2C3", t0), []string{"04A1B2C3"}, 0},
		{"dec10", Decoder{Format: card.Format{Input: card.InputDec10}}, typeKeys("0077705923", t0), []string{"04A1B2C3"}, 0},
		{"dec10 le", Decoder{Format: card.Format{Input: card.InputDec10, Order: card.LittleEndian}}, typeKeys("3283263748", t0), []string{"04A1B2C3"}, 0},
		{"id number", Decoder{Format: card.Format{Input: card.InputID}}, typeKeys("11010519491231002X", t0), []string{"11010519491231002X"}, 0},
		{"two cards", Decoder{}, cat(typeKeys("04A1B2C3", t0), typeKeys("04112233445566", t0.Add(time.Second))), []string{"04A1B2C3", "04112233445566"}, 0},
		{"keypad digits and keypad enter", Decoder{Format: card.Format{Input: card.InputDec10}},
			[]Event{press(t0, 82), press(t0, 82), press(t0, 73), press(t0, 73), press(t0, 75), press(t0, 76), press(t0, 79), press(t0, 80), press(t0, 80), press(t0, 81), press(t0, KeyKPEnter)},
			[]string{"05ED8157"}, 0}, // 99451223 = 0x05ED8157
		{"autorepeat ignored", Decoder{}, cat([]Event{{Time: t0, Type: EvKey, Code: 11, Value: 2}}, typeKeys("04A1B2C3", t0)), []string{"04A1B2C3"}, 0},
		{"bare enter ignored", Decoder{}, []Event{press(t0, KeyEnter), press(t0, KeyEnter)}, nil, 0},
		{"unknown key rejected", Decoder{}, cat(typeKeys("04A1G2C3", t0), typeKeys("04A1B2C3", t0)), []string{"04A1B2C3"}, 1},
		{"wrong length rejected", Decoder{}, typeKeys("04A1B2C", t0), nil, 1},
		{"hex in dec10 mode rejected", Decoder{Format: card.Format{Input: card.InputDec10}}, typeKeys("04A1B2C3", t0), nil, 1},
		{"too long rejected", Decoder{}, typeKeys(strings.Repeat("1", MaxLen+1), t0), nil, 1},
		{"pause drops partial", Decoder{Gap: 500 * time.Millisecond}, cat(typeKeys("04A1", t0)[:12], typeKeys("04A1B2C3", t0.Add(2*time.Second))), []string{"04A1B2C3"}, 1},
		{"no gap limit", Decoder{}, cat(typeKeys("04A1", t0)[:30], typeKeys("B2C3", t0.Add(time.Hour))), []string{"04A1B2C3"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			creds, errs := feedAll(&d, tt.in)
			if strings.Join(creds, "|") != strings.Join(tt.creds, "|") || len(errs) != tt.errs {
				t.Fatalf("creds %q errs %v; want %q and %d errors", creds, errs, tt.creds, tt.errs)
			}
			for _, err := range errs {
				if !errors.Is(err, ErrKeys) {
					t.Fatalf("error %v is not ErrKeys", err)
				}
			}
		})
	}
}

func TestKeyChar(t *testing.T) {
	for r, code := range keyCodes() {
		c, ok := KeyChar(code)
		if r == 'G' {
			if ok {
				t.Errorf("KEY_G mapped to %c", c)
			}
			continue
		}
		if !ok || rune(c) != r {
			t.Errorf("KeyChar(%d) = %c, %v; want %c", code, c, ok, r)
		}
	}
}

// FuzzDecode: arbitrary bytes read as events of either size never make
// the decoder panic, and every credential it returns is canonical.
func FuzzDecode(f *testing.F) {
	var rec []byte
	for _, e := range typeKeys("04A1B2C3", t0) {
		rec = AppendEvent(rec, e, EventSize64)
	}
	f.Add(rec, false)
	var rec32 []byte
	for _, e := range typeKeys("0077705923", t0) {
		rec32 = AppendEvent(rec32, e, EventSize32)
	}
	f.Add(rec32, true)
	f.Fuzz(func(t *testing.T, in []byte, dec bool) {
		for _, size := range []int{EventSize32, EventSize64} {
			d := Decoder{Gap: time.Second}
			if dec {
				d.Format.Input = card.InputDec10
			}
			for i := 0; i+size <= len(in); i += size {
				e, err := ParseEvent(in[i : i+size])
				if err != nil {
					t.Fatal(err)
				}
				cred, ok, _ := d.Feed(e)
				if !ok {
					continue
				}
				if _, err := card.UID(cred); err != nil || cred != strings.ToUpper(cred) {
					t.Fatalf("non-canonical credential %q", cred)
				}
			}
		}
	})
}
