package mtsics

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
)

// Errors for the balance's replies.
var (
	ErrNotExecutable = errors.New("mtsics: command understood but not executable now (balance busy or weight not stable)")
	ErrAboveRange    = errors.New("mtsics: upper limit exceeded (overload or above the zero/tare range)")
	ErrBelowRange    = errors.New("mtsics: lower limit exceeded (underload or below the zero/tare range)")
	ErrSyntax        = errors.New("mtsics: ES syntax error: the balance did not recognise the command")
	ErrTransmission  = errors.New("mtsics: ET transmission error: the balance received a faulty command (parity, framing)")
	ErrLogical       = errors.New("mtsics: EL logical error: the balance cannot execute the command")
	ErrReply         = errors.New("mtsics: malformed reply")
)

// Reply is one response line split into its fields.
type Reply struct {
	ID     string // command the reply belongs to ("S", "Z", "T", "TAC") or "ES", "ET", "EL"
	Status string // "S", "D", "A", "I", "+", "-", "L" ... or "" for ES/ET/EL
	Value  string // weight value, for replies that carry one
	Unit   string // unit of Value
}

// ParseReply splits a response line (without CR LF) into its fields:
// ID, status, and for weight replies the value and the unit. A sign
// separated from its digits by spaces is joined to them.
func ParseReply(line []byte) (Reply, error) {
	if len(line) > 64 {
		return Reply{}, fmt.Errorf("%w: %d bytes: %q", ErrReply, len(line), line)
	}
	for _, c := range line {
		if c < 0x20 || c > 0x7e {
			return Reply{}, fmt.Errorf("%w: byte 0x%02x in %q", ErrReply, c, line)
		}
	}
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return Reply{}, fmt.Errorf("%w: empty line", ErrReply)
	}
	r := Reply{ID: f[0]}
	switch r.ID {
	case "ES", "ET", "EL":
		if len(f) != 1 {
			return Reply{}, fmt.Errorf("%w: %q", ErrReply, line)
		}
		return r, nil
	}
	if len(f) < 2 {
		return Reply{}, fmt.Errorf("%w: no status: %q", ErrReply, line)
	}
	r.Status = f[1]
	rest := f[2:]
	if len(rest) >= 2 && (rest[0] == "-" || rest[0] == "+") {
		rest = append([]string{rest[0] + rest[1]}, rest[2:]...)
	}
	switch len(rest) {
	case 0:
	case 2:
		r.Value, r.Unit = rest[0], rest[1]
	default:
		return Reply{}, fmt.Errorf("%w: %q", ErrReply, line)
	}
	return r, nil
}

// Err returns the error a reply stands for, or nil for a success
// status ("S", "D", "A").
func (r Reply) Err() error {
	switch r.ID {
	case "ES":
		return ErrSyntax
	case "ET":
		return ErrTransmission
	case "EL":
		return ErrLogical
	}
	switch r.Status {
	case "S", "D", "A":
		return nil
	case "I":
		return fmt.Errorf("%w (%s I)", ErrNotExecutable, r.ID)
	case "+":
		return fmt.Errorf("%w (%s +)", ErrAboveRange, r.ID)
	case "-":
		return fmt.Errorf("%w (%s -)", ErrBelowRange, r.ID)
	case "L":
		return fmt.Errorf("%w (%s L)", ErrLogical, r.ID)
	}
	return fmt.Errorf("%w: unknown status %q of %s", ErrReply, r.Status, r.ID)
}

// ParseWeight parses the reply to S or SI into a weight. Overload ("S +")
// and underload ("S -") are readings; "S I", ES, ET, EL, unknown units
// and malformed lines are errors.
func ParseWeight(line []byte) (scale.Weight, error) {
	r, err := ParseReply(line)
	if err != nil {
		return scale.Weight{}, err
	}
	w, err := replyWeight(r)
	if err != nil {
		return scale.Weight{}, fmt.Errorf("%w (reply %q)", err, line)
	}
	return w, nil
}

// replyWeight turns a parsed S/SI reply into a weight.
func replyWeight(r Reply) (scale.Weight, error) {
	var w scale.Weight
	switch {
	case r.ID == "S" && r.Status == "S":
		w.State = scale.Stable
	case r.ID == "S" && r.Status == "D":
		w.State = scale.Unstable
	case r.ID == "S" && r.Status == "+" && r.Value == "":
		return scale.Weight{State: scale.Overload}, nil
	case r.ID == "S" && r.Status == "-" && r.Value == "":
		return scale.Weight{State: scale.Underload}, nil
	default:
		if err := r.Err(); err != nil {
			return scale.Weight{}, err
		}
		return scale.Weight{}, fmt.Errorf("%w: not a weight reply: %+v", ErrReply, r)
	}
	if r.Value == "" {
		return scale.Weight{}, fmt.Errorf("%w: weight reply without weight", ErrReply)
	}
	g, err := weight.Parse(r.Value, r.Unit)
	if err != nil {
		return scale.Weight{}, fmt.Errorf("mtsics: %w", err)
	}
	w.Grams = g
	return w, nil
}

// replyID is the ID of the reply to command cmd.
func replyID(cmd string) string {
	if cmd == "SI" {
		return "S"
	}
	return cmd
}
