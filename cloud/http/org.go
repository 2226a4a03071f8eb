package cloudhttp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate/cloud/domain"
)

// orgRoutes registers the organisation tree and API token routes.
func (s *Server) orgRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/org", s.require(domain.RoleViewer, s.listOrg))
	mux.Handle("POST /api/v1/org", s.require(domain.RoleAdmin, s.createOrgUnit))
	mux.Handle("PATCH /api/v1/org/{id}", s.require(domain.RoleAdmin, s.updateOrgUnit))
	mux.Handle("POST /api/v1/tokens", s.require(domain.RoleAdmin, s.createToken))
	mux.Handle("GET /api/v1/tokens", s.require(domain.RoleAdmin, s.listTokens))
	mux.Handle("POST /api/v1/tokens/{id}/revoke", s.require(domain.RoleAdmin, s.revokeToken))
}

// Caller is who made an authenticated request: the role and the org unit
// subtree of its token ("" = everything). The configured admin token is
// the bootstrap admin with TokenID "admin".
type Caller struct {
	Kind    string // "token" (an API token or the configured admin token) or "user" (a signed-in person)
	UserID  string // the user's id when Kind is "user"
	TokenID string
	Name    string // the token's name ("admin" for the configured admin token)
	Role    domain.Role
	Scope   string
	// The signed-in person's login and whether an admin reset its
	// password (it must choose its own before anything else), when Kind
	// is "user".
	Login              string
	MustChangePassword bool

	session *domain.Session // the session of a signed-in person (session.go)
}

type callerKey struct{}

// CallerOf returns the caller require put into the request's context (the
// zero Caller outside require).
func CallerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// require authenticates the caller (a bearer token: the configured admin
// token, compared in constant time, or an API token looked up by its
// SHA-256; or the session cookie of a signed-in person, session.go) and
// lets the request through when the caller's role permits role: 401 for
// no caller or a missing, unknown, revoked or expired credential, 403 for
// a role too low, for a change made with a session cookie without its
// CSRF token or from another origin (checkCSRF), and for anything but
// the password change while a person must change its password. The
// handler finds the caller with CallerOf(r.Context()). The role is kept
// on the handler (routeMux records it, routes.go).
func (s *Server) require(role domain.Role, next http.HandlerFunc) http.Handler {
	return guarded{role: role, h: s.guard(func(c Caller, read bool) string {
		if !c.Role.Permits(role, read) {
			return fmt.Sprintf("this needs the %s role; you have %s", role, c.Role)
		}
		return ""
	}, next)}
}

// guard authenticates the caller and answers 401 or 403 (allowed's
// message, CSRF, a password to change) before next.
func (s *Server) guard(allowed func(c Caller, read bool) string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		c, msg, err := s.authenticate(r)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if msg != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eldergate"`)
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		auditCaller(r, c) // audit.go: a refused caller is named too
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		if c.session != nil && !read {
			if msg := s.checkCSRF(r, c.session); msg != "" {
				writeError(w, http.StatusForbidden, msg)
				return
			}
		}
		if c.MustChangePassword && !passwordChangeRoutes[r.Pattern] {
			writeError(w, http.StatusForbidden, "an administrator reset your password: choose your own first (POST /api/v1/me/password)")
			return
		}
		if msg := allowed(c, read); msg != "" {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	}
}

// authenticate returns the caller of r, or a non-empty message for a 401.
func (s *Server) authenticate(r *http.Request) (Caller, string, error) {
	const invalid = "missing or invalid bearer token"
	if r.Header.Get("Authorization") == "" {
		if ck, err := r.Cookie(SessionCookie); err == nil {
			return s.sessionCaller(r, ck.Value)
		}
		return Caller{}, "not signed in: sign in, or give a bearer token", nil
	}
	given, ok := bearer(r.Header.Get("Authorization"))
	if !ok || len(given) > 512 {
		return Caller{}, invalid, nil
	}
	sum := sha256.Sum256([]byte(given))
	if subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1 {
		return Caller{Kind: "token", TokenID: "admin", Name: "admin", Role: domain.RoleAdmin}, "", nil
	}
	if s.cfg.Store == nil {
		return Caller{}, invalid, nil
	}
	// The lookup is by the SHA-256 of a 256-bit secret in an index: no
	// secret is compared in memory.
	t, err := s.cfg.Store.AuthenticateAPIToken(r.Context(), domain.HashToken(given), s.cfg.Now().UTC())
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return Caller{}, invalid, nil
	case errors.Is(err, domain.ErrRevoked):
		return Caller{}, "token revoked", nil
	case errors.Is(err, domain.ErrTokenExpired):
		return Caller{}, "token expired", nil
	case err != nil:
		return Caller{}, "", err
	case !t.Role.Valid():
		return Caller{}, invalid, nil
	}
	return Caller{Kind: "token", TokenID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope}, "", nil
}

// siteVisible reports whether the caller of r may see and act on site
// (and the gateways of that site): always for an unscoped caller, else
// only when site is a site unit in the caller's subtree. Per-site and
// per-gateway routes call it and answer 404 when it is false.
func (s *Server) siteVisible(r *http.Request, site string) bool {
	c := CallerOf(r.Context())
	if c.Scope == "" {
		return true
	}
	ok, err := s.cfg.Store.SiteInScope(r.Context(), c.Scope, site)
	if err != nil {
		s.log.Error("http: site visibility", "site", site, "scope", c.Scope, "err", err)
		return false
	}
	return ok
}

// unitWithin reports whether org unit id lies in the subtree of scope
// ("" = everything). An unknown id is ErrNotFound.
func (s *Server) unitWithin(ctx context.Context, scope, id string) (bool, error) {
	u, err := s.cfg.Store.OrgUnit(ctx, id)
	if err != nil {
		return false, err
	}
	if scope == "" {
		return true, nil
	}
	root, err := s.cfg.Store.OrgUnit(ctx, scope)
	if err != nil {
		return false, err
	}
	return strings.HasPrefix(u.Path, root.Path), nil
}

// unitNames returns the names of the org units of scope's subtree ("" =
// the whole tree) by id, for tables that show units by name.
func (s *Server) unitNames(ctx context.Context, scope string) (map[string]string, error) {
	units, err := s.cfg.Store.ListOrgUnits(ctx, scope)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(units))
	for _, u := range units {
		names[u.ID] = u.Name
	}
	return names, nil
}

// listScope is the scope of a list route: ?scope=ID when given (it must
// lie in the caller's own scope: 400 for a malformed or unknown unit,
// 403 outside), else the caller's scope. ok is false when it answered.
func (s *Server) listScope(w http.ResponseWriter, r *http.Request) (scope string, ok bool) {
	c := CallerOf(r.Context())
	q := r.URL.Query().Get("scope")
	if q == "" {
		return c.Scope, true
	}
	if err := domain.ValidateSlug(q); err != nil {
		writeError(w, http.StatusBadRequest, "scope: "+err.Error())
		return "", false
	}
	in, err := s.unitWithin(r.Context(), c.Scope, q)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusBadRequest, "scope: no org unit "+q)
		return "", false
	case err != nil:
		s.internal(w, r, err)
		return "", false
	case !in:
		writeError(w, http.StatusForbidden, "scope: "+q+" is outside the token's scope")
		return "", false
	}
	return q, true
}

// CreateOrgUnitRequest is the body of POST /api/v1/org.
type CreateOrgUnitRequest struct {
	ID     string `json:"id"`
	Parent string `json:"parent"`
	Level  string `json:"level"`
	Name   string `json:"name"`
	Code   string `json:"code,omitempty"` // administrative division code (domain.ValidateOrgCode)
}

func (s *Server) listOrg(w http.ResponseWriter, r *http.Request) {
	units, err := s.cfg.Store.ListOrgUnits(r.Context(), CallerOf(r.Context()).Scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, units)
}

func (s *Server) createOrgUnit(w http.ResponseWriter, r *http.Request) {
	var req CreateOrgUnitRequest
	if !decodeBody(w, r, &req) {
		return
	}
	u := domain.OrgUnit{ID: req.ID, ParentID: req.Parent, Level: req.Level, Name: strings.TrimSpace(req.Name), Code: req.Code}
	if err := domain.ValidateOrgUnit(u); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalidOrg.Error()))
		return
	}
	if c := CallerOf(r.Context()); c.Scope != "" {
		// A scoped admin grows its own subtree only.
		in := false
		if u.ParentID != "" {
			var err error
			in, err = s.unitWithin(r.Context(), c.Scope, u.ParentID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				s.internal(w, r, err)
				return
			}
		}
		if !in {
			writeError(w, http.StatusForbidden, "parent: outside the token's scope")
			return
		}
	}
	u, err := s.cfg.Store.CreateOrgUnit(r.Context(), u, s.cfg.Now())
	switch {
	case errors.Is(err, domain.ErrInvalidOrg):
		msg := err.Error()
		if i := strings.Index(msg, "parent: "); i >= 0 {
			msg = msg[i:]
		}
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(msg, ": "+domain.ErrInvalidOrg.Error()))
		return
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusBadRequest, "parent: no org unit "+req.Parent)
		return
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, "org unit "+req.ID+" already exists")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: org unit created", "id", u.ID, "level", u.Level, "parent", u.ParentID)
	auditChange(r, "org_unit", u.ID, u.ID, nil, u)
	writeJSON(w, http.StatusCreated, u)
}

// updateOrgUnit serves PATCH /api/v1/org/{id} with a domain.OrgUnitChange
// ({"name": ..., "code": ...}, each optional; "code": "" clears it): an
// admin renames a unit of its subtree or sets its administrative division
// code (a district's 6 digits, a street's 9, agreeing with the codes above
// and below it).
func (s *Server) updateOrgUnit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := domain.ValidateSlug(id); err != nil {
		writeError(w, http.StatusNotFound, "no org unit "+quote(id))
		return
	}
	var ch domain.OrgUnitChange
	if !decodeBody(w, r, &ch) {
		return
	}
	if ch.Name == nil && ch.Code == nil {
		writeError(w, http.StatusBadRequest, "nothing to change: give name or code")
		return
	}
	in, err := s.unitWithin(r.Context(), CallerOf(r.Context()).Scope, id)
	switch {
	case errors.Is(err, domain.ErrNotFound) || (err == nil && !in):
		writeError(w, http.StatusNotFound, "no org unit "+id)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	before, err := s.cfg.Store.OrgUnit(r.Context(), id)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	u, err := s.cfg.Store.UpdateOrgUnit(r.Context(), id, ch)
	switch {
	case errors.Is(err, domain.ErrInvalidOrg):
		msg := err.Error()
		for _, f := range []string{"code: ", "name: ", "level: "} {
			if i := strings.Index(msg, f); i >= 0 {
				msg = msg[i:]
				break
			}
		}
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(msg, ": "+domain.ErrInvalidOrg.Error()))
		return
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no org unit "+id)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: org unit changed", "id", u.ID, "code", u.Code)
	auditChange(r, "org_unit", u.ID, u.ID, before, u)
	writeJSON(w, http.StatusOK, u)
}

// MaxTokenTTLDays bounds ttl_days of POST /api/v1/tokens.
const MaxTokenTTLDays = 3650

// CreateTokenRequest is the body of POST /api/v1/tokens.
type CreateTokenRequest struct {
	Name    string      `json:"name"`
	Role    domain.Role `json:"role"`
	Scope   string      `json:"scope"`
	TTLDays int         `json:"ttl_days,omitempty"` // 0: no expiry
}

// CreateTokenResponse is the new token with its secret, which exists
// only in this answer.
type CreateTokenResponse struct {
	domain.APIToken
	Secret string `json:"secret"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req CreateTokenRequest
	if !decodeBody(w, r, &req) {
		return
	}
	c := CallerOf(r.Context())
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case req.Name == "" || utf8.RuneCountInString(req.Name) > 64:
		writeError(w, http.StatusBadRequest, "name: must be 1-64 characters")
		return
	case !req.Role.Valid():
		writeError(w, http.StatusBadRequest, "role: must be one of viewer, staff, operator, admin")
		return
	case req.TTLDays < 0 || req.TTLDays > MaxTokenTTLDays:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ttl_days: must be 0 (no expiry) to %d", MaxTokenTTLDays))
		return
	}
	if req.Scope == "" {
		req.Scope = c.Scope // a scoped admin hands out tokens of its subtree
	} else {
		in, err := s.unitWithin(r.Context(), c.Scope, req.Scope)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			writeError(w, http.StatusBadRequest, "scope: no org unit "+req.Scope)
			return
		case err != nil:
			s.internal(w, r, err)
			return
		case !in:
			writeError(w, http.StatusForbidden, "scope: "+req.Scope+" is outside the token's scope")
			return
		}
	}
	id, err := domain.RandomToken(9)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	secret, err := domain.RandomToken(32)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	secret = "egt_" + secret
	now := s.cfg.Now().UTC()
	t := domain.APIToken{ID: "tok-" + id, Name: req.Name, Role: req.Role, Scope: req.Scope, CreatedAt: now}
	if req.TTLDays > 0 {
		exp := now.Add(time.Duration(req.TTLDays) * 24 * time.Hour)
		t.ExpiresAt = &exp
	}
	if err := s.cfg.Store.CreateAPIToken(r.Context(), t, domain.HashToken(secret)); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: api token created", "token", t.ID, "role", t.Role, "scope", t.Scope, "by", c.TokenID)
	auditChange(r, "api_token", t.ID, t.Scope, nil, t) // the token without its secret
	writeJSON(w, http.StatusCreated, CreateTokenResponse{APIToken: t, Secret: secret})
}

// visibleTokens returns the tokens an admin scoped to scope may see: those
// whose scope lies in its subtree (all for an unscoped admin).
func (s *Server) visibleTokens(ctx context.Context, scope string) ([]domain.APIToken, error) {
	ts, err := s.cfg.Store.ListAPITokens(ctx)
	if err != nil || scope == "" {
		return ts, err
	}
	out := []domain.APIToken{}
	for _, t := range ts {
		if t.Scope == "" {
			continue
		}
		in, err := s.unitWithin(ctx, scope, t.Scope)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		if in {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.visibleTokens(r.Context(), CallerOf(r.Context()).Scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c := CallerOf(r.Context())
	if c.Scope != "" {
		ts, err := s.visibleTokens(r.Context(), c.Scope)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		found := false
		for _, t := range ts {
			found = found || t.ID == id
		}
		if !found {
			writeError(w, http.StatusNotFound, "no such token")
			return
		}
	}
	var before *domain.APIToken
	if ts, err := s.visibleTokens(r.Context(), c.Scope); err == nil {
		for _, t := range ts {
			if t.ID == id {
				before = &t
			}
		}
	}
	at := s.cfg.Now().UTC()
	err := s.cfg.Store.RevokeAPIToken(r.Context(), id, at)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such token")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: api token revoked", "token", id, "by", c.TokenID)
	var after any = map[string]any{"id": id, "revoked_at": at}
	unit := c.Scope
	if before != nil {
		t := *before
		t.RevokedAt = &at
		after, unit = t, t.Scope
	}
	auditChange(r, "api_token", id, unit, before, after)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true, "at": at})
}
