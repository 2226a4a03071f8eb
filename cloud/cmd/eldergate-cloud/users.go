package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// usersCmd administers the people who sign in to the console, straight
// in the store (the bootstrap: the first admin; afterwards admins use the
// console's users page).
//
//	eldergate-cloud users add --login L --name N --role R [--scope UNIT]
//	                          [--password-stdin] [--store DSN | --data DIR]
//
// Without --password-stdin a temporary password is generated, printed
// once, and must be changed at the first sign-in; with it, the first line
// of stdin is the password (never echoed or logged).
func usersCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("users: usage: eldergate-cloud users add --login L --name N --role R [--scope UNIT] [--password-stdin] [--store DSN | --data DIR]")
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	login := fs.String("login", "", "the login (2-64 of a-z 0-9 . _ -); required")
	name := fs.String("name", "", "the display name; required")
	role := fs.String("role", "", "viewer, staff, operator, admin or auditor; required")
	scope := fs.String("scope", "", "the org unit id the role is bound to ('' = everything, admins only)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (default: generate a temporary one)")
	storeDSN := fs.String("store", "", "PostgreSQL store URL postgres://user:pass@host/db (default: SQLite in -data; env EG_STORE_DSN)")
	dataDir := fs.String("data", "./data", "data directory (SQLite database)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("users: unexpected arguments %q", fs.Args())
	}
	u := domain.User{Login: domain.NormalizeLogin(*login), Name: strings.TrimSpace(*name), Role: domain.Role(*role), Scope: *scope,
		CreatedAt: time.Now().UTC()}
	if err := domain.ValidateUser(u); err != nil {
		return fmt.Errorf("users: %v", strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalidUser.Error()))
	}
	var pw string
	if *pwStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("users: password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if err := domain.ValidatePassword(pw); err != nil {
			return fmt.Errorf("users: %w", err)
		}
	} else {
		var err error
		if pw, err = domain.TemporaryPassword(); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		u.MustChangePassword = true
	}
	if *storeDSN == "" {
		*storeDSN = os.Getenv("EG_STORE_DSN")
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st, err := openStore(ctx, *storeDSN, *dataDir)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer st.Close()
	if u.Scope != "" {
		if _, err := st.OrgUnit(ctx, u.Scope); errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("users: scope: no org unit %s", u.Scope)
		} else if err != nil {
			return fmt.Errorf("users: %w", err)
		}
	}
	id, err := domain.RandomToken(9)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	u.ID = "usr-" + id
	hash, err := domain.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if err := st.CreateUser(ctx, u, hash); errors.Is(err, domain.ErrConflict) {
		return fmt.Errorf("users: login %s is taken", u.Login)
	} else if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	fmt.Fprintf(stdout, "eldergate-cloud: user %s (%s, %s", u.Login, u.ID, u.Role)
	if u.Scope != "" {
		fmt.Fprintf(stdout, " of %s", u.Scope)
	}
	fmt.Fprintln(stdout, ") created")
	if u.MustChangePassword {
		fmt.Fprintf(stdout, "temporary password (shown once; to be changed at the first sign-in): %s\n", pw)
	}
	return nil
}
