package ingest

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// TestBufConnOrderAndClose: many small writes arrive complete and in
// order, the last ones written out by Close; reads see what was sent.
func TestBufConnOrderAndClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		s.Write([]byte("hello"))
		b, _ := io.ReadAll(s)
		s.Close()
		got <- b
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newBufConn(raw)
	hello := make([]byte, 5)
	if _, err := io.ReadFull(c, hello); err != nil || string(hello) != "hello" {
		t.Fatalf("read %q, %v", hello, err)
	}
	const n = 20000
	var want bytes.Buffer
	for i := range n {
		p := binary.BigEndian.AppendUint32([]byte{0x40, 2}, uint32(i)) // PUBACK-sized
		want.Write(p)
		if k, err := c.Write(p); err != nil || k != len(p) {
			t.Fatalf("write %d: %d, %v", i, k, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want.Bytes()) {
			t.Fatalf("server got %d bytes, want %d, or out of order", len(b), want.Len())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server got nothing")
	}
	if _, err := c.Write([]byte{1}); err == nil {
		t.Error("write after Close: no error")
	}
}

// TestBufConnWriteError: once the peer is gone, a write error comes back
// from a later Write instead of being lost.
func TestBufConnWriteError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if s, err := ln.Accept(); err == nil {
			s.Read(make([]byte, 1)) // the client is connected and writing
			s.(*net.TCPConn).SetLinger(0)
			s.Close()
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newBufConn(raw)
	defer c.Close()
	p := make([]byte, 64<<10)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Write(p); err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("writes to a closed peer never failed")
}
