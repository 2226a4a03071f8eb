// Package output drives the gateway's GPIO outputs: a buzzer and LEDs
// playing on/off patterns, and relays.
//
// A Player plays Patterns on one gpio.PinOut: Alarm (200 ms on, 200 ms
// off, until stopped), OK (one 100 ms beep), Error (three 100 ms beeps),
// Blink, Heartbeat, Solid, Pulse, or any custom sequence of Steps. Start
// replaces the pattern being played; Stop switches the output off. The
// Player owns one goroutine, started by NewPlayer and stopped by Close,
// which switches the output off. Step deadlines are absolute, so a late
// wake-up never stretches a pattern, and time comes from an injected
// Clock, so tests are exact and fast.
//
// A Relay switches one pin on, off, or on for a duration (Pulse), e.g. a
// door strike or a warning light.
//
// # Hardware
//
// A Raspberry Pi pin gives 3.3 V and at most ~16 mA: drive an active
// buzzer (with its own oscillator; a passive buzzer would need PWM) and
// relays through a transistor or a driver board. Many relay boards switch
// on when their input is low: set Config.ActiveLow. A failed pin write
// is returned and shown in Status (disconnected, with the error) until a
// write succeeds.
//
// References: periph.io/x/conn/v3/gpio (PinOut.Out); Raspberry Pi
// "GPIO and the 40-pin header" documentation (3.3 V logic, current
// limits).
package output
