// Package mtsics drives METTLER TOLEDO balances and weigh modules through
// MT-SICS, the METTLER TOLEDO Standard Interface Command Set (levels 0
// and 1), over RS-232 or a USB serial adapter.
//
// References: MT-SICS Reference Manual for Excellence balances
// (XP/XS/XA), section 2.1 "Command formats" and 2.1.2 "Balance response
// formats", section 3 for the commands S, SI, Z, T and TAC; MT-SICS
// Reference Manual for weigh modules, same command set.
//
// Commands and responses are ASCII lines terminated with CR LF. The
// driver polls the weight with SI (immediate weight, default) or S
// (stable weight) at Config.Interval, each with a response timeout:
//
//	SI      -> S S      100.00 g   stable weight
//	           S D      100.01 g   dynamic (unstable) weight
//	           S I                 command not executable now
//	           S +                 overload (above the weighing range)
//	           S -                 underload (below the weighing range)
//	Z       -> Z A                 zero set
//	           Z I / Z + / Z -     not executable / upper / lower limit of
//	                               the zero setting range exceeded
//	T       -> T S      100.00 g   taring done, tare weight
//	           T I / T + / T -     not executable / upper / lower limit
//	TAC     -> TAC A               tare cleared;  TAC I not executable
//	any     -> ES / ET / EL        syntax / transmission / logical error
//
// Weights are converted to integer grams exactly (drivers/scale/internal/
// weight: halves rounded away from zero); units other than g and kg are
// errors and the reading is skipped. MT-SICS weights are always the
// displayed (net) value; Weight.Net is false because the protocol does
// not say whether a tare is set.
//
// Zero, Tare and ClearTare are executed between two polls by the Run
// loop, which owns the line; they return errors wrapping ErrNotExecutable,
// ErrAboveRange, ErrBelowRange, ErrSyntax, ErrTransmission, ErrLogical,
// ErrNoReply or ErrNotConnected. A balance that stops answering is shown
// as disconnected (with ErrNoReply) after Config.MaxMissed polls without
// reply, and as connected again as soon as it answers; an unplugged
// adapter is reopened by the serial keeper.
package mtsics
