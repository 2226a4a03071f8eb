package staffauth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/staffauth"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func staff(t *testing.T) []config.StaffConfig {
	h, err := bcrypt.GenerateFromPassword([]byte("2468"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return []config.StaffConfig{{ID: "S1", Name: "王芳", PinHash: string(h)}, {ID: "S2", Name: "刘强", Card: "STAFF02"}}
}

func TestLoginSessionExpiry(t *testing.T) {
	c := &clock{t: time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)}
	a := staffauth.New(staff(t), 10*time.Minute, c.now)
	tok, s, locked, err := a.Login("2468", "")
	if err != nil || locked || s.Staff.ID != "S1" || !s.Expires.Equal(c.now().Add(10*time.Minute)) {
		t.Fatalf("login = %+v %v %v", s, locked, err)
	}
	if st, err := a.Session(tok); err != nil || st.ID != "S1" {
		t.Fatalf("session = %+v %v", st, err)
	}
	c.add(10 * time.Minute)
	if _, err := a.Session(tok); !errors.Is(err, httpapi.ErrUnauthorized) {
		t.Fatalf("expired session: %v", err)
	}
	tok, s, ok := a.CardSession("STAFF02")
	if !ok || s.Staff.ID != "S2" {
		t.Fatalf("card session = %+v %v", s, ok)
	}
	a.Logout(tok)
	if _, err := a.Session(tok); !errors.Is(err, httpapi.ErrUnauthorized) {
		t.Fatalf("after logout: %v", err)
	}
	if _, _, ok := a.CardSession("04A1B2C3"); ok {
		t.Fatal("an elder's card opened a staff session")
	}
}

func TestLockoutAfterWrongAttempts(t *testing.T) {
	c := &clock{t: time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)}
	a := staffauth.New(staff(t), 10*time.Minute, c.now)
	for i := 1; i < staffauth.MaxFailures; i++ {
		if _, _, locked, err := a.Login("0000", ""); locked || !errors.Is(err, httpapi.ErrUnauthorized) {
			t.Fatalf("attempt %d: locked %v, %v", i, locked, err)
		}
	}
	if _, _, locked, err := a.Login("", "NOPE"); !locked || !errors.Is(err, httpapi.ErrLocked) {
		t.Fatalf("attempt %d: locked %v, %v", staffauth.MaxFailures, locked, err)
	}
	// Even the right PIN is refused while locked out.
	if _, _, _, err := a.Login("2468", ""); !errors.Is(err, httpapi.ErrLocked) {
		t.Fatalf("right PIN while locked: %v", err)
	}
	c.add(staffauth.Lockout)
	if _, _, _, err := a.Login("2468", ""); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestHashPIN(t *testing.T) {
	if _, err := staffauth.HashPIN("123"); err == nil {
		t.Fatal("a 3-digit PIN was hashed")
	}
	h, err := staffauth.HashPIN("1357")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(h), []byte("1357")) != nil {
		t.Fatalf("hash = %q, %v", h, err)
	}
}
