package voice

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseQuery reads a phrase from the query of GET /api/voice:
//
//	lang=zh-CN|zh-HK|en  kind=approved|full_pay|refused|manual|calling|coming|again|done|cancelled
//	pay=FEN              (approved, full_pay, manual: required, decimal digits, 0..MaxFen)
//	reason=CODE          (refused: optional; a-z and _, at most 40)
//	left=week|month      (approved, refused: optional, the quota left, with
//	left_count=N          meals left 0..MaxCount and/or
//	left_fen=FEN          subsidy left 0..MaxFen)
//
// Each parameter at most once; others are ignored. Errors wrap an error
// that IsBadQuery reports.
func ParseQuery(q url.Values) (Phrase, error) {
	one := func(name string) (string, error) {
		v := q[name]
		if len(v) > 1 {
			return "", fmt.Errorf("%w: %s given %d times", errQuery, name, len(v))
		}
		if len(v) == 0 {
			return "", nil
		}
		return v[0], nil
	}
	var p Phrase
	l, err := one("lang")
	if err != nil {
		return p, err
	}
	k, err := one("kind")
	if err != nil {
		return p, err
	}
	p.Lang, p.Kind = Lang(l), Kind(k)
	if _, ok := texts[p.Lang]; !ok {
		return p, fmt.Errorf("%w: lang %q is not zh-CN, zh-HK or en", errQuery, l)
	}
	if _, ok := texts[p.Lang].kinds[p.Kind]; !ok {
		return p, fmt.Errorf("%w: unknown kind %q", errQuery, k)
	}
	pay, err := one("pay")
	if err != nil {
		return p, err
	}
	if p.Kind.carriesPay() {
		if pay == "" || len(pay) > 9 {
			return p, fmt.Errorf("%w: pay (fen) is missing or too long", errQuery)
		}
		for _, c := range pay {
			if c < '0' || c > '9' {
				return p, fmt.Errorf("%w: pay %q is not a number of fen", errQuery, pay)
			}
		}
		p.PayFen, _ = strconv.ParseInt(pay, 10, 64) // at most 9 digits: fits
		if p.PayFen > MaxFen {
			return p, fmt.Errorf("%w: pay %d fen is too large", errQuery, p.PayFen)
		}
	}
	if p.Left, err = parseLeft(p.Kind, one); err != nil {
		return p, err
	}
	reason, err := one("reason")
	if err != nil {
		return p, err
	}
	if p.Kind == KindRefused {
		if len(reason) > 40 {
			return p, fmt.Errorf("%w: reason is too long", errQuery)
		}
		for _, c := range reason {
			if (c < 'a' || c > 'z') && c != '_' {
				return p, fmt.Errorf("%w: reason %q is not a reason code", errQuery, reason)
			}
		}
		p.Reason = reason
	}
	return p, nil
}

// parseLeft reads the quota left (left, left_count, left_fen) of a kind
// that reads it; the counts are read only with left.
func parseLeft(k Kind, one func(string) (string, error)) (Left, error) {
	var l Left
	period, err := one("left")
	if err != nil || period == "" || !k.carriesLeft() {
		return l, err
	}
	if period != PeriodWeek && period != PeriodMonth {
		return l, fmt.Errorf("%w: left %q is not week or month", errQuery, period)
	}
	l.Period = period
	num := func(name string, limit int64) (int64, bool, error) {
		v, err := one(name)
		if err != nil || v == "" {
			return 0, false, err
		}
		if len(v) > 9 || strings.Trim(v, "0123456789") != "" {
			return 0, false, fmt.Errorf("%w: %s %q is not a whole number", errQuery, name, v)
		}
		n, _ := strconv.ParseInt(v, 10, 64) // at most 9 digits: fits
		if n > limit {
			return 0, false, fmt.Errorf("%w: %s %d is above %d", errQuery, name, n, limit)
		}
		return n, true, nil
	}
	if l.Count, l.Meals, err = num("left_count", MaxCount); err != nil {
		return l, err
	}
	if l.Fen, l.Subsidy, err = num("left_fen", MaxFen); err != nil {
		return l, err
	}
	if !l.Meals && !l.Subsidy {
		return l, fmt.Errorf("%w: left without left_count or left_fen", errQuery)
	}
	return l, nil
}

// IsBadQuery reports whether err comes from a malformed query.
func IsBadQuery(err error) bool { return errors.Is(err, errQuery) }
