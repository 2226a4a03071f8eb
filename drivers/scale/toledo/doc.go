// Package toledo reads the METTLER TOLEDO "Toledo continuous" output of
// weighing terminals and indicators (IND131/IND331, IND560, IND570,
// Panther, Wildcat, and the many indicators that copy it).
//
// References: METTLER TOLEDO Wildcat Technical Manual, Appendix 2
// "Continuous Mode Output", Table 6-8 (format) and Tables 6-9..6-11
// (status words); IND560 Technical Manual, Appendix C "Continuous
// Output"; Fairbanks 2800 manual, Appendix IV (the same format and
// status word tables). The frame:
//
//	byte   1    STX (0x02)
//	       2    status word A (SWA)
//	       3    status word B (SWB)
//	       4    status word C (SWC)
//	       5-10 displayed weight, 6 digits, no decimal point or sign
//	            (leading zeros may be sent as spaces)
//	      11-16 tare weight, 6 digits, no decimal point
//	      17    CR
//	      18    checksum (only when enabled): the 2's complement of the
//	            seven low-order bits of the sum of bytes 1-17, so that
//	            the sum of bytes 1-18 is 0 modulo 128
//
// SWA: bits 2..0 decimal point: 000 XX00, 001 XX0, 010 XXXX, 011 XXX.X,
// 100 XX.XX, 101 X.XXX, 110 .XXXX, 111 .XXXXX; bits 4,3 increment size
// 01 x1, 10 x2, 11 x5; bit 5 always 1; bit 6 always 0.
// SWB: bit 0 net (1) / gross (0); bit 1 negative; bit 2 out of range
// (over capacity or under zero); bit 3 motion; bit 4 kg (1) / lb (0);
// bit 5 always 1; bit 6 power-up zero not yet captured.
// SWC: bits 2..0 unit: 000 lb or kg per SWB bit 4, 001 g, 010 t,
// 011 oz, 100 ozt, 101 dwt, 110 ton, 111 custom; bit 3 print request;
// bit 4 expanded display x10; bit 5 always 1; bit 6 always 0.
// Bit 7 of every byte is 0 (with 7 data bits it is the parity bit, which
// the UART removes).
//
// Readings: out of range with the sign bit -> scale.Underload, out of
// range without it -> scale.Overload (Grams 0); motion -> scale.Unstable;
// power-up zero not captured -> scale.Unstable (the weight is not
// trustworthy yet); otherwise scale.Stable. Net from SWB bit 0. Units
// other than g and kg (lb, t, oz, ...) and the expanded x10 display (a
// service mode, not legal for trade) are errors and the frame is skipped.
// With Checksum enabled a frame with a wrong or missing checksum is
// rejected; the stream resynchronises on the next STX.
package toledo
