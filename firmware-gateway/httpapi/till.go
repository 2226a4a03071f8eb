package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Till prices (docs/till-api.md): a till (POS) posts the amount of the
// sale to POST /api/till/amount with its own token; a cashier logged in
// as staff keys it with POST /api/staff/amount. The amount waits for the
// elder's tap, or decides the tap that waits for it.

// TillRequest is the body of POST /api/till/amount.
type TillRequest struct {
	AmountFen int64  `json:"amount_fen"` // integer fen, > 0
	Till      string `json:"till"`       // optional; when given, must be the till the token belongs to
	Ref       string `json:"ref"`        // the till's reference of the sale, optional
}

// Limits of a TillRequest's text fields.
const (
	maxTillID  = 64
	maxTillRef = 128
)

// TillBackend is what the till endpoints ask of the gateway. A backend
// that implements it gets /api/till/amount and the cashier's
// /api/staff/amount and /api/staff/till. Errors wrap ErrInvalid (400),
// ErrConflict (409), ErrUnauthorized (401) or ErrUnavailable (503).
type TillBackend interface {
	// TillAmount takes an amount sent by the authenticated till.
	TillAmount(ctx context.Context, till string, req TillRequest) (any, error)
	// CashierAmount takes an amount keyed by the logged-in staff member.
	CashierAmount(ctx context.Context, token string, amountFen int64) (any, error)
	// CancelAmount withdraws the amount waiting for a tap.
	CancelAmount(ctx context.Context, token string) (any, error)
	// TillState reports what waits: an amount or a tap.
	TillState(ctx context.Context, token string) (any, error)
}

// ParseTillRequest reads and checks the body of POST /api/till/amount:
// one JSON object, no unknown fields, amount_fen an integer number of fen
// above zero, till and ref printable text of at most 64 and 128 bytes.
// The error says what is wrong in words.
func ParseTillRequest(body []byte) (TillRequest, error) {
	var raw struct {
		AmountFen json.RawMessage `json:"amount_fen"`
		Till      string          `json:"till"`
		Ref       string          `json:"ref"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return TillRequest{}, fmt.Errorf("httpapi: till: invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return TillRequest{}, errors.New("httpapi: till: the body must be a single JSON object")
	}
	num := string(bytes.TrimSpace(raw.AmountFen))
	if num == "" || num == "null" {
		return TillRequest{}, errors.New("httpapi: till: amount_fen is missing (integer fen, e.g. 1250 for 12.50 yuan)")
	}
	fen, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return TillRequest{}, fmt.Errorf("httpapi: till: amount_fen %.40s: must be an integer number of fen (1250 for 12.50 yuan), not a decimal, string or exponent", num)
	}
	if fen <= 0 {
		return TillRequest{}, fmt.Errorf("httpapi: till: amount_fen %d: must be more than zero", fen)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"till", raw.Till, maxTillID}, {"ref", raw.Ref, maxTillRef}} {
		if len(f.v) > f.max {
			return TillRequest{}, fmt.Errorf("httpapi: till: %s is longer than %d bytes", f.name, f.max)
		}
		if !utf8.ValidString(f.v) {
			return TillRequest{}, fmt.Errorf("httpapi: till: %s is not valid UTF-8", f.name)
		}
		for _, r := range f.v {
			if !unicode.IsPrint(r) {
				return TillRequest{}, fmt.Errorf("httpapi: till: %s contains a control character", f.name)
			}
		}
	}
	return TillRequest{AmountFen: fen, Till: raw.Till, Ref: raw.Ref}, nil
}

// tillTokens authenticates tills by token. The tokens are kept as
// SHA-256 digests and a presented token is compared with every one of
// them in constant time (subtle.ConstantTimeCompare on equal-length
// digests, no early exit), so the time taken says nothing about how
// close a guess was or which till it was near.
type tillTokens struct {
	ids     []string
	digests [][sha256.Size]byte
}

func newTillTokens(tokens map[string]string) *tillTokens {
	t := &tillTokens{}
	ids := make([]string, 0, len(tokens))
	for id := range tokens {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if tokens[id] == "" {
			continue // never matches
		}
		t.ids = append(t.ids, id)
		t.digests = append(t.digests, sha256.Sum256([]byte(tokens[id])))
	}
	return t
}

// till returns the till whose token tok is.
func (t *tillTokens) till(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	d := sha256.Sum256([]byte(tok))
	found := -1
	for i := range t.digests {
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return t.ids[found], true
}

func (s *Server) tillRoutes(mux *http.ServeMux, b TillBackend) {
	tokens := newTillTokens(s.cfg.TillTokens)
	mux.HandleFunc("POST /api/till/amount", func(w http.ResponseWriter, r *http.Request) {
		till, ok := tokens.till(bearer(r))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eldergate till"`)
			s.fail(w, http.StatusUnauthorized, errors.New("httpapi: till: missing or wrong till token (Authorization: Bearer TOKEN)"))
			return
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" {
			s.fail(w, http.StatusUnsupportedMediaType, errors.New("httpapi: till: content type must be application/json"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.fail(w, http.StatusRequestEntityTooLarge, fmt.Errorf("httpapi: till: body larger than %d bytes", maxBody))
				return
			}
			s.fail(w, http.StatusBadRequest, fmt.Errorf("httpapi: till: body unreadable: %w", err))
			return
		}
		req, err := ParseTillRequest(body)
		if err != nil {
			s.fail(w, http.StatusBadRequest, err)
			return
		}
		if req.Till != "" && req.Till != till {
			s.fail(w, http.StatusForbidden, fmt.Errorf("httpapi: till: the token is not the token of till %q", req.Till))
			return
		}
		req.Till = till
		out, err := b.TillAmount(r.Context(), till, req)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/staff/amount", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AmountFen *int64 `json:"amount_fen"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if body.AmountFen == nil {
			s.fail(w, http.StatusBadRequest, errors.New("httpapi: amount_fen is missing (integer fen, e.g. 1250 for 12.50 yuan)"))
			return
		}
		out, err := b.CashierAmount(r.Context(), bearer(r), *body.AmountFen)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("DELETE /api/staff/amount", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.CancelAmount(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/staff/till", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.TillState(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// SimTillBackend rings an amount on a simulated till of till.devices
// (driver sim): POST /api/sim/till, served in simulation only. The amount
// then takes the path of a serial till's amount.
type SimTillBackend interface {
	SimTill(till string, amountFen int64, ref string) error
}

func (s *Server) simTill(b SimTillBackend) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Till      string `json:"till"`
			AmountFen *int64 `json:"amount_fen"`
			Ref       string `json:"ref"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if body.Till == "" || body.AmountFen == nil || *body.AmountFen <= 0 {
			s.fail(w, http.StatusBadRequest, errors.New("httpapi: till and amount_fen (integer fen above zero) are required"))
			return
		}
		s.accepted(w, b.SimTill(body.Till, *body.AmountFen, body.Ref))
	}
}
