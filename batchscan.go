package eldergate

import (
	"bytes"
	"encoding/json"
)

// batchFields is an up batch as encoding/json reads it into the struct
// below (rawBatch), with "v" as a value and a flag instead of a pointer
// (one allocation less per message).
type batchFields struct {
	HasV   bool
	V      int
	GW     string
	Boot   uint64
	Events []Envelope
}

// unmarshalBatch reads a batch with encoding/json: the fallback of
// scanBatchFlat and its oracle (FuzzScanBatchFlat).
func unmarshalBatch(payload []byte) (batchFields, error) {
	var raw struct {
		V      *int       `json:"v"`
		GW     string     `json:"gw"`
		Boot   uint64     `json:"boot"`
		Events []Envelope `json:"events"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return batchFields{}, err
	}
	f := batchFields{GW: raw.GW, Boot: raw.Boot, Events: raw.Events}
	if raw.V != nil {
		f.HasV, f.V = true, *raw.V
	}
	return f, nil
}

// scanBatchFlat reads an up batch of the usual form without reflection:
// the keys of the batch (v, gw, boot, events) and of its events (id, kind,
// gw, site, seq, boot, at, clock, data) spelled exactly and each at most
// once, other keys skipped as encoding/json ignores them, string values of
// printable ASCII without escapes, integers, and data an object (any valid
// JSON inside; kept as a slice of payload, not copied). It reports false
// for anything else — a repeated key, a known key in another case, null,
// an escape, a number with a fraction, nesting deeper than scanMaxDepth,
// more than MaxBatchEvents events, bad JSON — and the caller then uses
// encoding/json (unmarshalBatch), so the result is always what
// encoding/json gives (FuzzScanBatchFlat checks it). gw is the topic's
// gateway, used only to share its string with the events that name it.
// Issue 15: DecodeBatch was about a fifth of the ingester's CPU.
func scanBatchFlat(b []byte, gw string) (batchFields, bool) {
	var f batchFields
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return f, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return f, skipWS(b, i+1) == len(b)
	}
	var seen uint8
	for {
		k0, k1, j, ok := objectKey(b, i)
		if !ok {
			return f, false
		}
		i = j
		var bit uint8
		switch string(b[k0:k1]) {
		case "v":
			bit = 1
			n, j, ok := scanInt(b, i)
			if !ok || int64(int(n)) != n {
				return f, false
			}
			f.HasV, f.V, i = true, int(n), j
		case "gw":
			bit = 2
			s0, s1, j, ok := scanPlainSpan(b, i)
			if !ok {
				return f, false
			}
			f.GW, i = shareString(b[s0:s1], gw), j
		case "boot":
			bit = 4
			n, j, ok := scanUint(b, i)
			if !ok {
				return f, false
			}
			f.Boot, i = n, j
		case "events":
			bit = 8
			evs, j, ok := scanEvents(b, i, gw)
			if !ok {
				return f, false
			}
			f.Events, i = evs, j
		default:
			j, ok := skipUnknown(b, k0, k1, i, "v", "gw", "boot", "events")
			if !ok {
				return f, false
			}
			i = j
		}
		if seen&bit != 0 {
			return f, false
		}
		seen |= bit
		j, more, ok := afterMember(b, i, '}')
		if !ok || !more {
			return f, ok && skipWS(b, j) == len(b)
		}
		i = j
	}
}

// scanEvents reads the array of events at b[i].
func scanEvents(b []byte, i int, gw string) ([]Envelope, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return nil, 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return []Envelope{}, i + 1, true // as encoding/json: empty, not nil
	}
	evs := make([]Envelope, 0, 1)
	for {
		if len(evs) >= MaxBatchEvents {
			return nil, 0, false // DecodeBatch refuses it; the careful path says why
		}
		site := ""
		if len(evs) > 0 {
			site = evs[len(evs)-1].Site
		}
		start := i
		evs = append(evs, Envelope{})
		j, ok := scanEvent(b, i, gw, site, &evs[len(evs)-1])
		if !ok {
			return nil, 0, false
		}
		next, more, ok := afterMember(b, j, ']')
		if !ok {
			return nil, 0, false
		}
		if !more {
			return evs, next, true
		}
		i = next
		if len(evs) == 1 {
			// Size the slice from the first event: the others are
			// usually about as long.
			n := min(1+(len(b)-i)/(j-start+1)+1, MaxBatchEvents)
			evs = append(make([]Envelope, 0, n), evs[0])
		}
	}
}

// scanEvent reads one event object at b[i] into e (a zero Envelope); the
// index after it. gw and site are strings to share when the event names
// the same (the topic's gateway, the previous event's site).
func scanEvent(b []byte, i int, gw, site string, e *Envelope) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	var seen uint16
	for {
		k0, k1, j, ok := objectKey(b, i)
		if !ok {
			return 0, false
		}
		i = j
		var bit uint16
		switch string(b[k0:k1]) {
		case "id", "kind", "gw", "site", "clock":
			s0, s1, j, ok := scanPlainSpan(b, i)
			if !ok {
				return 0, false
			}
			v := b[s0:s1]
			switch string(b[k0:k1]) {
			case "id":
				bit, e.ID = 1<<0, string(v)
			case "kind":
				bit, e.Kind = 1<<1, internKind(v)
			case "gw":
				bit, e.GW = 1<<2, shareString(v, gw)
			case "site":
				bit, e.Site = 1<<3, shareString(v, site)
			case "clock":
				bit = 1 << 4
				switch string(v) {
				case ClockSynced:
					e.Clock = ClockSynced
				case ClockUnsynced:
					e.Clock = ClockUnsynced
				default:
					e.Clock = string(v)
				}
			}
			i = j
		case "seq", "boot":
			n, j, ok := scanUint(b, i)
			if !ok {
				return 0, false
			}
			if b[k0] == 's' {
				bit, e.Seq = 1<<5, n
			} else {
				bit, e.Boot = 1<<6, n
			}
			i = j
		case "at":
			bit = 1 << 7
			_, _, j, ok := scanPlainSpan(b, i)
			// The same method encoding/json calls, on the same bytes.
			if !ok || e.At.UnmarshalJSON(b[i:j]) != nil {
				return 0, false
			}
			i = j
		case "data":
			bit = 1 << 8
			if i >= len(b) || b[i] != '{' {
				return 0, false // not an object: invalid, the careful path says why
			}
			j, ok := skipValue(b, i, 0)
			if !ok {
				return 0, false
			}
			e.Data, i = json.RawMessage(b[i:j:j]), j
		default:
			j, ok := skipUnknown(b, k0, k1, i, "id", "kind", "gw", "site", "seq", "boot", "at", "clock", "data")
			if !ok {
				return 0, false
			}
			i = j
		}
		if seen&bit != 0 {
			return 0, false
		}
		seen |= bit
		j, more, ok := afterMember(b, i, '}')
		if !ok || !more {
			return j, ok
		}
		i = j
	}
}

// skipUnknown skips the value at b[i] of the key b[k0:k1] when
// encoding/json ignores it: no field has that name in any case (the key is
// ASCII, so its case folding is ASCII's). A key that is one of names in
// another case (encoding/json takes it for that field) is for
// encoding/json.
func skipUnknown(b []byte, k0, k1, i int, names ...string) (int, bool) {
	for _, n := range names {
		if bytes.EqualFold(b[k0:k1], []byte(n)) {
			return 0, false
		}
	}
	return skipValue(b, i, 0)
}

// objectKey reads a member's key at b[i] (a string scanPlainSpan takes),
// its colon and the blanks around: the key b[k0:k1] and the index of the
// value.
func objectKey(b []byte, i int) (k0, k1, next int, ok bool) {
	k0, k1, j, ok := scanPlainSpan(b, i)
	if j = skipWS(b, j); !ok || j >= len(b) || b[j] != ':' {
		return 0, 0, 0, false
	}
	return k0, k1, skipWS(b, j+1), true
}

// afterMember reads what follows a member of an object or array that end
// closes: blanks, then a comma (more: next is where the next member
// starts) or end (next is the index after it).
func afterMember(b []byte, i int, end byte) (next int, more, ok bool) {
	switch i = skipWS(b, i); {
	case i >= len(b):
		return 0, false, false
	case b[i] == end:
		return i + 1, false, true
	case b[i] == ',':
		return skipWS(b, i+1), true, true
	}
	return 0, false, false
}

// internKind returns the constant of a known kind (no allocation).
func internKind(v []byte) Kind {
	for _, k := range [...]Kind{KindMeal, KindAlert, KindHeartbeat, KindDevice, KindCmdRes, KindAudit, KindUpdate} {
		if string(v) == string(k) {
			return k
		}
	}
	return Kind(v)
}

// shareString returns s when v spells it, else a new string.
func shareString(v []byte, s string) string {
	if string(v) == s {
		return s
	}
	return string(v)
}

// scanUint reads a JSON integer that is not negative (no sign, at most
// 18 digits, as scanInt) at b[i].
func scanUint(b []byte, i int) (uint64, int, bool) {
	if i >= len(b) || b[i] == '-' {
		return 0, 0, false
	}
	n, j, ok := scanInt(b, i)
	return uint64(n), j, ok
}

// scanMaxDepth bounds the nesting skipValue follows; deeper goes to
// encoding/json.
const scanMaxDepth = 64

// skipValue checks the JSON value at b[i] (any value, strictly as RFC 8259
// and encoding/json read it) and returns the index after it.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		if depth >= scanMaxDepth {
			return 0, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			if c == '{' {
				j, ok := skipString(b, i)
				if i = skipWS(b, j); !ok || i >= len(b) || b[i] != ':' {
					return 0, false
				}
				i = skipWS(b, i+1)
			}
			j, ok := skipValue(b, i, depth+1)
			if !ok {
				return 0, false
			}
			j, more, ok := afterMember(b, j, end)
			if !ok || !more {
				return j, ok
			}
			i = j
		}
	case c == '"':
		return skipString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		return skipNumber(b, i)
	case hasPrefix(b[i:], "true"):
		return i + 4, true
	case hasPrefix(b[i:], "false"):
		return i + 5, true
	case hasPrefix(b[i:], "null"):
		return i + 4, true
	}
	return 0, false
}

// skipString checks the JSON string at b[i]: no control character, only
// the escapes JSON has. Other bytes pass, as encoding/json lets them pass
// into a json.RawMessage.
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			j++
			if j >= len(b) {
				return 0, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return 0, false
					}
				}
				j += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// skipNumber checks the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
