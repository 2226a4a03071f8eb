// Package release is the cloud's side of signed over-the-air updates
// (docs/adr/0030-releases-in-the-cloud.md): the release bundle that
// `eldergate-cloud release sign` writes beside an artifact, its
// verification against an artifact and a set of trusted keys, and
// Updater.StartUpdate, the one function that starts an update of one
// gateway (the API and the rollouts call it).
//
// The signing key stays offline: the cloud holds public keys only.
package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
)

// Bundle is what travels with an artifact: the signed manifest bytes and
// their signature (base64 in JSON), written as FILE.release.json.
type Bundle struct {
	Manifest  []byte `json:"manifest"`
	Signature []byte `json:"signature"`
}

// BundleSuffix names the bundle written beside an artifact.
const BundleSuffix = ".release.json"

// MaxBundleBytes bounds a bundle file.
const MaxBundleBytes = 16 << 10

// ParseBundle reads a bundle: JSON with a manifest and a signature, both
// base64; every problem is an error in words. It does not verify the
// signature (Verify does).
func ParseBundle(data []byte) (Bundle, error) {
	var b Bundle
	if len(data) > MaxBundleBytes {
		return b, fmt.Errorf("release bundle of %d bytes is larger than %d", len(data), MaxBundleBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Errorf("release bundle is not valid JSON with a base64 manifest and signature: %v", err)
	}
	if dec.More() {
		return b, errors.New("release bundle has data after its JSON object")
	}
	switch {
	case len(b.Manifest) == 0:
		return b, errors.New("release bundle has no manifest")
	case len(b.Signature) == 0:
		return b, errors.New("release bundle has no signature")
	case len(b.Signature) != ed25519.SignatureSize:
		return b, fmt.Errorf("release bundle's signature is %d bytes, not %d", len(b.Signature), ed25519.SignatureSize)
	}
	return b, nil
}

// Marshal returns the bundle's JSON.
func (b Bundle) Marshal() []byte {
	out, _ := json.MarshalIndent(b, "", "  ")
	return append(out, '\n')
}

// Digest is an artifact's size and SHA-256 (hex).
type Digest struct {
	Size   int64
	SHA256 string
}

// DigestOf reads r to its end (at most eldergate.MaxReleaseBytes+1
// bytes) and returns its digest.
func DigestOf(r io.Reader) (Digest, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, eldergate.MaxReleaseBytes+1))
	if err != nil {
		return Digest{}, err
	}
	return Digest{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// FileDigest is the digest of the file at path.
func FileDigest(path string) (Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, err
	}
	defer f.Close()
	d, err := DigestOf(f)
	if err != nil {
		return d, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// Verify checks bundle b against trusted keys and an artifact of digest
// d: the signature, then the size and the SHA-256 the signed manifest
// names. Every failure is an error in words.
func Verify(keys []ed25519.PublicKey, b Bundle, d Digest) (eldergate.ReleaseManifest, error) {
	m, err := eldergate.VerifyRelease(keys, b.Manifest, b.Signature)
	if err != nil {
		return m, err
	}
	if d.Size != m.Size {
		return m, fmt.Errorf("artifact is %d bytes, but the signed manifest says %d", d.Size, m.Size)
	}
	if d.SHA256 != m.SHA256 {
		return m, fmt.Errorf("artifact's SHA-256 %s does not match the signed manifest's %s", d.SHA256, m.SHA256)
	}
	return m, nil
}

// Key files written by Keygen.
const (
	PrivateKeyFile = "release.key" // base64 ed25519 private key, mode 0600: keep it offline
	PublicKeyFile  = "release.pub" // base64 ed25519 public key: release_keys of the cloud, the gateways' configuration
)

// Keygen writes a new key pair into dir (created 0700 when missing): the
// private key 0600, the public key 0644. It refuses to overwrite a key.
func Keygen(dir string) (pub ed25519.PublicKey, privPath, pubPath string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", "", err
	}
	privPath, pubPath = filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return nil, "", "", fmt.Errorf("%s exists: a release key is never overwritten", p)
		}
	}
	text := "# eldergate release private key " + eldergate.ReleaseKeyID(pub) + ": keep it offline\n" + base64.StdEncoding.EncodeToString(priv) + "\n"
	if err := writeFileSync(privPath, []byte(text), 0o600); err != nil {
		return nil, "", "", err
	}
	if err := writeFileSync(pubPath, []byte(base64.StdEncoding.EncodeToString(pub)+"\n"), 0o644); err != nil {
		return nil, "", "", err
	}
	return pub, privPath, pubPath, nil
}

// ReadPrivateKey reads a private key file written by Keygen: a comment
// line, then the base64 of the 64-byte ed25519 private key.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var key []byte
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			key, err = base64.StdEncoding.DecodeString(line)
			break
		}
	}
	if err != nil || len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%s is not a release private key (base64 of %d bytes, as `release keygen` writes)", path, ed25519.PrivateKeySize)
	}
	priv := ed25519.PrivateKey(key)
	if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()), priv) {
		return nil, fmt.Errorf("%s is not a release private key: its two halves do not match", path)
	}
	return priv, nil
}

// ReadPublicKeys reads public keys: each argument is a base64 key or a
// file of keys, one a line (blank lines and # comments skipped).
func ReadPublicKeys(args []string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, a := range args {
		if k, err := eldergate.ParseReleaseKey(a); err == nil {
			keys = append(keys, k)
			continue
		}
		data, err := os.ReadFile(a)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a base64 release public key nor a readable file: %v", a, err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, err := eldergate.ParseReleaseKey(line)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %v", a, i+1, err)
			}
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no release public key given")
	}
	return keys, nil
}

// SignFile signs artifact path as release name/version for platform with
// priv and returns the bundle. The artifact's name is its base name
// (eldergate-gateway or eldergate-cloud) unless artifact says otherwise.
func SignFile(priv ed25519.PrivateKey, path, name, version, platform, artifact string, now time.Time) (Bundle, eldergate.ReleaseManifest, error) {
	d, err := FileDigest(path)
	if err != nil {
		return Bundle{}, eldergate.ReleaseManifest{}, err
	}
	if artifact == "" {
		artifact = filepath.Base(path)
	}
	m := eldergate.ReleaseManifest{Release: name, Version: version, Artifact: artifact, Platform: platform,
		Size: d.Size, SHA256: d.SHA256, Created: now.UTC()}
	manifest, sig, err := eldergate.SignRelease(priv, m)
	if err != nil {
		return Bundle{}, m, err
	}
	m, err = eldergate.VerifyRelease([]ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}, manifest, sig)
	return Bundle{Manifest: manifest, Signature: sig}, m, err
}

// writeFileSync writes data to path through a temporary file, fsynced and
// renamed.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteBundle writes b to path (0644).
func WriteBundle(path string, b Bundle) error { return writeFileSync(path, b.Marshal(), 0o644) }
