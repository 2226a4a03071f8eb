// Package evdev reads USB keyboard-wedge card readers (readers that
// "type" the card number followed by Enter, as a USB HID keyboard)
// through the Linux input event interface, /dev/input/eventN; use the
// stable /dev/input/by-id/usb-...-event-kbd path.
//
// The device is grabbed (ioctl EVIOCGRAB) so that the keystrokes reach
// only this driver and never the kiosk's browser or a console.
//
// # Protocol
//
// References: the Linux kernel's Documentation/input/input.rst ("Event
// interface") and include/uapi/linux/input.h (struct input_event),
// include/uapi/linux/input-event-codes.h (EV_KEY, KEY_* codes). Each
// read returns whole struct input_event records in the machine's byte
// order (little-endian on every supported board):
//
//	struct input_event {           64-bit   32-bit (armhf)
//	    struct timeval time;       16 bytes  8 bytes (tv_sec, tv_usec)
//	    __u16 type;                 2         2
//	    __u16 code;                 2         2
//	    __s32 value;                4         4
//	};                             24 bytes 16 bytes
//
// A key press is type EV_KEY (1) with value 1 (0 is release, 2 is
// autorepeat); readers also send EV_MSC/MSC_SCAN and EV_SYN records,
// which are ignored. The decoder maps KEY_0..KEY_9, the keypad digits,
// KEY_A..KEY_F, KEY_X (ID numbers), comma, minus and space to characters,
// ignores Shift, and ends a credential at KEY_ENTER or KEY_KPENTER; the
// text is then normalised with card.Format (hex, dec10, wiegand or id).
// Another key, a credential longer than MaxLen, or a pause longer than
// Gap inside a credential makes that credential rejected with an error.
//
// # Device
//
// The reader reopens the device with backoff after it vanished (USB
// unplug: the read fails with ENODEV and the path disappears), reporting
// disconnected, and resumes when it is back.
package evdev
