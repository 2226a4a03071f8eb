package eldergate

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func testManifest() ReleaseManifest {
	return ReleaseManifest{Release: "v1.4.0", Version: "v1.4.0", Artifact: "eldergate-gateway", Platform: "linux/arm/v6",
		Size: 1234, SHA256: strings.Repeat("ab", 32), Created: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)}
}

func TestReleaseSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	man, sig, err := SignRelease(priv, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	m, err := VerifyRelease([]ed25519.PublicKey{otherPub, pub}, man, sig)
	if err != nil || m.SHA256 != strings.Repeat("ab", 32) || m.KeyID != ReleaseKeyID(pub) {
		t.Fatalf("verify: %+v %v", m, err)
	}
	// A flipped bit in the manifest, a signature by another key, a key not trusted.
	bad := append([]byte(nil), man...)
	bad[len(bad)-3] ^= 1
	if _, err := VerifyRelease([]ed25519.PublicKey{pub}, bad, sig); err == nil {
		t.Fatal("a changed manifest verified")
	}
	_, sig2, _ := SignRelease(otherPriv, testManifest())
	if _, err := VerifyRelease([]ed25519.PublicKey{pub}, man, sig2); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("another key's signature: %v", err)
	}
	if _, err := VerifyRelease([]ed25519.PublicKey{otherPub}, man, sig); err == nil || !strings.Contains(err.Error(), "not one of") {
		t.Fatalf("untrusted key: %v", err)
	}
	m2 := testManifest()
	m2.Platform = "windows/386"
	if _, _, err := SignRelease(priv, m2); err == nil || !strings.Contains(err.Error(), "platform") {
		t.Fatalf("bad platform signed: %v", err)
	}
}

func TestDecodeUpdateRequest(t *testing.T) {
	ok := `{"manifest":"e30=","signature":"AAAA","url":"/api/v1/releases/r1/artifact"}`
	if _, err := DecodeUpdateRequest([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`[]`, `{"signature":"AAAA","url":"/x"}`, `{"manifest":"e30=","url":"/x"}`,
		`{"manifest":"e30=","signature":"AAAA","url":"ftp://x"}`, `{"manifest":"e30=","signature":"AAAA","url":"http://cloud/x"}`,
		`{"manifest":"e30=","signature":"AAAA","url":"/x","health_timeout_s":-1}`} {
		if _, err := DecodeUpdateRequest([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzVerifyRelease(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	man, sig, _ := SignRelease(priv, testManifest())
	f.Add(man, sig)
	f.Add([]byte(`{}`), []byte{1})
	f.Fuzz(func(t *testing.T, man, sig []byte) {
		m, err := VerifyRelease([]ed25519.PublicKey{pub}, man, sig)
		if err == nil && m.Check() != nil {
			t.Fatalf("verified an invalid manifest %+v", m)
		}
	})
}

func FuzzDecodeUpdateRequest(f *testing.F) {
	f.Add([]byte(`{"manifest":"e30=","signature":"AAAA","url":"/a"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeUpdateRequest(b)
		if err == nil {
			if _, err := json.Marshal(r); err != nil || r.URL == "" {
				t.Fatalf("accepted %q: %+v", b, r)
			}
		}
	})
}
