package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// TestProbeTill runs `probe till/serial --port PTY` in both protocols
// against a POS played on a pseudo-terminal: garbage is skipped and shown
// as a status line with its reason, the amount is printed, and the line
// protocol's POS is answered OK.
func TestProbeTill(t *testing.T) {
	for _, tc := range []struct {
		protocol, send string
		fen            int64
		ref            string
	}{
		{"line", "garbage\r\nAMT 1250 S-0042\r\n", 1250, "S-0042"},
		{"customer_display", "\xff\xfe\x1b@\x1bs1\x1bQA8.00\r\x1bs2\x1bQA20.00\r", 2000, ""},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			dev := serialtest.New(t)
			answered := make(chan []byte, 1)
			go func() {
				time.Sleep(300 * time.Millisecond) // let probe open the port
				dev.Write([]byte(tc.send))
				if tc.protocol == "line" {
					got, _ := dev.ReadUntil([]byte("OK\r\n"), 3*time.Second)
					answered <- got
				}
			}()
			var out syncBuf
			args := []string{"till/serial", "--port", dev.Path(), "--set", "protocol=" + tc.protocol, "--name", "till-2", "--count", "1", "--for", "10s"}
			if err := runProbe(context.Background(), args, &out, io.Discard); err != nil {
				t.Fatalf("probe: %v\n%s", err, out.String())
			}
			lines := out.lines(t)
			if l := lines[0]; l.Type != "status" || l.Connected == nil || !*l.Connected || l.Driver != "serial" || l.Device != "till-2" {
				t.Fatalf("first line = %+v", l)
			}
			var skipped, amount *probeLine
			for i := range lines {
				switch l := &lines[i]; {
				case l.Type == "status" && strings.Contains(l.Error, "serialtill: "):
					skipped = l
				case l.Type == "amount":
					amount = l
				}
			}
			if skipped == nil {
				t.Fatalf("the garbage was not reported:\n%s", out.String())
			}
			if amount == nil || amount.AmountFen == nil || *amount.AmountFen != tc.fen || amount.Ref != tc.ref || amount.At.IsZero() {
				t.Fatalf("amount line %+v:\n%s", amount, out.String())
			}
			if tc.protocol == "line" {
				if got := <-answered; !bytes.HasSuffix(got, []byte("OK\r\n")) || !bytes.HasPrefix(got, []byte("ERR syntax ")) {
					t.Fatalf("the POS was answered %q", got)
				}
			}
		})
	}
	var out bytes.Buffer
	if err := runProbe(context.Background(), []string{"--list"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, l := range strings.Split(out.String(), "\n") {
		f := strings.Fields(l)
		listed = listed || (len(f) > 3 && f[0] == "till" && f[1] == "serial" && f[2] == "serial")
	}
	if !listed || !strings.Contains(out.String(), "--set protocol=") {
		t.Fatalf("--list does not show the serial till:\n%s", out.String())
	}
	if err := runProbe(context.Background(), []string{"till/serial", "--port", "/dev/null"}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "line or customer_display") {
		t.Fatalf("probe without a protocol: %v", err)
	}
}
