package rf433

import (
	"sort"
	"time"

	"github.com/eldergate/eldergate/drivers/button"
)

// Event is one collapsed press of the transmitter sending Code.
type Event struct {
	Code Code
	Kind button.Kind
	// At is when the press began (first frame of the burst) for a short
	// press, and when the long-press time was reached for a long press.
	At time.Time
}

// Collapser turns the repeated frames of a remote (EV1527 transmitters
// repeat their code every ~100 ms for as long as the key is held, and
// many pendants send a burst of repeats even on a tap) into presses. It
// is pure: times are passed in.
//
// Frames of one code less than Lockout apart belong to one burst. A
// burst that lasts Long or more is reported as button.Long as soon as
// that is known; otherwise it is reported as button.Short once it ended
// (no frame for Lockout). So a long press never raises an alarm first,
// and a tap is reported within burst + Lockout.
type Collapser struct {
	Lockout time.Duration // default 500 ms
	Long    time.Duration // 0 or less: no long presses

	active map[Code]*burst
}

type burst struct {
	first, last time.Time
	long        bool
}

func (c *Collapser) lockout() time.Duration {
	if c.Lockout <= 0 {
		return 500 * time.Millisecond
	}
	return c.Lockout
}

// Add records a frame of code received at at. It returns the presses it
// completes (presses of other codes whose bursts ended before at, and a
// long press of code) and whether the frame began a new burst.
func (c *Collapser) Add(code Code, at time.Time) (evs []Event, started bool) {
	evs = c.Expire(at)
	if c.active == nil {
		c.active = map[Code]*burst{}
	}
	b := c.active[code]
	if b == nil {
		b = &burst{first: at, last: at}
		c.active[code] = b
		started = true
	}
	if at.After(b.last) {
		b.last = at
	}
	if c.Long > 0 && !b.long && b.last.Sub(b.first) >= c.Long {
		b.long = true
		evs = append(evs, Event{Code: code, Kind: button.Long, At: b.last})
	}
	return evs, started
}

// Expire ends the bursts that had no frame for Lockout at now and returns
// their short presses, oldest first.
func (c *Collapser) Expire(now time.Time) []Event {
	var evs []Event
	for code, b := range c.active {
		if now.Sub(b.last) >= c.lockout() {
			if !b.long {
				evs = append(evs, Event{Code: code, Kind: button.Short, At: b.first})
			}
			delete(c.active, code)
		}
	}
	sortEvents(evs)
	return evs
}

// Flush ends every burst now (the device went away) and returns the
// short presses, oldest first.
func (c *Collapser) Flush() []Event {
	var evs []Event
	for code, b := range c.active {
		if !b.long {
			evs = append(evs, Event{Code: code, Kind: button.Short, At: b.first})
		}
		delete(c.active, code)
	}
	sortEvents(evs)
	return evs
}

// Next returns when Expire will next have something to do.
func (c *Collapser) Next() (time.Time, bool) {
	var next time.Time
	for _, b := range c.active {
		if t := b.last.Add(c.lockout()); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero()
}

func sortEvents(evs []Event) {
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].At.Equal(evs[j].At) {
			return evs[i].At.Before(evs[j].At)
		}
		return evs[i].Code < evs[j].Code
	})
}
