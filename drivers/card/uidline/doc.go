// Package uidline reads serial card readers that print each card as a
// plain text line: the UID in ASCII hex ("04A1B2C3", "04112233445566"),
// the 10-digit decimal card number ("0077705923"), or Wiegand
// "facility,card", terminated by CR, LF or CR LF, sometimes with a fixed
// prefix or suffix (e.g. "ID:" or a trailing "#"). Many cheap 13.56 MHz
// and 125 kHz desktop readers with a "serial output" or "RS232/TTL"
// option behave this way; their manuals list the output format as a
// setting (hex or decimal, byte order "normal" or "reversed"), which is
// what Config.Format says.
//
// A line that does not parse (wrong length, non-digits, missing prefix,
// longer than MaxLine) is rejected with a clear error, counted and
// logged, and not delivered; the next line is read normally.
//
// References: the output format sections of such readers' manuals (e.g.
// "output format: 10-digit decimal / 8-digit hex, CR LF terminated");
// there is no standard, hence the settings.
package uidline
