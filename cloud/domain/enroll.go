package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Errors of enrollment.
var (
	// ErrTokenUsed: the enrollment token was already consumed.
	ErrTokenUsed = errors.New("enrollment token already used")
	// ErrTokenExpired: the enrollment token is past its expiry.
	ErrTokenExpired = errors.New("enrollment token expired")
	// ErrRevoked: the gateway has been revoked.
	ErrRevoked = errors.New("gateway revoked")
)

// HashToken is how an enrollment token is stored: the hex SHA-256 of the
// token. Tokens are 256-bit random, so a fast hash is enough.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckEnrollment is the rule of ConsumeEnrollment: a token may be used
// once (usedAt nil), for a gateway not revoked (revokedAt nil), before it
// expires (expiresAt after now).
func CheckEnrollment(expiresAt time.Time, usedAt, revokedAt *time.Time, now time.Time) error {
	switch {
	case usedAt != nil:
		return ErrTokenUsed
	case revokedAt != nil:
		return ErrRevoked
	case !expiresAt.After(now):
		return ErrTokenExpired
	}
	return nil
}
