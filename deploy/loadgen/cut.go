package loadgen

// Cut drops every gateway's connection at once without DISCONNECT (the
// broker publishes each will) and keeps them all away until the run
// ends: a mass disconnect, as when a district's uplink fails. Unlike
// Disconnect, no gateway reconnects. Added by the fleet bench
// (deploy/bench/fleet); the load generator's owner owns the rest.
func (r *Running) Cut() {
	for _, s := range r.gws {
		s.mu.Lock()
		s.stopped = true
		c := s.conn
		s.conn = nil
		s.connected.Store(false)
		s.mu.Unlock()
		if c != nil {
			c.close()
		}
	}
}
