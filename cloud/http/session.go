package cloudhttp

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// People sign in with a login and a password and get a session cookie
// (docs/console.md "People", ADR 0022); machines keep their bearer tokens.
const (
	// SessionCookie is the name of the session cookie.
	SessionCookie = "eg_session"
	// SessionIdle ends a session not used for this long.
	SessionIdle = 30 * time.Minute
	// SessionLifetime ends a session this long after sign-in, however used.
	SessionLifetime = 12 * time.Hour
	// MaxLoginFailures wrong passwords in a row lock a login for LockFor.
	MaxLoginFailures = 5
	LockFor          = 15 * time.Minute
	// LoginsPerAddress bounds the sign-in attempts of one remote address
	// a minute, whatever the logins.
	LoginsPerAddress = 20
	// CSRFHeader carries the session's CSRF token on every change.
	CSRFHeader = "X-CSRF-Token"
)

// passwordChangeRoutes are what a person whose password an admin reset
// may still use: who am I, choose a password, sign out.
var passwordChangeRoutes = map[string]bool{
	"GET /api/v1/me":           true,
	"POST /api/v1/me/password": true,
	"DELETE /api/v1/session":   true,
}

// sessionRoutes registers sign-in, sign-out and the caller's own routes.
func (s *Server) sessionRoutes(mux *routeMux) {
	mux.HandleFunc("POST /api/v1/session", s.login) // public: the sign-in itself
	mux.Handle("DELETE /api/v1/session", s.signedIn(s.logout))
	mux.Handle("GET /api/v1/me", s.require(domain.RoleViewer, s.me))
	mux.Handle("POST /api/v1/me/password", s.signedIn(s.changeOwnPassword))
}

// signedIn is require for the routes of every caller whatever its role
// (the auditor, who changes nothing, still signs out and changes its own
// password): recorded with role "".
func (s *Server) signedIn(next http.HandlerFunc) http.Handler {
	return guarded{h: s.guard(func(Caller, bool) string { return "" }, next)}
}

// sessionCaller returns the signed-in person of a session cookie's value.
func (s *Server) sessionCaller(r *http.Request, value string) (Caller, string, error) {
	const gone = "your session has ended: sign in again"
	if len(value) != 43 { // 32 random bytes, unpadded base64url
		return Caller{}, gone, nil
	}
	ss, u, err := s.cfg.Store.Session(r.Context(), domain.HashToken(value), s.cfg.Now().UTC(), SessionIdle)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return Caller{}, gone, nil
	case err != nil:
		return Caller{}, "", err
	case u.Disabled || !u.Role.Valid():
		return Caller{}, gone, nil
	}
	return Caller{Kind: "user", UserID: u.ID, Name: u.Name, Role: u.Role, Scope: u.Scope,
		Login: u.Login, MustChangePassword: u.MustChangePassword, session: &ss}, "", nil
}

// checkCSRF returns why a change made with session ss must be refused
// ("" when it may go on): its X-CSRF-Token must be the session's
// (compared in constant time) and it must come from the console's own
// origin (sameOrigin).
func (s *Server) checkCSRF(r *http.Request, ss *domain.Session) string {
	got := r.Header.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ss.CSRF)) != 1 {
		return "refused: a change made with the session cookie needs the session's " + CSRFHeader + " header (sign in again if the page is old)"
	}
	if !s.sameOrigin(r, false) {
		return "refused: the change does not come from this site's own pages (Origin " + quote(r.Header.Get("Origin")) + ")"
	}
	return ""
}

// sameOrigin reports whether r was sent by a page of this server: its
// Origin names the request's own host (or the public URL's); without
// Origin, Sec-Fetch-Site is same-origin, or else the Referer names the
// host. With none of the three, lenient decides (the sign-in accepts
// clients that are not browsers; a change with a cookie does not).
func (s *Server) sameOrigin(r *http.Request, lenient bool) bool {
	hostOK := func(raw string) bool {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return false
		}
		if strings.EqualFold(u.Host, r.Host) {
			return true
		}
		p, err := url.Parse(s.provisioning().PublicURL)
		return err == nil && p.Host != "" && strings.EqualFold(u.Host, p.Host)
	}
	if o := r.Header.Get("Origin"); o != "" {
		return hostOK(o)
	}
	if f := r.Header.Get("Sec-Fetch-Site"); f != "" {
		return f == "same-origin"
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return hostOK(ref)
	}
	return lenient
}

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// MeResponse is the caller as GET /api/v1/me and the sign-in answer it.
type MeResponse struct {
	Kind               string      `json:"kind"` // "user" or "token"
	Login              string      `json:"login,omitempty"`
	Name               string      `json:"name"`
	Role               domain.Role `json:"role"`
	Scope              string      `json:"scope"`
	MustChangePassword bool        `json:"must_change_password"`
	CSRFToken          string      `json:"csrf_token,omitempty"` // send it back in X-CSRF-Token with every change
}

func meOf(c Caller) MeResponse {
	m := MeResponse{Kind: c.Kind, Login: c.Login, Name: actor(c), Role: c.Role, Scope: c.Scope, MustChangePassword: c.MustChangePassword}
	if c.session != nil {
		m.CSRFToken = c.session.CSRF
	}
	return m
}

// me serves GET /api/v1/me: who the caller is (a signed-in person or a
// token), its role and scope, so that the console offers only what the
// caller may do, and a person's CSRF token.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, meOf(CallerOf(r.Context())))
}

// hashSlots bounds the password hashes computed at once (each holds 19
// MiB for about 50 ms).
var hashSlots = make(chan struct{}, 4)

// verify checks pw against hash (a PHC string) in a hash slot; a hash of
// "" is checked against a dummy hash of the same cost, so that an unknown
// login costs what a known one does.
func (s *Server) verify(hash, pw string) bool {
	if hash == "" {
		hash = dummyHash()
	}
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	ok, err := domain.VerifyPassword(hash, pw)
	if err != nil {
		s.log.Error("http: stored password hash", "err", err)
	}
	return ok && err == nil
}

// hashPassword hashes a new password in a hash slot.
func hashPassword(pw string) (string, error) {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return domain.HashPassword(pw)
}

var dummyHash = sync.OnceValue(func() string {
	h, err := domain.HashPassword("no such user: a dummy that costs what a password does")
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return h
})

// lockedMessage says until when a login is locked, in the default zone.
func lockedMessage(until time.Time) string {
	zone, err := time.LoadLocation(domain.DefaultTimeZone)
	if err != nil {
		zone = time.UTC
	}
	return "locked after too many wrong passwords: try again at " + until.In(zone).Format("15:04") + " (" + zone.String() + ") or ask an administrator to unlock it"
}

// login serves POST /api/v1/session: a login and a password (never
// logged) for a session cookie. Wrong credentials are 401 in the same
// words for an unknown login and a wrong password, and cost the same
// time; the MaxLoginFailures-th wrong password in a row locks the login
// for LockFor (403 with locked_until, even for the right password); more
// than LoginsPerAddress attempts a minute from one address are 429.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.sameOrigin(r, true) {
		writeError(w, http.StatusForbidden, "refused: sign in from this site's own sign-in page")
		return
	}
	now := s.cfg.Now().UTC()
	addr := remoteHost(r)
	if !s.loginLimit.allow(addr, now, LoginsPerAddress) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "too many sign-in attempts from this address: wait a minute")
		return
	}
	var req LoginRequest
	if !decodeBody(w, r, &req) {
		return
	}
	login := domain.NormalizeLogin(req.Login)
	const wrong = "wrong login or password"
	if login == "" || len(login) > 64 || req.Password == "" || len(req.Password) > domain.MaxPasswordLen {
		s.verify("", req.Password[:min(len(req.Password), domain.MaxPasswordLen)])
		writeError(w, http.StatusUnauthorized, wrong)
		return
	}
	u, hash, err := s.cfg.Store.UserByLogin(r.Context(), login)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		s.verify("", req.Password)
		s.log.Info("http: sign-in refused", "login", login, "remote", addr, "why", "unknown login")
		writeError(w, http.StatusUnauthorized, wrong)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	ok := s.verify(hash, req.Password)
	if u.Locked(now) {
		s.log.Info("http: sign-in refused", "login", login, "remote", addr, "why", "locked")
		writeJSON(w, http.StatusForbidden, map[string]any{"error": lockedMessage(*u.LockedUntil), "locked_until": u.LockedUntil})
		return
	}
	if !ok {
		u, err = s.cfg.Store.LoginFailed(r.Context(), u.ID, now, MaxLoginFailures, LockFor)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if u.Locked(now) {
			s.log.Warn("http: login locked", "login", login, "remote", addr, "until", u.LockedUntil)
			writeJSON(w, http.StatusForbidden, map[string]any{"error": lockedMessage(*u.LockedUntil), "locked_until": u.LockedUntil})
			return
		}
		s.log.Info("http: sign-in refused", "login", login, "remote", addr, "why", "wrong password", "failures", u.FailedAttempts)
		writeError(w, http.StatusUnauthorized, wrong)
		return
	}
	if u.Disabled {
		s.log.Info("http: sign-in refused", "login", login, "remote", addr, "why", "disabled")
		writeError(w, http.StatusForbidden, "this account is disabled: ask an administrator")
		return
	}
	if err := s.cfg.Store.LoginSucceeded(r.Context(), u.ID, now); err != nil {
		s.internal(w, r, err)
		return
	}
	id, err := domain.RandomToken(32)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	csrf, err := domain.RandomToken(32)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ss := domain.Session{IDHash: domain.HashToken(id), UserID: u.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(SessionLifetime), RemoteAddr: addr}
	if err := s.cfg.Store.CreateSession(r.Context(), ss); err != nil {
		s.internal(w, r, err)
		return
	}
	s.setSessionCookie(w, id, SessionLifetime)
	auditCaller(r, Caller{Kind: "user", UserID: u.ID, Name: u.Name, Role: u.Role, Scope: u.Scope}) // the audit row of the sign-in names who
	s.log.Info("http: signed in", "login", login, "user", u.ID, "role", u.Role, "remote", addr)
	writeJSON(w, http.StatusOK, meOf(Caller{Kind: "user", UserID: u.ID, Name: u.Name, Role: u.Role, Scope: u.Scope,
		Login: u.Login, MustChangePassword: u.MustChangePassword, session: &ss}))
}

// setSessionCookie sets (maxAge > 0) or clears the session cookie. It is
// always Secure: browsers keep a Secure cookie from http://127.0.0.1 and
// http://localhost (headless Chromium checked, ADR 0022), and everywhere
// else the console is served over TLS.
func (s *Server) setSessionCookie(w http.ResponseWriter, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// logout serves DELETE /api/v1/session: the session ends and its cookie
// is cleared (a token caller has no session: 204 all the same).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	c := CallerOf(r.Context())
	if c.session != nil {
		if err := s.cfg.Store.DeleteSession(r.Context(), c.session.IDHash); err != nil {
			s.internal(w, r, err)
			return
		}
		s.log.Info("http: signed out", "login", c.Login, "user", c.UserID)
	}
	s.setSessionCookie(w, "", 0)
	w.WriteHeader(http.StatusNoContent)
}

// ChangePasswordRequest is the body of POST /api/v1/me/password.
type ChangePasswordRequest struct {
	Old string `json:"old_password"`
	New string `json:"new_password"`
}

// changeOwnPassword serves POST /api/v1/me/password: a signed-in person
// replaces its password, giving the current one (a wrong one counts as a
// failed sign-in); its other sessions end.
func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request) {
	c := CallerOf(r.Context())
	if c.Kind != "user" {
		writeError(w, http.StatusBadRequest, "only a signed-in person has a password; tokens are revoked and created anew")
		return
	}
	var req ChangePasswordRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if err := domain.ValidatePassword(req.New); err != nil {
		writeError(w, http.StatusBadRequest, "new "+err.Error())
		return
	}
	if req.New == req.Old {
		writeError(w, http.StatusBadRequest, "new password: must differ from the current one")
		return
	}
	u, hash, err := s.cfg.Store.UserByLogin(r.Context(), c.Login)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	if len(req.Old) > domain.MaxPasswordLen || !s.verify(hash, req.Old) {
		if _, err := s.cfg.Store.LoginFailed(r.Context(), u.ID, now, MaxLoginFailures, LockFor); err != nil {
			s.internal(w, r, err)
			return
		}
		writeError(w, http.StatusForbidden, "the current password is wrong")
		return
	}
	h, err := hashPassword(req.New)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.cfg.Store.SetPassword(r.Context(), u.ID, h, false, c.session.IDHash, now); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: password changed", "login", c.Login, "user", c.UserID)
	c.MustChangePassword = false
	writeJSON(w, http.StatusOK, meOf(c))
}

// addrLimiter bounds events per remote address per fixed minute.
type addrLimiter struct {
	mu    sync.Mutex
	start time.Time
	count map[string]int
}

func (l *addrLimiter) allow(addr string, now time.Time, n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == nil || now.Sub(l.start) >= time.Minute || now.Before(l.start) {
		l.start, l.count = now, map[string]int{}
	}
	if l.count[addr] >= n {
		return false
	}
	l.count[addr]++
	return true
}
