package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
)

func signed(t testing.TB) (Bundle, ed25519.PublicKey, Digest) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	d, _ := DigestOf(bytes.NewReader([]byte("binary")))
	m, sig, err := eldergate.SignRelease(priv, eldergate.ReleaseManifest{Release: "v1", Version: "1", Artifact: "eldergate-gateway",
		Platform: "linux/arm64", Size: d.Size, SHA256: d.SHA256, Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return Bundle{Manifest: m, Signature: sig}, pub, d
}

// TestParseBundle: a marshalled bundle parses back; unknown fields,
// trailing data, a short signature and oversized files are refused in
// words.
func TestParseBundle(t *testing.T) {
	b, pub, d := signed(t)
	got, err := ParseBundle(b.Marshal())
	if err != nil || !bytes.Equal(got.Manifest, b.Manifest) {
		t.Fatal(err)
	}
	if _, err := Verify([]ed25519.PublicKey{pub}, got, d); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		`{"manifest":"eA==","signature":"eA==","x":1}`: "unknown field",
		`{"manifest":"eA==","signature":"eA=="} {}`:    "after its JSON object",
		`{"manifest":"eA==","signature":"eA=="}`:       "signature is 1 bytes",
		`{"signature":"eA=="}`:                         "no manifest",
		`{"manifest":"!!"}`:                            "base64",
		strings.Repeat(" ", MaxBundleBytes+1):          "larger than",
	} {
		if _, err := ParseBundle([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: %v, want %q", in, err, want)
		}
	}
}

func FuzzParseBundle(f *testing.F) {
	b, pub, d := signed(f)
	f.Add(b.Marshal())
	f.Add([]byte(`{"manifest":"eA==","signature":"eA=="}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseBundle(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		if len(got.Manifest) == 0 || len(got.Signature) != ed25519.SignatureSize {
			t.Fatalf("accepted %+v", got)
		}
		// Whatever parses is verified like any other: never a panic, and
		// only the signed bytes themselves verify.
		m, err := Verify([]ed25519.PublicKey{pub}, got, d)
		if err == nil && !bytes.Equal(got.Manifest, b.Manifest) {
			t.Fatalf("another manifest verified: %+v", m)
		}
	})
}
