package cloudhttp

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/eldergate/eldergate/cloud/domain"
)

// userRoutes registers the administration of the people who sign in. An
// admin manages only the users whose scope lies in its own, and grants no
// scope wider than its own.
func (s *Server) userRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/users", s.require(domain.RoleAdmin, s.listUsers))
	mux.Handle("POST /api/v1/users", s.require(domain.RoleAdmin, s.createUser))
	mux.Handle("PATCH /api/v1/users/{id}", s.require(domain.RoleAdmin, s.updateUser))
	mux.Handle("POST /api/v1/users/{id}/password", s.require(domain.RoleAdmin, s.resetPassword))
	mux.Handle("POST /api/v1/users/{id}/unlock", s.require(domain.RoleAdmin, s.unlockUser))
}

// scopeWithin reports whether a user or token scope lies in the caller's
// scope: everything does for an unscoped caller; "" (everything) lies in
// no scoped caller's; an unknown unit lies nowhere.
func (s *Server) scopeWithin(ctx context.Context, callerScope, scope string) (bool, error) {
	switch {
	case callerScope == "":
		return true, nil
	case scope == "":
		return false, nil
	}
	in, err := s.unitWithin(ctx, callerScope, scope)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return in, err
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	all, err := s.cfg.Store.ListUsers(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	c := CallerOf(r.Context())
	out := []domain.User{}
	for _, u := range all {
		in, err := s.scopeWithin(r.Context(), c.Scope, u.Scope)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if in {
			out = append(out, u)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// CreateUserRequest is the body of POST /api/v1/users. Without a
// password the cloud makes a temporary one; MustChangePassword defaults
// to true (the person chooses its own at the first sign-in).
type CreateUserRequest struct {
	Login              string      `json:"login"`
	Name               string      `json:"name"`
	Role               domain.Role `json:"role"`
	Scope              string      `json:"scope"`
	Password           string      `json:"password,omitempty"`
	MustChangePassword *bool       `json:"must_change_password,omitempty"`
}

// UserWithPassword is a user with the temporary password made for it,
// which exists only in this answer.
type UserWithPassword struct {
	domain.User
	Password string `json:"password,omitempty"`
}

// userError answers a store error of a user change; false when err is nil.
func (s *Server) userError(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, domain.ErrInvalidUser):
		msg := err.Error()
		for _, f := range []string{"login: ", "name: ", "role: ", "scope: "} {
			if i := strings.Index(msg, f); i >= 0 {
				msg = msg[i:]
				break
			}
		}
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(msg, ": "+domain.ErrInvalidUser.Error()))
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, "login "+what+" is taken")
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such user")
	default:
		s.internal(w, r, err)
	}
	return true
}

// checkGrant answers 400/403 unless scope is an org unit (or "") the
// caller may grant; ok is false when it answered.
func (s *Server) checkGrant(w http.ResponseWriter, r *http.Request, scope string) bool {
	if scope != "" {
		if err := domain.ValidateSlug(scope); err != nil {
			writeError(w, http.StatusBadRequest, "scope: "+err.Error())
			return false
		}
		if _, err := s.cfg.Store.OrgUnit(r.Context(), scope); errors.Is(err, domain.ErrNotFound) {
			writeError(w, http.StatusBadRequest, "scope: no org unit "+scope)
			return false
		} else if err != nil {
			s.internal(w, r, err)
			return false
		}
	}
	in, err := s.scopeWithin(r.Context(), CallerOf(r.Context()).Scope, scope)
	if err != nil {
		s.internal(w, r, err)
		return false
	}
	if !in {
		writeError(w, http.StatusForbidden, "scope: you cannot grant a scope wider than your own")
		return false
	}
	return true
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req CreateUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	c := CallerOf(r.Context())
	u := domain.User{Login: domain.NormalizeLogin(req.Login), Name: strings.TrimSpace(req.Name), Role: req.Role, Scope: req.Scope,
		MustChangePassword: req.MustChangePassword == nil || *req.MustChangePassword, CreatedAt: s.cfg.Now().UTC()}
	if u.Scope == "" && c.Scope != "" {
		u.Scope = c.Scope // a scoped admin's users are of its subtree
	}
	if err := domain.ValidateUser(u); s.userError(w, r, err, u.Login) {
		return
	}
	if !s.checkGrant(w, r, u.Scope) {
		return
	}
	out := UserWithPassword{}
	pw := req.Password
	if pw == "" {
		var err error
		if pw, err = domain.TemporaryPassword(); err != nil {
			s.internal(w, r, err)
			return
		}
		out.Password = pw
	} else if err := domain.ValidatePassword(pw); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := domain.RandomToken(9)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	u.ID = "usr-" + id
	hash, err := hashPassword(pw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.cfg.Store.CreateUser(r.Context(), u, hash); s.userError(w, r, err, u.Login) {
		return
	}
	u.UpdatedAt = u.CreatedAt
	auditChange(r, "user", u.ID, u.Scope, nil, u) // never the password: u holds none
	s.log.Info("http: user created", "user", u.ID, "login", u.Login, "role", u.Role, "scope", u.Scope, "by", actor(c))
	out.User = u
	writeJSON(w, http.StatusCreated, out)
}

// managedUser returns user {id} when the caller may manage it (its scope
// lies in the caller's); it answered 404 otherwise (ok false).
func (s *Server) managedUser(w http.ResponseWriter, r *http.Request) (domain.User, bool) {
	u, err := s.cfg.Store.User(r.Context(), r.PathValue("id"))
	if s.userError(w, r, err, "") {
		return u, false
	}
	in, err := s.scopeWithin(r.Context(), CallerOf(r.Context()).Scope, u.Scope)
	if err != nil {
		s.internal(w, r, err)
		return u, false
	}
	if !in {
		writeError(w, http.StatusNotFound, "no such user")
		return u, false
	}
	return u, true
}

// updateUser serves PATCH /api/v1/users/{id} with a domain.UserChange
// (name, role, scope, disabled; each optional). An admin does not demote,
// rescope or disable itself.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var ch domain.UserChange
	if !decodeBody(w, r, &ch) {
		return
	}
	if ch.Name == nil && ch.Role == nil && ch.Scope == nil && ch.Disabled == nil {
		writeError(w, http.StatusBadRequest, "nothing to change: give name, role, scope or disabled")
		return
	}
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	before := u
	c := CallerOf(r.Context())
	if u.ID == c.UserID && (ch.Role != nil && *ch.Role != u.Role || ch.Scope != nil && *ch.Scope != u.Scope || ch.Disabled != nil && *ch.Disabled) {
		writeError(w, http.StatusForbidden, "you cannot change your own role or scope or disable yourself: ask another administrator")
		return
	}
	if ch.Name != nil {
		n := strings.TrimSpace(*ch.Name)
		ch.Name = &n
	}
	if ch.Scope != nil && !s.checkGrant(w, r, *ch.Scope) {
		return
	}
	u, err := s.cfg.Store.UpdateUser(r.Context(), u.ID, ch, s.cfg.Now().UTC())
	if s.userError(w, r, err, u.Login) {
		return
	}
	auditChange(r, "user", u.ID, u.Scope, before, u)
	s.log.Info("http: user changed", "user", u.ID, "login", u.Login, "role", u.Role, "scope", u.Scope, "disabled", u.Disabled, "by", actor(c))
	writeJSON(w, http.StatusOK, u)
}

// resetPassword serves POST /api/v1/users/{id}/password: a temporary
// password, shown in this answer only; the user must change it at the
// next sign-in, its sessions end and its lock is lifted.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	pw, err := domain.TemporaryPassword()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	hash, err := hashPassword(pw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.cfg.Store.SetPassword(r.Context(), u.ID, hash, true, "", s.cfg.Now().UTC()); s.userError(w, r, err, u.Login) {
		return
	}
	s.log.Info("http: password reset", "user", u.ID, "login", u.Login, "by", actor(CallerOf(r.Context())))
	before := u
	u.MustChangePassword, u.FailedAttempts, u.LockedUntil = true, 0, nil
	auditChange(r, "user", u.ID, u.Scope, before, u) // the temporary password is in the answer only
	writeJSON(w, http.StatusOK, UserWithPassword{User: u, Password: pw})
}

// unlockUser serves POST /api/v1/users/{id}/unlock.
func (s *Server) unlockUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Store.UnlockUser(r.Context(), u.ID, s.cfg.Now().UTC()); s.userError(w, r, err, u.Login) {
		return
	}
	s.log.Info("http: user unlocked", "user", u.ID, "login", u.Login, "by", actor(CallerOf(r.Context())))
	before := u
	u.FailedAttempts, u.LockedUntil = 0, nil
	auditChange(r, "user", u.ID, u.Scope, before, u)
	writeJSON(w, http.StatusOK, u)
}
