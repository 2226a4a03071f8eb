package eldergate

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Resident ID numbers (公民身份号码, GB 11643-1999): 18 characters, the
// 6-digit area code of the place of first registration, the birth date
// YYYYMMDD, a 3-digit sequence (odd for men, even for women) and a check
// character computed by ISO 7064 MOD 11-2 over the first 17 digits:
// weights 2^(17-i) mod 11, the weighted sum mod 11 indexing "10X98765432".
//
// This file holds the one rule of the module: the card drivers, the
// gateway, the roster import and the cloud API all use it. The rule is pure
// (no clock): it checks the shape, that the birth date is a calendar date
// from 1800 on, and the check character; it does not check the area code
// (codes are retired and reused) nor that the birth date is in the past.

// ResidentIDLen is the length of a resident ID number.
const ResidentIDLen = 18

const residentIDCheckChars = "10X98765432" // indexed by the weighted sum mod 11

var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ResidentIDError says, in words, what is wrong with a resident ID number.
// It ends up in logs, error replies and import reports, so it never holds
// the number in the clear: at most the number masked by MaskID.
type ResidentIDError struct {
	Masked  string // MaskID of the number, or "" (NormalizeResidentID leaves it empty)
	Problem string // e.g. "has 17 characters, want 18"
	// Code names the problem for a screen to say it in its language:
	// length, not_digit (At: the 1-based position), last_char,
	// birth_date, birth_before_1800 or check_char.
	Code string
	At   int
}

func (e *ResidentIDError) Error() string {
	if e.Masked != "" {
		return "resident ID number " + e.Masked + ": " + e.Problem
	}
	return "resident ID number: " + e.Problem
}

// Is makes errors.Is(err, ErrResidentID) true for every ResidentIDError.
func (e *ResidentIDError) Is(target error) bool { return target == ErrResidentID }

// ErrResidentID matches (errors.Is) every error of NormalizeResidentID and
// ResidentIDCheckChar.
var ErrResidentID = errors.New("resident ID number: not valid")

func residentIDErr(code, problem string) error { return &ResidentIDError{Code: code, Problem: problem} }

// ResidentIDCheckChar returns the check character ('0'..'9' or 'X') of the
// first 17 digits of a resident ID number.
func ResidentIDCheckChar(first17 string) (byte, error) {
	if len(first17) != ResidentIDLen-1 {
		return 0, residentIDErr("length", "body has "+strconv.Itoa(len(first17))+" characters, want 17 digits")
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, &ResidentIDError{Code: "not_digit", At: i + 1, Problem: "character " + strconv.Itoa(i+1) + " is not a digit"}
		}
		sum += int(c-'0') * residentIDWeights[i]
	}
	return residentIDCheckChars[sum%11], nil
}

// NormalizeResidentID checks a resident ID number and returns it in its
// canonical form: surrounding white space trimmed, the check character X
// upper-case. It rejects, with a *ResidentIDError in words:
//   - a length other than 18 characters;
//   - a non-digit among the first 17 characters, or a last character
//     other than a digit or X;
//   - a birth date (characters 7 to 14) that is not a calendar date from
//     1800-01-01 on;
//   - a check character that does not match the first 17 digits.
func NormalizeResidentID(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != ResidentIDLen {
		return "", residentIDErr("length", "has "+strconv.Itoa(len(s))+" characters, want 18")
	}
	want, err := ResidentIDCheckChar(s[:17])
	if err != nil {
		return "", err
	}
	if c := s[17]; !(c >= '0' && c <= '9' || c == 'X') {
		return "", residentIDErr("last_char", "last character is not a digit or X")
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil {
		return "", residentIDErr("birth_date", "birth date (characters 7 to 14) is not a calendar date")
	}
	if birth.Year() < 1800 {
		return "", residentIDErr("birth_before_1800", "birth date (characters 7 to 14) is before 1800")
	}
	if s[17] != want {
		return "", residentIDErr("check_char", "check character does not match the first 17 digits (GB 11643, ISO 7064 MOD 11-2)")
	}
	return s, nil
}

// ResidentIDBirth returns the birth date of a resident ID number checked
// by NormalizeResidentID as "YYYY-MM-DD" (the format of Elder.Birth), or
// "" for a value that is not ID-shaped.
func ResidentIDBirth(id string) string {
	if !LooksLikeResidentID(id) {
		return ""
	}
	return id[6:10] + "-" + id[10:12] + "-" + id[12:14]
}

// LooksLikeResidentID reports whether v (normalised) has the shape of a
// resident ID number: 17 digits and a digit or X. It is not a validity
// check (use NormalizeResidentID): the gateway uses it to keep anything
// ID-shaped out of its store in the clear, valid or not. Card UIDs never
// have 18 hex digits (they are 4, 7 or 10 bytes), so such a value read at
// the reader is a resident ID number whatever reader read it.
func LooksLikeResidentID(v string) bool {
	if len(v) != ResidentIDLen {
		return false
	}
	for i := 0; i < 17; i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return v[17] >= '0' && v[17] <= '9' || v[17] == 'X'
}
