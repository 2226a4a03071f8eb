package escpos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
)

// fakePrinter plays an ESC/POS printer on one end of a net.Pipe: it
// answers DLE EOT 1 and DLE EOT 4 with its current status bytes (or not
// at all when mute) and keeps every other byte as printed.
type fakePrinter struct {
	conn net.Conn

	mu      sync.Mutex
	s1, s4  byte
	mute    bool
	printed bytes.Buffer
	asked   []byte // n of every DLE EOT n
	done    chan struct{}
}

func newFakePrinter(t *testing.T) (*fakePrinter, net.Conn) {
	a, b := net.Pipe()
	f := &fakePrinter{conn: b, s1: 0x12, s4: 0x12, done: make(chan struct{})}
	go f.run()
	t.Cleanup(func() {
		b.Close()
		<-f.done
	})
	return f, a
}

func (f *fakePrinter) run() {
	defer close(f.done)
	var pend []byte
	buf := make([]byte, 256)
	for {
		n, err := f.conn.Read(buf)
		if err != nil {
			return
		}
		pend = append(pend, buf[:n]...)
		for {
			i := bytes.Index(pend, []byte{DLE, EOT})
			if i < 0 || i+2 >= len(pend) {
				break
			}
			f.mu.Lock()
			f.printed.Write(pend[:i])
			nq := pend[i+2]
			f.asked = append(f.asked, nq)
			reply, mute := f.s1, f.mute
			if nq == 4 {
				reply = f.s4
			}
			f.mu.Unlock()
			pend = pend[i+3:]
			if !mute {
				if _, err := f.conn.Write([]byte{reply}); err != nil {
					return
				}
			}
		}
		if !bytes.Contains(pend, []byte{DLE}) {
			f.mu.Lock()
			f.printed.Write(pend)
			f.mu.Unlock()
			pend = pend[:0]
		}
	}
}

func (f *fakePrinter) set(s1, s4 byte, mute bool) {
	f.mu.Lock()
	f.s1, f.s4, f.mute = s1, s4, mute
	f.mu.Unlock()
}

func (f *fakePrinter) take() ([]byte, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := append([]byte(nil), f.printed.Bytes()...)
	a := f.asked
	f.printed.Reset()
	f.asked = nil
	return p, a
}

func TestPrinterOverReadWriter(t *testing.T) {
	fp, conn := newFakePrinter(t)
	var mu sync.Mutex
	var changes []drivers.Status
	p := New(conn, Options{Name: "receipt", Timeout: 200 * time.Millisecond, OnStatus: func(s drivers.Status) {
		mu.Lock()
		changes = append(changes, s)
		mu.Unlock()
	}})
	ctx := context.Background()
	ticket := Ticket(sampleTicket(t))

	if err := p.Print(ctx, ticket); err != nil {
		t.Fatal(err)
	}
	// net.Pipe hands bytes over synchronously, but the fake stores them
	// after its Read returns.
	waitPrinted := func(want []byte) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		var got []byte
		for time.Now().Before(deadline) {
			b, _ := fp.take()
			got = append(got, b...)
			if bytes.Equal(got, want) {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("printed %d bytes, want the %d-byte ticket", len(got), len(want))
	}
	waitPrinted(ticket)
	if st := p.Status(); !st.Connected || st.Err != "" || st.Driver != "escpos" || st.Name != "receipt" {
		t.Fatalf("status = %+v", st)
	}

	// Paper out (the printer is offline too): a clear paper-out error,
	// nothing printed, the status says so.
	fp.set(0x1A, 0x72, false)
	err := p.Print(ctx, ticket)
	if !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("Print with paper out = %v", err)
	}
	if st := p.Status(); !st.Connected || st.Err == "" {
		t.Fatalf("paper-out status = %+v", st)
	}
	time.Sleep(20 * time.Millisecond)
	if b, asked := fp.take(); len(b) != 0 || !bytes.Equal(asked, []byte{1, 4}) {
		t.Fatalf("paper out: printed % X, asked %v", b, asked)
	}

	// Offline only (cover open).
	fp.set(0x1A, 0x12, false)
	if err := p.Print(ctx, ticket); !errors.Is(err, printer.ErrOffline) {
		t.Fatalf("Print offline = %v", err)
	}

	// Near end: printed, noted.
	fp.set(0x12, 0x1E, false)
	fp.take()
	if err := p.Print(ctx, ticket); err != nil {
		t.Fatalf("Print near end = %v", err)
	}
	waitPrinted(ticket)
	if st, err := p.QueryStatus(ctx); err != nil || st != (Status{PaperNearEnd: true}) {
		t.Fatalf("QueryStatus = %+v, %v", st, err)
	}
	if st := p.Status(); st.Err != "escpos: paper near end" {
		t.Fatalf("near-end status = %+v", st)
	}

	// No answer: not connected, after the timeout.
	fp.set(0x12, 0x12, true)
	start := time.Now()
	if err := p.Print(ctx, ticket); !errors.Is(err, printer.ErrNotConnected) {
		t.Fatalf("Print to a mute printer = %v", err)
	}
	if el := time.Since(start); el < 150*time.Millisecond || el > 3*time.Second {
		t.Fatalf("no-reply took %v, want about the 200 ms timeout", el)
	}
	if st := p.Status(); st.Connected {
		t.Fatalf("mute printer still connected: %+v", st)
	}

	// A noise byte is a bad reply, not a status.
	fp.set(0xFF, 0x12, false)
	if _, err := p.QueryStatus(ctx); !errors.Is(err, ErrBadStatus) {
		t.Fatalf("QueryStatus with noise = %v", err)
	}

	// Answers again: printing resumes.
	fp.set(0x12, 0x12, false)
	fp.take()
	if err := p.Print(ctx, ticket); err != nil {
		t.Fatal(err)
	}
	waitPrinted(ticket)

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := p.Print(ctx, ticket); !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Print after Close = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) < 4 {
		t.Fatalf("status changes = %+v", changes)
	}
}

// eofPort behaves like tarm/serial with a read timeout: Read returns
// io.EOF when nothing came, and it has no deadlines.
type eofPort struct {
	mu        sync.Mutex
	failWrite bool   // writes other than status requests fail
	in        []byte // from the printer
	out       bytes.Buffer
	replies   map[byte]byte
}

func (e *eofPort) Read(b []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.in) == 0 {
		return 0, io.EOF
	}
	n := copy(b, e.in)
	e.in = e.in[n:]
	return n, nil
}

func (e *eofPort) Write(b []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(b) == 3 && b[0] == DLE && b[1] == EOT {
		if r, ok := e.replies[b[2]]; ok {
			e.in = append(e.in, r)
		}
		return 3, nil
	}
	if e.failWrite {
		return 0, errors.New("write: input/output error")
	}
	return e.out.Write(b)
}

func TestPrinterWithoutDeadlines(t *testing.T) {
	port := &eofPort{replies: map[byte]byte{1: 0x12, 4: 0x12}, in: []byte{0x55}} // a stale byte first
	p := New(port, Options{Timeout: 100 * time.Millisecond})
	ticket := Ticket(sampleTicket(t))
	if err := p.Print(context.Background(), ticket); err != nil {
		t.Fatalf("Print = %v (a stale byte must be drained or rejected, not taken as status)", err)
	}
	if !bytes.Equal(port.out.Bytes(), ticket) {
		t.Fatal("ticket not written")
	}
	delete(port.replies, 4)
	if err := p.Print(context.Background(), ticket); !errors.Is(err, printer.ErrNotConnected) {
		t.Fatalf("no paper reply = %v", err)
	}
	// A context deadline shorter than the timeout wins.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	p.opts.Timeout, p.proto.timeout = time.Hour, time.Hour
	if err := p.Print(ctx, ticket); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("Print with a short ctx = %v after %v", err, time.Since(start))
	}
}

func TestPrinterNoStatus(t *testing.T) {
	port := &eofPort{}
	p := New(port, Options{NoStatus: true})
	if err := p.Print(context.Background(), []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if port.out.String() != "hello\n" {
		t.Fatalf("wrote %q", port.out.String())
	}
	if !p.Status().Connected {
		t.Fatal("not connected after a print without status")
	}
}

// TestPrinterWriteFails: the status was fine but the ticket could not be
// written (unplugged in between): an error, and the device disconnected.
func TestPrinterWriteFails(t *testing.T) {
	port := &eofPort{replies: map[byte]byte{1: 0x12, 4: 0x12}, failWrite: true}
	p := New(port, Options{Timeout: 100 * time.Millisecond})
	err := p.Print(context.Background(), []byte("ticket\n"))
	if !errors.Is(err, printer.ErrNotConnected) {
		t.Fatalf("Print = %v", err)
	}
	if st := p.Status(); st.Connected || st.Err == "" {
		t.Fatalf("status = %+v, want disconnected with the error", st)
	}
}
