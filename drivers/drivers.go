// Package drivers holds what every device family shares. Each family
// (card/, scale/, button/) defines a small interface that real protocol
// drivers (MFRC522, Wiegand, RDM6300, MT-SICS, GPIO, ...) implement, and a
// scriptable simulated implementation in a sibling xxxsim package.
//
// Drivers are hardware only: no business logic. They follow one shape:
//
//	Run(ctx, fn) error // blocks, calls fn for each event, until ctx is done or Close
//	Status() Status    // current device status
//	Close() error      // releases the device; Run returns
//
// The owner calls Run in a goroutine it owns and waits for it to return.
// Callbacks are called from that goroutine, one at a time.
package drivers

import (
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Run and by simulated inputs once the driver is closed.
var ErrClosed = errors.New("drivers: closed")

// Status is the state of one device, reported by every driver so that an
// unplugged or failing device is visible.
type Status struct {
	Name      string    `json:"name"`      // device name from the configuration
	Driver    string    `json:"driver"`    // e.g. "sim", "rdm6300"
	Connected bool      `json:"connected"` // the device answers
	Err       string    `json:"error,omitempty"`
	Since     time.Time `json:"since"` // when Connected last changed
	// Last is what the device last delivered, in words, for drivers that
	// report it (a till: "12.50 ref S-0042"); LastAt is when.
	Last   string     `json:"last,omitempty"`
	LastAt *time.Time `json:"last_at,omitempty"`
}

// Tracker keeps a driver's Status and tells an observer about every
// change. Real drivers embed one; the zero value is not usable, use
// NewTracker.
type Tracker struct {
	mu       sync.Mutex
	st       Status
	now      func() time.Time
	onChange func(Status)
}

// NewTracker returns a tracker for device name served by driver. onChange,
// if not nil, is called (outside the tracker's lock) after every change.
func NewTracker(name, driver string, now func() time.Time, onChange func(Status)) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{st: Status{Name: name, Driver: driver, Since: now().UTC()}, now: now, onChange: onChange}
}

// Status returns the current status.
func (t *Tracker) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// Set records connected and err (nil for no error). Nothing is reported
// when neither changed.
func (t *Tracker) Set(connected bool, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	t.mu.Lock()
	if t.st.Connected == connected && t.st.Err == msg {
		t.mu.Unlock()
		return
	}
	if t.st.Connected != connected {
		t.st.Since = t.now().UTC()
	}
	t.st.Connected, t.st.Err = connected, msg
	st, fn := t.st, t.onChange
	t.mu.Unlock()
	if fn != nil {
		fn(st)
	}
}

// SetLast records what the device delivered last (Status.Last) and err
// (nil: the delivery was good); the device stays connected. A rejected
// frame records its reason in Err until the next good delivery.
func (t *Tracker) SetLast(last string, err error) {
	t.mu.Lock()
	at := t.now().UTC()
	if last != "" {
		t.st.Last, t.st.LastAt = last, &at
	}
	t.st.Err = ""
	if err != nil {
		t.st.Err = err.Error()
	}
	st, fn := t.st, t.onChange
	t.mu.Unlock()
	if fn != nil {
		fn(st)
	}
}

// Counters holds a driver's statistics of type T (a struct of counts),
// safe for concurrent use: the reading loop adds, Stats methods read.
type Counters[T any] struct {
	mu sync.Mutex
	v  T
}

// Add changes the statistics with fn under the lock.
func (c *Counters[T]) Add(fn func(*T)) {
	c.mu.Lock()
	fn(&c.v)
	c.mu.Unlock()
}

// Get returns a copy of the statistics.
func (c *Counters[T]) Get() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v
}
