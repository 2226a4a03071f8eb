package cloudhttp

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"
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
	// audit wraps the handler of every route that changes something
	// (audits; Server.audited): nil in a mux that audits nothing.
	audit func(pattern string, h http.Handler) http.Handler
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h with request bodies limited to MaxBodyBytes.
func (m *routeMux) Handle(pattern string, h http.Handler) { m.HandleLimit(pattern, MaxBodyBytes, h) }

// HandleLimit registers h with request bodies limited to limit bytes.
func (m *routeMux) HandleLimit(pattern string, limit int64, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
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
