package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/staffauth"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// The staff's side of the local API (httpapi.StaffBackend): sessions
// (package staffauth), search, manual meals and voids (through the tap
// desk), each with an audit event.

// staffSearchLimit bounds the elders a staff search returns.
const staffSearchLimit = 20

// SSE event sent when a staff card is tapped on the reader: the kiosk
// opens the staff panel with the session in it. Only the local kiosk
// (loopback) receives it.
const EventStaff = "staff"

// Audit types recorded by staff actions.
const (
	AuditManualMeal  = "manual_meal"
	AuditMealVoid    = "meal_void"
	AuditStaffLogin  = "staff_login"
	AuditStaffLocked = "staff_lockout"
)

// StaffAuditData is the data of the audit events of staff actions.
type StaffAuditData struct {
	Type        string        `json:"type"`
	Staff       string        `json:"staff"`              // staff id
	Method      string        `json:"method,omitempty"`   // pin | card | reader (login)
	ElderID     string        `json:"elder_id,omitempty"` // manual meal, void
	MealEventID string        `json:"meal_event_id,omitempty"`
	Day         string        `json:"day,omitempty"`
	Window      string        `json:"window,omitempty"`
	Decision    string        `json:"decision,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	PriceFen    eldergate.Fen `json:"price_fen,omitempty"`
	SubsidyFen  eldergate.Fen `json:"subsidy_fen,omitempty"`
	PayFen      eldergate.Fen `json:"pay_fen,omitempty"`
	Failures    int           `json:"failures,omitempty"` // lockout
	Test        string        `json:"test,omitempty"`     // operator test: beep | ticket | scale | card
	Result      string        `json:"result,omitempty"`   // operator test's result
}

// VoidResult is the answer to POST /api/staff/void.
type VoidResult struct {
	EventID     string        `json:"event_id"` // the audit event
	MealEventID string        `json:"meal_event_id"`
	ElderID     string        `json:"elder_id"`
	SubsidyFen  eldergate.Fen `json:"subsidy_fen"`
	PayFen      eldergate.Fen `json:"pay_fen"`
}

// staffAudit records an audit event of a staff action.
func (g *Gateway) staffAudit(ctx context.Context, d StaffAuditData) (string, error) {
	at, _ := g.clock.Stamp(time.Time{})
	env, err := g.env.New(eldergate.KindAudit, at, d)
	if err != nil {
		return "", err
	}
	if _, err := (critical{g}).CommitCritical(ctx, env); err != nil {
		return "", fmt.Errorf("gateway: audit %s: %w", d.Type, err)
	}
	g.up.Notify()
	return env.ID, nil
}

// StaffLogin implements httpapi.StaffBackend.
func (g *Gateway) StaffLogin(ctx context.Context, pin, cardID string) (httpapi.StaffSession, error) {
	tok, s, locked, err := g.staff.Login(pin, cardID)
	method := "pin"
	if cardID != "" {
		method = "card"
	}
	if locked {
		g.log.Warn("gateway: staff login locked out", "for", staffauth.Lockout.String())
		if _, aerr := g.staffAudit(ctx, StaffAuditData{Type: AuditStaffLocked, Method: method, Failures: staffauth.MaxFailures}); aerr != nil {
			g.log.Error("gateway: staff lockout not recorded", "err", aerr)
		}
	}
	if err != nil {
		g.log.Info("gateway: staff login refused", "method", method, "err", err)
		return httpapi.StaffSession{}, err
	}
	return g.staffLoggedIn(ctx, tok, s, method), nil
}

func (g *Gateway) staffLoggedIn(ctx context.Context, tok string, s staffauth.Session, method string) httpapi.StaffSession {
	g.log.Info("gateway: staff logged in", "staff", s.Staff.ID, "method", method)
	if _, err := g.staffAudit(ctx, StaffAuditData{Type: AuditStaffLogin, Staff: s.Staff.ID, Method: method}); err != nil {
		g.log.Error("gateway: staff login not recorded", "err", err)
	}
	return httpapi.StaffSession{Token: tok, StaffID: s.Staff.ID, Name: eldergate.MaskName(s.Staff.Name), Role: s.Staff.RoleOrDefault(), Expires: s.Expires.UTC()}
}

// staffCards is the desk's tapdesk.StaffCards.
type staffCards struct{ g *Gateway }

// StaffCardTap opens the staff panel when a staff card is read: it is
// never taken for an elder's meal.
func (c staffCards) StaffCardTap(ctx context.Context, cred string) bool {
	g := c.g
	if len(g.cfg.Staff) == 0 {
		return false
	}
	tok, s, ok := g.staff.CardSession(cred)
	if !ok {
		return false
	}
	g.http.Publish(EventStaff, g.staffLoggedIn(ctx, tok, s, "reader"))
	return true
}

// StaffLogout implements httpapi.StaffBackend.
func (g *Gateway) StaffLogout(tok string) { g.staff.Logout(tok) }

// StaffElders implements httpapi.StaffBackend: search by id prefix or
// name, results masked.
func (g *Gateway) StaffElders(ctx context.Context, tok, q string) ([]httpapi.StaffElder, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return nil, err
	}
	if len([]rune(q)) < 1 || len(q) > 64 {
		return nil, fmt.Errorf("gateway: staff search: %w: q must have 1 to 64 characters", httpapi.ErrInvalid)
	}
	elders, err := g.store.SearchElders(ctx, q, staffSearchLimit)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	out := make([]httpapi.StaffElder, 0, len(elders))
	for _, e := range elders {
		out = append(out, httpapi.StaffElder{ID: e.ID, Name: eldergate.MaskName(e.Name), Card: eldergate.MaskID(e.Card), Active: e.Active})
	}
	return out, nil
}

// StaffMeals implements httpapi.StaffBackend: the meals that can still be
// voided.
func (g *Gateway) StaffMeals(ctx context.Context, tok string) ([]httpapi.StaffMeal, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return nil, err
	}
	now, _ := g.clock.Stamp(time.Time{})
	meals, err := g.store.RecentMeals(ctx, now.Add(-g.cfg.VoidWindow), 50)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	out := make([]httpapi.StaffMeal, 0, len(meals))
	for _, m := range meals {
		out = append(out, httpapi.StaffMeal{EventID: m.EventID, ElderID: m.ElderID, Name: eldergate.MaskName(m.Name),
			Window: m.Window, PayFen: int64(m.PayFen), At: m.At, Manual: m.Manual})
	}
	return out, nil
}

// StaffMeal implements httpapi.StaffBackend: a meal recorded by hand for
// an elder whose card cannot be read. It goes through the same decision
// and transaction as a tap (limits apply), marked manual with the staff
// id, followed by an audit event.
func (g *Gateway) StaffMeal(ctx context.Context, tok, elderID string) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	elder, ok, err := g.store.ElderByID(ctx, elderID)
	if err != nil {
		return nil, fmt.Errorf("gateway: staff meal: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("gateway: staff meal: elder %q: %w", elderID, httpapi.ErrNotFound)
	}
	if g.disk.Full() {
		return nil, fmt.Errorf("gateway: staff meal: %w", httpapi.ErrUnavailable)
	}
	at, _ := g.clock.Stamp(time.Time{})
	rd := card.Read{Credential: "manual:" + elder.ID, Reader: "staff:" + st.ID, At: at}
	ev := g.desk.Tap(ctx, rd, at, &tapdesk.Manual{StaffID: st.ID, Elder: elder})
	g.http.Publish(tapdesk.EventTap, ev)
	if ev.Reason == tapdesk.ReasonAwaitingAmount { // a till-priced window
		return ev, fmt.Errorf("gateway: staff meal: key the meal's amount first (POST /api/staff/amount): %w", httpapi.ErrConflict)
	}
	g.outputs.Tap(tapResult(ev, true)) // beep, light, ticket
	if ev.EventID == "" {
		return ev, fmt.Errorf("gateway: staff meal: not recorded (%s): %w", ev.Reason, httpapi.ErrUnavailable)
	}
	if _, err := g.staffAudit(ctx, StaffAuditData{Type: AuditManualMeal, Staff: st.ID, ElderID: elder.ID, MealEventID: ev.EventID,
		Window: ev.Window, Decision: ev.Decision, Reason: ev.Reason, PriceFen: ev.PriceFen, SubsidyFen: ev.SubsidyFen, PayFen: ev.PayFen}); err != nil {
		// The meal event itself carries the staff id.
		g.log.Error("gateway: manual meal audit not recorded", "event_id", ev.EventID, "err", err)
	}
	g.log.Info("gateway: manual meal", "staff", st.ID, "elder", elder.ID, "event_id", ev.EventID, "decision", ev.Decision)
	return ev, nil
}

// StaffVoid implements httpapi.StaffBackend: voids the elder's last meal
// within void_window, with an audit event, in one transaction.
func (g *Gateway) StaffVoid(ctx context.Context, tok, eventID string) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	at, _ := g.clock.Stamp(time.Time{})
	env, err := g.env.New(eldergate.KindAudit, at, StaffAuditData{Type: AuditMealVoid, Staff: st.ID, MealEventID: eventID})
	if err != nil {
		return nil, err
	}
	var m sqlite.VoidedMeal
	// No tap is decided meanwhile; the audit data is built from the meal
	// row, inside the transaction.
	err = g.desk.Exclusive(func() (err error) {
		m, env, err = g.store.VoidMeal(ctx, eventID, at.Add(-g.cfg.VoidWindow), env, func(vm sqlite.VoidedMeal) (any, error) {
			return StaffAuditData{Type: AuditMealVoid, Staff: st.ID, ElderID: vm.ElderID, MealEventID: vm.EventID, Day: vm.Day,
				Window: vm.Window, Decision: vm.Decision, PriceFen: vm.PriceFen, SubsidyFen: vm.SubsidyFen, PayFen: vm.PayFen}, nil
		})
		return err
	})
	switch {
	case errors.Is(err, sqlite.ErrNotFound):
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrNotFound)
	case errors.Is(err, sqlite.ErrAlreadyVoided), errors.Is(err, sqlite.ErrNotServed), errors.Is(err, sqlite.ErrNotLast), errors.Is(err, sqlite.ErrTooOld):
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrConflict)
	case sqlite.IsDiskFull(err):
		g.disk.MarkFull("void")
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrUnavailable)
	case err != nil:
		return nil, fmt.Errorf("gateway: void: %w", err)
	}
	g.up.Notify()
	g.metrics.Voided()
	g.log.Info("gateway: meal voided", "staff", st.ID, "meal_event_id", m.EventID, "elder", m.ElderID, "audit_event_id", env.ID)
	res := VoidResult{EventID: env.ID, MealEventID: m.EventID, ElderID: m.ElderID, SubsidyFen: m.SubsidyFen, PayFen: m.PayFen}
	return res, nil
}
