package serialtill

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/till"
)

// The line protocol (docs/till-api.md, "Serial till"): ASCII lines ended
// by LF (CR LF and CR are accepted too), one command a line, one answer a
// line ended by CR LF:
//
//	AMT <fen> [<ref>]   the sale's amount in integer fen, and optionally the
//	                    till's reference of the sale (1..128 printable ASCII
//	                    characters, no spaces)   -> OK | ERR <code> <words>
//	PING                link check               -> OK
//
// Codes of ERR: syntax (not a command), amount (not an integer number of
// fen above zero), ref (bad reference), long (line longer than MaxLine),
// busy (an amount already waits for a tap), refused (the gateway refused
// the amount, e.g. above its largest amount).

// MaxLine is the longest command line, terminator excluded.
const MaxLine = 160

// maxFenDigits bounds the amount's digits (99 999 999 fen); the gateway's
// till.max_fen is the business limit.
const maxFenDigits = 8

// ErrFrame is wrapped by every error about a rejected line or frame.
var ErrFrame = errors.New("serialtill: frame rejected")

// Codes of an ERR answer.
const (
	CodeSyntax  = "syntax"
	CodeAmount  = "amount"
	CodeRef     = "ref"
	CodeLong    = "long"
	CodeBusy    = "busy"
	CodeRefused = "refused"
)

// LineError is a rejected line: the code and words of its ERR answer.
type LineError struct {
	Code   string
	Reason string
}

func (e *LineError) Error() string { return "serialtill: " + e.Code + ": " + e.Reason }

// Unwrap makes every LineError an ErrFrame.
func (e *LineError) Unwrap() error { return ErrFrame }

// Answer is the line sent back for e: "ERR <code> <words>\r\n".
func (e *LineError) Answer() string { return "ERR " + e.Code + " " + e.Reason + "\r\n" }

// longLine is the error of a line longer than MaxLine
// (serialport.LongLineError), as the LineError its ERR answer says.
func longLine(err error) *LineError { return &LineError{CodeLong, err.Error()} }

// Command is one parsed command line.
type Command struct {
	Ping bool          // PING: answer OK, nothing else
	Fen  eldergate.Fen // AMT: the amount, > 0
	Ref  string        // AMT: the reference, may be empty
}

// ParseLine parses one command line (without its terminator). Keywords
// are case-insensitive; fields are separated by spaces or tabs.
func ParseLine(line string) (Command, error) {
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < 0x20 && c != '\t') || c >= 0x7F {
			return Command{}, &LineError{CodeSyntax, fmt.Sprintf("byte 0x%02X at %d: only printable ASCII is allowed", c, i+1)}
		}
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return Command{}, &LineError{CodeSyntax, "empty command"}
	}
	switch strings.ToUpper(f[0]) {
	case "PING":
		if len(f) != 1 {
			return Command{}, &LineError{CodeSyntax, "PING takes nothing after it"}
		}
		return Command{Ping: true}, nil
	case "AMT":
	default:
		return Command{}, &LineError{CodeSyntax, fmt.Sprintf("unknown command %q (AMT <fen> [<ref>] or PING)", clip(f[0], 16))}
	}
	if len(f) < 2 {
		return Command{}, &LineError{CodeAmount, "AMT without an amount (AMT 1250 for 12.50 yuan)"}
	}
	if len(f) > 3 {
		return Command{}, &LineError{CodeSyntax, "AMT takes an amount and at most one reference without spaces"}
	}
	num := f[1]
	if len(num) > maxFenDigits || strings.Trim(num, "0123456789") != "" {
		return Command{}, &LineError{CodeAmount, fmt.Sprintf("%q is not an integer number of fen of at most %d digits (1250 for 12.50 yuan, no decimals or sign)", clip(num, 16), maxFenDigits)}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return Command{}, &LineError{CodeAmount, fmt.Sprintf("%q: the amount must be more than zero", clip(num, 16))}
	}
	cmd := Command{Fen: eldergate.Fen(n)}
	if len(f) == 3 {
		if len(f[2]) > till.MaxRef {
			return Command{}, &LineError{CodeRef, fmt.Sprintf("reference longer than %d bytes", till.MaxRef)}
		}
		cmd.Ref = f[2]
	}
	return cmd, nil
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// maxAnswerWords bounds the words of an ERR answer.
const maxAnswerWords = 200

// answerError turns a handler's refusal into a LineError for the till.
func answerError(err error) *LineError {
	code := CodeRefused
	if errors.Is(err, till.ErrBusy) {
		code = CodeBusy
	}
	return &LineError{code, asciiWords(err.Error(), maxAnswerWords)}
}

// asciiWords makes msg one line of printable ASCII of at most n bytes.
func asciiWords(msg string, n int) string {
	var b strings.Builder
	for _, r := range msg {
		if b.Len() >= n {
			break
		}
		if r < 0x20 || r >= 0x7F {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
