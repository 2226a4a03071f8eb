package cloudhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Desired versus reported configuration per gateway.
//
// PUT /api/v1/gateways/{id}/config stores the body (YAML text or a JSON
// object) as the gateway's next desired version and queues a config
// command carrying it as a JSON string, so the gateway hashes exactly the
// text stored here (its birth reports config_sha256 of that text). The
// cloud checks what it can (CheckGatewayConfig: a well-formed mapping
// naming the gateway's site); the gateway validates it fully and answers
// with its error. ?dry_run=true runs the same check and answers the diff
// from what the gateway runs, storing and sending nothing.

// ConfigCommandTTL is the expiry of the command carrying a desired config.
const ConfigCommandTTL = 7 * 24 * time.Hour

// MaxConfigBytes bounds a desired configuration (the request body limit).
const MaxConfigBytes = MaxBodyBytes

// ConfigView is the answer of GET and PUT /api/v1/gateways/{id}/config.
type ConfigView struct {
	Desired    *DesiredView  `json:"desired"`     // null: no desired configuration
	Reported   *ReportedView `json:"reported"`    // null: the gateway never reported
	LastResult *ResultView   `json:"last_result"` // the desired version's command; null without one
	Status     string        `json:"status"`      // in_sync, pending, failed, unknown
	Error      string        `json:"error,omitempty"`
}

// DesiredView is the latest desired version.
type DesiredView struct {
	Version int64     `json:"version"`
	SHA256  string    `json:"sha256"`
	SetBy   string    `json:"set_by"`
	SetAt   time.Time `json:"set_at"`
	Body    string    `json:"body"`
}

// ReportedView is what the gateway last reported it runs.
type ReportedView struct {
	ConfigSHA256  string    `json:"config_sha256"`
	PolicyVersion string    `json:"policy_version"`
	RosterVersion uint64    `json:"roster_version"`
	Boot          uint64    `json:"boot"`
	At            time.Time `json:"at"`
	Source        string    `json:"source"` // birth, or result (confirmed by the command's result)
	// The desired version whose text has ConfigSHA256 (0, "": the gateway
	// runs its local file, or a text the cloud did not push).
	Version int64  `json:"version,omitempty"`
	Body    string `json:"body,omitempty"`
	// PriceDevices is what the last birth said can price a meal (ADR 0026).
	PriceDevices string `json:"price_devices,omitempty"`
}

// ResultView is the state of the desired version's config command.
type ResultView struct {
	CommandID string     `json:"command_id"`
	OK        *bool      `json:"ok"` // null until the gateway answered
	Error     string     `json:"error,omitempty"`
	At        *time.Time `json:"at"`
}

// configRoutes registers the desired/reported configuration routes.
func (s *Server) configRoutes(mux *routeMux) {
	mux.Handle("PUT /api/v1/gateways/{id}/config", s.require(domain.RoleOperator, s.putConfig))
	mux.Handle("GET /api/v1/gateways/{id}/config", s.require(domain.RoleViewer, s.getConfig))
}

// ConfigError is why a desired configuration is refused: Code names the
// rule (the console words it in the user's language), Msg says it in
// English.
type ConfigError struct {
	Code string `json:"code"`
	Msg  string `json:"error"`
}

func (e *ConfigError) Error() string { return e.Msg }

func configErr(code, format string, args ...any) error {
	return &ConfigError{Code: code, Msg: "config: " + fmt.Sprintf(format, args...)}
}

// configAudit is what the audit log keeps of a desired configuration:
// its version and hash and the configuration as an object (YAML or JSON
// read into one, so that domain.RedactJSON finds its passwords and
// secrets); the text itself is not kept.
func configAudit(d domain.DesiredConfig) map[string]any {
	out := map[string]any{"version": d.Version, "sha256": d.SHA256, "set_by": d.SetBy}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(d.Body), &v); err == nil && v != nil {
		out["config"] = v
	}
	return out
}

// CheckConfigBody checks a desired configuration as far as the cloud can
// without the gateway's code: UTF-8 text of at most MaxConfigBytes without
// NUL, holding a non-empty YAML mapping or a JSON object.
func CheckConfigBody(b []byte) error {
	switch {
	case len(bytes.TrimSpace(b)) == 0:
		return configErr("empty", "body is empty (send YAML text or a JSON object)")
	case len(b) > MaxConfigBytes:
		return configErr("too_large", "larger than %d bytes", MaxConfigBytes)
	case !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0:
		return configErr("not_text", "not UTF-8 text")
	}
	if t := bytes.TrimSpace(b); t[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(t, &m); err != nil {
			return configErr("not_json", "not a JSON object: %v", err)
		}
		if len(m) == 0 {
			return configErr("empty_mapping", "the JSON object is empty")
		}
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return configErr("not_yaml", "not valid YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return configErr("not_mapping", "YAML must be a mapping of settings (key: value)")
	}
	if len(doc.Content[0].Content) == 0 {
		return configErr("empty_mapping", "the YAML mapping is empty")
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return configErr("multi_doc", "one YAML document expected")
	}
	return nil
}

// CheckGatewayConfig is the rule of a desired configuration of gateway
// gw registered at site, used by PUT /api/v1/gateways/{id}/config and its
// dry run: CheckConfigBody, then the identity the cloud knows: the
// configuration names the gateway's site (every gateway refuses one
// without a site, and the cloud files its events under the registered
// site), and gateway_id, when given, is the gateway's own.
func CheckGatewayConfig(b []byte, gw, site string) error {
	if err := CheckConfigBody(b); err != nil {
		return err
	}
	var id struct {
		GatewayID *string `yaml:"gateway_id"`
		Site      *string `yaml:"site"`
	}
	if err := yaml.Unmarshal(b, &id); err != nil { // a JSON object is YAML too
		return configErr("not_mapping", "gateway_id and site must be text: %v", err)
	}
	switch {
	case id.Site == nil || strings.TrimSpace(*id.Site) == "":
		return configErr("site_missing", "site: missing; the gateway's site is %s", site)
	case *id.Site != site:
		return configErr("site_wrong", "site: %s is not %s, the site gateway %s is registered at", *id.Site, site, gw)
	case id.GatewayID != nil && *id.GatewayID != "" && *id.GatewayID != gw: // empty: the gateway keeps its own
		return configErr("gateway_id_wrong", "gateway_id: %s is not this gateway (%s)", *id.GatewayID, gw)
	}
	return nil
}

// visibleGateway answers 404 (and false) when gateway id does not exist
// or its site is not visible to the caller.
func (s *Server) visibleGateway(w http.ResponseWriter, r *http.Request, id string) (domain.GatewayCredential, bool) {
	c, err := s.cfg.Store.GatewayCredential(r.Context(), id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no gateway "+id)
		return c, false
	case err != nil:
		s.internal(w, r, err)
		return c, false
	case !s.siteVisible(r, c.Site):
		writeError(w, http.StatusNotFound, "no gateway "+id)
		return c, false
	}
	return c, true
}

// ConfigCheck is the answer of a dry run (PUT ...?dry_run=true): the
// configuration passed the rule and would be pushed; Diff is from what the
// gateway runs (Against) to the edit.
type ConfigCheck struct {
	Valid   bool       `json:"valid"`
	DryRun  bool       `json:"dry_run"`
	SHA256  string     `json:"sha256"`
	Same    bool       `json:"same"`    // the gateway runs exactly this text already
	Against string     `json:"against"` // reported (the text of the version it runs), or none (its local file: unknown to the cloud)
	Version int64      `json:"against_version,omitempty"`
	Diff    []DiffLine `json:"diff"`
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("config: larger than %d bytes", mbe.Limit))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "config: body not read: "+err.Error())
		return
	}
	cred, ok := s.visibleGateway(w, r, gw)
	if !ok {
		return
	}
	if err := CheckGatewayConfig(body, gw, cred.Site); err != nil {
		writeJSON(w, http.StatusBadRequest, err)
		return
	}
	if r.URL.Query().Get("dry_run") == "true" {
		c, err := s.checkConfig(r, gw, body)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		// The audit hook records every PUT: say this one changed nothing.
		auditChange(r, "gateway_config", gw, cred.Site, nil, map[string]any{"dry_run": true, "sha256": c.SHA256, "valid": true})
		writeJSON(w, http.StatusOK, c)
		return
	}
	// Who set it: the caller (never spoofable), with the operator's own
	// note from ?by= when given.
	note := strings.TrimSpace(r.URL.Query().Get("by"))
	if utf8.RuneCountInString(note) > 64 {
		writeError(w, http.StatusBadRequest, "by: at most 64 characters")
		return
	}
	by := configSetter(CallerOf(r.Context()))
	if note != "" {
		by += " (" + note + ")"
	}
	if cred.RevokedAt != nil {
		writeError(w, http.StatusConflict, "gateway "+gw+" is revoked")
		return
	}
	if _, err := s.setDesired(r, cred, body, by); err != nil {
		s.internal(w, r, err)
		return
	}
	v, err := s.configView(r, gw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

// configSetter is who a desired version says set it: the caller's token
// id, or the signed-in user.
func configSetter(c Caller) string {
	if c.Kind == "user" {
		return "user " + actor(c)
	}
	return "token " + c.TokenID
}

// setDesired stores body as the next desired configuration of gw and
// sends the config command carrying it: PUT .../config, and a config
// command queued by POST .../commands (so that every configuration pushed
// is a desired version the gateway list can compare).
func (s *Server) setDesired(r *http.Request, cred domain.GatewayCredential, body []byte, by string) (domain.Command, error) {
	ctx, gw := r.Context(), cred.ID
	var before any
	if old, err := s.cfg.Store.DesiredConfig(ctx, gw); err == nil {
		before = configAudit(old)
	}
	id, err := domain.RandomToken(12)
	if err != nil {
		return domain.Command{}, err
	}
	cmdBody, err := json.Marshal(string(body)) // a JSON string: the gateway hashes exactly this text
	if err != nil {
		return domain.Command{}, err
	}
	sum := sha256.Sum256(body)
	now := s.cfg.Now().UTC()
	cmd := domain.Command{ID: "cmd-" + id, GW: gw, Type: eldergate.CmdConfig, Body: cmdBody, CreatedAt: now, ExpiresAt: now.Add(ConfigCommandTTL)}
	d, err := s.cfg.Store.SetDesiredConfig(ctx, domain.DesiredConfig{
		GW: gw, SHA256: hex.EncodeToString(sum[:]), Body: string(body), SetBy: by, SetAt: now}, cmd)
	if err != nil {
		return cmd, err
	}
	s.log.Info("http: desired config set", "gw", gw, "version", d.Version, "sha256", d.SHA256, "by", by, "command", cmd.ID)
	auditChange(r, "gateway_config", gw, cred.Site, before, configAudit(d))
	if s.cfg.Commands != nil {
		s.cfg.Commands.SendCommand(ctx, cmd)
	}
	return cmd, nil
}

// checkConfig is the dry run of body for gw: the diff from the text of
// the version the gateway reports it runs.
func (s *Server) checkConfig(r *http.Request, gw string, body []byte) (ConfigCheck, error) {
	sum := sha256.Sum256(body)
	c := ConfigCheck{Valid: true, DryRun: true, SHA256: hex.EncodeToString(sum[:]), Against: "none"}
	old := ""
	rep, err := s.cfg.Store.ReportedConfig(r.Context(), gw)
	switch {
	case err == nil && rep.ConfigSHA256 != "":
		d, err := s.cfg.Store.DesiredConfigBySHA(r.Context(), gw, rep.ConfigSHA256)
		switch {
		case err == nil:
			c.Against, c.Version, old = "reported", d.Version, d.Body
		case !errors.Is(err, domain.ErrNotFound):
			return c, err
		}
		c.Same = rep.ConfigSHA256 == c.SHA256
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return c, err
	}
	c.Diff = LineDiff(old, string(body))
	return c, nil
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	if _, ok := s.visibleGateway(w, r, gw); !ok {
		return
	}
	v, err := s.configView(r, gw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// configView reads the desired and reported configuration of gw.
func (s *Server) configView(r *http.Request, gw string) (ConfigView, error) {
	var v ConfigView
	var dp *domain.DesiredConfig
	d, err := s.cfg.Store.DesiredConfig(r.Context(), gw)
	switch {
	case err == nil:
		dp = &d
		v.Desired = &DesiredView{Version: d.Version, SHA256: d.SHA256, SetBy: d.SetBy, SetAt: d.SetAt, Body: d.Body}
		v.LastResult = &ResultView{CommandID: d.CommandID, OK: d.ResultOK, Error: d.ResultError, At: d.ResultAt}
	case !errors.Is(err, domain.ErrNotFound):
		return v, err
	}
	var rp *domain.ReportedConfig
	rep, err := s.cfg.Store.ReportedConfig(r.Context(), gw)
	switch {
	case err == nil:
		rp = &rep
		v.Reported = &ReportedView{ConfigSHA256: rep.ConfigSHA256, PolicyVersion: rep.PolicyVersion,
			RosterVersion: rep.RosterVersion, Boot: rep.Boot, At: rep.At, Source: rep.Source, PriceDevices: rep.PriceDevices}
		if rep.ConfigSHA256 != "" { // the text of the version it runs, when the cloud pushed it
			d, err := s.cfg.Store.DesiredConfigBySHA(r.Context(), gw, rep.ConfigSHA256)
			switch {
			case err == nil:
				v.Reported.Version, v.Reported.Body = d.Version, d.Body
			case !errors.Is(err, domain.ErrNotFound):
				return v, err
			}
		}
	case !errors.Is(err, domain.ErrNotFound):
		return v, err
	}
	v.Status = domain.ConfigStatus(dp, rp)
	if v.Status == domain.ConfigFailed {
		v.Error = d.ResultError
	}
	return v, nil
}

// setConfigStatus sets the ConfigStatus of each gateway of gs.
func (s *Server) setConfigStatus(ctx context.Context, gs []domain.Gateway) error {
	m, err := s.cfg.Store.ConfigStatuses(ctx)
	if err != nil {
		return err
	}
	for i := range gs {
		if gs[i].ConfigStatus = m[gs[i].ID]; gs[i].ConfigStatus == "" {
			gs[i].ConfigStatus = domain.ConfigUnknown
		}
	}
	return nil
}
