// Package and reads A&D balances and scales (GF, GX, FX, EK, HL, SJ, GH,
// ...) sending the "A&D standard format" continuously over RS-232C.
//
// References:
//   - A&D GX-A Series / GF-A Series Communication Manual, 7-2 "Weighing
//     data format": "ST,+00123.45  g" CR LF — a 2-character header, a
//     comma, 9 characters of data padded with the polarity sign and
//     zeros, a 3-character unit, terminator CR LF (or CR). Headers: ST
//     stable, US unstable, QT counting mode when stable, OL overload.
//   - A&D GX series instruction manual, 10-8 "Data format examples":
//     stable "ST,+00001.27  g", unstable "US,-00183.69  g", overload
//     positive error "OL,+9999999E+19", overload negative error
//     "OL,-9999999E+19" (no unit).
//
// Readings: ST -> scale.Stable, US -> scale.Unstable, OL with '+' ->
// scale.Overload, OL with '-' -> scale.Underload (Grams 0). QT (counting
// pieces) and units other than g and kg are reported as errors and the
// frame is skipped. Decimal values are converted to integer grams by
// drivers/scale/internal/weight (halves rounded away from zero). The
// format does not say gross or net, so Net is always false.
//
// Line noise before a header on the same line is skipped, so a frame
// survives garbage sent before it; a malformed frame is logged and
// skipped, and the stream goes on with the next line.
package and
