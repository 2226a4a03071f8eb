// Package serialtest gives serial driver tests a real serial device: a
// pseudo-terminal pair whose slave end sits behind a stable path (like
// /dev/ttyUSB0), opened by the driver through tarm/serial exactly as on a
// gateway. The test plays the device on the master end, and can unplug
// and plug it back (the pty closed and a new one put behind the path).
package serialtest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Device is a simulated serial device.
type Device struct {
	t    testing.TB
	path string

	mu     sync.Mutex
	master *os.File
	slave  *os.File
}

// New creates a plugged-in device; it is removed when the test ends.
func New(t testing.TB) *Device {
	t.Helper()
	d := &Device{t: t, path: filepath.Join(t.TempDir(), "ttyUSB0")}
	d.Plug()
	t.Cleanup(d.Unplug)
	return d
}

// Path is the device path the driver opens.
func (d *Device) Path() string { return d.path }

// Plug creates a new pty pair and puts its slave behind Path.
func (d *Device) Plug() {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.master != nil {
		return
	}
	m, s, err := pty.Open()
	if err != nil {
		d.t.Fatalf("serialtest: open pty: %v", err)
	}
	// Raw mode from the start, so nothing written before the driver opens
	// the port is translated by the line discipline.
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil {
		d.t.Fatalf("serialtest: get termios: %v", err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	if err := unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio); err != nil {
		d.t.Fatalf("serialtest: set termios: %v", err)
	}
	// creack/pty put the master in blocking mode (File.Fd does), which
	// disables read deadlines; use a non-blocking duplicate so that
	// ReadUntil's timeout works.
	nfd, err := unix.Dup(int(m.Fd()))
	if err != nil {
		d.t.Fatalf("serialtest: dup master: %v", err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		d.t.Fatalf("serialtest: nonblock: %v", err)
	}
	name := m.Name()
	m.Close()
	m = os.NewFile(uintptr(nfd), name)
	_ = os.Remove(d.path)
	if err := os.Symlink(s.Name(), d.path); err != nil {
		d.t.Fatalf("serialtest: symlink: %v", err)
	}
	d.master, d.slave = m, s
}

// Unplug closes the pty (the driver's reads fail) and removes Path, as
// when a USB adapter is pulled out.
func (d *Device) Unplug() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.master == nil {
		return
	}
	_ = os.Remove(d.path)
	d.master.Close()
	d.slave.Close()
	d.master, d.slave = nil, nil
}

// Write sends bytes from the device to the driver.
func (d *Device) Write(b []byte) {
	d.t.Helper()
	d.mu.Lock()
	m := d.master
	d.mu.Unlock()
	if m == nil {
		d.t.Fatal("serialtest: write to an unplugged device")
	}
	if _, err := m.Write(b); err != nil {
		d.t.Fatalf("serialtest: write: %v", err)
	}
}

// ErrTimeout is returned by ReadUntil when nothing matching arrived in time.
var ErrTimeout = errors.New("serialtest: timeout")

// ReadUntil reads what the driver wrote to the device until the bytes end
// with suffix or timeout passes; it returns what it read.
func (d *Device) ReadUntil(suffix []byte, timeout time.Duration) ([]byte, error) {
	d.mu.Lock()
	m := d.master
	d.mu.Unlock()
	if m == nil {
		return nil, errors.New("serialtest: device unplugged")
	}
	deadline := time.Now().Add(timeout)
	var got []byte
	buf := make([]byte, 256)
	for {
		if err := m.SetReadDeadline(deadline); err != nil {
			return got, err
		}
		n, err := m.Read(buf)
		got = append(got, buf[:n]...)
		if bytes.HasSuffix(got, suffix) {
			return got, nil
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return got, ErrTimeout
			}
			return got, err
		}
	}
}
