package drivers

import "time"

// Clock is a driver's time source. Timers are set for an instant, not a
// duration, so that a fake clock in tests can never be advanced between
// reading the time and setting a timer. SystemClock adapts a plain now
// function; drivers/internal/fakeclock is the tests' clock.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock has reached t
	// (at once if it already has).
	At(t time.Time) <-chan time.Time
}

// SystemClock returns a Clock that tells the time with now (time.Now if
// nil) and waits with the runtime's timers.
func SystemClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return systemClock{now}
}

type systemClock struct{ now func() time.Time }

func (c systemClock) Now() time.Time                  { return c.now() }
func (c systemClock) At(t time.Time) <-chan time.Time { return time.After(t.Sub(c.now())) }
