package domain

import (
	"strings"
	"testing"
)

func TestGeneratedSecret(t *testing.T) {
	secret, err := RandomToken(24)
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashGeneratedSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "sha256$") || strings.Contains(h, secret) {
		t.Fatalf("hash %q", h)
	}
	if !VerifySecret(h, secret) {
		t.Fatal("the secret does not verify against its own hash")
	}
	h2, _ := HashGeneratedSecret(secret)
	if h2 == h {
		t.Fatal("two hashes of one secret are equal: no salt")
	}
	for _, bad := range []string{secret + "x", secret[:len(secret)-1], "", strings.ToUpper(secret)} {
		if VerifySecret(h, bad) {
			t.Errorf("%q verified", bad)
		}
	}
	// A damaged stored hash matches nothing.
	for _, bad := range []string{h[:len(h)-2], "sha256$$", "sha256$AAAA", strings.Replace(h, "$", "#", 2), "sha256$" + strings.Repeat("A", 22) + "$" + strings.Repeat("A", 43)} {
		if VerifySecret(bad, secret) {
			t.Errorf("damaged hash %q verified", bad)
		}
	}
	// A secret a person chose is refused: it gets bcrypt (HashSecret).
	if _, err := HashGeneratedSecret("demo-secret"); err == nil {
		t.Fatal("a short secret was hashed fast")
	}
	// bcrypt hashes still verify.
	b, err := HashSecret("demo-secret")
	if err != nil || !VerifySecret(b, "demo-secret") || VerifySecret(b, "demo-secreT") {
		t.Fatalf("bcrypt: %v", err)
	}
}

func FuzzVerifySecret(f *testing.F) {
	h, _ := HashGeneratedSecret(strings.Repeat("k", 32))
	f.Add(h, strings.Repeat("k", 32))
	f.Add("sha256$$", "x")
	f.Add("$2a$04$abc", "x")
	f.Fuzz(func(t *testing.T, hash, secret string) {
		if strings.HasPrefix(hash, "$2") {
			return // bcrypt's own parser, slow per call
		}
		if VerifySecret(hash, secret) && !strings.HasPrefix(hash, "sha256$") {
			t.Fatalf("%q verified %q", hash, secret)
		}
	})
}

// The cost of one gateway login after a cloud restart (no cached check):
// bcrypt at SecretCost against the salted SHA-256 of a generated secret.
func BenchmarkVerifySecret(b *testing.B) {
	secret, _ := RandomToken(24)
	slow, _ := HashSecret(secret)
	fast, _ := HashGeneratedSecret(secret)
	b.Run("bcrypt", func(b *testing.B) {
		for b.Loop() {
			if !VerifySecret(slow, secret) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("sha256", func(b *testing.B) {
		for b.Loop() {
			if !VerifySecret(fast, secret) {
				b.Fatal("no match")
			}
		}
	})
}
