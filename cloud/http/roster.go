package cloudhttp

// rosterRoutes registers the roster and policy management routes.
func (s *Server) rosterRoutes(mux *routeMux) {}
