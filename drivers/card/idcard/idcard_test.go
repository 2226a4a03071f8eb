package idcard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

type identRead struct {
	rd card.Read
	id Identity
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// answer plays the module: it waits for the driver's command and writes
// the response.
func answer(t *testing.T, dev *serialtest.Device, cmd, resp []byte) {
	t.Helper()
	if got, err := dev.ReadUntil(cmd, 3*time.Second); err != nil {
		t.Fatalf("waiting for % X: got % X, %v", cmd, got, err)
	}
	dev.Write(resp)
}

// TestEndToEnd plays a SAM module over a pty: no card, a full read with
// noise before the answer, an answer with a bad checksum, SW error codes,
// a failed select, unplug/replug, and checks that logs hold no personal
// data.
func TestEndToEnd(t *testing.T) {
	dev := serialtest.New(t)
	logs := &syncBuffer{}
	now := time.Date(2025, 3, 1, 11, 30, 0, 0, time.UTC)
	r, err := New(Config{
		Name:    "idc",
		Port:    serialport.Config{Path: dev.Path(), MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		Poll:    10 * time.Millisecond,
		Timeout: 2 * time.Second,
		Now:     func() time.Time { return now },
		Log:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	reads := make(chan identRead, 4)
	done := make(chan error, 1)
	go func() {
		done <- r.RunIdentity(context.Background(), func(rd card.Read, id Identity) { reads <- identRead{rd, id} })
	}()
	waitStatus(t, r, func(s drivers.Status) bool { return s.Connected })

	want := testIdentity()
	want.Photo = bytes.Repeat([]byte{0xA5}, PhotoLen)
	readResp := EncodeResponse(0, 0, StatusOK, EncodeReadData(want))
	fullRead := func() {
		t.Helper()
		answer(t, dev, findCmd, foundResp)
		answer(t, dev, selectCmd, selectResp)
		answer(t, dev, readCmd, append([]byte{0x00, 0xAA, 0x13}, readResp...)) // noise first
		select {
		case got := <-reads:
			if got.rd.Credential != want.Number || got.rd.Reader != "idc" || !got.rd.At.Equal(now) {
				t.Fatalf("read = %+v", got.rd)
			}
			if got.id.Name != want.Name || got.id.Address != want.Address || got.id.ValidTo != "长期" || !bytes.Equal(got.id.Photo, want.Photo) {
				t.Fatalf("identity = %#v", got.id)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("no read")
		}
	}

	answer(t, dev, findCmd, noCardResp)
	fullRead()

	// A bad checksum is counted, and the driver polls again.
	bad := append([]byte{}, foundResp...)
	bad[len(bad)-1] ^= 0x01
	answer(t, dev, findCmd, bad)
	answer(t, dev, findCmd, noCardResp)
	if st := r.Stats(); st.BadFrames != 1 || st.Reads != 1 {
		t.Fatalf("stats = %+v", st)
	}

	// A module error shows in the status until the module works again.
	answer(t, dev, findCmd, EncodeResponse(0, 0, StatusNotAuthorised, nil))
	waitStatus(t, r, func(s drivers.Status) bool { return s.Connected && strings.Contains(s.Err, "not authorised") })
	answer(t, dev, findCmd, noCardResp)
	waitStatus(t, r, func(s drivers.Status) bool { return s.Connected && s.Err == "" })

	// A failed select delivers nothing; the next poll starts with find.
	answer(t, dev, findCmd, foundResp)
	answer(t, dev, selectCmd, selFailResp)
	// A failed read likewise.
	answer(t, dev, findCmd, foundResp)
	answer(t, dev, selectCmd, selectResp)
	answer(t, dev, readCmd, EncodeResponse(0, 0, StatusReadFailed, nil))
	answer(t, dev, findCmd, noCardResp)
	if len(reads) != 0 {
		t.Fatal("a failed select or read delivered a card")
	}

	dev.Unplug()
	waitStatus(t, r, func(s drivers.Status) bool { return !s.Connected && s.Err != "" })
	dev.Plug()
	waitStatus(t, r, func(s drivers.Status) bool { return s.Connected })
	fullRead()

	r.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
	out := logs.String()
	for _, secret := range []string{want.Number, want.Name, "景山"} {
		if strings.Contains(out, secret) {
			t.Fatalf("logs leak %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "110105********002X") {
		t.Fatalf("logs lack the masked read:\n%s", out)
	}
}

// TestNoAnswer: a module that does not answer makes the status
// disconnected with ErrNoAnswer; its first answer makes it connected.
func TestNoAnswer(t *testing.T) {
	dev := serialtest.New(t)
	r, err := New(Config{Port: serialport.Config{Path: dev.Path()}, Poll: 10 * time.Millisecond, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, func(card.Read) {}) }()
	waitStatus(t, r, func(s drivers.Status) bool { return !s.Connected && strings.Contains(s.Err, "does not answer") })
	if r.Stats().Timeouts == 0 {
		t.Fatal("no timeout counted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.Status().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("never connected again: %+v", r.Status())
		}
		answer(t, dev, findCmd, noCardResp)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	r.Close()
	r.Close()
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a path succeeded")
	}
	r, err := New(Config{Port: serialport.Config{Path: "/dev/null"}})
	if err != nil || r.cfg.Port.Baud != 115200 || r.cfg.Poll != DefaultPoll || r.cfg.Timeout != DefaultTimeout {
		t.Fatalf("defaults = %+v, %v", r.cfg, err)
	}
}

func waitStatus(t *testing.T, r *Reader, ok func(drivers.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok(r.Status()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("status never matched: %+v", r.Status())
}
