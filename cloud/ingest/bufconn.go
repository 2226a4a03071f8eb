package ingest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// paho v1.5.1 reads each packet straight from the connection (the
// remaining length one byte at a time: about four read syscalls per
// message) and writes each packet with its own write syscall (one per
// PUBACK). The ingester's connection is a bufConn instead: reads go
// through a bufio.Reader, and writes are appended to a buffer that one
// goroutine writes out, so the PUBACKs of a group leave in a few
// syscalls (docs/PERFORMANCE.md, ADR 0037).

// Buffer sizes of a bufConn.
const (
	bufReadSize     = 64 << 10
	bufWriteMaxHeld = 1 << 20 // Write waits while this much is not yet written
)

// dialBuffered is the ingester's paho.OpenConnectionFunc: tcp:// and
// mqtt:// plainly, ssl://, tls://, mqtts://, mqtt+ssl://, tcps:// with
// tlsCfg (nil: Go's defaults), each wrapped in a bufConn.
func dialBuffered(tlsCfg *tls.Config) paho.OpenConnectionFunc {
	return func(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
		d := &net.Dialer{Timeout: o.ConnectTimeout}
		var c net.Conn
		var err error
		switch u.Scheme {
		case "tcp", "mqtt":
			c, err = d.Dial("tcp", u.Host)
		case "ssl", "tls", "mqtts", "mqtt+ssl", "tcps":
			cfg := &tls.Config{}
			if tlsCfg != nil {
				cfg = tlsCfg.Clone()
			}
			c, err = tls.DialWithDialer(d, "tcp", u.Host, cfg)
		default:
			return nil, fmt.Errorf("ingest: broker URL scheme %q not supported (tcp, mqtt, ssl, tls, mqtts, tcps)", u.Scheme)
		}
		if err != nil {
			return nil, err
		}
		return newBufConn(c), nil
	}
}

// bufConn is a net.Conn with buffered reads and coalesced writes. Write
// never waits for the network unless bufWriteMaxHeld bytes are pending;
// a write error is returned by the next Write (and closes the
// connection, so the reader sees it too).
type bufConn struct {
	net.Conn
	r *bufio.Reader

	wmu   sync.Mutex // held while writing to Conn: keeps the bytes in order
	mu    sync.Mutex
	room  *sync.Cond // signalled when pending shrinks
	buf   []byte     // pending bytes
	spare []byte
	err   error
	wake  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newBufConn(c net.Conn) *bufConn {
	b := &bufConn{Conn: c, r: bufio.NewReaderSize(c, bufReadSize), wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.room = sync.NewCond(&b.mu)
	go b.flusher()
	return b
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *bufConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for c.err == nil && len(c.buf) >= bufWriteMaxHeld {
		c.room.Wait()
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	c.buf = append(c.buf, p...)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// flusher writes what is pending whenever there is some.
func (c *bufConn) flusher() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		if !c.flush() {
			return
		}
	}
}

// flush writes the pending bytes; false after an error.
func (c *bufConn) flush() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return false
	}
	if len(c.buf) == 0 {
		c.mu.Unlock()
		return true
	}
	b := c.buf
	c.buf, c.spare = c.spare[:0], nil // b and c.buf never share an array
	c.mu.Unlock()
	_, err := c.Conn.Write(b)
	c.mu.Lock()
	c.spare = b[:0]
	if err != nil && c.err == nil {
		c.err = err
	}
	c.room.Broadcast()
	c.mu.Unlock()
	if err != nil {
		c.Conn.Close()
		return false
	}
	return true
}

// Close writes what is pending (within a second) and closes.
func (c *bufConn) Close() error {
	var err error
	c.once.Do(func() {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.flush()
		c.mu.Lock()
		if c.err == nil {
			c.err = net.ErrClosed
		}
		c.room.Broadcast()
		c.mu.Unlock()
		close(c.done)
		err = c.Conn.Close()
	})
	return err
}
