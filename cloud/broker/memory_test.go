package broker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

type allowAll struct{}

func (allowAll) AuthenticateGateway(context.Context, string, string) bool { return true }

// connectPacket is an MQTT 3.1.1 CONNECT of gateway id with a password,
// a 60 s keepalive and a clean session: what a gateway sends, written by
// hand so that the client side of the test holds no more than a socket.
func connectPacket(id string) []byte { return connectWithWill(id, "", "") }

// connectWithWill is connectPacket with a retained QoS 1 will when topic
// is not empty.
func connectWithWill(id, topic, will string) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	var body []byte
	body = append(body, str("MQTT")...)
	flags := byte(0xC2) // user, password, clean
	if topic != "" {
		flags |= 0x04 | 0x08 | 0x20 // will, QoS 1, retained
	}
	body = append(body, 4, flags, 0, 60) // level 4; keepalive 60 s
	body = append(body, str(id)...)
	if topic != "" {
		body = append(body, str(topic)...)
		body = append(body, str(will)...)
	}
	body = append(body, str(id)...)
	body = append(body, str("pw")...)
	pk := []byte{0x10}
	for n := len(body); ; {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		pk = append(pk, b)
		if n == 0 {
			break
		}
	}
	return append(pk, body...)
}

func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// TestMemoryPerConnection holds n connected gateways on the broker and
// checks the broker's heap and goroutine stacks per connection against
// the target of issue 15 (50 KB per gateway, the whole cloud). The
// client side is a bare socket per gateway (a few hundred bytes, counted
// against the broker). FLEET_HEAP_PROFILE=file writes the heap profile.
func TestMemoryPerConnection(t *testing.T) {
	const n = 500
	b, err := Start(Config{Addr: "127.0.0.1:0", Gateways: allowAll{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	before := heapAndStacks()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		conns = append(conns, dialRaw(t, b.Addr(), connectPacket(fmt.Sprintf("gw-mem-%04d", i))))
	}
	after := heapAndStacks()
	per := float64(after-before) / n
	t.Logf("%d connections: %.1f KB of heap and stacks each", n, per/1024)
	if f := os.Getenv("FLEET_HEAP_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
			t.Fatal(err)
		}
	}
	if per > 50<<10 {
		t.Errorf("%.1f KB per connection, above the 50 KB of issue 15", per/1024)
	}
}

// dialRaw connects with the CONNECT packet pk and waits for a CONNACK
// that accepts it.
func dialRaw(t *testing.T, addr string, pk []byte) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(pk); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(bufio.NewReader(c), ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		t.Fatalf("CONNACK %x, %v", ack, err)
	}
	c.SetReadDeadline(time.Time{})
	return c
}
