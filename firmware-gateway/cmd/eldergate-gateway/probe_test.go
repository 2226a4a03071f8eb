package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/drivers/card/idcard"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// syncBuf is a goroutine-safe buffer for probe's output.
type syncBuf struct{ testenv.SyncBuffer }

func (s *syncBuf) lines(t *testing.T) []probeLine {
	t.Helper()
	var out []probeLine
	sc := bufio.NewScanner(strings.NewReader(s.String()))
	for sc.Scan() {
		var l probeLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("probe printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// device plays one serial device for probe: it writes frames continuously
// (continuous-output devices) or answers requests (request/response).
type device func(ctx context.Context, dev *serialtest.Device)

// stream writes garbage, then frame, over and over.
func stream(garbage string, frame []byte) device {
	return func(ctx context.Context, dev *serialtest.Device) {
		for ctx.Err() == nil {
			dev.Write(append([]byte(garbage), frame...))
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// burst writes garbage and frame n times 30 ms apart, once: a remote's
// button pressed and let go.
func burst(garbage string, frame []byte, n int) device {
	return func(ctx context.Context, dev *serialtest.Device) {
		time.Sleep(200 * time.Millisecond) // let probe open the port
		for i := 0; i < n && ctx.Err() == nil; i++ {
			dev.Write(append([]byte(garbage), frame...))
			time.Sleep(30 * time.Millisecond)
		}
		<-ctx.Done()
	}
}

// respond answers each request that ends with suffix with answer(request).
func respond(suffix []byte, answer func(req []byte) []byte) device {
	return func(ctx context.Context, dev *serialtest.Device) {
		for ctx.Err() == nil {
			req, err := dev.ReadUntil(suffix, 100*time.Millisecond)
			if err != nil {
				continue
			}
			if a := answer(req); a != nil {
				dev.Write(a)
			}
		}
	}
}

func idcardModule() device {
	id := idcard.Identity{Name: "张三丰", Sex: "1", Nation: "01", Birth: "19491231", Address: "北京市东城区景山前街4号",
		Number: "11010519491231002X", Authority: "北京市公安局东城分局", ValidFrom: "20150101", ValidTo: "长期"}
	find := idcard.EncodeCommand(idcard.CmdFindCard, nil)
	sel := idcard.EncodeCommand(idcard.CmdSelectCard, nil)
	read := idcard.EncodeCommand(idcard.CmdReadTextPhoto, nil)
	return func(ctx context.Context, dev *serialtest.Device) {
		var buf []byte
		for ctx.Err() == nil {
			b, _ := dev.ReadUntil([]byte{0xFF, 0xFF, 0xFF, 0xFF}, 50*time.Millisecond) // never matches: read what came
			buf = append(buf, b...)
			switch {
			case bytes.HasSuffix(buf, find):
				dev.Write(idcard.EncodeResponse(0, 0, idcard.StatusFound, []byte{0, 0, 0, 0}))
			case bytes.HasSuffix(buf, sel):
				dev.Write(idcard.EncodeResponse(0, 0, idcard.StatusOK, make([]byte, 8)))
			case bytes.HasSuffix(buf, read):
				dev.Write(idcard.EncodeResponse(0, 0, idcard.StatusOK, idcard.EncodeReadData(id)))
			default:
				continue
			}
			buf = buf[:0]
		}
	}
}

// TestProbeSerialProtocols runs `probe DRIVER --port PTY` for every serial
// protocol against a simulated device behind a pseudo-terminal, through
// tarm/serial, and checks the JSON lines an installer reads.
func TestProbeSerialProtocols(t *testing.T) {
	// SWA: always-1 bit, increment 1, decimal point XXX.XXX; SWB: kg.
	toledoFrame := []byte{0x02, 0x20 | 0x08 | 5, 0x20 | 1<<4, 0x20, '0', '0', '1', '2', '3', '4', '0', '0', '0', '0', '0', '0', '\r'}
	tests := []struct {
		driver string
		sets   []string
		dev    device
		want   probeLine
	}{
		{"rdm6300", nil, stream("\x00\x13garbage\x7f", []byte("\x0262E3086CED08\x03")), probeLine{Type: "card", Credential: "E3086CED"}},
		{"uidline", nil, stream("garbage line\r\n", []byte("04A1B2C3\r\n")), probeLine{Type: "card", Credential: "04A1B2C3"}},
		{"uidline", []string{"format=dec10"}, stream("garbage line\r\n", []byte("0077705923\r\n")), probeLine{Type: "card", Credential: "04A1B2C3"}},
		{"idcard", []string{"poll=20ms"}, idcardModule(), probeLine{Type: "card", Credential: "110105********002X"}},
		{"mtsics", []string{"interval=50ms"}, respond([]byte("\r\n"), func(req []byte) []byte {
			if bytes.HasSuffix(req, []byte("SI\r\n")) || bytes.HasSuffix(req, []byte("S\r\n")) {
				return []byte("S S      350.25 g\r\n")
			}
			return nil
		}), probeLine{Type: "weight", Grams: ptr(int64(350)), State: "stable"}},
		{"toledo", nil, stream("\x13garbage\r", toledoFrame), probeLine{Type: "weight", Grams: ptr(int64(1234)), State: "stable"}},
		{"and", nil, stream("garbage line\r\n", []byte("ST,+000250.0  g\r\n")), probeLine{Type: "weight", Grams: ptr(int64(250)), State: "stable"}},
		{"and", nil, stream("garbage line\r\n", []byte("US,+000251.0  g\r\n")), probeLine{Type: "weight", Grams: ptr(int64(251)), State: "unstable"}},
		{"indicator", nil, stream("garbage line\r\n", []byte("ST,GS,+  1.234kg\r\n")), probeLine{Type: "weight", Grams: ptr(int64(1234)), State: "stable"}},
		{"indicator", nil, stream("garbage line\r\n", []byte("OL,GS,+ 99.999kg\r\n")), probeLine{Type: "weight", State: "overload"}},
		{"rf433", []string{"codes=A1B2C3=hall-1", "lockout=100ms"}, burst("\x13\x00", []byte{0xFD, 0xA1, 0xB2, 0xC3, 0xDF}, 3), probeLine{Type: "press", Button: "hall-1", Kind: "press"}},
		{"cas", nil, stream("garbage line\r\n", []byte("ST,GS,1\xe4,   0.456 kg\r\n")), probeLine{Type: "weight", Grams: ptr(int64(456)), State: "stable"}},
	}
	for _, tc := range tests {
		t.Run(tc.driver+strings.Join(tc.sets, ","), func(t *testing.T) {
			dev := serialtest.New(t)
			ctx, cancel := context.WithCancel(context.Background())
			played := make(chan struct{})
			go func() { defer close(played); tc.dev(ctx, dev) }()
			defer func() { cancel(); <-played }()
			var out syncBuf
			args := []string{tc.driver, "--port", dev.Path(), "--count", "1", "--for", "10s"}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			if err := runProbe(context.Background(), args, &out, io.Discard); err != nil {
				t.Fatalf("probe: %v\n%s", err, out.String())
			}
			lines := out.lines(t)
			if len(lines) < 2 {
				t.Fatalf("probe printed %d lines, want a status and a reading:\n%s", len(lines), out.String())
			}
			if l := lines[0]; l.Type != "status" || l.Connected == nil || !*l.Connected || l.Driver != tc.driver {
				t.Fatalf("first line = %+v, want the device connected", l)
			}
			var got *probeLine
			for i := range lines {
				if lines[i].Type == tc.want.Type {
					got = &lines[i]
					break
				}
			}
			if got == nil {
				t.Fatalf("no %s line:\n%s", tc.want.Type, out.String())
			}
			if got.Credential != tc.want.Credential || got.State != tc.want.State || got.Button != tc.want.Button || got.Kind != tc.want.Kind ||
				(tc.want.Grams != nil && (got.Grams == nil || *got.Grams != *tc.want.Grams)) || got.At.IsZero() {
				t.Fatalf("line = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestProbeList(t *testing.T) {
	var out bytes.Buffer
	if err := runProbe(context.Background(), []string{"--list"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rdm6300", "uidline", "idcard", "evdev", "mtsics", "toledo", "and", "indicator", "cas", "hx711", "wiegand", "mfrc522", "gpio", "rf433"} {
		if !strings.Contains(out.String(), " "+name+" ") {
			t.Errorf("--list does not show %s:\n%s", name, out.String())
		}
	}
	if err := runProbe(context.Background(), []string{"nfc9000"}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "unknown driver") {
		t.Errorf("unknown driver: %v", err)
	}
	if err := runProbe(context.Background(), []string{"rdm6300"}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "--port") {
		t.Errorf("serial driver without port: %v", err)
	}
}
