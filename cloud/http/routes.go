package cloudhttp

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"github.com/eldergate/eldergate/cloud/domain"
)

// openAPI is the OpenAPI 3 document of /api/v1, served without auth at
// GET /api/v1/openapi.yaml. TestOpenAPICoversRoutes fails when a route
// registered in Handler is not documented in it.
//
//go:embed openapi.yaml
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPI)
}

// routeMux is a ServeMux that remembers the patterns registered on it, so
// that the route list lives in one place (Handler) and can be compared
// with the OpenAPI document.
type routeMux struct {
	*http.ServeMux
	patterns []string
	roles    map[string]domain.Role // pattern -> the role s.require asked for ("" for s.signedIn)
	// audit wraps the handler of every route that changes something
	// (audits; Server.audited): nil in a mux that audits nothing.
	audit func(pattern string, h http.Handler) http.Handler
}

// guarded is a handler behind s.require or s.signedIn, with the role it
// needs, so that the route walk (access_test.go) reads every route's role
// from where it is registered.
type guarded struct {
	role domain.Role
	h    http.HandlerFunc
}

func (g guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.h(w, r) }

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h with request bodies limited to MaxBodyBytes.
func (m *routeMux) Handle(pattern string, h http.Handler) { m.HandleLimit(pattern, MaxBodyBytes, h) }

// HandleLimit registers h with request bodies limited to limit bytes.
func (m *routeMux) HandleLimit(pattern string, limit int64, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	if g, ok := h.(guarded); ok {
		if m.roles == nil {
			m.roles = map[string]domain.Role{}
		}
		m.roles[pattern] = g.role
	}
	if m.audit != nil && audits(pattern) {
		h = m.audit(pattern, h)
	}
	m.ServeMux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	}))
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// APIRoutes returns the "METHOD /api/v1/..." patterns Handler registers,
// sorted (the /api/ catch-all and the console are not API routes).
func (s *Server) APIRoutes() []string {
	var out []string
	for _, p := range s.routes().patterns {
		method, path, ok := strings.Cut(p, " ")
		if ok && method != "" && strings.HasPrefix(path, "/api/v1/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// RouteRoles returns the role each guarded route needs, by pattern (""
// for a route open to every signed-in caller, s.signedIn); a route
// missing here is public.
func (s *Server) RouteRoles() map[string]domain.Role { return s.routes().roles }
