package eldergate

import (
	"errors"
	"strings"
	"testing"
)

// The valid numbers: GB 11643-1999's own example (check character X), a
// number born in 1880 (the earliest births on cards still in use), one
// with check character 0 and one born on a leap day. Their check
// characters were computed by hand (weighted sum mod 11) and with an
// independent implementation.
func TestNormalizeResidentID(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"GB 11643 example", "11010519491231002X", "11010519491231002X"},
		{"lower-case x", "11010519491231002x", "11010519491231002X"},
		{"white space", " 11010519491231002x\r\n", "11010519491231002X"},
		{"digit check", "440524188001010014", "440524188001010014"},
		{"check 0", "440303194501011230", "440303194501011230"},
		{"check 7", "440303199001011237", "440303199001011237"},
		{"leap day", "440303200002290018", "440303200002290018"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeResidentID(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeResidentID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if !LooksLikeResidentID(got) {
				t.Fatalf("LooksLikeResidentID(%q) = false", got)
			}
		})
	}
}

func TestNormalizeResidentIDRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, problem string }{
		{"empty", "", "has 0 characters, want 18"},
		{"17 characters", "11010519491231002", "has 17 characters, want 18"},
		{"19 characters", "11010519491231002X1", "has 19 characters, want 18"},
		{"15-digit first generation", "110105491231002", "has 15 characters, want 18"},
		{"wrong check digit", "110105194912310021", "check character does not match the first 17 digits"},
		{"wrong check X", "44052418800101001X", "check character does not match"},
		{"check 0 written 4", "440303194501011234", "check character does not match"},
		{"letter inside", "1101051949123100AX", "character 17 is not a digit"},
		{"X inside", "X10105194912310021", "character 1 is not a digit"},
		{"full-width digit", "１１０１０５１９４９１２３１００２", "has 51 characters, want 18"},
		{"bad last char", "11010519491231002Y", "last character is not a digit or X"},
		{"month 13", "110105194913310021", "birth date (characters 7 to 14) is not a calendar date"},
		{"Feb 30", "110105194902300021", "is not a calendar date"},
		{"Feb 29 not leap", "440303190002290014", "is not a calendar date"},
		{"day 00", "110105194912000021", "is not a calendar date"},
		{"before 1800", "110105179912310021", "is before 1800"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeResidentID(tc.in)
			if err == nil {
				t.Fatalf("NormalizeResidentID(%q) = %q, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrResidentID) {
				t.Fatalf("error %v is not ErrResidentID", err)
			}
			var re *ResidentIDError
			if !errors.As(err, &re) || !strings.Contains(re.Problem, tc.problem) {
				t.Fatalf("error %q, want a problem containing %q", err, tc.problem)
			}
			if !strings.HasPrefix(err.Error(), "resident ID number: ") {
				t.Fatalf("error %q lacks its prefix", err)
			}
			if len(tc.in) >= 8 && strings.Contains(err.Error(), tc.in[:8]) {
				t.Fatalf("error %q contains the number", err)
			}
		})
	}
}

func TestResidentIDCheckChar(t *testing.T) {
	for body, want := range map[string]byte{
		"11010519491231002": 'X',
		"44052418800101001": '4',
		"44030319900101123": '7',
		"44030319450101123": '0',
	} {
		got, err := ResidentIDCheckChar(body)
		if err != nil || got != want {
			t.Errorf("ResidentIDCheckChar(%s) = %c, %v; want %c", body, got, err, want)
		}
	}
	for _, bad := range []string{"1234", "1101051949123100A", "110105194912310021"} {
		if _, err := ResidentIDCheckChar(bad); !errors.Is(err, ErrResidentID) {
			t.Errorf("ResidentIDCheckChar(%q): %v, want ErrResidentID", bad, err)
		}
	}
	// Every body has exactly one check character: the other ten are wrong.
	body := "44030319450101123"
	ok := 0
	for _, c := range "0123456789X" {
		if _, err := NormalizeResidentID(body + string(c)); err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d check characters accepted for one body", ok)
	}
}

func TestResidentIDBirth(t *testing.T) {
	for in, want := range map[string]string{"11010519491231002X": "1949-12-31", "440524188001010014": "1880-01-01", "04A1B2C3": "", "": ""} {
		if got := ResidentIDBirth(in); got != want {
			t.Errorf("ResidentIDBirth(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLooksLikeResidentID(t *testing.T) {
	for in, want := range map[string]bool{
		"11010519491231002X": true,
		"110105194912310021": true,  // shape only: the wrong check character is the rule's business
		"11010519491231002x": false, // not normalised
		"1101051949123100AX": false,
		"04A1B2C3D4E5F6A7B8": false,
		"11010519491231002":  false,
	} {
		if got := LooksLikeResidentID(in); got != want {
			t.Errorf("LooksLikeResidentID(%q) = %v, want %v", in, got, want)
		}
	}
}

// A credential of kind resident_id goes through the one rule, and its
// error names the number only masked, as MaskID masks it everywhere.
func TestValidateCredentialResidentID(t *testing.T) {
	c, err := ValidateCredential(Credential{Kind: CredResidentID, Value: " 11010519491231002x "})
	if err != nil || c.Value != "11010519491231002X" || c.State != CredActive {
		t.Fatalf("ValidateCredential = %+v, %v", c, err)
	}
	_, err = ValidateCredential(Credential{Kind: CredResidentID, Value: "110105194912310021"})
	if !errors.Is(err, ErrResidentID) {
		t.Fatalf("wrong check character: %v, want ErrResidentID", err)
	}
	want := "resident ID number " + MaskID("110105194912310021") + ": check character does not match"
	if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "19491231") {
		t.Fatalf("error %q, want it to start %q and hide the birth date", err, want)
	}
	// A card UID is not held to the rule, even one of 18 digits.
	if _, err := ValidateCredential(Credential{Kind: CredCard, Value: "110105194912310021"}); err != nil {
		t.Fatalf("card: %v", err)
	}
}

// FuzzNormalizeResidentID: the parser never panics; what it accepts is
// canonical (idempotent, ID-shaped, the check character its body's) and
// anything it rejects is an ErrResidentID in words without the number.
func FuzzNormalizeResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", " 440524188001010014\n", "110105194912310021", "110105194913310021", "", "１１０", "1101051949123100AX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeResidentID(s)
		if err != nil {
			if !errors.Is(err, ErrResidentID) {
				t.Fatalf("%q: error %v is not ErrResidentID", s, err)
			}
			if in := NormalizeCredential(s); LooksLikeResidentID(in) && strings.Contains(strings.ToUpper(err.Error()), in) {
				t.Fatalf("error %q contains the input", err)
			}
			return
		}
		if !LooksLikeResidentID(got) || got != NormalizeCredential(got) {
			t.Fatalf("%q -> %q not canonical", s, got)
		}
		if again, err := NormalizeResidentID(got); err != nil || again != got {
			t.Fatalf("%q -> %q not idempotent: %q, %v", s, got, again, err)
		}
		if c, err := ResidentIDCheckChar(got[:17]); err != nil || c != got[17] {
			t.Fatalf("%q -> %q: check character %c, %v", s, got, c, err)
		}
		if ResidentIDBirth(got) == "" {
			t.Fatalf("%q -> %q: no birth date", s, got)
		}
	})
}
