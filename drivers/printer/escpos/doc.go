// Package escpos drives ESC/POS receipt printers (Epson TM series and the
// many Chinese-market 58 mm / 80 mm thermal printers that follow it:
// Xprinter, GPrinter/佳博, HPRT/汉印, Rongta/容大 ...) and lays out the
// meal ticket of a dining hall in Chinese.
//
// # Commands used
//
// From the Epson "ESC/POS Command Reference" (and "ESC/POS Application
// Programming Guide"), https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/:
//
//	ESC @        initialise printer
//	FS &         select Kanji (Chinese) character mode; FS . cancels it
//	ESC a n      justification (0 left, 1 centre, 2 right)
//	ESC E n      emphasized mode
//	GS ! n       character size (width and height multipliers)
//	ESC M n      character font (A 12x24, B 9x17)
//	LF, ESC d n  print and line feed / feed n lines
//	GS V 66 n    feed to the cutting position and (partial) cut
//	DLE EOT n    transmit real-time status: n=1 printer status (bit 3
//	             offline), n=4 roll paper sensor status (bits 2-3 near
//	             end, bits 5-6 paper end); fixed bits 0x12
//
// Text is encoded in GB18030 (golang.org/x/text/encoding/simplifiedchinese),
// a superset of GB2312/GBK that Chinese-market printers print in Chinese
// mode; their fonts cover GB2312 at least (rare characters outside it may
// print as a placeholder). Every multibyte character is printed full
// width, which Width and the ticket layout take into account.
//
// # Paper status
//
// Before a ticket is sent, DLE EOT 1 and DLE EOT 4 are asked (real-time
// commands, answered even when the printer is offline). Paper out fails
// the print with an error wrapping printer.ErrPaperOut, offline with
// printer.ErrOffline, no reply within the timeout with
// printer.ErrNotConnected; nothing of the ticket is sent then, and the
// caller decides whether to print it again. Paper near end prints and is
// shown in the status. Printers without a back channel can be used with
// NoStatus.
//
// # Devices
//
// New speaks over any io.ReadWriter: /dev/usb/lp0 (the usblp driver's
// character device for USB printers, opened with os.OpenFile O_RDWR), a
// TCP socket to port 9100, a serial port. NewSerial keeps a serial
// printer (RS-232, or a USB serial adapter such as CH340 or PL2303) open
// through serialport.Keeper, reopening it after an unplug.
package escpos
