package loadgen

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestCheckBroker: loopback brokers pass; a remote one is refused unless
// allowed; malformed URLs are refused in words.
func TestCheckBroker(t *testing.T) {
	for _, tc := range []struct {
		url, addr string
		remote    bool
		tls       bool
		want      string // error substring; "" = ok
	}{
		{url: "tcp://127.0.0.1:1883", addr: "127.0.0.1:1883"},
		{url: "tcp://localhost", addr: "localhost:1883"},
		{url: "ssl://[::1]:8883", addr: "[::1]:8883", tls: true},
		{url: "mqtts://127.0.0.2", addr: "127.0.0.2:8883", tls: true},
		{url: "tcp://broker.example.com:1883", want: "not on a loopback address"},
		{url: "tcp://10.0.0.1:1883", want: "-allow-remote"},
		{url: "tcp://10.0.0.1:1883", remote: true, addr: "10.0.0.1:1883"},
		{url: "http://127.0.0.1:1883", want: "scheme"},
		{url: "127.0.0.1:1883", want: "broker URL"},
		{url: "tcp://127.0.0.1:0", want: "port"},
		{url: "tcp://127.0.0.1:99999", want: "port"},
		{url: "tcp://u:p@127.0.0.1:1883", want: "credentials are per gateway"},
		{url: "tcp://:1883", want: "no host"},
		{url: "tcp://127.0.0.1:1883/x", want: "only scheme://host:port"},
	} {
		addr, useTLS, err := CheckBroker(tc.url, tc.remote)
		if tc.want == "" {
			if err != nil || addr != tc.addr || useTLS != tc.tls {
				t.Errorf("CheckBroker(%q) = %q %v %v, want %q %v", tc.url, addr, useTLS, err, tc.addr, tc.tls)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckBroker(%q): err %v, want one with %q", tc.url, err, tc.want)
		}
	}
}

// TestParseFlagsRefuses: bad flags are refused before anything connects.
func TestParseFlagsRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-gateways", "0"}, "-gateways 0"},
		{[]string{"-gateways", "20001"}, "must be 1 to 20000"},
		{[]string{"-duration", "0s"}, "duration"},
		{[]string{"-duration", "2h"}, "at most 1h"},
		{[]string{"-events", "0"}, "-events 0"},
		{[]string{"-events", "20000000"}, "max events"},
		{[]string{"-meals", "-1"}, "negative"},
		{[]string{"-batch", "0"}, "-batch 0"},
		{[]string{"-batch", "6000"}, "above 5000"},
		{[]string{"-heartbeat", "1ms"}, "heartbeat"},
		{[]string{"-keepalive", "100ms"}, "keepalive"},
		{[]string{"-ack-timeout", "0s"}, "ack-timeout"},
		{[]string{"-broker", "tcp://192.0.2.1:1883"}, "loopback"},
		{[]string{"-broker", "ws://127.0.0.1:1883"}, "scheme"},
		{[]string{"-prefix", "a/b"}, "-prefix"},
		{[]string{"-gateways", "5", "-gateways-file", "x.csv"}, "exclude each other"},
		{[]string{"-duration", "soon"}, "invalid value"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-backlog", "1000", "-gateways", "20000"}, "above 10000000 events"},
	} {
		_, err := ParseFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFlags(%q): err %v, want one with %q", tc.args, err, tc.want)
		}
	}
	o, err := ParseFlags([]string{"-gateways", "3", "-duration", "2s", "-meals", "5", "-broker", "tcp://localhost:1884"}, io.Discard)
	if err != nil || len(o.Fleet.Gateways) != 3 || o.Fleet.Duration != 2*time.Second || o.Fleet.MealsPerSec != 5 {
		t.Fatalf("good flags: %+v %v", o, err)
	}
}

// TestReadGateways: the file format, its header, and refusals in words.
func TestReadGateways(t *testing.T) {
	var b bytes.Buffer
	in := Generate("gw", "", 3)
	if err := WriteGateways(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadGateways(&b)
	if err != nil || len(out) != 3 || out[2] != in[2] {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	out, err = ReadGateways(strings.NewReader("# comment\ngw-1, site-a, , pw1\n"))
	if err != nil || out[0] != (Gateway{ID: "gw-1", Site: "site-a", User: "gw-1", Pass: "pw1"}) {
		t.Fatalf("user defaults to the id: %+v %v", out, err)
	}
	for in, want := range map[string]string{
		"":                         "no gateway",
		"id,site,user,password\n":  "no gateway",
		"gw-1,site,u\n":            "line 1: 3 fields",
		"gw 1,site,u,p\n":          "invalid character",
		"gw-1,,u,p\n":              "no site",
		"gw-1,s,u,p\ngw-1,s,u,p\n": "line 2: gateway \"gw-1\" listed twice",
		"gw-1,\"s,u,p\n":           "gateways file",
	} {
		if _, err := ReadGateways(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadGateways(%q): err %v, want one with %q", in, err, want)
		}
	}
}

// TestPacketCodec: what the client encodes reads back.
func TestPacketCodec(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 200000) // a 3-byte remaining length
	p := encodePublish("eg/v1/gw/a/up", payload, 1, true, 7)
	h, body, err := readPacket(bufio.NewReader(bytes.NewReader(p)))
	if err != nil || h != pktPublish<<4|0x03 {
		t.Fatalf("readPacket: %x %v", h, err)
	}
	topic, id, got, err := parsePublish(h, body)
	if err != nil || topic != "eg/v1/gw/a/up" || id != 7 || !bytes.Equal(got, payload) {
		t.Fatalf("parsePublish: %q %d %d %v", topic, id, len(got), err)
	}
	for _, bad := range [][]byte{
		{pktPublish << 4, 0xff, 0xff, 0xff, 0xff, 0x01}, // 5-byte length
		{pktPublish << 4, 0xff, 0xff, 0xff, 0x7f},       // above the limit
		{pktPublish << 4, 5, 0, 1},                      // short body
	} {
		if _, _, err := readPacket(bufio.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("readPacket(%x) accepted", bad)
		}
	}
	for _, bad := range [][]byte{{0}, {0, 5, 'a'}, {0, 1, 'a', 0}} {
		if _, _, _, err := parsePublish(pktPublish<<4|0x02, bad); err == nil {
			t.Errorf("parsePublish(%x) accepted", bad)
		}
	}
}

func FuzzReadPacket(f *testing.F) {
	f.Add(encodePublish("t", []byte("p"), 1, false, 1))
	f.Add(encodeConnect("c", "u", "p", time.Second, &will{topic: "w", payload: []byte("x"), qos: 1, retain: true}))
	f.Add([]byte{pktPublish << 4, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, body, err := readPacket(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		if len(body) > maxPacketBytes {
			t.Fatalf("body of %d bytes", len(body))
		}
		topic, _, payload, err := parsePublish(h, body)
		if err == nil && len(topic)+len(payload) > len(body) {
			t.Fatalf("parts longer than the body")
		}
	})
}

func FuzzReadGateways(f *testing.F) {
	f.Add("id,site,user,password\ngw-1,s,u,p\n")
	f.Add("gw-1,\"s,u,p\n")
	f.Fuzz(func(t *testing.T, s string) {
		gws, err := ReadGateways(strings.NewReader(s))
		if err != nil {
			return
		}
		fl := Fleet{Broker: "tcp://127.0.0.1:1883", Gateways: gws, Duration: time.Second}
		if _, _, err := fl.validate(); err != nil {
			t.Fatalf("ReadGateways accepted gateways the fleet refuses: %v", err)
		}
	})
}

func FuzzParseFlags(f *testing.F) {
	f.Add("-gateways 3 -duration 2s -broker tcp://127.0.0.1:1")
	f.Add("-broker ssl://[::1]:8883 -meals 1e9")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseFlags(strings.Fields(s), io.Discard)
		if err != nil {
			return
		}
		if _, _, err := CheckBroker(o.Fleet.Broker, o.Fleet.AllowRemote); err != nil {
			t.Fatalf("accepted broker %q: %v", o.Fleet.Broker, err)
		}
		if o.Fleet.Duration <= 0 || o.Fleet.Duration > MaxDuration || len(o.Fleet.Gateways) > MaxGateways {
			t.Fatalf("accepted %+v", o.Fleet)
		}
	})
}

func FuzzCheckBroker(f *testing.F) {
	f.Add("tcp://127.0.0.1:1883")
	f.Add("tcp://10.0.0.1:1883")
	f.Fuzz(func(t *testing.T, s string) {
		addr, _, err := CheckBroker(s, false)
		if err != nil {
			return
		}
		host := addr[:strings.LastIndex(addr, ":")]
		host = strings.Trim(host, "[]")
		if !isLoopback(host) {
			t.Fatalf("CheckBroker(%q) accepted non-loopback %q", s, addr)
		}
	})
}
