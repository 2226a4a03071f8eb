package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// AlertBackend is what the alert endpoints ask of the gateway. A backend
// that implements it gets:
//
//	GET  /api/alerts                the live emergency alerts (the main screen; no login)
//	GET  /api/staff/alerts          every live alert, supervision included (staff session)
//	POST /api/staff/alerts/ack      {"id": ...}: acknowledged by the signed-in staff member
//	POST /api/staff/alerts/resolve  {"id": ..., "outcome": ..., "note": ...}
//
// The staff calls need "Authorization: Bearer TOKEN" of a staff session
// (401 without); they answer the alert as it is after the change, the
// same object the SSE "alert" event carries. Errors wrap the Err* of
// this package for their status code.
type AlertBackend interface {
	KioskAlerts(ctx context.Context) (any, error)
	StaffAlerts(ctx context.Context, token string) (any, error)
	StaffAck(ctx context.Context, token, id string) (any, error)
	StaffResolve(ctx context.Context, token, id, outcome, note string) (any, error)
}

func (s *Server) alertRoutes(mux *http.ServeMux, b AlertBackend) {
	mux.HandleFunc("GET /api/alerts", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.KioskAlerts(r.Context())
		s.answer(w, out, err)
	})
	mux.HandleFunc("GET /api/staff/alerts", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.StaffAlerts(r.Context(), bearer(r))
		s.answer(w, out, err)
	})
	mux.HandleFunc("POST /api/staff/alerts/ack", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID string `json:"id"`
		}
		if !s.decode(w, r, &body) || !s.idGiven(w, body.ID) {
			return
		}
		out, err := b.StaffAck(r.Context(), bearer(r), body.ID)
		s.answer(w, out, err)
	})
	mux.HandleFunc("POST /api/staff/alerts/resolve", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
			Note    string `json:"note"`
		}
		if !s.decode(w, r, &body) || !s.idGiven(w, body.ID) {
			return
		}
		if strings.TrimSpace(body.Outcome) == "" {
			s.fail(w, http.StatusBadRequest, errors.New("outcome is missing"))
			return
		}
		out, err := b.StaffResolve(r.Context(), bearer(r), body.ID, body.Outcome, strings.TrimSpace(body.Note))
		s.answer(w, out, err)
	})
}

func (s *Server) idGiven(w http.ResponseWriter, id string) bool {
	if strings.TrimSpace(id) == "" {
		s.fail(w, http.StatusBadRequest, errors.New("id is missing"))
		return false
	}
	return true
}

func (s *Server) answer(w http.ResponseWriter, out any, err error) {
	if err != nil {
		s.staffFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
