package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/escpos/escpostest"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// TestProbeListOutputs: --list shows the output and printer drivers with
// their settings.
func TestProbeListOutputs(t *testing.T) {
	var out bytes.Buffer
	if err := runProbe(context.Background(), []string{"--list"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"output   gpio", "output   sim", "printer  escpos", "printer  sim", "--set pin=", "--set active_low=", "--set poll="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--list lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runProbe(context.Background(), []string{"--list", "--json"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"family":"printer"`) {
		t.Errorf("--list --json: %v\n%s", err, out.String())
	}
	if err := runProbe(context.Background(), []string{"output/gpio"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "pin is missing") {
		t.Errorf("gpio output without a pin: %v", err)
	}
}

// TestProbeOutputPlays plays a beep and a blink on the simulated output.
func TestProbeOutputPlays(t *testing.T) {
	out := &syncBuf{}
	if err := runProbe(context.Background(), []string{"output/sim", "--pattern", "100ms,50ms,100ms"}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := out.lines(t)
	if len(lines) != 2 || lines[0].Type != "play" || lines[1].Type != "stopped" || lines[0].Pattern != "100ms,50ms,100ms" {
		t.Fatalf("lines = %+v", lines)
	}
	out = &syncBuf{}
	start := time.Now()
	if err := runProbe(context.Background(), []string{"output/sim", "--pattern", "blink", "--for", "200ms"}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
		t.Fatalf("blink for 200ms took %v", d)
	}
	if err := runProbe(context.Background(), []string{"output/sim", "--pattern", "siren"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown pattern played")
	}
}

// TestProbePrinterTestTicket prints a test ticket on an ESC/POS printer
// behind a pty.
func TestProbePrinterTestTicket(t *testing.T) {
	dev := serialtest.New(t)
	out := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- runProbe(context.Background(), []string{"printer/escpos", "--port", dev.Path(), "--set", "poll=0"}, out, io.Discard)
	}()
	escpostest.Answer(t, dev, 0x12, 0x12)
	got, err := dev.ReadUntil([]byte{escpos.GS, 'V', 66, 0}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	title := escpostest.GB18030(t, "测试小票")
	if !bytes.Contains(got, title) || !bytes.Contains(got, []byte("TEST0001")) {
		t.Fatalf("test ticket = % X", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	printed := false
	for _, l := range out.lines(t) {
		printed = printed || (l.Type == "printed" && l.Bytes > 0)
	}
	if !printed {
		t.Fatalf("no printed line: %s", out.String())
	}
}
