// Package staffauth keeps the staff sessions of a gateway in memory (a
// restart logs staff out): login by PIN (bcrypt) or staff card, and the
// lockout after wrong attempts.
package staffauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// Staff lockout: after MaxFailures wrong PINs or cards in a row, every
// login over HTTP is refused for Lockout.
const (
	MaxFailures = 5
	Lockout     = 5 * time.Minute
	maxSessions = 32
)

// HashPIN returns the bcrypt hash of a staff PIN for the configuration.
func HashPIN(pin string) (string, error) {
	if len(pin) < 4 || len(pin) > 64 {
		return "", errors.New("staffauth: a staff PIN has 4 to 64 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("staffauth: hash pin: %w", err)
	}
	return string(h), nil
}

// Session is a staff member logged in until Expires.
type Session struct {
	Staff   config.StaffConfig
	Expires time.Time
}

// Auth keeps the staff sessions in memory (a restart logs staff out)
// and the lockout of wrong PINs.
type Auth struct {
	staff []config.StaffConfig
	ttl   time.Duration
	now   func() time.Time

	mu          sync.Mutex
	sessions    map[string]Session
	failures    int
	lockedUntil time.Time
}

// New returns the sessions of staff, each living ttl.
func New(staff []config.StaffConfig, ttl time.Duration, now func() time.Time) *Auth {
	return &Auth{staff: staff, ttl: ttl, now: now, sessions: map[string]Session{}}
}

var errLocked = fmt.Errorf("staffauth: login: %w", httpapi.ErrLocked)

// Login checks a PIN or a card. It returns an error wrapping httpapi.ErrLocked while locked out and
// counts a wrong PIN or card towards the lockout; locked reports whether
// this attempt started a lockout.
func (a *Auth) Login(pin, cardID string) (tok string, s Session, locked bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if now.Before(a.lockedUntil) {
		return "", s, false, fmt.Errorf("%w until %s", errLocked, a.lockedUntil.UTC().Format(time.RFC3339))
	}
	var found *config.StaffConfig
	for i := range a.staff {
		st := &a.staff[i]
		switch {
		case pin != "" && st.PinHash != "":
			// bcrypt for every candidate: the time does not tell which exist.
			if bcrypt.CompareHashAndPassword([]byte(st.PinHash), []byte(pin)) == nil && found == nil {
				found = st
			}
		case cardID != "" && st.Card != "":
			if subtle.ConstantTimeCompare([]byte(st.Card), []byte(cardID)) == 1 && found == nil {
				found = st
			}
		}
	}
	if found == nil {
		a.failures++
		if a.failures >= MaxFailures {
			a.lockedUntil = now.Add(Lockout)
			n := a.failures
			a.failures = 0
			return "", Session{Staff: config.StaffConfig{}}, true, fmt.Errorf("%w for %v after %d wrong attempts", errLocked, Lockout, n)
		}
		return "", s, false, fmt.Errorf("staffauth: login: %w: wrong PIN or card (%d of %d attempts before a lockout)", httpapi.ErrUnauthorized, a.failures, MaxFailures)
	}
	a.failures = 0
	tok, s = a.newSessionLocked(*found, now)
	return tok, s, false, nil
}

// CardSession opens a session for a staff card tapped on the reader
// (physical presence: no lockout applies).
func (a *Auth) CardSession(cardID string) (string, Session, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range a.staff {
		if st.Card != "" && st.Card == cardID {
			tok, s := a.newSessionLocked(st, a.now())
			return tok, s, true
		}
	}
	return "", Session{}, false
}

func (a *Auth) newSessionLocked(st config.StaffConfig, now time.Time) (string, Session) {
	for t, s := range a.sessions {
		if !now.Before(s.Expires) {
			delete(a.sessions, t)
		}
	}
	if len(a.sessions) >= maxSessions { // drop the oldest
		var oldest string
		for t, s := range a.sessions {
			if oldest == "" || s.Expires.Before(a.sessions[oldest].Expires) {
				oldest = t
			}
		}
		delete(a.sessions, oldest)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	s := Session{Staff: st, Expires: now.Add(a.ttl)}
	a.sessions[tok] = s
	return tok, s
}

// Session returns the staff member of a live session token.
func (a *Auth) Session(tok string) (config.StaffConfig, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[tok]
	if !ok || tok == "" {
		return config.StaffConfig{}, fmt.Errorf("staffauth: %w", httpapi.ErrUnauthorized)
	}
	if !a.now().Before(s.Expires) {
		delete(a.sessions, tok)
		return config.StaffConfig{}, fmt.Errorf("staffauth: session expired: %w", httpapi.ErrUnauthorized)
	}
	return s.Staff, nil
}

// Logout ends a session.
func (a *Auth) Logout(tok string) {
	a.mu.Lock()
	delete(a.sessions, tok)
	a.mu.Unlock()
}
