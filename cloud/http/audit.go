package cloudhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// The audit hook (issue 13, docs/audit.md, ADR 0023). routeMux wraps every
// route whose method changes something (anything but GET and HEAD) in
// audited when it is registered, so a route added later is audited
// without anyone remembering to. The wrapper puts an auditRec into the
// request's context; require writes the caller into it, a handler that
// changed a stored thing says what it was and what it became with
// auditChange, and when the handler has answered the wrapper appends one
// row to the audit log with the answer's status: refused attempts (401,
// 403, 400, 404, 409) are recorded too.

// auditBodyMax bounds the request body kept as a route's "after" when its
// handler does not call auditChange.
const auditBodyMax = 16 << 10

// auditRec is what one request's handlers tell the hook.
type auditRec struct {
	caller     Caller
	set        bool // auditChange was called
	targetType string
	targetID   string
	unit       string
	before     any
	after      any
}

type auditKey struct{}

func auditOf(ctx context.Context) *auditRec {
	rec, _ := ctx.Value(auditKey{}).(*auditRec)
	return rec
}

// auditCaller notes the authenticated caller of r for the audit row
// (require calls it before the role check, so a refused caller is named).
func auditCaller(r *http.Request, c Caller) {
	if rec := auditOf(r.Context()); rec != nil {
		rec.caller = c
	}
}

// auditChange records what the request changed: the target (its type and
// id), the org unit it concerns (a site, a street...; "" = the caller's
// scope) and what it was before and became after (any JSON-encodable
// value, nil for none; secrets are redacted by domain.RedactJSON). A
// handler calls it once it has made the change; the last call wins.
func auditChange(r *http.Request, targetType, targetID, unit string, before, after any) {
	rec := auditOf(r.Context())
	if rec == nil {
		return
	}
	rec.set = true
	rec.targetType, rec.targetID, rec.unit = targetType, targetID, unit
	rec.before, rec.after = before, after
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bodyCopy keeps the first auditBodyMax bytes the handler reads.
type bodyCopy struct {
	io.ReadCloser
	buf       bytes.Buffer
	truncated bool
}

func (b *bodyCopy) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := auditBodyMax - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(n, room)])
		b.truncated = b.truncated || n > room
	} else if n > 0 {
		b.truncated = true
	}
	return n, err
}

// audits reports whether routes of pattern are audited: those of a method
// that changes something (a pattern without a method, the /api/
// catch-all, answers 404 and changes nothing).
func audits(pattern string) bool {
	method, _, ok := strings.Cut(pattern, " ")
	return ok && method != "" && method != http.MethodGet && method != http.MethodHead
}

// audited wraps the handler of a change route: see the top of this file.
func (s *Server) audited(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &auditRec{}
		body := &bodyCopy{ReadCloser: r.Body}
		r.Body = body
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, rec))
		h.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		e := s.auditEntry(r, pattern, rec, body, sw.status)
		// The row is written after the answer, which cannot be taken back:
		// a failed write is logged loudly (docs/audit.md).
		if _, err := s.cfg.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
			s.log.Error("http: audit row not written", "route", pattern, "path", r.URL.Path, "status", sw.status, "err", err)
		}
	})
}

// auditEntry is the row of one answered change request.
func (s *Server) auditEntry(r *http.Request, pattern string, rec *auditRec, body *bodyCopy, status int) domain.AuditEntry {
	c := rec.caller
	e := domain.AuditEntry{
		At: s.cfg.Now().UTC(), ActorKind: c.Kind, ActorName: c.Name, Role: string(c.Role),
		Remote: remoteHost(r), Method: r.Method, Route: pattern, Path: r.URL.Path, Status: status,
	}
	e.ActorID = c.TokenID
	if c.Kind == "user" {
		e.ActorID = c.UserID
	}
	if rec.set {
		e.TargetType, e.TargetID, e.Unit = rec.targetType, rec.targetID, rec.unit
		e.Before, e.After = auditJSON(rec.before), auditJSON(rec.after)
	} else {
		e.TargetType, e.TargetID, e.Unit = routeTarget(r, pattern)
		e.After = requestBody(r, body)
	}
	if e.Unit == "" {
		e.Unit = c.Scope
	}
	return e
}

// auditJSON encodes v with its secrets redacted; nil for nil.
func auditJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	return domain.RedactJSON(b)
}

// requestBody is the "after" of a route whose handler said nothing: the
// JSON body it read, secrets redacted; for a body of another kind (a CSV
// of elders, ...) only its type and size, never its content.
func requestBody(r *http.Request, body *bodyCopy) json.RawMessage {
	if body.buf.Len() == 0 {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !body.truncated && (ct == "application/json" || ct == "" || strings.HasSuffix(ct, "+json")) {
		if j := domain.RedactJSON(body.buf.Bytes()); j != nil {
			return j
		}
	}
	b, _ := json.Marshal(map[string]any{"content_type": ct, "bytes": body.buf.Len(), "truncated": body.truncated})
	return b
}

// routeTarget names the target of a route from its pattern: the static
// segment before its last wildcard and that wildcard's value
// ("POST /api/v1/gateways/{id}/revoke" → "gateways", the id), and the
// site of a route with a {site} wildcard as its unit.
func routeTarget(r *http.Request, pattern string) (typ, id, unit string) {
	_, path, _ := strings.Cut(pattern, " ")
	segs := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
			id = r.PathValue(name)
			if i > 0 {
				typ = segs[i-1]
			}
			if name == "site" {
				unit = id
			}
		}
	}
	if typ == "" && len(segs) > 0 {
		typ = segs[len(segs)-1]
	}
	if unit != "" && domain.ValidateSlug(unit) != nil {
		unit = ""
	}
	return typ, id, unit
}

// remoteHost is the client's address without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// auditRoutes registers the audit log's read routes: the auditor's and
// the admin's (Role.Permits).
func (s *Server) auditRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/audit", s.require(domain.RoleAuditor, s.listAudit))
	mux.Handle("GET /api/v1/audit/verify", s.require(domain.RoleAuditor, s.verifyAudit))
}

// Audit list paging: the default and the largest page.
const (
	auditPageDefault = 50
	auditPageMax     = 200
	// auditExportMax bounds the rows of one CSV/XLSX download.
	auditExportMax = 20000
)

// auditParams is a parsed GET /api/v1/audit query.
type auditParams struct {
	q      domain.AuditQuery
	format string // json, csv, xlsx
	lang   string
	tz     *time.Location
}

// parseAuditQuery reads the filters of GET /api/v1/audit: from and to
// (days YYYY-MM-DD in tz, to inclusive), actor, route, target, status
// (200, or a class: 2xx, 4xx, 5xx), q (free text), before (keyset: rows
// with a smaller id), limit (1-200), format (json, csv, xlsx), lang and tz.
// The caller's scope is not its business.
func parseAuditQuery(v url.Values) (auditParams, error) {
	p := auditParams{format: "json", lang: "zh-CN"}
	for k, vals := range v {
		if len(vals) > 1 {
			return p, fmt.Errorf("%s: give it once", k)
		}
		if !slices.Contains([]string{"from", "to", "actor", "route", "target", "status", "q", "before", "limit", "format", "lang", "tz", "scope"}, k) {
			return p, fmt.Errorf("unknown parameter %s", quote(k))
		}
		if len(vals[0]) > 200 || !utf8.ValidString(vals[0]) {
			return p, fmt.Errorf("%s: at most 200 characters of UTF-8", k)
		}
	}
	var err error
	if p.tz, err = reportZone(v.Get("tz")); err != nil {
		return p, err
	}
	day := func(k string) (time.Time, time.Time, error) {
		per, err := reports.ParsePeriod(v.Get(k))
		if err != nil || per.Kind != reports.PeriodDay {
			return time.Time{}, time.Time{}, fmt.Errorf("%s: %s is not a day YYYY-MM-DD", k, quote(v.Get(k)))
		}
		from, to := per.Bounds(p.tz)
		return from, to, nil
	}
	if v.Get("from") != "" {
		if p.q.From, _, err = day("from"); err != nil {
			return p, err
		}
	}
	if v.Get("to") != "" {
		if _, p.q.To, err = day("to"); err != nil {
			return p, err
		}
	}
	if !p.q.From.IsZero() && !p.q.To.IsZero() && !p.q.From.Before(p.q.To) {
		return p, errors.New("to: before from")
	}
	p.q.Actor = strings.TrimSpace(v.Get("actor"))
	p.q.Route = strings.TrimSpace(v.Get("route"))
	p.q.Target = strings.TrimSpace(v.Get("target"))
	p.q.Text = strings.TrimSpace(v.Get("q"))
	if st := v.Get("status"); st != "" {
		switch {
		case len(st) == 3 && strings.HasSuffix(st, "xx") && st[0] >= '1' && st[0] <= '5':
			p.q.Status = int(st[0] - '0')
		default:
			n, err := strconv.Atoi(st)
			if err != nil || n < 100 || n > 599 {
				return p, fmt.Errorf("status: %s is not a status (200) or a class (2xx, 4xx, 5xx)", quote(st))
			}
			p.q.Status = n
		}
	}
	if b := v.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return p, fmt.Errorf("before: %s is not a row id", quote(b))
		}
		p.q.Before = n
	}
	p.q.Limit = auditPageDefault
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > auditPageMax {
			return p, fmt.Errorf("limit: must be 1 to %d", auditPageMax)
		}
		p.q.Limit = n
	}
	if f := v.Get("format"); f != "" {
		if !slices.Contains([]string{"json", "csv", "xlsx"}, f) {
			return p, fmt.Errorf("format %s is not one of json, csv, xlsx", quote(f))
		}
		p.format = f
	}
	if l := v.Get("lang"); l != "" {
		if !slices.Contains(reports.Langs, l) {
			return p, fmt.Errorf("lang %s is not one of zh-CN, zh-HK, en", quote(l))
		}
		p.lang = l
	}
	return p, nil
}

// AuditPage is the answer of GET /api/v1/audit.
type AuditPage struct {
	Entries []domain.AuditEntry `json:"entries"`
	// NextBefore is the before= of the next (older) page; 0 when this is
	// the last.
	NextBefore int64 `json:"next_before"`
}

// listAudit serves GET /api/v1/audit: the rows of the caller's subtree
// (or of scope=, within it) the filters select, newest first, a page at a
// time; format=csv or xlsx downloads every selected row (up to
// auditExportMax).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	p, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	p.q.Scope = scope
	if p.format == "json" {
		q := p.q
		q.Limit++ // one more: is there a next page?
		rows, err := s.cfg.Store.ListAudit(r.Context(), q)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		page := AuditPage{Entries: rows}
		if len(rows) > p.q.Limit {
			page.Entries = rows[:p.q.Limit]
			page.NextBefore = page.Entries[len(page.Entries)-1].ID
		}
		writeJSON(w, http.StatusOK, page)
		return
	}
	var all []domain.AuditEntry
	q := p.q
	q.Limit = domain.ListLimit
	for len(all) < auditExportMax {
		rows, err := s.cfg.Store.ListAudit(r.Context(), q)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		all = append(all, rows...)
		if len(rows) < q.Limit {
			break
		}
		q.Before = rows[len(rows)-1].ID
	}
	names, err := s.unitNames(r.Context(), CallerOf(r.Context()).Scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.cfg.Now()
	table := func() (reports.Table, error) { return reports.AuditTable(all, p.lang, p.tz, names, scope, now) }
	s.writeReport(w, r, reportQuery{format: p.format}, nil, table, "audit-"+now.In(p.tz).Format("20060102-1504"))
}

// verifyAudit serves GET /api/v1/audit/verify: the walk of the whole
// chain (domain.AuditVerification). The chain is one for the whole log,
// so a scoped auditor's answer names only the first broken row's id.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Store.VerifyAudit(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
