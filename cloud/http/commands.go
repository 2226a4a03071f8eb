package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// CommandSender publishes a queued command to its gateway at once when the
// cloud is connected to the broker. A failure is not an error of the
// request: the command stays pending and is sent again at the gateway's
// next birth.
type CommandSender interface {
	SendCommand(ctx context.Context, c domain.Command)
}

// Command TTL bounds of POST /api/v1/gateways/{id}/commands.
const (
	DefaultCommandTTL = 10 * time.Minute
	MaxCommandTTL     = 7 * 24 * time.Hour
)

// QueueCommandRequest is the body of POST /api/v1/gateways/{id}/commands.
type QueueCommandRequest struct {
	Type       string          `json:"type"`
	Body       json.RawMessage `json:"body,omitempty"`
	TTLSeconds int64           `json:"ttl_seconds,omitempty"`
}

// CommandView is a command as the API lists it, with its derived state:
// queued, sent, succeeded, failed or expired.
type CommandView struct {
	domain.Command
	State string `json:"state"`
}

func commandState(c domain.Command, now time.Time) string {
	switch {
	case c.OK != nil && *c.OK:
		return "succeeded"
	case c.OK != nil:
		return "failed"
	case !now.Before(c.ExpiresAt):
		return "expired"
	case c.SentAt != nil:
		return "sent"
	}
	return "queued"
}

// gatewayExists answers 404 and false when there is no gateway id, or
// when it is at a site outside the caller's scope (visibleGateway).
func (s *Server) gatewayExists(w http.ResponseWriter, r *http.Request, id string) bool {
	_, ok := s.visibleGateway(w, r, id)
	return ok
}

func (s *Server) queueCommand(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	var req QueueCommandRequest
	if !decodeBody(w, r, &req) {
		return
	}
	// A command's body may carry a roster: the audit log keeps its type
	// and size only.
	cmdAudit := map[string]any{"gw": gw, "type": req.Type, "body_bytes": len(req.Body)}
	auditChange(r, "command", gw, "", nil, cmdAudit)
	if !eldergate.KnownCommand(req.Type) || req.Type == eldergate.CmdOTA {
		writeError(w, http.StatusBadRequest, "type: must be one of config, policy, roster, usage, ping, reboot")
		return
	}
	if len(req.Body) > 0 && req.Body[0] != '{' && req.Body[0] != '"' && string(req.Body) != "null" {
		writeError(w, http.StatusBadRequest, "body: must be a JSON object or string")
		return
	}
	if string(req.Body) == "null" {
		req.Body = nil
	}
	ttl := time.Duration(req.TTLSeconds) * time.Second
	switch {
	case req.TTLSeconds == 0:
		ttl = DefaultCommandTTL
	case req.TTLSeconds < 0 || ttl > MaxCommandTTL:
		writeError(w, http.StatusBadRequest, "ttl_seconds: must be 1-604800")
		return
	}
	cred, ok := s.visibleGateway(w, r, gw)
	if !ok {
		return
	}
	if req.Type == eldergate.CmdConfig {
		// A configuration is pushed as the gateway's next desired version,
		// whichever route pushes it, so that the gateway list compares it
		// with what the gateway reports (a config command queued here was
		// not, and the list's config column stayed "—").
		s.queueConfigCommand(w, r, cred, req)
		return
	}
	id, err := domain.RandomToken(12)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	c := domain.Command{ID: "cmd-" + id, GW: gw, Type: req.Type, Body: req.Body, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.cfg.Store.QueueCommand(r.Context(), c); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: command queued", "gw", gw, "command", c.ID, "type", c.Type, "expires", c.ExpiresAt)
	cmdAudit["id"], cmdAudit["expires_at"] = c.ID, c.ExpiresAt
	site := ""
	if cred, err := s.cfg.Store.GatewayCredential(r.Context(), gw); err == nil {
		site = cred.Site
	}
	auditChange(r, "command", c.ID, site, nil, cmdAudit)
	if s.cfg.Commands != nil {
		s.cfg.Commands.SendCommand(r.Context(), c)
	}
	writeJSON(w, http.StatusAccepted, CommandView{Command: c, State: commandState(c, now)})
}

// queueConfigCommand pushes the body of a config command queued by POST
// /api/v1/gateways/{id}/commands as PUT .../config does (setDesired),
// under the same rule (CheckGatewayConfig). The body is the YAML text as a
// JSON string, or a JSON object.
func (s *Server) queueConfigCommand(w http.ResponseWriter, r *http.Request, cred domain.GatewayCredential, req QueueCommandRequest) {
	text := []byte(req.Body)
	if len(req.Body) > 0 && req.Body[0] == '"' {
		var t string
		if err := json.Unmarshal(req.Body, &t); err != nil {
			writeError(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
		text = []byte(t)
	}
	if err := CheckGatewayConfig(text, cred.ID, cred.Site); err != nil {
		writeJSON(w, http.StatusBadRequest, err)
		return
	}
	if cred.RevokedAt != nil {
		writeError(w, http.StatusConflict, "gateway "+cred.ID+" is revoked")
		return
	}
	cmd, err := s.setDesired(r, cred, text, configSetter(CallerOf(r.Context()))+" (command)")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, CommandView{Command: cmd, State: commandState(cmd, s.cfg.Now().UTC())})
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	if !s.gatewayExists(w, r, gw) {
		return
	}
	cs, err := s.cfg.Store.ListCommands(r.Context(), gw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	out := make([]CommandView, len(cs))
	for i, c := range cs {
		out[i] = CommandView{Command: c, State: commandState(c, now)}
	}
	writeJSON(w, http.StatusOK, out)
}
