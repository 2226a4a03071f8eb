package cloudhttp

import (
	"errors"
	"net/http"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sitepush"
)

// menuRoutes registers the routes of a site's menu.
func (s *Server) menuRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/sites/{site}/menu", s.require(domain.RoleViewer, s.getMenu))
	mux.HandleLimit("PUT /api/v1/sites/{site}/menu", eldergate.MaxCommandBytes, s.require(domain.RoleOperator, s.putMenu))
}

// MenuResponse is the answer of PUT /api/v1/sites/{site}/menu: the
// stored menu, whether it changed, and the menu commands queued (one per
// gateway of the site; none when nothing changed).
type MenuResponse struct {
	Menu     domain.StoredMenu `json:"menu"`
	Changed  bool              `json:"changed"`
	Commands []string          `json:"commands"`
}

func (s *Server) getMenu(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	m, err := s.cfg.Store.Menu(r.Context(), site)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "site "+site+" has no menu yet")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) putMenu(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	var m eldergate.Menu
	if !decodeBody(w, r, &m) {
		return
	}
	switch {
	case m.Site != "" && m.Site != site:
		writeError(w, http.StatusBadRequest, "site: the menu names site "+m.Site+" but is sent to site "+site)
		return
	case m.Version != "":
		writeError(w, http.StatusBadRequest, "version: the cloud sets the version of each change; leave it out")
		return
	}
	m.Site = site
	if err := m.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.cfg.Now().UTC()
	var before any
	if old, err := s.cfg.Store.Menu(r.Context(), site); err == nil {
		before = old
	}
	stored, changed, err := s.cfg.Store.SetMenu(r.Context(), site, m, "token "+CallerOf(r.Context()).TokenID, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := MenuResponse{Menu: stored, Changed: changed, Commands: []string{}}
	if changed {
		if out.Commands, err = sitepush.Menu(r.Context(), s.cfg.Store, s.cfg.Commands, now, stored); err != nil {
			s.internal(w, r, err)
			return
		}
		s.log.Info("http: menu set", "site", site, "version", stored.Version, "dishes", len(stored.Dishes), "gateways", len(out.Commands))
	}
	auditChange(r, "menu", site, site, before, stored)
	writeJSON(w, http.StatusOK, out)
}
