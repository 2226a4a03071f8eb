package escpos

import (
	"errors"
	"testing"

	"github.com/eldergate/eldergate/drivers/printer"
)

// Replies from the tables of "DLE EOT n: Transmit real-time status" in
// the Epson ESC/POS Command Reference (TM-T20/TM-T88 family): fixed bits
// 0x12; n=1 bit 3 offline; n=4 bits 2-3 near end, bits 5-6 paper end.
func TestParseStatus(t *testing.T) {
	tests := []struct {
		name string
		n, b byte
		want Status
		err  bool
	}{
		{"n=1 online", 1, 0x12, Status{}, false},
		{"n=1 offline", 1, 0x1A, Status{Offline: true}, false},
		{"n=1 drawer pin high, online", 1, 0x16, Status{}, false},
		{"n=1 feed button, offline", 1, 0x5A, Status{Offline: true}, false},
		{"n=1 waiting online recovery", 1, 0x32, Status{}, false},
		{"n=4 paper adequate", 4, 0x12, Status{}, false},
		{"n=4 near end", 4, 0x1E, Status{PaperNearEnd: true}, false},
		{"n=4 paper out", 4, 0x72, Status{PaperOut: true}, false},
		{"n=4 near end and out", 4, 0x7E, Status{PaperNearEnd: true, PaperOut: true}, false},
		{"n=4 one near-end bit (clone)", 4, 0x16, Status{PaperNearEnd: true}, false},
		{"n=4 one paper-end bit (clone)", 4, 0x32, Status{PaperOut: true}, false},
		{"n=4 bit 3 alone is near end", 4, 0x1A, Status{PaperNearEnd: true}, false},
		{"zero byte", 4, 0x00, Status{}, true},
		{"bit 0 set", 1, 0x13, Status{}, true},
		{"bit 7 set", 4, 0x92, Status{}, true},
		{"bit 1 clear", 4, 0x10, Status{}, true},
		{"bit 4 clear", 1, 0x02, Status{}, true},
		{"noise 0xFF", 1, 0xFF, Status{}, true},
		{"ASCII 'x'", 4, 'x', Status{}, true},
		{"n=2 unsupported", 2, 0x12, Status{}, true},
		{"n=0", 0, 0x12, Status{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus(tt.n, tt.b)
			if tt.err {
				if err == nil {
					t.Fatalf("ParseStatus(%d, %#02x) = %+v, want an error", tt.n, tt.b, got)
				}
				if tt.n == 1 || tt.n == 4 {
					if !errors.Is(err, ErrBadStatus) {
						t.Fatalf("err %v does not wrap ErrBadStatus", err)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseStatus(%d, %#02x) = %+v, %v; want %+v", tt.n, tt.b, got, err, tt.want)
			}
		})
	}
}

func TestStatusErr(t *testing.T) {
	if err := (Status{PaperOut: true, Offline: true}).Err(); !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("paper out and offline = %v, want paper out first", err)
	}
	if err := (Status{Offline: true}).Err(); !errors.Is(err, printer.ErrOffline) {
		t.Fatalf("offline = %v", err)
	}
	if err := (Status{PaperNearEnd: true}).Err(); err != nil {
		t.Fatalf("near end is not an error: %v", err)
	}
	if n := (Status{PaperNearEnd: true}).Note(); n != "escpos: paper near end" {
		t.Fatalf("near end note = %q", n)
	}
	if n := (Status{}).Note(); n != "" {
		t.Fatalf("ok note = %q", n)
	}
	if got := (Status{Offline: true}).merge(Status{PaperOut: true}); got != (Status{Offline: true, PaperOut: true}) {
		t.Fatalf("merge = %+v", got)
	}
}

// FuzzParseStatus checks ParseStatus against the bit layout: never a
// status from a byte whose fixed bits are wrong, every flag from its bits.
func FuzzParseStatus(f *testing.F) {
	for _, b := range []byte{0x12, 0x1A, 0x1E, 0x72, 0x7E, 0x00, 0xFF} {
		f.Add(byte(1), b)
		f.Add(byte(4), b)
	}
	f.Fuzz(func(t *testing.T, n, b byte) {
		st, err := ParseStatus(n, b)
		if err != nil {
			if st != (Status{}) {
				t.Fatalf("status %+v with error %v", st, err)
			}
			if (n == 1 || n == 4) && b&0x93 == 0x12 {
				t.Fatalf("valid reply %#02x to n=%d rejected: %v", b, n, err)
			}
			return
		}
		if n != 1 && n != 4 {
			t.Fatalf("accepted n=%d", n)
		}
		if b&0x01 != 0 || b&0x02 == 0 || b&0x10 == 0 || b&0x80 != 0 {
			t.Fatalf("accepted %#02x with wrong fixed bits", b)
		}
		if n == 1 && (st.Offline != (b&0x08 != 0) || st.PaperOut || st.PaperNearEnd) {
			t.Fatalf("n=1 %#02x -> %+v", b, st)
		}
		if n == 4 && (st.PaperOut != (b&0x60 != 0) || st.PaperNearEnd != (b&0x0C != 0) || st.Offline) {
			t.Fatalf("n=4 %#02x -> %+v", b, st)
		}
		if st.PaperOut != errors.Is(st.Err(), printer.ErrPaperOut) {
			t.Fatalf("%+v: Err %v", st, st.Err())
		}
	})
}
