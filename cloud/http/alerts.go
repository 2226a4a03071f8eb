package cloudhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/alarm"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/notify"
)

// The alerts: the list, the live board (SSE), one alert with its
// timeline, the staff actions and the alarm settings of org units.

// Board is the live feed of alert changes (alarm.Feed).
type Board interface {
	Subscribe() (<-chan []alarm.Change, func())
	Wake()
}

func (s *Server) alertRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/alerts", s.require(domain.RoleViewer, s.listAlerts))
	mux.Handle("GET /api/v1/alerts/stream", s.require(domain.RoleViewer, s.streamAlerts))
	mux.Handle("GET /api/v1/alerts/{id}", s.require(domain.RoleViewer, s.getAlert))
	mux.Handle("POST /api/v1/alerts/{id}/ack", s.require(domain.RoleStaff, s.ackAlert))
	mux.Handle("POST /api/v1/alerts/{id}/resolve", s.require(domain.RoleStaff, s.resolveAlert))
	mux.Handle("GET /api/v1/org/{id}/alarm-settings", s.require(domain.RoleOperator, s.getAlarmSettings))
	mux.Handle("PUT /api/v1/org/{id}/alarm-settings", s.require(domain.RoleOperator, s.putAlarmSettings))
	mux.Handle("POST /api/v1/org/{id}/alarm-settings/test", s.require(domain.RoleOperator, s.testAlarmChannel))
}

// ChannelTester sends one message to a channel at once (notify.Dispatcher).
type ChannelTester interface {
	Deliver(ctx context.Context, ch notify.Channel, m notify.Message) error
}

// TestChannelResult is the answer of POST .../alarm-settings/test.
type TestChannelResult struct {
	Channel string `json:"channel"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// testAlarmChannel sends a test message to one stored channel of the unit
// (body {"channel": id}) and answers whether it arrived: an operator
// checks a robot's URL and secret before an alarm needs them.
func (s *Server) testAlarmChannel(w http.ResponseWriter, r *http.Request) {
	unit, ok := s.visibleUnit(w, r)
	if !ok {
		return
	}
	if s.cfg.Notifier == nil {
		writeError(w, http.StatusServiceUnavailable, "notifications are not running in this process")
		return
	}
	var req struct {
		Channel string `json:"channel"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Channel == "" {
		writeError(w, http.StatusBadRequest, `body must be {"channel": "<channel id>"}`)
		return
	}
	body, err := s.cfg.Store.AlarmSettingsOf(r.Context(), unit.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var ch *notify.Channel
	if body != nil {
		st, err := domain.ParseAlarmSettings(unit.Level, body)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		for i := range st.Channels {
			if st.Channels[i].ID == req.Channel {
				ch = &st.Channels[i]
			}
		}
	}
	if ch == nil {
		writeError(w, http.StatusNotFound, "no stored channel "+req.Channel+" at "+unit.ID+": save the settings first")
		return
	}
	zone, err := time.LoadLocation(domain.DefaultTimeZone)
	if err != nil {
		zone = time.UTC
	}
	m := notify.Message{AlertID: "test", Step: "test", Type: "test", Site: unit.Name, Level: unit.Level,
		At: s.cfg.Now().UTC(), Zone: zone, Detail: "eldergate test message from " + actor(CallerOf(r.Context()))}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	res := TestChannelResult{Channel: ch.ID, OK: true}
	if err := s.cfg.Notifier.Deliver(ctx, *ch, m); err != nil {
		res.OK, res.Error = false, err.Error()
	}
	s.log.Info("http: alarm channel tested", "unit", unit.ID, "channel", ch.ID, "ok", res.OK, "error", res.Error)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.Store.ListAlerts(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// AlertDetail is one alert with its timeline (GET /api/v1/alerts/{id}):
// every press, acknowledgement, notification and delivery.
type AlertDetail struct {
	Alert domain.Alert           `json:"alert"`
	Log   []domain.AlertLogEntry `json:"log"`
}

// visibleAlert returns alert id when the caller may see it; it answered
// (404) when ok is false.
func (s *Server) visibleAlert(w http.ResponseWriter, r *http.Request, id string) (domain.Alert, bool) {
	as, err := s.cfg.Store.AlertsByID(r.Context(), []string{id})
	if err != nil {
		s.internal(w, r, err)
		return domain.Alert{}, false
	}
	if len(as) == 0 || !s.siteVisible(r, as[0].Site) {
		writeError(w, http.StatusNotFound, "no such alert")
		return domain.Alert{}, false
	}
	return as[0], true
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	a, ok := s.visibleAlert(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	log, err := s.cfg.Store.AlertLog(r.Context(), a.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, AlertDetail{Alert: a, Log: log})
}

// BoardWindow is how long a closed alert stays on the board.
const BoardWindow = 12 * time.Hour

// BoardSnapshot is the first event of the stream: the board as it is.
type BoardSnapshot struct {
	Now    time.Time      `json:"now"`
	Alerts []domain.Alert `json:"alerts"`
}

// streamAlerts is the live board (text/event-stream): a "board" event
// with every live alert and those closed in the last BoardWindow, then a
// "change" event ([]alarm.Change, the caller's sites only) whenever an
// alert changes, and a comment every 15 s to keep proxies from closing
// it. A client that falls behind is cut off and reconnects (EventSource
// does, or the console's fetch loop) to a fresh snapshot.
func (s *Server) streamAlerts(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Board == nil {
		writeError(w, http.StatusServiceUnavailable, "the live board is not running in this process")
		return
	}
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	changes, stop := s.cfg.Board.Subscribe() // before the snapshot: nothing falls between
	defer stop()
	now := s.cfg.Now().UTC()
	alerts, err := s.cfg.Store.BoardAlerts(r.Context(), scope, now.Add(-BoardWindow))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if alerts == nil {
		alerts = []domain.Alert{}
	}
	if !send("board", BoardSnapshot{Now: now, Alerts: alerts}) {
		return
	}
	visible := map[string]bool{}
	inScope := func(site string) bool {
		if scope == "" {
			return true
		}
		v, ok := visible[site]
		if !ok {
			v, _ = s.cfg.Store.SiteInScope(r.Context(), scope, site)
			visible[site] = v
		}
		return v
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			if _, err := io.WriteString(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case cs, ok := <-changes:
			if !ok {
				return // fell behind or the feed stopped: the client reconnects
			}
			out := cs[:0:0]
			for _, c := range cs {
				if inScope(c.Alert.Site) {
					out = append(out, c)
				}
			}
			if len(out) > 0 && !send("change", out) {
				return
			}
		}
	}
}

func (s *Server) getAlarmSettings(w http.ResponseWriter, r *http.Request) {
	unit, ok := s.visibleUnit(w, r)
	if !ok {
		return
	}
	body, err := s.cfg.Store.AlarmSettingsOf(r.Context(), unit.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	st := domain.DefaultAlarmSettings(unit.Level)
	stored := body != nil
	if stored {
		if st, err = domain.ParseAlarmSettings(unit.Level, body); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	for i := range st.Channels {
		if st.Channels[i].Secret != "" {
			st.Channels[i].Secret = MaskedSecret // never shown again once stored
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"unit": unit.ID, "level": unit.Level, "stored": stored, "settings": st})
}

func (s *Server) putAlarmSettings(w http.ResponseWriter, r *http.Request) {
	unit, ok := s.visibleUnit(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	if body, err = s.keepSecrets(r, unit, body); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
		return
	}
	if _, err := domain.ParseAlarmSettings(unit.Level, body); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
		return
	}
	old, err := s.cfg.Store.AlarmSettingsOf(r.Context(), unit.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	by := actor(CallerOf(r.Context()))
	if err := s.cfg.Store.PutAlarmSettings(r.Context(), unit.ID, body, by, s.cfg.Now().UTC()); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: alarm settings stored", "unit", unit.ID, "by", by)
	auditChange(r, "alarm_settings", unit.ID, unit.ID, json.RawMessage(old), json.RawMessage(body)) // channel secrets redacted
	s.getAlarmSettings(w, r)
}

// MaskedSecret stands for a channel's stored secret when settings are
// read; written back unchanged, it keeps the stored secret.
const MaskedSecret = "********"

// keepSecrets replaces a channel secret written as MaskedSecret with the
// stored secret of the channel of the same id, so that settings read,
// edited and written back keep their secrets. A masked secret with no
// stored channel of that id is an error.
func (s *Server) keepSecrets(r *http.Request, unit domain.OrgUnit, body []byte) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc["channels"] == nil {
		return body, nil // ParseAlarmSettings names what is wrong
	}
	var chans []map[string]any
	if err := json.Unmarshal(doc["channels"], &chans); err != nil {
		return body, nil
	}
	masked := false
	for _, c := range chans {
		masked = masked || c["secret"] == MaskedSecret
	}
	if !masked {
		return body, nil
	}
	stored := map[string]string{}
	if old, err := s.cfg.Store.AlarmSettingsOf(r.Context(), unit.ID); err == nil && old != nil {
		if st, err := domain.ParseAlarmSettings(unit.Level, old); err == nil {
			for _, c := range st.Channels {
				stored[c.ID] = c.Secret
			}
		}
	}
	for i, c := range chans {
		if c["secret"] != MaskedSecret {
			continue
		}
		id, _ := c["id"].(string)
		sec, ok := stored[id]
		if !ok || sec == "" {
			return nil, fmt.Errorf("channels[%d].secret: %q stands for a stored secret, but channel %q has none: %w", i, MaskedSecret, id, domain.ErrInvalid)
		}
		c["secret"] = sec
	}
	b, err := json.Marshal(chans)
	if err != nil {
		return nil, err
	}
	doc["channels"] = b
	return json.Marshal(doc)
}

// visibleUnit is the org unit of the path when it lies in the caller's
// scope; it answered (404) when ok is false.
func (s *Server) visibleUnit(w http.ResponseWriter, r *http.Request) (domain.OrgUnit, bool) {
	id := r.PathValue("id")
	u, err := s.cfg.Store.OrgUnit(r.Context(), id)
	if err == nil {
		var in bool
		if in, err = s.unitWithin(r.Context(), CallerOf(r.Context()).Scope, id); err == nil && !in {
			err = domain.ErrNotFound
		}
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such org unit")
		return u, false
	case err != nil:
		s.internal(w, r, err)
		return u, false
	}
	return u, true
}

// AlertActionBody is the body of ack (optional) and resolve: where the
// action comes from (default api) and, for resolve, the outcome and the
// note. Who acted is the caller's API token, never a field of the body;
// unknown fields (such as the former "by") are ignored.
type AlertActionBody struct {
	Via     domain.AckVia       `json:"via"`
	Outcome domain.AlertOutcome `json:"outcome"`
	Note    string              `json:"note"`
}

// ParseAlertAction reads an ack or resolve body; an empty body is {}. The
// via must be console, kiosk or api (default api); with resolve, the
// outcome must be one of domain.AlertOutcomes and the note at most
// domain.MaxNoteRunes characters. Errors are messages for a 400.
func ParseAlertAction(body []byte, resolve bool) (AlertActionBody, error) {
	var a AlertActionBody
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &a); err != nil {
			return a, fmt.Errorf("body is not valid JSON: %v", err)
		}
	}
	if a.Via == "" {
		a.Via = domain.ViaAPI
	}
	if !a.Via.Valid() {
		return a, fmt.Errorf("via %q is not one of console, kiosk, api", a.Via)
	}
	a.Note = strings.TrimSpace(a.Note)
	if resolve {
		if a.Outcome == "" {
			return a, errors.New("outcome is missing")
		}
		if err := (domain.Resolution{Outcome: a.Outcome, Note: a.Note}).Check(); err != nil {
			return a, errors.New(strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
		}
	}
	return a, nil
}

// actor names the caller as an alert records it: the token's name, else
// its id ("admin" for the configured admin token).
func actor(c Caller) string {
	if c.Name != "" {
		return c.Name
	}
	return c.TokenID
}

func (s *Server) alertAction(w http.ResponseWriter, r *http.Request, resolve bool) {
	id := r.PathValue("id")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	c := CallerOf(r.Context())
	if c.Scope != "" {
		// An alert at a site outside the caller's scope does not exist for it.
		site, err := s.cfg.Store.AlertSite(r.Context(), id)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			s.internal(w, r, err)
			return
		}
		if err != nil || !s.siteVisible(r, site) {
			writeError(w, http.StatusNotFound, "no such alert")
			return
		}
	}
	act, err := ParseAlertAction(body, resolve)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	before := s.alertSnapshot(r.Context(), id)
	by, at := actor(c), s.cfg.Now().UTC()
	state := domain.AlertAcknowledged
	if resolve {
		state = domain.AlertResolved
		if act.Outcome == domain.OutcomeFalseAlarm {
			state = domain.AlertFalseAlarm
		}
		err = s.cfg.Store.ResolveAlert(r.Context(), id, by, act.Via, domain.Resolution{Outcome: act.Outcome, Note: act.Note}, at)
	} else {
		err = s.cfg.Store.AckAlert(r.Context(), id, by, act.Via, at)
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such alert")
	case errors.Is(err, domain.ErrConflict) && resolve:
		writeError(w, http.StatusConflict, "alert is closed already (resolved or false alarm)")
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, "alert is not open (acknowledged or closed already)")
	case errors.Is(err, domain.ErrInvalid):
		writeError(w, http.StatusBadRequest, "the alert action breaks a rule") // ParseAlertAction checked the values
	case err != nil:
		s.internal(w, r, err)
	default:
		s.log.Info("http: alert "+string(state), "alert", id, "by", by, "via", act.Via, "outcome", act.Outcome)
		out := map[string]any{"id": id, "state": state, "by": by, "via": act.Via, "at": at}
		if resolve {
			out["outcome"], out["note"] = act.Outcome, act.Note
		}
		writeJSON(w, http.StatusOK, out)
		if after := s.alertSnapshot(r.Context(), id); after != nil {
			auditChange(r, "alert", id, after.Site, before, after)
		}
		s.wake()
	}
}

// alertSnapshot is what the audit log keeps of alert id's state (nil when
// it cannot be read).
func (s *Server) alertSnapshot(ctx context.Context, id string) *domain.Alert {
	as, err := s.cfg.Store.AlertsByID(ctx, []string{id})
	if err != nil || len(as) == 0 {
		return nil
	}
	return &as[0]
}

// wake tells the alarm runner and the board that an alert changed here.
func (s *Server) wake() {
	if s.cfg.Alarms != nil {
		s.cfg.Alarms.Wake()
	}
	if s.cfg.Board != nil {
		s.cfg.Board.Wake()
	}
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) { s.alertAction(w, r, false) }

func (s *Server) resolveAlert(w http.ResponseWriter, r *http.Request) { s.alertAction(w, r, true) }
