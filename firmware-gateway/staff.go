package gateway

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// StaffConfig is one staff member allowed to record and void meals, by
// PIN (bcrypt hash, see `eldergate-gateway staff-pin`) or staff card.
type StaffConfig struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	PinHash string `yaml:"pin_hash"`
	Card    string `yaml:"card"`
}

// Staff lockout: after maxStaffFailures wrong PINs or cards in a row, every
// login over HTTP is refused for staffLockout.
const (
	maxStaffFailures = 5
	staffLockout     = 5 * time.Minute
	maxStaffSessions = 32
	staffSearchLimit = 20
)

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
}

// VoidResult is the answer to POST /api/staff/void.
type VoidResult struct {
	EventID     string        `json:"event_id"` // the audit event
	MealEventID string        `json:"meal_event_id"`
	ElderID     string        `json:"elder_id"`
	SubsidyFen  eldergate.Fen `json:"subsidy_fen"`
	PayFen      eldergate.Fen `json:"pay_fen"`
}

func validateStaff(staff []StaffConfig) error {
	ids, cards := map[string]bool{}, map[string]bool{}
	for i, s := range staff {
		switch {
		case s.ID == "":
			return fmt.Errorf("gateway: config: staff[%d]: id is missing", i)
		case s.Name == "":
			return fmt.Errorf("gateway: config: staff[%d] (%s): name is missing", i, s.ID)
		case s.PinHash == "" && s.Card == "":
			return fmt.Errorf("gateway: config: staff[%d] (%s): needs pin_hash or card", i, s.ID)
		case ids[s.ID]:
			return fmt.Errorf("gateway: config: staff[%d]: duplicate id %q", i, s.ID)
		case s.Card != "" && cards[s.Card]:
			return fmt.Errorf("gateway: config: staff[%d] (%s): card already held by other staff", i, s.ID)
		}
		if s.PinHash != "" {
			if _, err := bcrypt.Cost([]byte(s.PinHash)); err != nil {
				return fmt.Errorf("gateway: config: staff[%d] (%s): pin_hash is not a bcrypt hash: %w", i, s.ID, err)
			}
		}
		ids[s.ID] = true
		if s.Card != "" {
			cards[s.Card] = true
		}
	}
	return nil
}

// HashPIN returns the bcrypt hash of a staff PIN for the configuration.
func HashPIN(pin string) (string, error) {
	if len(pin) < 4 || len(pin) > 64 {
		return "", errors.New("gateway: a staff PIN has 4 to 64 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("gateway: hash pin: %w", err)
	}
	return string(h), nil
}

type staffSession struct {
	staff   StaffConfig
	expires time.Time
}

// staffAuth keeps the staff sessions in memory (a restart logs staff out)
// and the lockout of wrong PINs.
type staffAuth struct {
	staff []StaffConfig
	ttl   time.Duration
	now   func() time.Time

	mu          sync.Mutex
	sessions    map[string]staffSession
	failures    int
	lockedUntil time.Time
}

func newStaffAuth(staff []StaffConfig, ttl time.Duration, now func() time.Time) *staffAuth {
	return &staffAuth{staff: staff, ttl: ttl, now: now, sessions: map[string]staffSession{}}
}

var errLocked = fmt.Errorf("gateway: staff login: %w", httpapi.ErrLocked)

// login checks a PIN or a card. It returns errLocked while locked out and
// counts a wrong PIN or card towards the lockout; locked reports whether
// this attempt started a lockout.
func (a *staffAuth) login(pin, cardID string) (tok string, s staffSession, locked bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if now.Before(a.lockedUntil) {
		return "", s, false, fmt.Errorf("%w until %s", errLocked, a.lockedUntil.UTC().Format(time.RFC3339))
	}
	var found *StaffConfig
	for i := range a.staff {
		st := &a.staff[i]
		switch {
		case pin != "" && st.PinHash != "":
			// bcrypt for every candidate: the time does not tell which exist.
			if bcrypt.CompareHashAndPassword([]byte(st.PinHash), []byte(pin)) == nil && found == nil {
				found = st
			}
		case cardID != "" && st.Card != "":
			if subtle.ConstantTimeCompare([]byte(st.Card), []byte(cardID)) == 1 && found == nil {
				found = st
			}
		}
	}
	if found == nil {
		a.failures++
		if a.failures >= maxStaffFailures {
			a.lockedUntil = now.Add(staffLockout)
			n := a.failures
			a.failures = 0
			return "", staffSession{staff: StaffConfig{}}, true, fmt.Errorf("%w for %v after %d wrong attempts", errLocked, staffLockout, n)
		}
		return "", s, false, fmt.Errorf("gateway: staff login: %w: wrong PIN or card (%d of %d attempts before a lockout)", httpapi.ErrUnauthorized, a.failures, maxStaffFailures)
	}
	a.failures = 0
	tok, s = a.newSessionLocked(*found, now)
	return tok, s, false, nil
}

// cardSession opens a session for a staff card tapped on the reader
// (physical presence: no lockout applies).
func (a *staffAuth) cardSession(cardID string) (string, staffSession, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range a.staff {
		if st.Card != "" && st.Card == cardID {
			tok, s := a.newSessionLocked(st, a.now())
			return tok, s, true
		}
	}
	return "", staffSession{}, false
}

func (a *staffAuth) newSessionLocked(st StaffConfig, now time.Time) (string, staffSession) {
	for t, s := range a.sessions {
		if !now.Before(s.expires) {
			delete(a.sessions, t)
		}
	}
	if len(a.sessions) >= maxStaffSessions { // drop the oldest
		var oldest string
		for t, s := range a.sessions {
			if oldest == "" || s.expires.Before(a.sessions[oldest].expires) {
				oldest = t
			}
		}
		delete(a.sessions, oldest)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	s := staffSession{staff: st, expires: now.Add(a.ttl)}
	a.sessions[tok] = s
	return tok, s
}

// session returns the staff member of a live session token.
func (a *staffAuth) session(tok string) (StaffConfig, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[tok]
	if !ok || tok == "" {
		return StaffConfig{}, fmt.Errorf("gateway: staff: %w", httpapi.ErrUnauthorized)
	}
	if !a.now().Before(s.expires) {
		delete(a.sessions, tok)
		return StaffConfig{}, fmt.Errorf("gateway: staff: session expired: %w", httpapi.ErrUnauthorized)
	}
	return s.staff, nil
}

func (a *staffAuth) logout(tok string) {
	a.mu.Lock()
	delete(a.sessions, tok)
	a.mu.Unlock()
}

// staffCtxKey carries the staff member recording a manual meal into tap.
type staffCtxKey struct{}

// manualMeal is what a manual meal carries into tap through its context.
type manualMeal struct {
	staff StaffConfig
	elder eldergate.Elder
}

// manualElder is the elder of a meal recorded by staff, chosen by id: tap
// uses it instead of looking the credential up.
func manualElder(ctx context.Context) (eldergate.Elder, bool) {
	m, ok := ctx.Value(staffCtxKey{}).(manualMeal)
	return m.elder, ok
}

// markManual marks the meal data of a tap made by staff by hand.
func markManual(ctx context.Context, data *eldergate.MealData) {
	if m, ok := ctx.Value(staffCtxKey{}).(manualMeal); ok {
		data.Manual, data.Staff = true, m.staff.ID
		data.Credential = ""
	}
}

// staffAudit records an audit event of a staff action.
func (g *Gateway) staffAudit(ctx context.Context, d StaffAuditData) (string, error) {
	at, _ := g.stamp(time.Time{})
	env, err := g.envelope(eldergate.KindAudit, at, d)
	if err != nil {
		return "", err
	}
	if _, err := g.commitCritical(ctx, env); err != nil {
		return "", fmt.Errorf("gateway: audit %s: %w", d.Type, err)
	}
	g.up.Notify()
	return env.ID, nil
}

// StaffLogin implements httpapi.StaffBackend.
func (g *Gateway) StaffLogin(ctx context.Context, pin, cardID string) (httpapi.StaffSession, error) {
	tok, s, locked, err := g.ops.staff.login(pin, cardID)
	method := "pin"
	if cardID != "" {
		method = "card"
	}
	if locked {
		g.log.Warn("gateway: staff login locked out", "for", staffLockout.String())
		if _, aerr := g.staffAudit(ctx, StaffAuditData{Type: AuditStaffLocked, Method: method, Failures: maxStaffFailures}); aerr != nil {
			g.log.Error("gateway: staff lockout not recorded", "err", aerr)
		}
	}
	if err != nil {
		g.log.Info("gateway: staff login refused", "method", method, "err", err)
		return httpapi.StaffSession{}, err
	}
	return g.staffLoggedIn(ctx, tok, s, method), nil
}

func (g *Gateway) staffLoggedIn(ctx context.Context, tok string, s staffSession, method string) httpapi.StaffSession {
	g.log.Info("gateway: staff logged in", "staff", s.staff.ID, "method", method)
	if _, err := g.staffAudit(ctx, StaffAuditData{Type: AuditStaffLogin, Staff: s.staff.ID, Method: method}); err != nil {
		g.log.Error("gateway: staff login not recorded", "err", err)
	}
	return httpapi.StaffSession{Token: tok, StaffID: s.staff.ID, Name: eldergate.MaskName(s.staff.Name), Expires: s.expires.UTC()}
}

// staffCardTap opens the staff panel when a staff card is read: it is
// never taken for an elder's meal.
func (g *Gateway) staffCardTap(rd card.Read) bool {
	if len(g.cfg.Staff) == 0 {
		return false
	}
	tok, s, ok := g.ops.staff.cardSession(rd.Credential)
	if !ok {
		return false
	}
	g.http.Publish(EventStaff, g.staffLoggedIn(g.runCtx, tok, s, "reader"))
	return true
}

// StaffLogout implements httpapi.StaffBackend.
func (g *Gateway) StaffLogout(tok string) { g.ops.staff.logout(tok) }

// StaffElders implements httpapi.StaffBackend: search by id prefix or
// name, results masked.
func (g *Gateway) StaffElders(ctx context.Context, tok, q string) ([]httpapi.StaffElder, error) {
	if _, err := g.ops.staff.session(tok); err != nil {
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
	if _, err := g.ops.staff.session(tok); err != nil {
		return nil, err
	}
	now, _ := g.stamp(time.Time{})
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
	st, err := g.ops.staff.session(tok)
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
	if g.ops.disk.isFull() {
		return nil, fmt.Errorf("gateway: staff meal: %w", httpapi.ErrUnavailable)
	}
	at, _ := g.stamp(time.Time{})
	rd := card.Read{Credential: "manual:" + elder.ID, Reader: "staff:" + st.ID, At: at}
	ev := g.guardedTap(context.WithValue(ctx, staffCtxKey{}, manualMeal{staff: st, elder: elder}), rd, at)
	g.http.Publish(EventTap, ev)
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
	st, err := g.ops.staff.session(tok)
	if err != nil {
		return nil, err
	}
	at, _ := g.stamp(time.Time{})
	// The audit data is built from the meal row, inside the transaction.
	g.ops.tapMu.Lock()
	defer g.ops.tapMu.Unlock()
	var m sqlite.VoidedMeal
	env, err := g.envelope(eldergate.KindAudit, at, StaffAuditData{Type: AuditMealVoid, Staff: st.ID, MealEventID: eventID})
	if err != nil {
		return nil, err
	}
	m, env, err = g.store.VoidMeal(ctx, eventID, at.Add(-g.cfg.VoidWindow), env, func(vm sqlite.VoidedMeal) (any, error) {
		return StaffAuditData{Type: AuditMealVoid, Staff: st.ID, ElderID: vm.ElderID, MealEventID: vm.EventID, Day: vm.Day,
			Window: vm.Window, Decision: vm.Decision, PriceFen: vm.PriceFen, SubsidyFen: vm.SubsidyFen, PayFen: vm.PayFen}, nil
	})
	switch {
	case errors.Is(err, sqlite.ErrNotFound):
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrNotFound)
	case errors.Is(err, sqlite.ErrAlreadyVoided), errors.Is(err, sqlite.ErrNotServed), errors.Is(err, sqlite.ErrNotLast), errors.Is(err, sqlite.ErrTooOld):
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrConflict)
	case sqlite.IsDiskFull(err):
		g.ops.disk.markFull("void")
		return nil, fmt.Errorf("gateway: void: %w: %w", err, httpapi.ErrUnavailable)
	case err != nil:
		return nil, fmt.Errorf("gateway: void: %w", err)
	}
	g.up.Notify()
	g.ops.metrics.voids.Add(1)
	g.log.Info("gateway: meal voided", "staff", st.ID, "meal_event_id", m.EventID, "elder", m.ElderID, "audit_event_id", env.ID)
	res := VoidResult{EventID: env.ID, MealEventID: m.EventID, ElderID: m.ElderID, SubsidyFen: m.SubsidyFen, PayFen: m.PayFen}
	return res, nil
}
