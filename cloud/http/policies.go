package cloudhttp

// Policies (issue 13; docs/policies/README.md "In the console", ADR
// 0026): the versions with the sites each is assigned to, one version's
// text, a line diff between two versions, validation of a text before it
// is stored, "what would this elder get" by the gateway's engine, and the
// refusal of an assignment needing a till or a scale the site's gateways
// lack. Uploading and assigning stay in roster.go.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/textdiff"
	"github.com/eldergate/eldergate/policy"
)

// policyRoutes registers the policy routes beyond upload and assignment.
func (s *Server) policyRoutes(mux *routeMux) {
	mux.Handle("POST /api/v1/policies/validate", s.require(domain.RoleOperator, s.validatePolicy))
	mux.Handle("GET /api/v1/policies/{version}", s.require(domain.RoleOperator, s.getPolicy))
	mux.Handle("GET /api/v1/policies/{version}/diff", s.require(domain.RoleOperator, s.diffPolicy))
	mux.Handle("POST /api/v1/policies/{version}/preview", s.require(domain.RoleOperator, s.previewPolicy))
}

// PolicyEntry is one version in GET /api/v1/policies: the stored policy
// (without its text) and the sites, visible to the caller, it is
// assigned to.
type PolicyEntry struct {
	domain.StoredPolicy
	Sites []string `json:"sites"`
}

// sitesByVersion returns, per policy version, the sites visible to the
// caller that run it, ordered.
func (s *Server) sitesByVersion(r *http.Request) (map[string][]string, error) {
	as, err := s.cfg.Store.PolicyAssignments(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for site, v := range as {
		if s.siteVisible(r, site) {
			out[v] = append(out[v], site)
		}
	}
	for _, sites := range out {
		slices.Sort(sites)
	}
	return out, nil
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Store.ListPolicies(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sites, err := s.sitesByVersion(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]PolicyEntry, 0, len(ps))
	for _, p := range ps {
		out = append(out, PolicyEntry{StoredPolicy: p, Sites: orEmpty(sites[p.Version])})
	}
	writeJSON(w, http.StatusOK, out)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PolicyView is the answer of GET /api/v1/policies/{version}.
type PolicyView struct {
	domain.StoredPolicy
	Sites []string `json:"sites"`
	// Needs are the devices its windows need at the gateway
	// (policy.Policy.PriceDevices): "scale", "till".
	Needs    []string        `json:"needs"`
	Windows  []policy.Window `json:"windows"`
	TimeZone string          `json:"time_zone"`
}

// storedPolicy reads version and parses it; it answers 404 (and false)
// when there is none.
func (s *Server) storedPolicy(w http.ResponseWriter, r *http.Request, version string) (domain.StoredPolicy, *policy.Policy, bool) {
	sp, err := s.cfg.Store.Policy(r.Context(), version)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no policy version "+version)
		return sp, nil, false
	case err != nil:
		s.internal(w, r, err)
		return sp, nil, false
	}
	p, err := policy.Parse([]byte(sp.Body))
	if err != nil {
		s.internal(w, r, fmt.Errorf("stored policy %s does not parse: %w", version, err))
		return sp, nil, false
	}
	return sp, p, true
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	sp, p, ok := s.storedPolicy(w, r, r.PathValue("version"))
	if !ok {
		return
	}
	sites, err := s.sitesByVersion(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, PolicyView{StoredPolicy: sp, Sites: orEmpty(sites[sp.Version]),
		Needs: orEmpty(p.PriceDevices()), Windows: p.Windows, TimeZone: p.TimeZone})
}

// PolicyDiff is the answer of GET /api/v1/policies/{version}/diff: the
// lines of version against another one (the old text).
type PolicyDiff struct {
	Version string          `json:"version"`
	Against string          `json:"against"`
	Changed bool            `json:"changed"`
	Lines   []textdiff.Line `json:"lines"`
}

func (s *Server) diffPolicy(w http.ResponseWriter, r *http.Request) {
	against := strings.TrimSpace(r.URL.Query().Get("against"))
	if against == "" {
		writeError(w, http.StatusBadRequest, "against: missing (the version to compare with)")
		return
	}
	newer, _, ok := s.storedPolicy(w, r, r.PathValue("version"))
	if !ok {
		return
	}
	older, _, ok := s.storedPolicy(w, r, against)
	if !ok {
		return
	}
	d := textdiff.Lines(older.Body, newer.Body)
	writeJSON(w, http.StatusOK, PolicyDiff{Version: newer.Version, Against: older.Version, Changed: textdiff.Changed(d), Lines: d})
}

// PolicyCheck is the answer of POST /api/v1/policies/validate: the text
// parsed by the parser and validator of the upload (policy.Parse).
type PolicyCheck struct {
	Valid bool `json:"valid"`
	// Error is the parser's message, Line its line in the text (0 when
	// unknown) and Field the field a validation error names.
	Error string `json:"error,omitempty"`
	Line  int    `json:"line,omitempty"`
	Field string `json:"field,omitempty"`
	// Of a valid text: its version and name, the devices it needs, and
	// whether that version is stored (Stored) with the same text (Same).
	Version string   `json:"version,omitempty"`
	Name    string   `json:"name,omitempty"`
	Needs   []string `json:"needs,omitempty"`
	Stored  bool     `json:"stored,omitempty"`
	Same    bool     `json:"same,omitempty"`
}

// CheckPolicyText validates a policy text as the upload does.
func CheckPolicyText(body []byte) (PolicyCheck, *policy.Policy) {
	p, err := policy.Parse(body)
	if err != nil {
		c := PolicyCheck{Error: err.Error(), Line: policy.ErrorLine(body, err)}
		var fe *policy.FieldError
		if errors.As(err, &fe) {
			c.Field = fe.Field
		}
		return c, nil
	}
	return PolicyCheck{Valid: true, Version: p.Version, Name: p.Name, Needs: p.PriceDevices()}, p
}

func (s *Server) validatePolicy(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "policy larger than the body limit")
		return
	}
	c, p := CheckPolicyText(body)
	if p == nil {
		writeJSON(w, http.StatusUnprocessableEntity, c)
		return
	}
	sp, err := s.cfg.Store.Policy(r.Context(), p.Version)
	switch {
	case err == nil:
		c.Stored, c.Same = true, sp.Body == string(body)
	case !errors.Is(err, domain.ErrNotFound):
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// The refusal of an assignment (ADR 0026).

// CodePriceDeviceMissing is the code of the 409 answer of PUT
// /api/v1/sites/{site}/policy when the policy needs a device that a
// gateway of the site reported it lacks.
const CodePriceDeviceMissing = "price_device_missing"

// PolicyRefusal is the body of that 409: the reason in words (English,
// for logs and scripts) and its code and parameters, which the console
// words in the user's language.
type PolicyRefusal struct {
	Error   string                    `json:"error"`
	Code    string                    `json:"code"`
	Site    string                    `json:"site"`
	Version string                    `json:"version"`
	Checks  []domain.PriceDeviceCheck `json:"checks"`
}

// priceDeviceChecks applies domain.CheckPriceDevices to site's gateways
// as they last reported.
func (s *Server) priceDeviceChecks(r *http.Request, site string, p *policy.Policy) ([]domain.PriceDeviceCheck, error) {
	needs := p.PriceDevices()
	if len(needs) == 0 {
		return nil, nil
	}
	ids, err := s.cfg.Store.SiteGateways(r.Context(), site)
	if err != nil {
		return nil, err
	}
	gws := make([]domain.GatewayPrices, 0, len(ids))
	for _, id := range ids {
		rep, err := s.cfg.Store.ReportedConfig(r.Context(), id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		gws = append(gws, domain.GatewayPrices{GW: id, Devices: rep.PriceDevices})
	}
	return domain.CheckPriceDevices(needs, gws), nil
}

// refusePolicy answers 409 and true when p cannot work at site; else it
// returns the checks left (gateways that never reported) for the answer.
func (s *Server) refusePolicy(w http.ResponseWriter, r *http.Request, site string, p *policy.Policy) ([]domain.PriceDeviceCheck, bool) {
	checks, err := s.priceDeviceChecks(r, site, p)
	if err != nil {
		s.internal(w, r, err)
		return nil, true
	}
	if !domain.RefusesPolicy(checks) {
		return checks, false
	}
	var why []string
	for _, c := range checks {
		if len(c.Lacking) > 0 {
			why = append(why, fmt.Sprintf("it prices meals with a %s, which gateway %s of the site does not have", c.Device, strings.Join(c.Lacking, ", ")))
		}
	}
	msg := fmt.Sprintf("policy %s not assigned to %s: %s; every tap there would be refused. Give the gateway the device or choose a policy with fixed prices.",
		p.Version, site, strings.Join(why, "; "))
	s.log.Info("http: policy refused", "site", site, "version", p.Version, "reason", CodePriceDeviceMissing)
	writeJSON(w, http.StatusConflict, PolicyRefusal{Error: msg, Code: CodePriceDeviceMissing, Site: site, Version: p.Version, Checks: checks})
	return nil, true
}

// "What would this elder get".

// PreviewRequest is the body of POST /api/v1/policies/{version}/preview.
type PreviewRequest struct {
	Site  string `json:"site"`
	Elder string `json:"elder"` // the elder's id on the site's roster
	// At is the time of the meal (default now); with Window, the meal is
	// at that window's start on At's local day.
	At       *time.Time    `json:"at,omitempty"`
	Window   string        `json:"window,omitempty"`
	PriceFen eldergate.Fen `json:"price_fen,omitempty"` // the amount rung up (a till-priced window)
	WeightG  int64         `json:"weight_g,omitempty"`  // the weight (a window priced by weight)
}

// Check reports, in words, what is wrong with the request.
func (q PreviewRequest) Check() error {
	switch {
	case strings.TrimSpace(q.Site) == "":
		return errors.New("site: missing")
	case strings.TrimSpace(q.Elder) == "":
		return errors.New("elder: missing")
	case q.PriceFen < 0 || q.PriceFen > policy.MaxFen:
		return fmt.Errorf("price_fen: %d is not between 0 and %d", q.PriceFen, policy.MaxFen)
	case q.WeightG < 0 || q.WeightG > policy.MaxWeightG:
		return fmt.Errorf("weight_g: %d is not between 0 and %d", q.WeightG, policy.MaxWeightG)
	case len(q.Window) > 64:
		return errors.New("window: longer than 64 bytes")
	}
	return nil
}

// PreviewView is the answer: the decision the gateway's engine makes,
// the usage it was decided with, and the meal's time in the policy's zone.
type PreviewView struct {
	Version  string          `json:"version"`
	Site     string          `json:"site"`
	Elder    string          `json:"elder"`      // the elder's id
	Name     string          `json:"elder_name"` // masked
	At       time.Time       `json:"at"`
	Local    string          `json:"local"`     // "2026-12-06 12:00"
	TimeZone string          `json:"time_zone"` // the policy's zone
	Needs    []string        `json:"needs"`     // devices the policy needs
	Usage    policy.Usage    `json:"usage"`     // before the meal
	Decision policy.Decision `json:"decision"`
}

func (s *Server) previewPolicy(w http.ResponseWriter, r *http.Request) {
	var q PreviewRequest
	if !decodeBody(w, r, &q) {
		return
	}
	if err := q.Check(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.siteVisible(r, q.Site) {
		writeError(w, http.StatusNotFound, "no site "+q.Site)
		return
	}
	_, p, ok := s.storedPolicy(w, r, r.PathValue("version"))
	if !ok {
		return
	}
	at := s.cfg.Now().UTC()
	if q.At != nil {
		at = q.At.UTC()
	}
	if q.Window != "" {
		start, ok := p.WindowStart(q.Window, at)
		if !ok {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("window: policy %s has no window %q", p.Version, q.Window))
			return
		}
		at = start.UTC()
	}
	ctx := r.Context()
	entries, err := s.cfg.Store.RosterElders(ctx, []string{q.Elder})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	i := slices.IndexFunc(entries, func(e domain.RosterEntry) bool { return e.Site == q.Site })
	if i < 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("elder %s is not on the roster of %s", q.Elder, q.Site))
		return
	}
	elder := entries[i].Elder.Elder
	units, err := s.cfg.Store.ListOrgUnits(ctx, "") // the site's jurisdiction needs its ancestors
	if err != nil {
		s.internal(w, r, err)
		return
	}
	place, _ := domain.SitePlace(units, q.Site)
	meals, err := s.cfg.Store.ReconcileMeals(ctx, "", reports.PreviewSince(p, at), reports.PreviewSince(p, at), at)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	d, u := reports.Preview(reports.PreviewInput{Policy: p, Elder: elder, Site: policy.Site{ID: q.Site, Place: place},
		At: at, PriceFen: q.PriceFen, WeightG: q.WeightG, Meals: meals})
	loc, _ := time.LoadLocation(p.TimeZone)
	writeJSON(w, http.StatusOK, PreviewView{Version: p.Version, Site: q.Site, Elder: elder.ID, Name: eldergate.MaskName(elder.Name),
		At: at, Local: at.In(loc).Format("2006-01-02 15:04"), TimeZone: p.TimeZone, Needs: orEmpty(p.PriceDevices()), Usage: u, Decision: d})
}
