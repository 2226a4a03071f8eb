// Package wiegand reads card readers with a Wiegand interface (26-bit and
// 34-bit formats) on two GPIO lines, D0 and D1.
//
// # Protocol
//
// References: SIA AC-01 "Access Control Standard Protocol for the 26-Bit
// Wiegand Reader Interface" (1996); HID Global, "Understanding Card Data
// Formats" (Technology Basics White Paper), formats H10301 (26-bit) and
// H10306 (34-bit).
//
// Both lines idle high (+5 V; use a level shifter or divider to 3.3 V on
// a Raspberry Pi). Each bit is a low pulse of 50-100 µs on D0 for a 0 or
// on D1 for a 1; bits follow each other every 1-2 ms. Nothing marks the
// end of a frame: the reader goes quiet. This driver ends a frame after
// Config.Gap (default 25 ms) without a pulse.
//
//	Wiegand 26: P FFFFFFFF CCCCCCCCCCCCCCCC P
//	Wiegand 34: P FFFFFFFFFFFFFFFF CCCCCCCCCCCCCCCC P
//
// The first bit is even parity over the first half of the frame (bits
// 1-13 of 26, 1-17 of 34), the last bit odd parity over the second half.
// F is the facility code (8 or 16 bits), C the card number (16 bits).
//
// Decode is the pure decoder: both parities are checked, any other
// length (a lost pulse, a noise pulse) is an error.
//
// # Bad frames
//
// A bad frame (parity error, wrong bit count, a format other than
// Config.Bits) is never passed on as a read. It is reported three ways:
// counted in Stats (BadFrames, LastError), put into the reader's status
// as its error until the next good frame (Status().Err, visible in the
// gateway's device status), and given to Config.OnBadFrame. It is also
// logged as a warning.
//
// # Credential
//
// The credential is card.FromWiegand of the data bits (parity removed):
// upper-case hex, 6 digits for Wiegand 26 (facility 123, card 45678 ->
// "7BB26E"), 8 for Wiegand 34. Config.Order reverses the bytes for
// readers that put the UID little-endian into the frame. The facility and
// card numbers are in Frame.
//
// # Timing
//
// Each line is watched by a goroutine owned by Run, blocking in periph's
// WaitForEdge (falling edges) with a bounded timeout (Config.Poll) so that
// Close and cancellation are noticed. Pulses are stamped with the
// injected Clock. On Linux the edges come from the kernel's GPIO
// character device, which queues them; a lost edge shows up as a frame
// of the wrong length, reported as above.
package wiegand
