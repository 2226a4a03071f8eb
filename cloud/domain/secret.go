package domain

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

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

// VerifySecret reports whether secret matches hash (constant time).
func VerifySecret(hash, secret string) bool {
	if hash == "" || secret == "" || len(secret) > 72 {
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
