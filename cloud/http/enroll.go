package cloudhttp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	qrcode "github.com/skip2/go-qrcode"
)

// Provisioning configures gateway enrollment and revocation.
type Provisioning struct {
	// BrokerURL is handed to enrolling gateways; empty: /api/v1/enroll
	// answers 503 (the broker cannot take per-device credentials).
	BrokerURL string
	// CAPEM is the broker's CA certificate handed to enrolling gateways;
	// empty when the broker has no TLS.
	CAPEM string
	// PublicURL is the cloud's base URL as gateways and the public reach
	// it, used in the enrollment link and in the address of a published
	// charity summary (charity.go); empty: the server's own URL.
	PublicURL string
	// TokenTTL is how long an enrollment token lives; default 24h.
	TokenTTL time.Duration
	// OnEnroll, when set, is called after a token was consumed, to create
	// the gateway's credentials on the broker (Mosquitto dynamic
	// security); an error answers 502 and the gateway must be created
	// again with a new token.
	OnEnroll func(ctx context.Context, gatewayID, password string) error
	// OnRevoke is called after a gateway was revoked in the store, to
	// disconnect it from the broker and drop cached logins. May be nil.
	OnRevoke func(gatewayID string)
	// EnrollPerMinute bounds the failed /api/v1/enroll attempts (all
	// clients together; a valid token is never refused, ADR 0024); default
	// 30.
	EnrollPerMinute int
}

// CreateGatewayRequest is the body of POST /api/v1/gateways.
type CreateGatewayRequest struct {
	ID   string `json:"id"`
	Site string `json:"site"`
}

// CreateGatewayResponse carries the one-time enrollment token.
type CreateGatewayResponse struct {
	ID        string    `json:"id"`
	Site      string    `json:"site"`
	Name      string    `json:"name,omitempty"` // given in a bulk creation (fleet.go)
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	// EnrollURL is the token as a QR-friendly link:
	// eldergate://enroll?cloud=<base URL>&token=<token>.
	EnrollURL string `json:"enroll_url"`
	// QRPNG is EnrollURL as a QR code (error correction M, 4-module quiet
	// zone, about 300 px square) in a data:image/png;base64 URI, ready
	// for an <img src>.
	QRPNG string `json:"qr_png"`
}

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Token string `json:"token"`
}

// EnrollResponse is what a gateway gets for its token: its broker
// credentials (the password exists only in this answer).
type EnrollResponse struct {
	GatewayID string `json:"gateway_id"`
	Site      string `json:"site"`
	BrokerURL string `json:"broker_url"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	CAPEM     string `json:"ca_pem"`
}

// EnrollURL builds the QR-friendly enrollment link.
func EnrollURL(cloudURL, token string) string {
	q := url.Values{"cloud": {cloudURL}, "token": {token}}
	return "eldergate://enroll?" + q.Encode()
}

// qrTargetPx is the least edge of the enrollment QR image: large enough
// for a phone or the gateway's camera to read from a screen or a print.
const qrTargetPx = 288

// EnrollQRPNG renders link as a QR code PNG (QRPNG) and returns it as a
// data:image/png;base64 URI.
func EnrollQRPNG(link string) (string, error) {
	png, err := QRPNG(link)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}

// QRPNG renders link as a QR code PNG: error correction M, the standard
// 4-module quiet zone, whole pixels per module, at least qrTargetPx
// square. The enrollment link and a charity summary's public address
// (charity.go) are drawn by it.
func QRPNG(link string) ([]byte, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	modules := len(q.Bitmap()) // symbol plus quiet zone
	if modules == 0 {
		return nil, errors.New("QR code: empty symbol")
	}
	perModule := (qrTargetPx + modules - 1) / modules
	png, err := q.PNG(-perModule) // negative: pixels per module, no resampling
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	return png, nil
}

func (s *Server) provisioning() Provisioning {
	p := s.cfg.Provisioning
	if p.TokenTTL <= 0 {
		p.TokenTTL = 24 * time.Hour
	}
	if p.EnrollPerMinute <= 0 {
		p.EnrollPerMinute = 30
	}
	if p.PublicURL == "" {
		p.PublicURL = s.URL()
	}
	return p
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		} else {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("body is not valid JSON: %v", err))
		}
		return false
	}
	return true
}

func (s *Server) createGateway(w http.ResponseWriter, r *http.Request) {
	var req CreateGatewayRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if err := eldergate.ValidateGatewayID(req.ID); err != nil {
		writeError(w, http.StatusBadRequest, "id: "+err.Error())
		return
	}
	req.Site = strings.TrimSpace(req.Site)
	if req.Site == "" || utf8.RuneCountInString(req.Site) > 64 {
		writeError(w, http.StatusBadRequest, "site: must be 1-64 characters")
		return
	}
	if !s.siteVisible(r, req.Site) {
		writeError(w, http.StatusForbidden, "site: "+req.Site+" is not a site in the token's scope")
		return
	}
	now := s.cfg.Now().UTC()
	res, hash, err := s.newEnrollment(req.ID, req.Site, now.Add(s.provisioning().TokenTTL), true) // fleet.go
	if err != nil {
		s.internal(w, r, err)
		return
	}
	err = s.cfg.Store.CreateEnrollment(r.Context(), domain.GatewayCredential{ID: req.ID, Site: req.Site}, hash, now, res.ExpiresAt)
	switch {
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, "gateway "+req.ID+" already exists")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: gateway created", "gw", req.ID, "site", req.Site, "token_expires", res.ExpiresAt)
	auditChange(r, "gateway", req.ID, req.Site, nil, map[string]any{"id": req.ID, "site": req.Site, "token_expires_at": res.ExpiresAt})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) revokeGateway(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.gatewayExists(w, r, id) {
		return
	}
	at := s.cfg.Now().UTC()
	before, err := s.cfg.Store.GatewayCredential(r.Context(), id)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.internal(w, r, err)
		return
	}
	err = s.cfg.Store.RevokeGateway(r.Context(), id, at)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such gateway")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	if f := s.cfg.Provisioning.OnRevoke; f != nil {
		f(id)
	}
	// Only a broker whose credentials the cloud issues (the embedded one)
	// disconnects and refuses the gateway; say so otherwise.
	broker := "disconnected and refused"
	if s.cfg.Provisioning.BrokerURL == "" {
		broker = "not managed by the cloud: revoke the gateway's credentials on the external broker"
	}
	s.log.Info("http: gateway revoked", "gw", id, "broker", broker)
	auditChange(r, "gateway", id, before.Site, map[string]any{"id": id, "site": before.Site, "revoked_at": before.RevokedAt},
		map[string]any{"id": id, "site": before.Site, "revoked_at": at})
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "revoked": true, "at": at, "broker": broker})
}

// enroll is unauthenticated: the token is the credential. Failed attempts
// are rate-limited (a guesser gets 30 a minute against 256-bit tokens, and
// the bcrypt hash each attempt costs is bounded), and the token is only
// ever compared by its SHA-256 in an indexed lookup.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := s.provisioning()
	if p.BrokerURL == "" {
		writeError(w, http.StatusServiceUnavailable, "enrollment is not available with this broker")
		return
	}
	// Only failed attempts count against the limit (ADR 0024): a street
	// of gateways created in bulk enrolls at once, each with its own
	// valid token, which works once.
	now := s.cfg.Now()
	if !s.enrollLimit.below(now, p.EnrollPerMinute) {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "too many failed enrollment attempts; retry later")
		return
	}
	failed := true
	defer func() {
		if failed {
			s.enrollLimit.add(now)
		}
	}()
	var req EnrollRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Token == "" || len(req.Token) > 256 {
		writeError(w, http.StatusBadRequest, "token: required")
		return
	}
	password, err := domain.RandomToken(24)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	hash, err := domain.HashGeneratedSecret(password)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	c, err := s.cfg.Store.ConsumeEnrollment(r.Context(), domain.HashToken(req.Token), hash, s.cfg.Now().UTC())
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "unknown enrollment token")
		return
	case errors.Is(err, domain.ErrTokenUsed):
		writeError(w, http.StatusConflict, "enrollment token already used")
		return
	case errors.Is(err, domain.ErrTokenExpired):
		writeError(w, http.StatusGone, "enrollment token expired")
		return
	case errors.Is(err, domain.ErrRevoked):
		writeError(w, http.StatusForbidden, "gateway revoked")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	failed = false // the token was good: whatever follows is not a guess
	if p.OnEnroll != nil {
		if err := p.OnEnroll(r.Context(), c.ID, password); err != nil {
			s.log.Error("http: enrollment: broker credentials", "gw", c.ID, "err", err)
			writeError(w, http.StatusBadGateway, "the broker did not take the gateway's credentials; create the gateway again")
			return
		}
	}
	s.log.Info("http: gateway enrolled", "gw", c.ID, "site", c.Site, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, EnrollResponse{GatewayID: c.ID, Site: c.Site, BrokerURL: p.BrokerURL,
		Username: c.ID, Password: password, CAPEM: p.CAPEM})
}

// windowLimiter counts events per fixed minute (the enrollment's failed
// attempts).
type windowLimiter struct {
	mu    sync.Mutex
	start time.Time
	count int
}

// roll starts a new minute when the current one is over (or the clock
// went back); l.mu is held.
func (l *windowLimiter) roll(now time.Time) {
	if now.Sub(l.start) >= time.Minute || now.Before(l.start) {
		l.start, l.count = now, 0
	}
}

// below reports whether fewer than n events were counted this minute.
func (l *windowLimiter) below(now time.Time, n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.count < n
}

// add counts one event.
func (l *windowLimiter) add(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.count++
}
