package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// TestUsersAdd: "users add" creates a user in the SQLite store of --data
// with a generated password printed once (to be changed) or one read from
// stdin, and refuses a taken login, an unscoped non-admin, an unknown
// scope and a short password.
func TestUsersAdd(t *testing.T) {
	t.Setenv("EG_STORE_DSN", "")
	dir := t.TempDir()
	ctx := context.Background()
	add := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := usersCmd(ctx, append([]string{"add", "--data", dir}, args...), strings.NewReader(stdin), &out, &errOut)
		return out.String(), err
	}
	out, err := add("", "--login", "Admin", "--name", "区管理员", "--role", "admin")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`temporary password \(shown once; to be changed at the first sign-in\): (\S{12})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no temporary password in %q", out)
	}
	if _, err := add("a good password\n", "--login", "li", "--name", "李", "--role", "viewer", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Errorf("unscoped viewer: %v", err)
	}
	if _, err := add("a good password\n", "--login", "li", "--name", "李", "--role", "viewer", "--scope", "nope", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "no org unit nope") {
		t.Errorf("unknown scope: %v", err)
	}
	if _, err := add("short\n", "--login", "li", "--name", "李", "--role", "admin", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("short password: %v", err)
	}
	if out, err := add("a good password\n", "--login", "li", "--name", "李", "--role", "admin", "--password-stdin"); err != nil || strings.Contains(out, "a good password") {
		t.Fatalf("password from stdin: %q %v", out, err)
	}
	if _, err := add("", "--login", "admin", "--name", "x", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("taken login: %v", err)
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for login, pw := range map[string]string{"admin": m[1], "li": "a good password"} {
		u, hash, err := st.UserByLogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := domain.VerifyPassword(hash, pw); !ok || err != nil {
			t.Errorf("%s: the password does not verify: %v", login, err)
		}
		if u.MustChangePassword != (login == "admin") {
			t.Errorf("%s: must_change_password %v", login, u.MustChangePassword)
		}
	}
}
