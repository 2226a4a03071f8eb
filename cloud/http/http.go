// Package cloudhttp is the cloud's HTTP side: the JSON API under /api/v1/
// behind a bearer token, and the embedded web console.
package cloudhttp

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/kiosk"
)

//go:embed console
var consoleFS embed.FS

// MaxBodyBytes bounds request bodies.
const MaxBodyBytes = 16 << 10

// Config configures the server.
type Config struct {
	Addr   string // "127.0.0.1:8080", "127.0.0.1:0" allowed
	Token  string // bearer token for /api/v1
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time

	Provisioning Provisioning  // enrollment and revocation (enroll.go)
	Commands     CommandSender // publishes queued commands at once; nil: at the next birth only
	// Board feeds the live alarm board (alarm.Feed); nil: no stream.
	Board Board
	// Alarms is woken after a staff action so that the kiosks and the
	// escalation hear of it at once (alarm.Runner); may be nil.
	Alarms interface{ Wake() }
	// Notifier sends the test message of an alarm channel; nil: no test.
	Notifier ChannelTester

	// ReleaseKeys are the trusted release public keys (release_keys): an
	// upload signed by another key is refused; none: no upload.
	ReleaseKeys []ed25519.PublicKey
	// ReleaseDir keeps release artifacts (data_dir/releases); "": none.
	ReleaseDir string
	// Updater starts updates (release.Updater); nil: one over Store and
	// Commands.
	Updater *release.Updater
	// Gateways checks a gateway's basic auth on release downloads; nil:
	// bcrypt against the store at every request.
	Gateways GatewayAuthenticator
	// TLSCert and TLSKey (PEM files, both or neither) serve HTTPS.
	TLSCert, TLSKey string
	// Rollouts plans, starts and steers rollouts (rollout.Scheduler);
	// nil: the rollout routes that change something answer 503.
	Rollouts Rollouts
}

// Store is what the API reads and changes: every small store of domain
// but the ingester's (EventStore) and the fleet monitor's (FleetStore).
type Store interface {
	domain.CredentialStore
	domain.EnrollmentStore
	domain.ViewStore
	domain.AlertStore
	domain.AlarmStore
	domain.CommandStore
	domain.GatewayStore // fleet.go
	domain.OrgStore
	domain.RosterStore
	domain.PolicyStore
	domain.ConfigStore
	domain.MenuStore
	ReportStore // reports.go
	domain.CareStore
	domain.CharityStore
	domain.MealsStore
	domain.UserStore
	domain.AuditStore   // audit.go
	domain.RolloutStore // rollouts.go
	domain.ReleaseStore // releases.go
}

// Server serves the API and the console.
type Server struct {
	cfg   Config
	log   *slog.Logger
	token [32]byte
	ln    net.Listener
	srv   *http.Server
	tls   *tls.Config // HTTPS (cfg.TLSCert); nil: plain HTTP
	wg    sync.WaitGroup

	enrollLimit windowLimiter
	loginLimit  addrLimiter // sign-in attempts per remote address (session.go)
}

// New returns a server; Start makes it listen.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("cloudhttp: empty admin token")
	}
	if cfg.Store == nil {
		return nil, errors.New("cloudhttp: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("cloudhttp: HTTPS needs both a certificate and a key (http_tls_cert, http_tls_key)")
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "http"), token: sha256.Sum256([]byte(cfg.Token))}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("cloudhttp: HTTPS certificate: %w", err)
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	return s, nil
}

// Start listens on cfg.Addr and serves in a goroutine owned by s.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cloudhttp: listen %s: %w", s.cfg.Addr, err)
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("cloudhttp: serve", "err", err)
		}
	}()
	s.log.Info("http: listening", "url", s.URL())
	return nil
}

// URL is the base URL, e.g. "http://127.0.0.1:8080".
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if s.tls != nil {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Close shuts the server down gracefully (bounded by ctx) and waits for
// the serving goroutine.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("cloudhttp: shutdown: %w", err)
	}
	return nil
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler { return s.routes().ServeMux }

// routes registers every route on a recording mux (see routes.go).
func (s *Server) routes() *routeMux {
	mux := newRouteMux()
	mux.audit = s.audited // audit.go: every change is in the audit log
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /api/v1/openapi.yaml", serveOpenAPI) // no auth
	mux.Handle("GET /api/v1/gateways", s.require(domain.RoleViewer, s.listGateways))
	mux.Handle("GET /api/v1/meals", s.require(domain.RoleViewer, s.listMeals))
	s.alertRoutes(mux) // alerts.go
	mux.Handle("GET /api/v1/rejections", s.require(domain.RoleViewer, s.listRejections))
	mux.Handle("POST /api/v1/gateways", s.require(domain.RoleOperator, s.createGateway))
	mux.Handle("POST /api/v1/gateways/{id}/revoke", s.require(domain.RoleOperator, s.revokeGateway))
	mux.HandleFunc("POST /api/v1/enroll", s.enroll)
	mux.Handle("POST /api/v1/gateways/{id}/commands", s.require(domain.RoleOperator, s.queueCommand))
	mux.Handle("GET /api/v1/gateways/{id}/commands", s.require(domain.RoleViewer, s.listCommands))
	s.sessionRoutes(mux) // session.go
	s.userRoutes(mux)    // users.go
	s.orgRoutes(mux)     // org.go
	s.rosterRoutes(mux)  // roster.go
	s.policyRoutes(mux)  // policies.go
	s.menuRoutes(mux)    // menu.go
	s.configRoutes(mux)  // desired.go
	s.fleetRoutes(mux)   // fleet.go
	s.reportRoutes(mux)  // reports.go
	s.careRoutes(mux)    // care.go
	s.charityRoutes(mux) // charity.go, charity_page.go
	s.mealRoutes(mux)    // meals.go
	s.auditRoutes(mux)   // audit.go
	s.rolloutRoutes(mux) // rollouts.go
	s.releaseRoutes(mux) // releases.go
	mux.Handle("/api/", s.require(domain.RoleViewer, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API route")
	}))
	sub, err := fs.Sub(consoleFS, "console")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	files := http.FileServerFS(sub)
	mux.Handle("/", consoleHeaders(files))
	// The kiosk's words for a decision, for the policy preview (pages/policies.js).
	mux.Handle("GET /kiosk/results.js", consoleHeaders(http.StripPrefix("/kiosk", http.FileServerFS(kiosk.FS()))))
	return mux
}

func consoleHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// auth requires an admin token; routes use s.require with the role they
// need (org.go).
func (s *Server) auth(next http.HandlerFunc) http.Handler {
	return s.require(domain.RoleAdmin, next)
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// ErrorBody is the JSON of every API error.
type ErrorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("http: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) listGateways(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.Store.ListGateways(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.setConfigStatus(r.Context(), v); err != nil { // desired.go
		s.internal(w, r, err)
		return
	}
	if err := s.setGatewayRosters(r.Context(), v); err != nil { // rosterimport.go
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listMeals(w http.ResponseWriter, r *http.Request) {
	p, err := ParseMealQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p.Paged { // filters, pages, downloads (meals.go)
		s.mealPage(w, r, p)
		return
	}
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.Store.ListMeals(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listRejections(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.Store.ListRejections(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
