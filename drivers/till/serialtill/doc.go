// Package serialtill reads the amounts of sales from a till (POS) on a
// serial line, in one of two protocols (Config.Protocol):
//
//   - ProtocolLine ("line"): a line protocol for POS integrators,
//     "AMT 1250 S-0042\r\n" (integer fen, optional reference) answered
//     "OK\r\n" or "ERR <code> <words>\r\n" (line.go).
//   - ProtocolDisplay ("customer_display"): the gateway poses as the
//     POS's customer pole display (顾客显示屏), which most Chinese POS
//     software drives over serial with ESC @, ESC s n and ESC Q A ... CR;
//     the number shown under the 总计 (total) light is the amount
//     (display.go). Nothing is sent back: a display does not answer.
//
// Garbage, partial frames, over-long lines and numbers that are not money
// are skipped with an error saying why, counted, logged and recorded in
// the device status; the reader carries on with the next frame. The port
// is kept open across unplug and replug (serialport.Keeper).
//
// The wiring and both protocols byte by byte: docs/till-api.md; why the
// gateway poses as a customer display: docs/adr/*-serial-till-customer-display.md.
package serialtill
