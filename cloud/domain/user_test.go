package domain

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: not the PHC string of the parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	start := time.Now()
	if ok, err := VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	t.Logf("one verification: %v", time.Since(start))
	if ok, err := VerifyPassword(h, "correct horse batterY"); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1,x=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		strings.Replace(h, "$v=19$", "$v=16$", 1)} {
		if ok, err := VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("hash %q: %v %v, want an error", bad, ok, err)
		}
	}
}

func TestValidateUser(t *testing.T) {
	ok := User{Login: "li.na_2", Name: "李娜", Role: RoleViewer, Scope: "st-a"}
	if err := ValidateUser(ok); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{
		{Login: "Li", Name: "x", Role: RoleViewer, Scope: "a"},
		{Login: "l", Name: "x", Role: RoleViewer, Scope: "a"},
		{Login: "li", Name: " ", Role: RoleViewer, Scope: "a"},
		{Login: "li", Name: "x", Role: "root", Scope: "a"},
		{Login: "li", Name: "x", Role: RoleAuditor},
		{Login: "li", Name: "x", Role: RoleAdmin, Scope: "A B"},
	} {
		if err := ValidateUser(u); err == nil {
			t.Errorf("%+v: valid", u)
		}
	}
	if err := ValidateUser(User{Login: "root", Name: "x", Role: RoleAdmin}); err != nil {
		t.Errorf("unscoped admin: %v", err)
	}
	if ValidatePassword("short") == nil || ValidatePassword(strings.Repeat("x", 129)) == nil || ValidatePassword("长者饭堂的密码十个字") != nil {
		t.Error("ValidatePassword")
	}
}

// FuzzParsePHC: no stored string makes the parser panic or accept
// parameters out of bounds.
func FuzzParsePHC(f *testing.F) {
	h, _ := HashPassword("x")
	f.Add(h)
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err == nil && (p.m > 16*argonMemory || p.t > 16 || p.p > 16 || len(p.key) < 16) {
			t.Fatalf("%q: accepted %+v", s, p)
		}
	})
}
