// Package cas reads CAS indicators (CI-100A/CI-150A/CI-200A/CI-201A,
// CI-400, CI-600D, PDI, NT-200, DB-II ...) sending the "CAS 22 bytes"
// continuous format over RS-232C.
//
// References: CAS CI-400 Series Owner's Manual, Appendix 1 "Data format,
// 22 Bytes for CAS"; CAS CI-600D manual 10-1 "CAS 22Bytes Format"; CAS
// NT-200 manual 14 "CAS Protocol (22 bytes)". The frame, in ASCII:
//
//	offset  size  field
//	0       2     header1: ST (stable), US (unstable), OL (overload)
//	2       1     ','
//	3       2     header2: GS (gross), NT (net)
//	5       1     ','
//	6       1     device ID (set in the indicator, e.g. '1' = 0x31 for no. 01)
//	7       1     lamp status: bit7 1, bit6 stable, bit5 1 or 0 by model,
//	              bit4 hold, bit3 printer, bit2 gross, bit1 tare, bit0 zero
//	8       1     ','
//	9       8     weight with decimal point, e.g. "000013.5" for 13.5 kg
//	17      1     blank ' '
//	18      2     unit: "kg", " g", " t", "lb"
//	20      2     CR LF
//
// Every field is validated (length, commas, headers, lamp bit 7, blank,
// terminator). ST -> scale.Stable, US -> scale.Unstable, OL with a '-'
// in the data -> scale.Underload, any other OL -> scale.Overload (Grams
// 0). NT sets Weight.Net. Units other than g and kg are errors and the
// frame is skipped. Config.DeviceID, when set, keeps only the frames of
// that device (several indicators on one RS-485 line).
package cas
