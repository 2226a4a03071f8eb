// Package gpiobutton reads wired emergency buttons (pull cords, bedside
// and toilet call buttons) on GPIO pins, one pin per button.
//
// # Debounce
//
// periph's gpioutil.Debounce ignores its debounce argument, so this
// package does its own lock-out debounce: the first edge that changes a
// button's level is accepted at once (an alarm must not wait for the
// contact to settle) and every further edge of that button is ignored
// for Config.Lockout (default 50 ms). When the lock-out ends, the level
// read after the last edge is taken: a release hidden in a bounce burst
// is not lost, it takes effect at the end of the lock-out. An edge
// exactly at the end of a lock-out is accepted.
//
// Mechanical contacts bounce for a few milliseconds, rarely more than
// 10 ms (Jack Ganssle, "A Guide to Debouncing", 2004, measured typical
// switches); 50 ms covers worn contacts with a margin and is far below
// the time between two deliberate presses.
//
// # Presses
//
//   - button.Short at the first edge of every press (the alarm);
//   - button.Long, in addition, when the button is still held
//     Config.Long after the press (default 3 s; an elder cancelling a
//     false alarm holds the button);
//   - a button held longer than Config.Stuck (default 60 s), or already
//     pressed when Run starts, is stuck: the source's status carries the
//     error "gpiobutton: stuck: <ids> held down" and the button gives no
//     further presses until it is released, which clears the error.
//
// Releases are detected (State.Pressed, State.Since) but not sent as
// presses.
//
// # Wiring
//
// By default buttons are active-low: the contact closes to ground and
// the pin's internal pull-up is enabled (Raspberry Pi: ~50 kΩ). For long
// cables add an external 4.7 kΩ pull-up and a 100 nF capacitor. With
// Config.ActiveHigh the contact closes to 3.3 V and the pull-down is
// enabled. Pins interrupt on both edges (periph gpio.BothEdges).
//
// Each pin is watched by a goroutine owned by Run, blocking in periph's
// WaitForEdge with a bounded timeout (Config.Poll) so that Close and
// cancellation are noticed; edges are stamped with the injected Clock.
package gpiobutton
