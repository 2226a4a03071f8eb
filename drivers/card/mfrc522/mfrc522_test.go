package mfrc522

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"
	"periph.io/x/devices/v3/mfrc522/commands"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

// How the playbacks were produced
//
// No logic analyser trace of this driver exists yet, so the register
// traffic is written down with the helpers below, each of which mirrors
// one call of periph's commands.LowLevel (v3.7.4: DevRead, DevWrite,
// Init, CardWrite with its Set/ClearBitmask read-modify-writes, in the
// order of its source) and the poll steps of this driver. The values the
// chip returns are MFRC522 register values from NXP's datasheet
// (MFRC522 rev. 3.9, section 9 "MFRC522 registers": VersionReg 0x92 for
// version 2.0, TxControlReg 0x80 after reset, ComIrqReg RxIRq|IdleIRq =
// 0x30 after a frame was received, TimerIRq = 0x01 on timeout,
// ControlReg RxLastBits), and the card's answers are those of ISO/IEC
// 14443-3 type A with the ATQA/SAK values of NXP's MIFARE Classic 1K and
// NTAG213 datasheets. The playback checks every byte the driver writes,
// including the SELECT frames with their CRC_A (whose implementation is
// checked against the ISO/IEC 14443-3 Annex B examples in frame_test.go).
// To record a real trace, wrap the board's port in spitest.Record
// (Port: spireg.Open("/dev/spidev0.0")) and print Record.Ops.

type script struct{ ops []conntest.IO }

func addr(reg int) byte { return byte(reg<<1) & 0x7E }

func (s *script) w(reg int, v byte) {
	s.ops = append(s.ops, conntest.IO{W: []byte{addr(reg), v}})
}

func (s *script) r(reg int, v byte) {
	s.ops = append(s.ops, conntest.IO{W: []byte{addr(reg) | 0x80, 0}, R: []byte{0, v}})
}

// init mirrors LowLevel.Init with gain 4.
func (s *script) init() {
	s.w(commands.CommandReg, commands.PCD_RESETPHASE)
	s.w(commands.TModeReg, 0x8D)
	s.w(commands.TPrescalerReg, 0x3E)
	s.w(commands.TReloadRegL, 30)
	s.w(commands.TReloadRegH, 0)
	s.w(commands.TxAutoReg, 0x40)
	s.w(commands.ModeReg, 0x3D)
	s.w(commands.RFCfgReg, 4<<4)
	s.r(commands.TxControlReg, 0x80) // SetAntenna: antenna off after reset
	s.r(commands.TxControlReg, 0x80) // SetBitmask
	s.w(commands.TxControlReg, 0x83)
}

// start is the beginning of a poll: version, init, IRQ enable.
func (s *script) start() {
	s.r(commands.VersionReg, 0x92)
	s.init()
	s.w(commands.CommIEnReg, 0xA0)
}

// reqaStep is one step of the wait for a card.
func (s *script) reqaStep() {
	s.w(commands.CommIrqReg, 0x7F)
	s.w(commands.FIFODataReg, 0x26)
	s.w(commands.CommandReg, commands.PCD_TRANSCEIVE)
	s.w(commands.BitFramingReg, 0x87)
}

// send mirrors the first half of LowLevel.CardWrite(PCD_TRANSCEIVE).
func (s *script) send(framing byte, data []byte) {
	s.w(commands.CommIEnReg, 0xF7)
	s.r(commands.CommIrqReg, 0x14)
	s.w(commands.CommIrqReg, 0x14)
	s.r(commands.FIFOLevelReg, 0x00)
	s.w(commands.FIFOLevelReg, 0x80)
	s.w(commands.CommandReg, commands.PCD_IDLE)
	for _, b := range data {
		s.w(commands.FIFODataReg, b)
	}
	s.w(commands.CommandReg, commands.PCD_TRANSCEIVE)
	s.r(commands.BitFramingReg, framing)
	s.w(commands.BitFramingReg, framing|0x80)
}

// transceive mirrors LowLevel.CardWrite(PCD_TRANSCEIVE) answered by reply.
func (s *script) transceive(framing byte, data, reply []byte) {
	s.send(framing, data)
	s.r(commands.CommIrqReg, 0x30) // RxIRq | IdleIRq
	s.r(commands.BitFramingReg, framing|0x80)
	s.w(commands.BitFramingReg, framing)
	s.r(commands.ErrorReg, 0x00)
	s.r(commands.FIFOLevelReg, byte(len(reply)))
	s.r(commands.ControlReg, 0x10) // RxLastBits 0: whole bytes
	for _, b := range reply {
		s.r(commands.FIFODataReg, b)
	}
}

// timeout mirrors CardWrite when the card does not answer: TimerIRq.
func (s *script) timeout(framing byte, data []byte) {
	s.send(framing, data)
	s.r(commands.CommIrqReg, 0x01)
	s.r(commands.BitFramingReg, framing|0x80)
	s.w(commands.BitFramingReg, framing)
	s.r(commands.ErrorReg, 0x00)
}

func (s *script) reqa(atqa ...byte) {
	s.w(commands.BitFramingReg, 0x07)
	s.transceive(0x07, []byte{0x26}, atqa)
}

func (s *script) anticoll(sel byte, uidBCC []byte) {
	s.w(commands.BitFramingReg, 0x00)
	s.transceive(0x00, []byte{sel, 0x20}, uidBCC)
}

func (s *script) sel(frame, sakCRC []byte) {
	s.transceive(0x00, frame, sakCRC)
}

// read4 is a poll reading MIFARE Classic 1K UID A1 B2 C3 D4 (ATQA 04 00,
// SAK 08) at the first step.
func (s *script) read4() {
	s.start()
	s.reqaStep()
	s.init()
	s.reqa(0x04, 0x00)
	s.anticoll(0x93, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04})
	s.sel([]byte{0x93, 0x70, 0xA1, 0xB2, 0xC3, 0xD4, 0x04, 0x77, 0xFB}, []byte{0x08, 0xB6, 0xDD})
}

// rig holds a reader on a playback with a gpiotest IRQ pin. The IRQ
// pin's WaitForEdge times out on its own fake clock (irqClock), so the
// number of REQA steps of a poll is decided by the test, not by the
// scheduler.
type rig struct {
	pb       *spitest.Playback
	irq      *gpiotest.Pin
	rst      *gpiotest.Pin
	fc       *fakeClock // the reader's clock (pauses, read times)
	irqClock *clockwork.FakeClock
	r        *Reader
}

func newRig(t *testing.T, s *script, cfg Config) *rig {
	t.Helper()
	g := &rig{
		pb:       &spitest.Playback{Playback: conntest.Playback{Ops: s.ops, DontPanic: true}},
		rst:      &gpiotest.Pin{N: "GPIO25"},
		fc:       newFakeClock(time.Date(2025, 3, 4, 11, 45, 0, 0, time.UTC)),
		irqClock: clockwork.NewFakeClock(),
	}
	g.irq = &gpiotest.Pin{N: "GPIO24", EdgesChan: make(chan gpio.Level, 1), Clock: g.irqClock}
	cfg.Clock = g.fc
	r, err := New(g.pb, g.rst, g.irq, cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.r = r
	if g.rst.L != gpio.High {
		t.Error("reset pin not driven high")
	}
	if g.irq.P != gpio.PullUp {
		t.Error("IRQ pin has no pull-up")
	}
	return g
}

// stepTimesOut waits until the poll waits for the IRQ and lets that wait
// time out. It may run in a goroutine of its own.
func (g *rig) stepTimesOut(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := g.irqClock.BlockUntilContext(ctx, 1); err != nil {
		t.Error("the poll does not wait for the IRQ")
		return
	}
	g.irqClock.Advance(DefaultStep)
}

// card puts a card in the field: the IRQ line falls.
func (g *rig) card() { g.irq.EdgesChan <- gpio.Low }

func (g *rig) consumed(t *testing.T) {
	t.Helper()
	if err := g.pb.Close(); err != nil {
		t.Error(err)
	}
}

func TestPoll4ByteUID(t *testing.T) {
	var s script
	s.read4()
	g := newRig(t, &s, Config{})
	g.card()
	uid, err := g.r.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xA1, 0xB2, 0xC3, 0xD4}; !bytes.Equal(uid, want) {
		t.Errorf("uid = % X, want % X", uid, want)
	}
	g.consumed(t)
	if st := g.r.Stats(); st.Polls != 1 || st.Reads != 1 || st.Failures != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestPoll7ByteUID(t *testing.T) {
	// NTAG213 with UID 04 11 22 33 44 55 66: ATQA 44 00; cascade level 1
	// CT 04 11 22 BCC, SAK 04 (not complete); level 2 33 44 55 66 BCC,
	// SAK 00.
	var s script
	s.start()
	s.reqaStep()
	s.reqaStep() // the card comes at the second step
	s.init()
	s.reqa(0x44, 0x00)
	s.anticoll(0x93, []byte{0x88, 0x04, 0x11, 0x22, 0xBF})
	s.sel([]byte{0x93, 0x70, 0x88, 0x04, 0x11, 0x22, 0xBF, 0xB3, 0xF9}, []byte{0x04, 0xDA, 0x17})
	s.anticoll(0x95, []byte{0x33, 0x44, 0x55, 0x66, 0x44})
	s.sel([]byte{0x95, 0x70, 0x33, 0x44, 0x55, 0x66, 0x44, 0xEC, 0xA3}, []byte{0x00, 0xFE, 0x51})
	g := newRig(t, &s, Config{})
	go func() {
		g.stepTimesOut(t) // no card at the first step
		g.card()
	}()
	uid, err := g.r.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := card.FromUID(uid, card.BigEndian); got != "04112233445566" {
		t.Errorf("credential = %s", got)
	}
	g.consumed(t)
}

func TestPollNoCard(t *testing.T) {
	var s script
	s.start()
	s.reqaStep()
	s.reqaStep()
	s.reqaStep()
	g := newRig(t, &s, Config{Timeout: 3 * DefaultStep})
	go func() {
		for i := 0; i < 3; i++ {
			g.stepTimesOut(t)
		}
	}()
	if _, err := g.r.Poll(context.Background()); !errors.Is(err, ErrNoCard) {
		t.Fatalf("Poll = %v, want ErrNoCard", err)
	}
	g.consumed(t)
	if st := g.r.Stats(); st.Polls != 1 || st.Failures != 0 || st.LastError != "" {
		t.Errorf("stats = %+v", st)
	}
}

func TestPollCardLeftBeforeREQA(t *testing.T) {
	var s script
	s.start()
	s.reqaStep()
	s.init()
	s.w(commands.BitFramingReg, 0x07)
	s.timeout(0x07, []byte{0x26})
	g := newRig(t, &s, Config{})
	g.card()
	if _, err := g.r.Poll(context.Background()); !errors.Is(err, ErrNoCard) {
		t.Fatalf("Poll = %v, want ErrNoCard", err)
	}
	g.consumed(t)
}

func TestPollBadAnswersAreFailures(t *testing.T) {
	tests := []struct {
		name string
		tail func(s *script)
		msg  string
	}{
		{"wrong BCC", func(s *script) {
			s.anticoll(0x93, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x05})
		}, "BCC"},
		{"collision: error register set", func(s *script) {
			s.w(commands.BitFramingReg, 0x00)
			s.send(0x00, []byte{0x93, 0x20})
			s.r(commands.CommIrqReg, 0x30)
			s.r(commands.BitFramingReg, 0x80)
			s.w(commands.BitFramingReg, 0x00)
			s.r(commands.ErrorReg, 0x08) // CollErr
		}, "0 bytes"},
		{"SAK with a bad CRC", func(s *script) {
			s.anticoll(0x93, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04})
			s.sel([]byte{0x93, 0x70, 0xA1, 0xB2, 0xC3, 0xD4, 0x04, 0x77, 0xFB}, []byte{0x08, 0xB6, 0xDE})
		}, "CRC_A"},
		{"SAK asks for a second level without a cascade tag", func(s *script) {
			s.anticoll(0x93, []byte{0xA1, 0xB2, 0xC3, 0xD4, 0x04})
			s.sel([]byte{0x93, 0x70, 0xA1, 0xB2, 0xC3, 0xD4, 0x04, 0x77, 0xFB}, []byte{0x04, 0xDA, 0x17})
		}, "cascade tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s script
			s.start()
			s.reqaStep()
			s.init()
			s.reqa(0x04, 0x00)
			tt.tail(&s)
			g := newRig(t, &s, Config{})
			g.card()
			uid, err := g.r.Poll(context.Background())
			if err == nil || errors.Is(err, ErrNoCard) || IsDeviceError(err) || !errors.Is(err, ErrFrame) {
				t.Fatalf("Poll = % X, %v; want a card failure", uid, err)
			}
			if uid != nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Poll = % X, %v", uid, err)
			}
			g.consumed(t)
			if st := g.r.Stats(); st.Failures != 1 || st.Reads != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunDeliversCanonicalCredential(t *testing.T) {
	var s script
	s.read4()
	g := newRig(t, &s, Config{Name: "desk"})
	g.card()
	reads := make(chan card.Read, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.r.Run(ctx, func(rd card.Read) { reads <- rd }) }()
	select {
	case rd := <-reads:
		want := card.Read{Credential: "A1B2C3D4", Reader: "desk", At: g.fc.Now()}
		if rd != want {
			t.Errorf("read = %+v, want %+v", rd, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no read")
	}
	if st := g.r.Status(); !st.Connected || st.Err != "" || st.Driver != "mfrc522" {
		t.Errorf("status = %+v", st)
	}
	// Run now pauses Config.Interval on the fake clock: no SPI traffic.
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return")
	}
	g.consumed(t)
}

func TestRunReportsMissingChipAndRecovers(t *testing.T) {
	var s script
	s.r(commands.VersionReg, 0x00) // MISO stuck low: no chip
	s.read4()
	statusCh := make(chan drivers.Status, 8)
	g := newRig(t, &s, Config{Retry: 2 * time.Second, OnStatus: func(st drivers.Status) { statusCh <- st }})
	reads := make(chan card.Read, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- g.r.Run(ctx, func(rd card.Read) { reads <- rd }) }()
	select {
	case st := <-statusCh:
		if st.Connected || !strings.Contains(st.Err, "VersionReg 0x00") {
			t.Errorf("status = %+v", st)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no status change")
	}
	if st := g.r.Stats(); !strings.Contains(st.LastError, "no chip") || st.Failures != 0 {
		t.Errorf("stats = %+v", st)
	}
	// After Retry the chip answers and a card is read.
	waitFor(t, "Run waiting to retry", func() bool { return g.fc.Waiters() == 1 })
	g.card()
	g.fc.Advance(2 * time.Second)
	select {
	case rd := <-reads:
		if rd.Credential != "A1B2C3D4" {
			t.Errorf("read = %+v", rd)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no read after recovery")
	}
	if st := g.r.Status(); !st.Connected || st.Err != "" {
		t.Errorf("status after recovery = %+v", st)
	}
	cancel()
	<-done
	g.consumed(t)
}

func TestSPIFailureIsDeviceError(t *testing.T) {
	var s script // no ops: the first transfer fails
	g := newRig(t, &s, Config{})
	_, err := g.r.Poll(context.Background())
	if !IsDeviceError(err) || !strings.Contains(err.Error(), "spi") {
		t.Fatalf("Poll = %v, want a device error", err)
	}
}

func TestCloseStopsRunAndPowersDown(t *testing.T) {
	var s script
	s.start()
	s.reqaStep()
	s.w(commands.CommandReg, 0x10) // PowerDown, written by Close
	g := newRig(t, &s, Config{})
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- g.r.Run(ctx, func(card.Read) {}) }()
	bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := g.irqClock.BlockUntilContext(bctx, 1); err != nil {
		t.Fatal("not polling")
	}
	closed := make(chan error, 1)
	go func() { closed <- g.r.Close() }()
	// Close cancels the poll, which notices it when its step ends; Close
	// waits for it before powering the chip down.
	waitFor(t, "closing", g.r.isClosed)
	g.irqClock.Advance(DefaultStep)
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Errorf("Run = %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	g.consumed(t)
	if err := g.r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := g.r.Poll(ctx); !errors.Is(err, drivers.ErrClosed) {
		t.Errorf("Poll after Close = %v", err)
	}
	if err := g.r.Run(ctx, func(card.Read) {}); !errors.Is(err, drivers.ErrClosed) {
		t.Errorf("Run after Close = %v", err)
	}
}

func TestClosePowersDown(t *testing.T) {
	var s script
	s.read4()
	s.w(commands.CommandReg, 0x10) // PowerDown
	g := newRig(t, &s, Config{})
	g.card()
	if _, err := g.r.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := g.r.Close(); err != nil {
		t.Fatal(err)
	}
	g.consumed(t)
}

func TestNewChecks(t *testing.T) {
	irq := &gpiotest.Pin{N: "IRQ", EdgesChan: make(chan gpio.Level, 1)}
	rst := &gpiotest.Pin{N: "RST"}
	pb := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	if _, err := New(pb, rst, nil, Config{}); err == nil {
		t.Error("nil IRQ accepted")
	}
	if _, err := New(pb, nil, irq, Config{}); err == nil {
		t.Error("nil reset accepted")
	}
	if _, err := New(pb, rst, irq, Config{Gain: 8}); err == nil {
		t.Error("gain 8 accepted")
	}
}
