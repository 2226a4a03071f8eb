package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// publicRoutes are the API routes that need no caller. A route registered
// without s.require or s.signedIn fails TestRouteWalk until it is named
// here.
var publicRoutes = map[string]bool{
	"GET /api/v1/openapi.yaml": true, // this API's document
	"POST /api/v1/enroll":      true, // a gateway with its one-time enrollment token
	"POST /api/v1/session":     true, // the sign-in itself
	// Outside /api/v1 and so not walked: GET /healthz and the public
	// charity page GET /charity/{id} (charity_page.go).
}

// session is a signed-in person of a test: its cookie and CSRF token.
type session struct {
	cookie, csrf string
}

// addUser stores a user with password pw (hashing it: 50 ms).
func addUser(t testing.TB, st domain.Store, login string, role domain.Role, scope, pw string) domain.User {
	t.Helper()
	h, err := domain.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	u := domain.User{ID: "usr-" + login, Login: login, Name: "名" + login, Role: role, Scope: scope, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := st.CreateUser(context.Background(), u, h); err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn posts a login and returns the session it opened.
func signIn(t testing.TB, h http.Handler, login, pw string) session {
	t.Helper()
	w := post(h, "/api/v1/session", `{"login":"`+login+`","password":"`+pw+`"}`, "http://example.com")
	if w.Code != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", login, w.Code, w.Body)
	}
	var me MeResponse
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || me.CSRFToken == "" || me.Kind != "user" {
		t.Fatalf("sign-in answer %s: %v", w.Body, err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == SessionCookie {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || len(c.Value) != 43 {
				t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/, 256 bits", c)
			}
			return session{cookie: c.Value, csrf: me.CSRFToken}
		}
	}
	t.Fatalf("sign-in set no %s cookie: %v", SessionCookie, w.Header())
	return session{}
}

// post sends a JSON POST with an Origin ("" for none), as a browser would.
func post(h http.Handler, path, body, origin string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// do sends a request with the session's cookie and, unless csrf is
// false, its CSRF token and the page's own Origin.
func (s session) do(h http.Handler, method, path, body string, csrf bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.cookie})
	if csrf {
		req.Header.Set(CSRFHeader, s.csrf)
		req.Header.Set("Origin", "http://example.com") // httptest's host
	}
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second) // the alert stream ends with its request
	defer cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(ctx))
	return w
}

var pathParam = regexp.MustCompile(`\{[a-z]+\}`)

// fill puts ids into the path parameters of pattern's path: each
// parameter by what precedes it.
func fill(pattern string, ids map[string]string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if pathParam.MatchString(p) {
			key := parts[i-1] + "/" + p // "gateways/{id}", "sites/{site}", "elders/{id}"
			v, ok := ids[key]
			if !ok {
				v = "nope"
			}
			parts[i] = v
		}
	}
	return method, strings.Join(parts, "/")
}

// TestRouteWalk walks every route of s.APIRoutes (so that routes added
// later are walked too) over the fixture of two streets, st-a and st-b,
// each with a community, a site, a gateway, an elder with meals and an
// alert (careFixture):
//   - anonymous: 401 on every route but publicRoutes;
//   - a session of each role the route's role does not permit (the role
//     s.require recorded): 403;
//   - a viewer and an operator of street st-a on every GET route, with the
//     path parameters set to street st-b's ids: 403, 404 or a body with
//     none of st-b's identifiers (list routes included, with their own
//     scope).
func TestRouteWalk(t *testing.T) {
	f := careFixture(t)
	ctx := context.Background()
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	roles := s.RouteRoles()
	routes := s.APIRoutes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes", len(routes))
	}
	const pw = "correct horse battery"
	sessions := map[domain.Role]session{}
	for _, r := range domain.Roles {
		addUser(t, f.st, "a-"+string(r), r, "st-a", pw)
		sessions[r] = signIn(t, f.h, "a-"+string(r), pw)
	}
	addUser(t, f.st, "b-viewer", domain.RoleViewer, "st-b", pw)
	_, tokB := f.token(t, `{"name":"B 街道","role":"viewer","scope":"st-b"}`)
	toks, _ := f.st.ListAPITokens(ctx)
	elders := map[string]string{}
	for _, site := range []string{"site-gw-a1", "site-gw-b1"} {
		_, es, err := f.st.Roster(ctx, site)
		if err != nil || len(es) != 1 {
			t.Fatalf("roster of %s: %v %v", site, es, err)
		}
		elders[site] = es[0].ID
	}
	if w := sessions[domain.RoleViewer].do(f.h, "GET", "/api/v1/meals", "", true); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "gw-a1") {
		t.Fatalf("a viewer of st-a does not see its own meals: %d %.200s", w.Code, w.Body)
	}
	_ = tokB
	streetB := map[string]string{
		"alerts/{id}": f.alerts["gw-b1"], "gateways/{id}": "gw-b1", "sites/{site}": "site-gw-b1",
		"elders/{id}": elders["site-gw-b1"], "org/{id}": "st-b", "users/{id}": "usr-b-viewer", "tokens/{id}": toks[0].ID,
	}
	// What of street st-b must never reach a user of st-a.
	secretsB := []string{"site-gw-b1", "gw-b1", f.alerts["gw-b1"], elders["site-gw-b1"], "欧阳大爷" + elders["site-gw-b1"], "B1 食堂", "c-b1", "b-viewer"}

	// The identifiers show where they may: the admin token of everything
	// sees st-b's meals, elders' names and alerts.
	for _, p := range []string{"/api/v1/meals", "/api/v1/alerts", "/api/v1/gateways"} {
		if w := do(f.h, "GET", p, "adm", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "gw-b1") {
			t.Fatalf("the unscoped admin's %s lacks street B: %d %.200s", p, w.Code, w.Body)
		}
	}

	bodiesRead := 0 // the 2xx bodies checked for street B
	for _, pattern := range routes {
		method, path := fill(pattern, streetB)
		role, guardedRoute := roles[pattern]
		t.Run(pattern, func(t *testing.T) {
			if !guardedRoute {
				if !publicRoutes[pattern] {
					t.Fatalf("%s is registered without s.require or s.signedIn and is not in publicRoutes", pattern)
				}
				return
			}
			if publicRoutes[pattern] {
				t.Fatalf("%s is guarded but listed in publicRoutes", pattern)
			}
			if w := do(f.h, method, path, "", "{}"); w.Code != http.StatusUnauthorized {
				t.Errorf("anonymous: %d %.200s, want 401", w.Code, w.Body)
			}
			read := method == http.MethodGet || method == http.MethodHead
			for _, r := range domain.Roles {
				if role == "" || r.Permits(role, read) {
					continue
				}
				w := sessions[r].do(f.h, method, path, "{}", true)
				if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "needs the "+string(role)) {
					t.Errorf("a session of %s on a route of %s: %d %.200s, want 403 for the role", r, role, w.Code, w.Body)
				}
			}
			if !read {
				return
			}
			for _, r := range []domain.Role{domain.RoleViewer, domain.RoleOperator} {
				if !r.Permits(role, read) && role != "" {
					continue
				}
				// The path with st-b's ids, and a list asked for st-b's scope.
				for _, p := range []string{path, path + "?scope=st-b", path + "?unit=st-b&scope=st-b"} {
					w := sessions[r].do(f.h, method, p, "", true)
					if w.Code == http.StatusForbidden || w.Code == http.StatusNotFound {
						continue
					}
					if w.Code/100 == 2 {
						bodiesRead++
					}
					for _, x := range secretsB {
						if containsToken(w.Body.String(), x) {
							t.Errorf("a %s of st-a got %q of street B from %s: %d %.300s", r, x, p, w.Code, w.Body)
						}
					}
				}
			}
		})
	}
	if bodiesRead < 30 {
		t.Errorf("only %d answers of 2xx were checked for street B's identifiers", bodiesRead)
	}
	t.Logf("%d routes walked, %d answers of 2xx checked for street B", len(routes), bodiesRead)
}

// TestConsolePagesDeclareRoles: every page of console/pages declares the
// role that sees it (role: or roles:), which the console's router and the
// people browser test walk (deploy/e2e/browser/people.test.mjs).
func TestConsolePagesDeclareRoles(t *testing.T) {
	decl := regexp.MustCompile(`(?m)^\s*(role:\s*"(viewer|staff|operator|admin|auditor)"|roles:\s*\[)`)
	ents, err := consoleFS.ReadDir("console/pages")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		src, err := consoleFS.ReadFile("console/pages/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !decl.Match(src) {
			t.Errorf("pages/%s declares no role", e.Name())
		}
	}
	if len(ents) == 0 {
		t.Fatal("no console pages")
	}
	// The built-in tabs of app.js: each has its role in BUILTIN_ROLE.
	app, err := consoleFS.ReadFile("console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`const BUILTIN = \[([^\]]*)\]`).FindSubmatch(app)
	roles := regexp.MustCompile(`const BUILTIN_ROLE = \{([^}]*)\}`).FindSubmatch(app)
	if list == nil || roles == nil {
		t.Fatal("app.js has no BUILTIN list or BUILTIN_ROLE map")
	}
	for _, m := range regexp.MustCompile(`"([a-z-]+)"`).FindAllSubmatch(list[1], -1) {
		if !regexp.MustCompile(`\b` + string(m[1]) + `: "(viewer|staff|operator|admin|auditor)"`).Match(roles[1]) {
			t.Errorf("the built-in tab %s has no role in BUILTIN_ROLE", m[1])
		}
	}
}

// containsToken reports whether x stands in body as a whole token, not
// inside a longer word: "c-b1" is street B's card, but a random UUID such
// as "…7d2c-b1a3…" holds the same letters.
func containsToken(body, x string) bool {
	return regexp.MustCompile(`(^|[^0-9A-Za-z_-])` + regexp.QuoteMeta(x) + `($|[^0-9A-Za-z_-])`).MatchString(body)
}
