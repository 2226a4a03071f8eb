// Package httpapi is the gateway's local HTTP API: it serves the kiosk,
// streams events to it (server-sent events), reports status and, in
// simulation mode, lets the demo panel drive the simulated devices.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/eldergate/eldergate/drivers"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// Status is the body of GET /api/status.
type Status struct {
	GatewayID       string           `json:"gateway_id"`
	Site            string           `json:"site"`
	SiteName        string           `json:"site_name,omitempty"` // what the kiosk shows; empty: Site
	Version         string           `json:"version"`
	Boot            uint64           `json:"boot"`
	UplinkConnected bool             `json:"uplink_connected"`
	OutboxPending   int              `json:"outbox_pending"`
	Simulation      bool             `json:"simulation"`
	TimeZone        string           `json:"time_zone"`      // IANA zone of the site, for the kiosk's clock
	Devices         []drivers.Status `json:"devices"`        // card reader, scale, button
	DeadLetters     int              `json:"dead_letters"`   // events the cloud rejected, kept and never resent
	RosterVersion   uint64           `json:"roster_version"` // 0: never synced from the cloud
	RosterElders    int              `json:"roster_elders"`
	RosterSource    string           `json:"roster_source"` // cloud, or local: the configuration's seed (ADR 0025)
	MenuVersion     string           `json:"menu_version"`  // "": no menu pushed yet
	MenuDishes      int              `json:"menu_dishes"`
	// Voice is the state of the speech synthesiser (espeak-ng, package
	// voice); nil when the gateway has none. Not connected: the kiosk is silent.
	Voice         *drivers.Status `json:"voice,omitempty"`
	ResultSeconds int             `json:"result_seconds"` // how long the kiosk shows a tap's result
}

// SimCard is one roster entry offered to the demo panel.
type SimCard struct {
	Name string `json:"name"` // masked
	Card string `json:"card"` // the credential to tap
}

// Backend is what the HTTP API asks of the gateway.
type Backend interface {
	Status(ctx context.Context) (Status, error)
	SimRoster(ctx context.Context) ([]SimCard, error)
	SimTap(card string) error
	SimWeight(grams int64, stable bool) error
	SimButton(id string) error
}

// VoiceBackend is implemented by a gateway that speaks results: its
// handler serves GET /api/voice, the WAV of a result the kiosk shows
// (package voice). A nil handler serves no route.
type VoiceBackend interface {
	VoiceHandler() http.Handler
}

// Config configures the server.
type Config struct {
	Addr       string        // listen address, default 127.0.0.1:8081
	Simulation bool          // serve /api/sim/*
	KeepAlive  time.Duration // SSE comment interval, default 15s
	// OnStreams hears the number of connected event streams (the kiosk
	// screen) after every change, one call at a time; may be nil. It must
	// not block.
	OnStreams func(n int)
	// TillTokens maps a till id to its token for POST /api/till/amount
	// (till.go); none: every till request is refused.
	TillTokens map[string]string
}

const maxBody = 4 << 10

// Server is the local HTTP server.
type Server struct {
	cfg   Config
	b     Backend
	kiosk fs.FS
	log   *slog.Logger
	hub   *hub
	srv   *http.Server
	ln    net.Listener
}

// New returns a server; Listen binds it and Serve runs it.
func New(cfg Config, b Backend, kiosk fs.FS, log *slog.Logger) *Server {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8081"
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, b: b, kiosk: kiosk, log: log.With("component", "http"), hub: newHub(cfg.OnStreams)}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second, // the SSE stream extends its own deadline
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/status", s.status)
	if s.cfg.Simulation {
		mux.HandleFunc("GET /api/sim/roster", s.simRoster)
		mux.HandleFunc("POST /api/sim/tap", s.simTap)
		mux.HandleFunc("POST /api/sim/weight", s.simWeight)
		mux.HandleFunc("POST /api/sim/button", s.simButton)
		if tb, ok := s.b.(SimTillBackend); ok {
			mux.HandleFunc("POST /api/sim/till", s.simTill(tb)) // till.go
		}
	}
	if m, ok := s.b.(MetricsBackend); ok {
		mux.HandleFunc("GET /metrics", s.metrics(m))
	}
	if sb, ok := s.b.(StaffBackend); ok {
		s.staffRoutes(mux, sb)
	}
	if bb, ok := s.b.(BoardBackend); ok {
		s.boardRoutes(mux, bb) // operator.go
	}
	if ob, ok := s.b.(OperatorBackend); ok {
		s.operatorRoutes(mux, ob)
	}
	if tb, ok := s.b.(TillBackend); ok {
		s.tillRoutes(mux, tb)
	}
	if mb, ok := s.b.(MenuBackend); ok {
		s.menuRoutes(mux, mb) // menu.go
	}
	if ab, ok := s.b.(AlertBackend); ok {
		s.alertRoutes(mux, ab)
	}
	if vb, ok := s.b.(VoiceBackend); ok {
		if h := vb.VoiceHandler(); h != nil {
			mux.Handle("GET /api/voice", h)
		}
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, errors.New("no such endpoint"))
	})
	if s.kiosk != nil {
		files := http.FileServerFS(s.kiosk)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			files.ServeHTTP(w, r)
		})
	}
	return secure(mux)
}

func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// Listen binds the listen address.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("httpapi: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// URL is the server's base URL once Listen succeeded.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Serve serves until Shutdown. It returns nil after Shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpapi: serve: %w", err)
	}
	return nil
}

// Shutdown ends the event streams and stops the server.
func (s *Server) Shutdown(ctx context.Context) error {
	s.hub.close()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
		return fmt.Errorf("httpapi: shutdown: %w", err)
	}
	return nil
}

// Publish sends an event to every kiosk stream.
func (s *Server) Publish(event string, v any) {
	if err := s.hub.publish(event, v); err != nil {
		s.log.Error("httpapi: publish", "err", err)
	}
}

// Streams reports the number of connected event streams.
func (s *Server) Streams() int { return s.hub.count() }

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	ch, unsubscribe := s.hub.subscribe()
	defer unsubscribe()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n: connected\n\n")) {
		return
	}
	tick := time.NewTicker(s.cfg.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.hub.done:
			return
		case <-tick.C:
			if !write([]byte(": keepalive\n\n")) {
				return
			}
		case msg := <-ch:
			if !write(msg) {
				return
			}
		}
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) simRoster(w http.ResponseWriter, r *http.Request) {
	cards, err := s.b.SimRoster(r.Context())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	if cards == nil {
		cards = []SimCard{}
	}
	writeJSON(w, http.StatusOK, cards)
}

func (s *Server) simTap(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Card string `json:"card"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.Card) == "" {
		s.fail(w, http.StatusBadRequest, errors.New("card is missing"))
		return
	}
	s.accepted(w, s.b.SimTap(body.Card))
}

func (s *Server) simWeight(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Grams  *int64 `json:"grams"`
		Stable bool   `json:"stable"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	if body.Grams == nil || *body.Grams < -100_000 || *body.Grams > 1_000_000 {
		s.fail(w, http.StatusBadRequest, errors.New("grams is missing or out of range"))
		return
	}
	s.accepted(w, s.b.SimWeight(*body.Grams, body.Stable))
}

func (s *Server) simButton(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Button string `json:"button"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.Button) == "" {
		body.Button = "kiosk"
	}
	s.accepted(w, s.b.SimButton(body.Button))
}

// decode reads a small JSON body. Requiring a JSON content type keeps
// other web pages from posting here with a simple cross-origin request.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		s.fail(w, http.StatusUnsupportedMediaType, errors.New("content type must be application/json"))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("invalid JSON body: %w", err))
		return false
	}
	return true
}

func (s *Server) accepted(w http.ResponseWriter, err error) {
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]bool{"ok": true})
}

func (s *Server) fail(w http.ResponseWriter, code int, err error) {
	if code >= 500 {
		s.log.Error("httpapi: request failed", "err", err)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
