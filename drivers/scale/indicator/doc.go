// Package indicator reads the continuous output of the generic weighing
// indicators found with Chinese platform and counter scales (XK3190
// series, Yaohua A12/A9 "tf=" mode, Keli, CAS "18 bytes for AND", and
// many OEM indicators): one ASCII line per reading,
//
//	ST,GS,+  1.234kg CR LF
//	header1 ST (stable) | US (unstable) | OL (overload)
//	header2 GS (gross) | NT (net)
//	sign, weight with decimal point, unit
//
// References: CAS CI-400/CI-600D/PDI manuals, "18 Bytes for AND" data
// format (header1 , header2 , data 8 bytes, unit 2 bytes, CR LF); the
// XK3190 series indicators' continuous RS-232 output in their user
// manuals, which follow the same layout.
//
// Common variants are accepted: lower case, spaces inside the fields and
// around commas, a sign or none ("+  1.234", "  1.234", "-0.50"), the
// unit attached, separated by spaces or by a comma ("+0001.234,kg"), and
// no header2 ("ST,+0001.234kg", Net false). A line without a unit is
// accepted only when Config.DefaultUnit is set. OL with a '-' sign is
// reported as scale.Underload, any other OL as scale.Overload (Grams 0).
//
// Units other than g and kg, unknown headers, bad numbers and overlong
// lines are reported as errors and the line is skipped. Line noise before
// the header on the same line is dropped.
package indicator
