// Package printer defines the interface of receipt printers: the gateway
// prints a meal ticket after a decision and shows the printer's status
// (paper out, offline, unplugged) with the other devices. ESC/POS
// printers are in the escpos subpackage.
//
// A printer is not an event source like card readers, scales and buttons:
// it has no Run. Its driver keeps the device (reopening it after an
// unplug) in a goroutine it owns, stopped by Close.
package printer
