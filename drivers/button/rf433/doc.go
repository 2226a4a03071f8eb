// Package rf433 reads emergency pendants and remotes through a serial
// 433 MHz (or 315 MHz) receiver/decoder board: the board demodulates the
// EV1527 or PT2262 family transmission and writes the received 24-bit code
// on its UART (TTL, 9600 8N1 by default; usually behind a CH340/CP2102
// USB adapter, or on the Pi's UART).
//
// # Transmitter codes
//
// EV1527 (and compatible: HS1527, FP527, SMC918 ...) sends a preamble and
// 24 bits: a 20-bit address fixed at the factory and 4 data bits (the
// key); the frame is repeated every ~100 ms for as long as the key is
// held (EV1527 datasheet, "Code bits" / "Data transmission"). PT2262 sends
// 12 tri-state bits; decoder boards report them as 24 bits as well. The
// canonical form of a code here is six upper-case hex digits ("A1B2C3").
//
// # Framings (Config.Format)
//
// "fd": FD c1 c2 c3 DF, binary. This is the "RF decoding module, serial
// port directly outputs the remote control source code" (2 x 2 cm board,
// 3.3-5.5 V, pins VCC TXD RXD GND BY, solder point T) sold on Taobao,
// AliExpress and eBay as 433M/315M 无线串口解码模块 for 2260/2262/2240/
// 2264/1527/1520/SMC918/FP527 transmitters. Its listing says: 9600 bps by
// default (9600/19200/57600/115200 selectable), no parity, 1 stop bit;
// output continuous while a signal is received (default) or once per
// press with T shorted; "each group starts with FD and ends with DF". The
// same listing says the group also carries the transmitter's oscillator
// parameter "with a slight deviation that can be ignored". We could not
// confirm whether some boards send that parameter as a byte before DF;
// "fd6" reads FD c1 c2 c3 x DF for such boards (x ignored). "fd" and
// "fd6" are kept apart on purpose: accepting both in one stream would turn
// a stray FD before a frame into a wrong code. There is no checksum: a
// frame is taken when FD is followed by DF at the frame's last byte;
// anything else is skipped and the stream resynchronises on the next FD.
//
// "ascii": one text line per received code, e.g. "RX:A1B2C3\r\n" or
// "LC:A1B2C3\r\n" (six hex digits; the tag differs between boards: "RX"
// on receiver boards with an STC/ATmega MCU printing the code, "LC" for
// "learning code" on learning-code decoders). We have no manual naming
// those boards, so any tag of 1 to 4 letters followed by ':' is accepted,
// or a bare six-digit line; CR, LF or CR LF end a line.
//
// # Presses
//
// Repeated frames of one code less than the lockout apart (default
// 500 ms) are one press (see Collapser): a burst held for the long-press
// time (default 3 s) is reported as button.Long as soon as that time is
// reached, a shorter burst as button.Short when it ends. Codes are mapped
// to button ids with a code table ("A1B2C3=hall-1,A1B2C8=toilet-2"); an
// unknown code is logged and shown in the device status, never treated as
// an alarm, and with Learn on it is delivered as button "rf:A1B2C3" so an
// installer can enrol pendants with `eldergate-gateway probe`.
//
// # Supervision
//
// Pendants sold for care homes send a periodic check-in and, when their
// battery runs low, a transmission of their own; the EV1527 frame has no
// field for either, so each is a code (usually the same address with
// another key). Config.Reports lists the check-in codes and
// Config.Battery the low-battery codes, per button: they are never
// presses, only button.Alive and button.BatteryLow signals
// (button.Supervised), from which the gateway raises button_silent and
// battery_low alerts.
//
// References: EV1527 datasheet (Silvan Chip, "OTP encoder"); PT2262
// datasheet (Princeton Technology); the decoder board's listing quoted
// above (e.g. the item description at
// https://vi.vipr.ebaydesc.com/itmdesc/176357001235).
package rf433
