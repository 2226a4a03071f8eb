package domain

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// UserStore holds the people who sign in to the console and their
// sessions (docs/console.md "People", ADR 0022). Passwords are stored as
// argon2id PHC strings (HashPassword), session ids as their SHA-256
// (HashToken): neither secret is ever stored.
type UserStore interface {
	// CreateUser stores u with its password hash. ErrConflict when the id
	// or the login exists.
	CreateUser(ctx context.Context, u User, passwordHash string) error
	// User returns user id or ErrNotFound.
	User(ctx context.Context, id string) (User, error)
	// UserByLogin returns the user of login (exact, logins are stored
	// lower case) with its password hash, or ErrNotFound.
	UserByLogin(ctx context.Context, login string) (User, string, error)
	// ListUsers returns every user, by login.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser changes the fields of ch that are set and returns the
	// user. ErrNotFound for an unknown id.
	UpdateUser(ctx context.Context, id string, ch UserChange, at time.Time) (User, error)
	// SetPassword replaces the password hash of user id, sets
	// must_change_password to mustChange, clears the failed attempts and
	// the lock, and ends every session of the user but keepSession (a
	// session id hash; "" ends them all). ErrNotFound for an unknown id.
	SetPassword(ctx context.Context, id, passwordHash string, mustChange bool, keepSession string, at time.Time) error
	// LoginFailed counts a wrong password of user id at at: the
	// maxFailures-th failure in a row locks the user until at+lockFor and
	// starts the count again. It returns the user after the change.
	LoginFailed(ctx context.Context, id string, at time.Time, maxFailures int, lockFor time.Duration) (User, error)
	// LoginSucceeded clears the failed attempts of user id.
	LoginSucceeded(ctx context.Context, id string, at time.Time) error
	// UnlockUser clears the lock and the failed attempts of user id
	// (ErrNotFound for an unknown id).
	UnlockUser(ctx context.Context, id string, at time.Time) error

	// CreateSession stores s (s.IDHash is the HashToken of the cookie's
	// value).
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session whose id hashes to idHash with its user,
	// and records it as used at now (at most once a minute). ErrNotFound
	// for an unknown hash, or a session past its absolute expiry or idle
	// for idle or longer (it is deleted).
	Session(ctx context.Context, idHash string, now time.Time, idle time.Duration) (Session, User, error)
	// DeleteSession ends the session of idHash (no error when unknown).
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions ends every session of user id.
	DeleteUserSessions(ctx context.Context, userID string) error
}

// User is a person who signs in to the console. Its Role applies to the
// org subtree of Scope ("" = everything, for admins only).
type User struct {
	ID                 string     `json:"id"`
	Login              string     `json:"login"`
	Name               string     `json:"name"` // display name, shown in the console and recorded as the actor
	Role               Role       `json:"role"`
	Scope              string     `json:"scope"`
	FailedAttempts     int        `json:"failed_attempts"`
	LockedUntil        *time.Time `json:"locked_until"`
	MustChangePassword bool       `json:"must_change_password"`
	Disabled           bool       `json:"disabled"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Locked reports whether u is locked at now.
func (u User) Locked(now time.Time) bool { return u.LockedUntil != nil && now.Before(*u.LockedUntil) }

// UserChange is what UpdateUser changes: the fields that are not nil.
type UserChange struct {
	Name     *string `json:"name,omitempty"`
	Role     *Role   `json:"role,omitempty"`
	Scope    *string `json:"scope,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// Session is a signed-in browser: the cookie holds a random 256-bit id,
// the store its HashToken. CSRF is the token the console sends back in
// X-CSRF-Token with every change.
type Session struct {
	IDHash     string
	UserID     string
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the use
	RemoteAddr string
}

// ErrInvalidUser is returned for a user whose fields break a rule.
var ErrInvalidUser = errors.New("invalid user")

// NormalizeLogin returns login trimmed and lower case.
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// ValidateUser checks the fields of u that do not need the store: the
// login (2-64 of a-z, 0-9, ".", "_", "-", already normalised), the name
// (1-64 characters), the role, and that only an admin is unscoped.
// Errors wrap ErrInvalidUser and name the field.
func ValidateUser(u User) error {
	if n := len(u.Login); n < 2 || n > 64 {
		return fmt.Errorf("login: must be 2-64 characters: %w", ErrInvalidUser)
	}
	for _, c := range u.Login {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("login: %q: only a-z, 0-9, '.', '_' and '-' are allowed: %w", c, ErrInvalidUser)
		}
	}
	if n := utf8.RuneCountInString(u.Name); strings.TrimSpace(u.Name) == "" || n > 64 {
		return fmt.Errorf("name: must be 1-64 characters: %w", ErrInvalidUser)
	}
	if !u.Role.Valid() {
		return fmt.Errorf("role: must be one of viewer, staff, operator, admin, auditor: %w", ErrInvalidUser)
	}
	if u.Scope == "" && u.Role != RoleAdmin {
		return fmt.Errorf("scope: a %s needs an org unit (only an admin may have no scope): %w", u.Role, ErrInvalidUser)
	}
	if u.Scope != "" {
		if err := ValidateSlug(u.Scope); err != nil {
			return fmt.Errorf("scope: %v: %w", err, ErrInvalidUser)
		}
	}
	return nil
}

// TemporaryPassword returns a random password of 12 characters from an
// alphabet without look-alikes (about 59 bits).
func TemporaryPassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 31 = 8: a bias of under 4 %, harmless here
	}
	return string(b), nil
}

// Password rules.
const (
	MinPasswordLen = 10  // characters
	MaxPasswordLen = 128 // bytes: bounds the work of a hash
)

// ValidatePassword checks a new password's length.
func ValidatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("password: must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("password: must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// The argon2id parameters of new hashes (ADR 0022): 19 MiB, 2 passes, 1
// lane, OWASP's first recommended set; about 50 ms a hash on the
// deployment's 2-core machine. Hashes keep their own parameters, so they
// can be raised later without breaking stored ones.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns the argon2id PHC string of pw:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b.EncodeToString(salt), b.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string hash, comparing
// in constant time. A malformed hash or parameters out of bounds are an
// error (never a match).
func VerifyPassword(hash, pw string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.t, p.m, p.p, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parsePHC reads an argon2id PHC string, bounding its parameters so that a
// stored value cannot make a login cost more than the defaults' 16 times.
func parsePHC(s string) (phc, error) {
	var p phc
	bad := func(why string) (phc, error) { return phc{}, fmt.Errorf("password hash: %s", why) }
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return bad("unsupported version " + f[2])
	}
	var m, t, th uint64
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || n != 3 || fmt.Sprintf("m=%d,t=%d,p=%d", m, t, th) != f[3] {
		return bad("malformed parameters")
	}
	if m < 8 || m > 16*argonMemory || t < 1 || t > 16 || th < 1 || th > 16 {
		return bad("parameters out of bounds")
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(f[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return bad("malformed salt")
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(f[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return bad("malformed hash")
	}
	p.m, p.t, p.p = uint32(m), uint32(t), uint8(th)
	return p, nil
}
