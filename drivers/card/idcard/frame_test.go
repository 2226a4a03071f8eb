package idcard

import (
	"bytes"
	"errors"
	"testing"
)

// Frames from the SAM protocol manuals ("SAM 通讯协议", command table and
// answer examples; see doc.go).
var (
	findCmd     = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22}
	selectCmd   = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21}
	readCmd     = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32}
	resetCmd    = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC}
	foundResp   = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, 0x97}
	noCardResp  = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84}
	selectResp  = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x0C, 0x00, 0x00, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0x9C}
	selFailResp = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x81, 0x85}
)

func TestEncodeCommand(t *testing.T) {
	for _, tt := range []struct {
		cmd  uint16
		want []byte
	}{{CmdFindCard, findCmd}, {CmdSelectCard, selectCmd}, {CmdReadTextPhoto, readCmd}, {CmdReset, resetCmd}} {
		if got := EncodeCommand(tt.cmd, nil); !bytes.Equal(got, tt.want) {
			t.Errorf("EncodeCommand(%04X) = % X, want % X", tt.cmd, got, tt.want)
		}
	}
	if got := EncodeResponse(0, 0, StatusFound, []byte{0, 0, 0, 0}); !bytes.Equal(got, foundResp) {
		t.Errorf("EncodeResponse(found) = % X, want % X", got, foundResp)
	}
	if got := EncodeResponse(0, 0, StatusOK, make([]byte, 8)); !bytes.Equal(got, selectResp) {
		t.Errorf("EncodeResponse(selected) = % X, want % X", got, selectResp)
	}
	// The read answer's head, as in the manuals: length 0x0508.
	head := EncodeResponse(0, 0, StatusOK, EncodeReadData(testIdentity()))[:14]
	if want := []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x05, 0x08, 0x00, 0x00, 0x90, 0x01, 0x00, 0x04, 0x00}; !bytes.Equal(head, want) {
		t.Errorf("read answer head = % X, want % X", head, want)
	}
}

func TestNext(t *testing.T) {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	badSum := append([]byte{}, noCardResp...)
	badSum[len(badSum)-1] ^= 0xFF
	tests := []struct {
		name     string
		in       []byte
		wantBody []byte
		wantN    int
		wantErr  error
	}{
		{"found", foundResp, foundResp[7:14], len(foundResp), nil},
		{"no card", noCardResp, []byte{0, 0, 0x80}, len(noCardResp), nil},
		{"selected", selectResp, selectResp[7:18], len(selectResp), nil},
		{"command", findCmd, []byte{0x20, 0x01}, len(findCmd), nil},
		{"noise first", cat([]byte{0x00, 0xAA, 0x13}, noCardResp), []byte{0, 0, 0x80}, 3 + len(noCardResp), nil},
		{"two frames: first only", cat(noCardResp, foundResp), []byte{0, 0, 0x80}, len(noCardResp), nil},
		{"empty", nil, nil, 0, ErrIncomplete},
		{"garbage only", []byte{1, 2, 3, 4, 5, 6}, nil, 6, ErrIncomplete},
		{"partial preamble kept", []byte{1, 2, 0xAA, 0xAA, 0xAA, 0x96}, nil, 2, ErrIncomplete},
		{"partial preamble single AA", []byte{1, 0xAA}, nil, 1, ErrIncomplete},
		{"no length yet", noCardResp[:6], nil, 0, ErrIncomplete},
		{"truncated", selectResp[:15], nil, 0, ErrIncomplete},
		{"truncated after noise", cat([]byte{9, 9}, selectResp[:15]), nil, 2, ErrIncomplete},
		{"bad checksum", badSum, nil, 1, ErrChecksum},
		{"length 2", []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x20, 0x22}, nil, 1, ErrLength},
		{"length 0", []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x00}, nil, 1, ErrLength},
		{"length too big", []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0x00}, nil, 1, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, n, err := Next(tt.in)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n != tt.wantN || !bytes.Equal(body, tt.wantBody) {
				t.Fatalf("Next = % X, %d; want % X, %d", body, n, tt.wantBody, tt.wantN)
			}
		})
	}
}

// TestResync: a bad frame followed by a good one in the same buffer is
// skipped and the good one found.
func TestResync(t *testing.T) {
	bad := append([]byte{}, foundResp...)
	bad[9] = 0x90 // SW3 changed, checksum not
	buf := append(append(append([]byte{}, bad...), 0x55), noCardResp...)
	var errs int
	for {
		body, n, err := Next(buf)
		buf = buf[n:]
		if errors.Is(err, ErrFrame) {
			errs++
			continue
		}
		if err != nil {
			t.Fatalf("no frame found, %d errors", errs)
		}
		resp, err := ParseResponse(body)
		if err != nil || resp.SW3 != StatusNoCard || errs != 1 {
			t.Fatalf("resp = %+v, %v, errs %d", resp, err, errs)
		}
		return
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		sw3     byte
		ok      bool
		is      error
		message string
	}{
		{StatusOK, true, nil, ""},
		{StatusFound, true, nil, ""},
		{StatusNoCard, false, ErrNoCard, "no card in the field"},
		{StatusSelectFailed, false, ErrSelectFailed, "select card failed"},
		{StatusReadFailed, false, ErrReadFailed, "reading the card failed"},
		{StatusChecksum, false, nil, "module received a bad checksum"},
		{StatusLength, false, nil, "module received a bad length"},
		{StatusCommand, false, nil, "unknown command"},
		{StatusUnauthorizedOp, false, nil, "operation not permitted"},
		{StatusUnrecognised, false, nil, "unrecognised error"},
		{StatusSelfTest, false, nil, "self-test failed"},
		{StatusNotAuthorised, false, nil, "not authorised"},
		{StatusWrongCard, false, nil, "not a resident ID card"},
		{StatusNoContent, false, nil, "no content"},
		{0x77, false, nil, "unknown status"},
	}
	for _, tt := range tests {
		err := Response{SW3: tt.sw3}.Err()
		if tt.ok {
			if err != nil {
				t.Errorf("SW3 %02X: err = %v, want nil", tt.sw3, err)
			}
			continue
		}
		var se *StatusError
		if !errors.As(err, &se) || se.SW3 != tt.sw3 {
			t.Errorf("SW3 %02X: err = %v, want a StatusError", tt.sw3, err)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("SW3 %02X: errors.Is(%v) false", tt.sw3, tt.is)
		}
		if !bytes.Contains([]byte(err.Error()), []byte(tt.message)) || !bytes.HasPrefix([]byte(err.Error()), []byte("idcard: ")) {
			t.Errorf("SW3 %02X: message %q, want it to contain %q", tt.sw3, err, tt.message)
		}
	}
	if errors.Is(Response{SW3: StatusSelectFailed}.Err(), ErrNoCard) {
		t.Error("select failed matches ErrNoCard")
	}
	if errors.Is(Response{SW1: 0x6A, SW2: 0x82, SW3: StatusReadFailed}.Err(), ErrReadFailed) == false {
		t.Error("read failed with SW1 SW2 set does not match ErrReadFailed")
	}
}

func TestParseCommandAndResponse(t *testing.T) {
	c, err := ParseCommand([]byte{0x30, 0x01})
	if err != nil || c.Cmd != CmdReadTextPhoto {
		t.Fatalf("ParseCommand = %+v, %v", c, err)
	}
	if _, err := ParseCommand([]byte{0x30}); err == nil {
		t.Fatal("ParseCommand accepted 1 byte")
	}
	if _, err := ParseResponse([]byte{0, 0}); err == nil {
		t.Fatal("ParseResponse accepted 2 bytes")
	}
}

// FuzzNext: Next never panics, always makes progress or asks for more,
// and a body it returns comes from a frame whose checksum is right. A
// good frame appended after any garbage is found.
func FuzzNext(f *testing.F) {
	f.Add(foundResp)
	f.Add(selectResp[:12])
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03})
	f.Add(append([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF}, noCardResp...))
	f.Fuzz(func(t *testing.T, in []byte) {
		buf := in
		for len(buf) > 0 {
			body, n, err := Next(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("n = %d of %d", n, len(buf))
			}
			if err == nil {
				frame := buf[n-len(body)-len(Preamble)-3 : n]
				if !bytes.HasPrefix(frame, []byte(Preamble)) || xor(frame[len(Preamble):len(frame)-1]) != frame[len(frame)-1] {
					t.Fatalf("returned a frame with a bad checksum: % X", frame)
				}
			}
			if errors.Is(err, ErrIncomplete) {
				break
			}
			if n == 0 {
				t.Fatalf("no progress on % X (err %v)", buf, err)
			}
			buf = buf[n:]
		}
		// Resynchronisation: whatever came before, a good frame is found,
		// unless the garbage holds a long frame that swallows it.
		stream := append(append([]byte{}, in...), noCardResp...)
		for {
			body, n, err := Next(stream)
			if errors.Is(err, ErrIncomplete) {
				if bytes.Contains(in, []byte(Preamble)) || bytes.HasSuffix(in, []byte{0xAA}) || bytes.HasSuffix(in, []byte{0xAA, 0xAA}) {
					return // an open frame from the garbage may wait for more bytes
				}
				t.Fatalf("good frame after % X not found", in)
			}
			stream = stream[n:]
			if err == nil && bytes.Equal(body, []byte{0, 0, 0x80}) {
				return
			}
		}
	})
}
