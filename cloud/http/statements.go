package cloudhttp

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// CloseSettlementRequest is the body of POST
// /api/v1/reports/settlement/close.
type CloseSettlementRequest struct {
	Month string `json:"month"` // YYYY-MM
	Unit  string `json:"unit"`  // org unit id; "" = the token's scope (every site for an unscoped token)
	TZ    string `json:"tz"`    // IANA zone; "" = Asia/Shanghai
}

// closeRequest is a parsed CloseSettlementRequest.
type closeRequest struct {
	month, unit string
	tz          *time.Location
	from, to    time.Time
}

// parseCloseRequest reads and checks the body of a close: an error says
// in words what is wrong.
func parseCloseRequest(body []byte) (closeRequest, error) {
	var req CloseSettlementRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return closeRequest{}, fmt.Errorf("body is not a close request (month, unit, tz): %v", err)
	}
	if dec.More() {
		return closeRequest{}, errors.New("body holds more than one JSON value")
	}
	var c closeRequest
	if req.Unit != "" {
		if err := domain.ValidateSlug(req.Unit); err != nil {
			return c, fmt.Errorf("unit: %v", err)
		}
	}
	tz, err := reportZone(req.TZ)
	if err != nil {
		return c, err
	}
	from, to, err := reports.ParseMonth(req.Month, tz)
	if err != nil {
		return c, err
	}
	return closeRequest{month: req.Month, unit: req.Unit, tz: tz, from: from, to: to}, nil
}

// closeSettlement serves POST /api/v1/reports/settlement/close (admin):
// closes the month for the unit (within the token's scope; the token's
// own scope when none is named), storing the settlement as computed now as
// a statement that never changes; 201 with the statement.
func (s *Server) closeSettlement(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	req, err := parseCloseRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	c := CallerOf(ctx)
	if req.unit == "" {
		req.unit = c.Scope
	}
	if req.unit != "" {
		in, err := s.unitWithin(ctx, c.Scope, req.unit)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			writeError(w, http.StatusBadRequest, "unit: no org unit "+req.unit)
			return
		case err != nil:
			s.internal(w, r, err)
			return
		case !in:
			writeError(w, http.StatusForbidden, "unit: "+req.unit+" is outside the token's scope")
			return
		}
	}
	units, err := s.cfg.Store.ListOrgUnits(ctx, req.unit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// The reconciliation's differences are settled in the statement as
	// adjustments (reports.AddReconciliation): re-decided from the meals
	// stored when the close begins.
	rc, err := reports.ReconcileMonth(ctx, s.cfg.Store, req.month, req.tz, req.unit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	st := domain.Statement{Unit: req.unit, Month: req.month, TimeZone: req.tz.String(), From: req.from.UTC(), To: req.to.UTC(), ClosedBy: actor(c)}
	st, err = s.cfg.Store.CloseStatement(ctx, st, s.cfg.Now().UTC(), func(meals []domain.SettlementMealRow, funding []domain.SettlementFundingRow, adj []domain.SettlementAdjustment) ([]byte, error) {
		rep, err := reports.Settlement(req.month, req.tz, units, meals, funding, adj)
		if err != nil {
			return nil, err
		}
		rep.AddReconciliation(rc, req.tz)
		return reports.StatementContent(rep)
	})
	switch {
	case errors.Is(err, domain.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, storeWords(err, domain.ErrInvalid))
		return
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, storeWords(err, domain.ErrConflict))
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: settlement closed", "number", st.Number, "unit", st.Unit, "month", st.Month, "by", st.ClosedBy, "sha256", st.SHA256)
	st.Content = nil
	auditChange(r, "statement", st.Number, st.Unit, nil, st)
	writeJSON(w, http.StatusCreated, st)
}

// storeWords is the words of a store's refusal: without the engine's and
// the operation's prefix ("sqlite: close: ") and the sentinel's suffix.
func storeWords(err error, sentinel error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+sentinel.Error())
	if _, rest, ok := strings.Cut(msg, "close: "); ok {
		return rest
	}
	return msg
}

// listStatements serves GET /api/v1/reports/statements[?scope=ID]: the
// closed statements of the units in the scope, newest month first.
func (s *Server) listStatements(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	sts, err := s.cfg.Store.ListStatements(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if sts == nil {
		sts = []domain.Statement{}
	}
	writeJSON(w, http.StatusOK, sts)
}

// statementContent serves GET /api/v1/reports/statements/{number}: the
// statement's content exactly as stored (so an auditor can hash it), with
// its number and SHA-256 in headers; 404 for an unknown number or one
// outside the token's scope.
func (s *Server) statementContent(w http.ResponseWriter, r *http.Request) {
	number := r.PathValue("number")
	ctx := r.Context()
	st, err := s.cfg.Store.StatementByNumber(ctx, number)
	if errors.Is(err, domain.ErrNotFound) || err == nil && !s.statementVisible(ctx, st) {
		writeError(w, http.StatusNotFound, "no statement "+quote(number))
		return
	} else if err != nil {
		s.internal(w, r, err)
		return
	}
	sum, _ := hex.DecodeString(st.SHA256)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Statement-Number", st.Number)
	w.Header().Set("X-Content-SHA256", st.SHA256)
	w.Header().Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	w.Header().Set("Content-Disposition", `attachment; filename="`+st.Number+`.json"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(st.Content)
}

// statementVisible reports whether the caller may read st: an unscoped
// caller any; a scoped one those of units in its subtree.
func (s *Server) statementVisible(ctx context.Context, st domain.Statement) bool {
	c := CallerOf(ctx)
	if c.Scope == "" {
		return true
	}
	if st.Unit == "" {
		return false
	}
	in, err := s.unitWithin(ctx, c.Scope, st.Unit)
	return err == nil && in
}
