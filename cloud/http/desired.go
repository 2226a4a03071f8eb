package cloudhttp

// configRoutes registers the desired/reported configuration routes.
func (s *Server) configRoutes(mux *routeMux) {}
