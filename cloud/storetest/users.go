package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// testUsers: users are created once per id and login, validated, listed
// by login, changed field by field; wrong passwords lock at the fifth and
// the lock ends by time or by UnlockUser; sessions expire by idle time and
// absolute lifetime, end on a password change (but the kept one) and when
// the user is disabled.
func testUsers(t *testing.T, s domain.Store) {
	ctx := context.Background()
	u := domain.User{ID: "u-1", Login: "wang.li", Name: "王丽", Role: domain.RoleOperator, Scope: "st-a", CreatedAt: base}
	if err := s.CreateUser(ctx, u, "$argon2id$hash1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, domain.User{ID: "u-2", Login: "wang.li", Name: "x", Role: domain.RoleViewer, Scope: "st-a", CreatedAt: base}, "h"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same login: %v, want ErrConflict", err)
	}
	if err := s.CreateUser(ctx, domain.User{ID: "u-2", Login: "viewer", Name: "x", Role: domain.RoleViewer, CreatedAt: base}, "h"); !errors.Is(err, domain.ErrInvalidUser) {
		t.Fatalf("unscoped viewer: %v, want ErrInvalidUser", err)
	}
	if err := s.CreateUser(ctx, domain.User{ID: "u-0", Login: "admin", Name: "管理员", Role: domain.RoleAdmin, CreatedAt: base}, "h0"); err != nil {
		t.Fatal(err)
	}
	got, hash, err := s.UserByLogin(ctx, "wang.li")
	if err != nil || hash != "$argon2id$hash1" || got.Name != "王丽" || got.Role != domain.RoleOperator || got.Scope != "st-a" || !got.CreatedAt.Equal(base) || got.Disabled || got.LockedUntil != nil {
		t.Fatalf("UserByLogin: %+v %q %v", got, hash, err)
	}
	if _, _, err := s.UserByLogin(ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown login: %v", err)
	}
	if l, err := s.ListUsers(ctx); err != nil || len(l) != 2 || l[0].Login != "admin" || l[1].Login != "wang.li" {
		t.Fatalf("ListUsers: %+v %v", l, err)
	}
	name, role := "王丽丽", domain.RoleStaff
	if got, err := s.UpdateUser(ctx, "u-1", domain.UserChange{Name: &name, Role: &role}, base.Add(time.Hour)); err != nil || got.Name != name || got.Role != role || got.Scope != "st-a" {
		t.Fatalf("UpdateUser: %+v %v", got, err)
	}
	empty := ""
	if _, err := s.UpdateUser(ctx, "u-1", domain.UserChange{Scope: &empty}, base); !errors.Is(err, domain.ErrInvalidUser) {
		t.Fatalf("unscoped staff: %v", err)
	}
	if got, _ := s.User(ctx, "u-1"); got.Scope != "st-a" {
		t.Fatalf("a refused change changed the scope: %+v", got)
	}
	if _, err := s.UpdateUser(ctx, "u-9", domain.UserChange{Name: &name}, base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}

	// Lockout: four failures count, the fifth locks and restarts the count.
	at := base.Add(2 * time.Hour)
	for i := 1; i <= 4; i++ {
		got, err := s.LoginFailed(ctx, "u-1", at, 5, 15*time.Minute)
		if err != nil || got.FailedAttempts != i || got.Locked(at) {
			t.Fatalf("failure %d: %+v %v", i, got, err)
		}
	}
	got, err = s.LoginFailed(ctx, "u-1", at, 5, 15*time.Minute)
	if err != nil || !got.Locked(at) || !got.LockedUntil.Equal(at.Add(15*time.Minute)) || got.FailedAttempts != 0 {
		t.Fatalf("fifth failure: %+v %v", got, err)
	}
	if got.Locked(at.Add(15 * time.Minute)) {
		t.Fatal("still locked at the end of the lock")
	}
	if err := s.UnlockUser(ctx, "u-1", at); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "u-1"); got.Locked(at) || got.FailedAttempts != 0 {
		t.Fatalf("after unlock: %+v", got)
	}
	if _, err := s.LoginFailed(ctx, "u-1", at, 5, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.LoginSucceeded(ctx, "u-1", at); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, "u-1"); got.FailedAttempts != 0 {
		t.Fatalf("success keeps the count: %+v", got)
	}

	// An API token may be an auditor's too.
	if err := s.CreateAPIToken(ctx, domain.APIToken{ID: "tok-aud", Name: "审计", Role: domain.RoleAuditor, Scope: "st-a", CreatedAt: base}, "hash-aud"); err != nil {
		t.Fatalf("auditor token: %v", err)
	}
	if tok, err := s.AuthenticateAPIToken(ctx, "hash-aud", base); err != nil || tok.Role != domain.RoleAuditor {
		t.Fatalf("auditor token: %+v %v", tok, err)
	}

	// Sessions.
	mk := func(h string, created time.Time) {
		t.Helper()
		if err := s.CreateSession(ctx, domain.Session{IDHash: h, UserID: "u-1", CSRF: "csrf-" + h, CreatedAt: created,
			LastSeenAt: created, ExpiresAt: created.Add(12 * time.Hour), RemoteAddr: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	const idle = 30 * time.Minute
	mk("h1", at)
	ss, su, err := s.Session(ctx, "h1", at.Add(20*time.Minute), idle)
	if err != nil || ss.CSRF != "csrf-h1" || su.ID != "u-1" || su.Name != name || !ss.LastSeenAt.Equal(at.Add(20*time.Minute)) {
		t.Fatalf("Session: %+v %+v %v", ss, su, err)
	}
	// Used 20 minutes ago: 40 minutes after creation it is still alive.
	if _, _, err := s.Session(ctx, "h1", at.Add(40*time.Minute), idle); err != nil {
		t.Fatalf("session used within the idle time: %v", err)
	}
	if _, _, err := s.Session(ctx, "h1", at.Add(71*time.Minute), idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("idle session: %v", err)
	}
	if _, _, err := s.Session(ctx, "h1", at.Add(72*time.Minute), time.Hour); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an expired session is deleted: %v", err)
	}
	mk("h2", at)
	for m := 25; m < 12*60; m += 25 {
		if _, _, err := s.Session(ctx, "h2", at.Add(time.Duration(m)*time.Minute), idle); err != nil {
			t.Fatalf("session used every 25 minutes, at %d: %v", m, err)
		}
	}
	if _, _, err := s.Session(ctx, "h2", at.Add(12*time.Hour), idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("session past its lifetime: %v", err)
	}
	mk("h3", at)
	mk("h4", at)
	if err := s.SetPassword(ctx, "u-1", "$argon2id$hash2", true, "h4", at); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, "h3", at, idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another session survived a password change: %v", err)
	}
	if _, u, err := s.Session(ctx, "h4", at, idle); err != nil || !u.MustChangePassword {
		t.Fatalf("the kept session: %+v %v", u, err)
	}
	if _, h, _ := s.UserByLogin(ctx, "wang.li"); h != "$argon2id$hash2" {
		t.Fatalf("hash after SetPassword: %q", h)
	}
	if err := s.SetPassword(ctx, "u-9", "h", false, "", at); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("SetPassword of an unknown user: %v", err)
	}
	yes := true
	if got, err := s.UpdateUser(ctx, "u-1", domain.UserChange{Disabled: &yes}, at); err != nil || !got.Disabled {
		t.Fatalf("disable: %+v %v", got, err)
	}
	if _, _, err := s.Session(ctx, "h4", at, idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a session survived disabling: %v", err)
	}
	mk("h5", at)
	if err := s.DeleteSession(ctx, "h5"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, "h5", at, idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	mk("h6", at)
	if err := s.DeleteUserSessions(ctx, "u-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx, "h6", at, idle); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
}
