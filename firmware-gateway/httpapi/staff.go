package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Errors a StaffBackend wraps (with %w) so that the API answers with the
// right status code.
var (
	ErrUnauthorized = errors.New("staff login required or expired")    // 401
	ErrLocked       = errors.New("too many wrong attempts, locked")    // 429
	ErrNotFound     = errors.New("not found")                          // 404
	ErrConflict     = errors.New("not possible in the current state")  // 409
	ErrInvalid      = errors.New("invalid request")                    // 400
	ErrUnavailable  = errors.New("temporarily unavailable, disk full") // 503
)

// StaffSession is the body of a successful POST /api/staff/login.
type StaffSession struct {
	Token   string    `json:"token"` // send as "Authorization: Bearer TOKEN"
	StaffID string    `json:"staff_id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"` // staff | operator
	Expires time.Time `json:"expires"`
}

// StaffElder is one result of the elder search (personal data masked).
type StaffElder struct {
	ID     string `json:"id"`
	Name   string `json:"name"` // masked
	Card   string `json:"card"` // masked
	Active bool   `json:"active"`
}

// StaffMeal is a recent served meal that staff may void.
type StaffMeal struct {
	EventID string    `json:"event_id"`
	ElderID string    `json:"elder_id"`
	Name    string    `json:"name"` // masked
	Window  string    `json:"window"`
	PayFen  int64     `json:"pay_fen"`
	At      time.Time `json:"at"`
	Manual  bool      `json:"manual"`
}

// StaffBackend is what the staff endpoints ask of the gateway. A backend
// that implements it gets the /api/staff/* routes.
type StaffBackend interface {
	StaffLogin(ctx context.Context, pin, card string) (StaffSession, error)
	StaffLogout(token string)
	StaffElders(ctx context.Context, token, query string) ([]StaffElder, error)
	StaffMeals(ctx context.Context, token string) ([]StaffMeal, error)
	StaffMeal(ctx context.Context, token, elderID string) (any, error) // the tap event shown on the kiosk
	StaffVoid(ctx context.Context, token, eventID string) (any, error)
}

// MetricsBackend writes the Prometheus text exposition. A backend that
// implements it gets GET /metrics.
type MetricsBackend interface {
	WriteMetrics(ctx context.Context, w io.Writer) error
}

func (s *Server) staffRoutes(mux *http.ServeMux, b StaffBackend) {
	mux.HandleFunc("POST /api/staff/login", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			PIN  string `json:"pin"`
			Card string `json:"card"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if (body.PIN == "") == (body.Card == "") {
			s.fail(w, http.StatusBadRequest, errors.New("give either pin or card"))
			return
		}
		sess, err := b.StaffLogin(r.Context(), body.PIN, body.Card)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, sess)
	})
	mux.HandleFunc("POST /api/staff/logout", func(w http.ResponseWriter, r *http.Request) {
		b.StaffLogout(bearer(r))
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /api/staff/elders", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.StaffElders(r.Context(), bearer(r), r.URL.Query().Get("q"))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		if out == nil {
			out = []StaffElder{}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/staff/meals", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.StaffMeals(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		if out == nil {
			out = []StaffMeal{}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/staff/meal", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ElderID string `json:"elder_id"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if strings.TrimSpace(body.ElderID) == "" {
			s.fail(w, http.StatusBadRequest, errors.New("elder_id is missing"))
			return
		}
		out, err := b.StaffMeal(r.Context(), bearer(r), body.ElderID)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/staff/void", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			EventID string `json:"event_id"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if strings.TrimSpace(body.EventID) == "" {
			s.fail(w, http.StatusBadRequest, errors.New("event_id is missing"))
			return
		}
		out, err := b.StaffVoid(r.Context(), bearer(r), body.EventID)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) staffFail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnauthorized):
		code = http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, ErrLocked):
		code = http.StatusTooManyRequests
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, ErrUnavailable):
		code = http.StatusServiceUnavailable
	}
	s.fail(w, code, err)
}

// bearer is the token of "Authorization: Bearer TOKEN".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (s *Server) metrics(b MetricsBackend) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := b.WriteMetrics(r.Context(), w); err != nil {
			s.log.Error("httpapi: metrics", "err", err)
		}
	}
}
