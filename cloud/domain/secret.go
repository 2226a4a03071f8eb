package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// SecretCost is the bcrypt cost used for gateway secrets.
const SecretCost = bcrypt.DefaultCost

// HashSecret hashes a gateway secret for storage.
func HashSecret(secret string) (string, error) {
	if secret == "" {
		return "", fmt.Errorf("domain: empty secret")
	}
	if len(secret) > 72 {
		return "", fmt.Errorf("domain: secret longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(secret), SecretCost)
	if err != nil {
		return "", fmt.Errorf("domain: hash secret: %w", err)
	}
	return string(h), nil
}

// MinGeneratedSecret is the shortest secret HashGeneratedSecret takes:
// 32 characters of RandomToken(24), 192 random bits.
const MinGeneratedSecret = 32

// generatedPrefix marks the hash of a secret the cloud generated.
const generatedPrefix = "sha256$"

// HashGeneratedSecret hashes a secret the cloud generated itself from at
// least 24 random bytes (an enrolled gateway's broker password): SHA-256
// with a random salt, not bcrypt. A slow hash protects a guessable
// password; 192 random bits cannot be guessed from a leaked hash however
// fast the hash, and bcrypt's 32 ms of CPU per login made a fleet of
// 10,000 gateways need five minutes of both cores to log in again after a
// cloud restart (ADR 0035). Secrets a person chose (the configured
// gateway seeds) keep HashSecret's bcrypt.
func HashGeneratedSecret(secret string) (string, error) {
	if len(secret) < MinGeneratedSecret {
		return "", fmt.Errorf("domain: a generated secret of %d characters is shorter than %d", len(secret), MinGeneratedSecret)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("domain: random: %w", err)
	}
	sum := saltedSum(salt, secret)
	return generatedPrefix + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

func saltedSum(salt []byte, secret string) [32]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// VerifySecret reports whether secret matches hash (constant time), a
// hash made by HashSecret (bcrypt) or by HashGeneratedSecret. A hash of
// neither form matches nothing.
func VerifySecret(hash, secret string) bool {
	if hash == "" || secret == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(hash, generatedPrefix); ok {
		salt64, sum64, ok := strings.Cut(rest, "$")
		salt, err1 := base64.RawStdEncoding.DecodeString(salt64)
		want, err2 := base64.RawStdEncoding.DecodeString(sum64)
		if !ok || err1 != nil || err2 != nil || len(salt) == 0 || len(want) != sha256.Size || len(secret) > 1024 {
			return false
		}
		got := saltedSum(salt, secret)
		return subtle.ConstantTimeCompare(got[:], want) == 1
	}
	if len(secret) > 72 {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) == nil
}

// RandomToken returns n random bytes encoded as URL-safe base64.
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("domain: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
