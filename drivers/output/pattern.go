package output

import (
	"errors"
	"fmt"
	"time"
)

// Step is one level of a pattern held for a while.
type Step struct {
	On bool
	// For is how long the level is held. Zero holds it until the pattern
	// is stopped or replaced; only the last step of a pattern that does
	// not repeat may hold.
	For time.Duration
}

// Pattern is a sequence of steps, played once or repeated until stopped.
// When a pattern that does not repeat ends, the output is switched off.
type Pattern struct {
	Name   string
	Steps  []Step
	Repeat bool
}

// Validate checks that p can be played: at least one step, no negative
// durations, a holding step only at the end of a pattern that does not
// repeat, and a repeating pattern that takes time.
func (p Pattern) Validate() error {
	if len(p.Steps) == 0 {
		return fmt.Errorf("output: pattern %q has no steps", p.Name)
	}
	var total time.Duration
	for i, s := range p.Steps {
		if s.For < 0 {
			return fmt.Errorf("output: pattern %q step %d has a negative duration", p.Name, i+1)
		}
		if s.For == 0 && (p.Repeat || i != len(p.Steps)-1) {
			return fmt.Errorf("output: pattern %q step %d holds forever but is not the last step of a pattern played once", p.Name, i+1)
		}
		total += s.For
	}
	if p.Repeat && total <= 0 {
		return errors.New("output: a repeating pattern must take time")
	}
	return nil
}

func beeps(name string, n int, on, off time.Duration) Pattern {
	p := Pattern{Name: name}
	for i := 0; i < n; i++ {
		if i > 0 {
			p.Steps = append(p.Steps, Step{On: false, For: off})
		}
		p.Steps = append(p.Steps, Step{On: true, For: on})
	}
	return p
}

// Alarm: 200 ms on, 200 ms off, repeated until stopped (an emergency
// button was pressed).
func Alarm() Pattern {
	return Pattern{Name: "alarm", Repeat: true, Steps: []Step{{On: true, For: 200 * time.Millisecond}, {On: false, For: 200 * time.Millisecond}}}
}

// OK: one 100 ms beep (a card was accepted).
func OK() Pattern { return beeps("ok", 1, 100*time.Millisecond, 0) }

// Error: three short beeps, 100 ms on and 100 ms off (a card was refused).
func Error() Pattern { return beeps("error", 3, 100*time.Millisecond, 100*time.Millisecond) }

// Blink: on for on, off for off, repeated (an LED showing a state).
func Blink(on, off time.Duration) Pattern {
	return Pattern{Name: "blink", Repeat: true, Steps: []Step{{On: true, For: on}, {On: false, For: off}}}
}

// Heartbeat: a 50 ms flash every 2 s (an LED showing the gateway is alive).
func Heartbeat() Pattern {
	return Pattern{Name: "heartbeat", Repeat: true, Steps: []Step{{On: true, For: 50 * time.Millisecond}, {On: false, For: 1950 * time.Millisecond}}}
}

// Solid: on until stopped.
func Solid() Pattern { return Pattern{Name: "on", Steps: []Step{{On: true}}} }

// Pulse: on for d, then off (a door strike relay).
func Pulse(d time.Duration) Pattern { return Pattern{Name: "pulse", Steps: []Step{{On: true, For: d}}} }

// Named returns a predefined pattern by name, for configurations: alarm,
// ok, error, blink (500 ms on, 500 ms off), fastblink (100 ms / 100 ms),
// heartbeat, on.
func Named(name string) (Pattern, error) {
	switch name {
	case "alarm":
		return Alarm(), nil
	case "ok":
		return OK(), nil
	case "error":
		return Error(), nil
	case "blink":
		return Blink(500*time.Millisecond, 500*time.Millisecond), nil
	case "fastblink":
		p := Blink(100*time.Millisecond, 100*time.Millisecond)
		p.Name = "fastblink"
		return p, nil
	case "heartbeat":
		return Heartbeat(), nil
	case "on":
		return Solid(), nil
	}
	return Pattern{}, fmt.Errorf("output: unknown pattern %q (known: alarm, ok, error, blink, fastblink, heartbeat, on)", name)
}
