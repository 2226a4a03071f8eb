// Package tapdesk turns one credential read into a committed, decided
// meal: dedupe, roster lookup, price or weight, the policy's decision
// with the elder's usage, the full-disk guard, and the one transaction
// (meal + usage counters + outbox row, synchronous=FULL) committed before
// the kiosk is told anything. A meal entered by staff takes the same path,
// with the elder and the staff member as an explicit argument.
//
// The desk knows no MQTT and no HTTP: it declares the little it needs
// (Store, Clock, Envelopes, Publisher, Metrics) and the gateway wires them.
package tapdesk

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/policy"
)

// Store is what the desk needs of the gateway's store.
type Store interface {
	LookupCredential(ctx context.Context, credential string) (sqlite.CredentialMatch, bool, error)
	Usage(ctx context.Context, elderID string, ps policy.Periods, excludeSite string) (policy.Usage, error)
	UsageSyncedAt(ctx context.Context) (time.Time, bool, error)
	ApplyRemoteUsage(ctx context.Context, rows []sqlite.RemoteUsage, syncedAt time.Time) (int, error)
	// Commit writes the event, and the meal with its usage counters when
	// meal is not nil, in one synchronous=FULL transaction.
	Commit(ctx context.Context, env eldergate.Envelope, meal *sqlite.Meal) (eldergate.Envelope, error)
}

// Clock stamps an observed wall time (zero: now) with the clock rules:
// never below the highest time seen.
type Clock interface {
	Stamp(t time.Time) (time.Time, string)
}

// Envelopes wraps event data into an envelope.
type Envelopes interface {
	New(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error)
}

// Publisher tells the kiosk (SSE).
type Publisher interface {
	Publish(event string, data any)
}

// Metrics counts decisions and times them.
type Metrics interface {
	Tap(decision, reason string)
	TapSeconds(seconds float64)
}

// StaffCards opens the staff panel when a staff card is read: such a read
// is never taken for an elder's meal. It reports whether cred was a
// staff card.
type StaffCards interface {
	StaffCardTap(ctx context.Context, cred string) bool
}

// Manual is a meal entered by staff for an elder whose card cannot be
// read: the elder is chosen by id, the meal is marked manual with the
// staff id.
type Manual struct {
	StaffID string
	Elder   eldergate.Elder
}

// Config is what a Desk is made of.
type Config struct {
	Store     Store
	Clock     Clock
	Envelopes Envelopes
	Publisher Publisher
	Metrics   Metrics
	Disk      *DiskGuard
	Staff     StaffCards // nil: no staff cards
	Notify    func()     // new events in the outbox (the uplink); nil: none

	Now    func() time.Time // wall clock of reads without a time
	Site   policy.Site
	Policy policy.Policy // validated
	Dedupe time.Duration // the same credential within this is one tap
	Till   TillConfig    // till-priced windows (till.go); zero: defaults
	Log    *slog.Logger
}

// Desk decides taps one at a time. It is safe for concurrent use.
type Desk struct {
	store   Store
	clock   Clock
	env     Envelopes
	pub     Publisher
	metrics Metrics
	disk    *DiskGuard
	staff   StaffCards
	notify  func()
	now     func() time.Time
	site    policy.Site
	till    TillConfig
	log     *slog.Logger

	decideMu sync.Mutex     // one decision at a time: reader taps, manual meals, voids, till amounts
	pending  *pendingAmount // guarded by decideMu: a till amount waiting for a tap
	waiting  *waitingTap    // guarded by decideMu: a tap waiting for a till amount

	mu       sync.Mutex // guards the fields below
	policy   policy.Policy
	dedupe   time.Duration
	lastSeen map[string]time.Time
	weight   scale.Weight
}

// New returns a desk; c.Store, c.Clock, c.Envelopes, c.Publisher,
// c.Metrics and c.Disk are required.
func New(c Config) *Desk {
	d := &Desk{
		store: c.Store, clock: c.Clock, env: c.Envelopes, pub: c.Publisher, metrics: c.Metrics,
		disk: c.Disk, staff: c.Staff, notify: c.Notify, now: c.Now, site: c.Site, log: c.Log,
		policy: c.Policy, dedupe: c.Dedupe, lastSeen: map[string]time.Time{}, till: c.Till,
	}
	if d.till.Timeout <= 0 {
		d.till.Timeout = DefaultTillTimeout
	}
	if d.till.MaxFen <= 0 {
		d.till.MaxFen = DefaultTillMaxFen
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.notify == nil {
		d.notify = func() {}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d
}

// Read handles one card read from a reader (the reader calls it for one
// read at a time): dedupe, a staff card, then the tap, shown on the kiosk.
func (d *Desk) Read(ctx context.Context, rd card.Read) {
	at := rd.At
	if at.IsZero() {
		at = d.now()
	}
	at = at.UTC()
	if d.duplicate(rd.Credential, at) { // the raw wall clock
		d.log.Debug("gateway: duplicate read ignored", "card", eldergate.MaskID(rd.Credential))
		return
	}
	at, _ = d.clock.Stamp(at) // never below the highest time seen
	if d.staff != nil && d.staff.StaffCardTap(ctx, rd.Credential) {
		return
	}
	ev := d.Tap(ctx, rd, at, nil)
	if ev.Decision == DecisionWaiting {
		// Not a decision: the kiosk's tap screen would show it as one.
		// The till event asks the cashier for the amount (till.go).
		d.pub.Publish(EventTill, TillEvent{State: TillWaiting, Reason: ev.Reason, Card: ev.Card,
			ElderName: ev.ElderName, Window: ev.Window, Expires: ev.At.Add(d.till.Timeout)})
		return
	}
	d.pub.Publish(EventTap, ev)
}

// Tap decides and records one tap at time at (already stamped): refused
// with disk_full while the disk is full, one decision at a time, timed
// and counted. manual is the meal staff entered by hand, nil for a card
// read. An error becomes a refusal with system_error or disk_full.
func (d *Desk) Tap(ctx context.Context, rd card.Read, at time.Time, manual *Manual) TapEvent {
	masked := eldergate.MaskID(rd.Credential)
	if d.disk.Full() {
		d.log.Warn("gateway: tap refused, disk full", "card", masked)
		d.metrics.Tap(eldergate.DecisionRefused, ReasonDiskFull)
		return TapEvent{Decision: eldergate.DecisionRefused, Reason: ReasonDiskFull, Card: masked, At: at}
	}
	d.decideMu.Lock()
	defer d.decideMu.Unlock()
	return d.timed(rd, at, func() (TapEvent, error) { return d.tap(ctx, rd, at, manual) })
}

// timed runs one decision (decideMu held), times and counts it; an error
// becomes a refusal with system_error or disk_full.
func (d *Desk) timed(rd card.Read, at time.Time, decide func() (TapEvent, error)) TapEvent {
	masked := eldergate.MaskID(rd.Credential)
	if d.disk.Full() { // again: a waiting tap is decided later
		d.metrics.Tap(eldergate.DecisionRefused, ReasonDiskFull)
		return TapEvent{Decision: eldergate.DecisionRefused, Reason: ReasonDiskFull, Card: masked, At: at}
	}
	start := time.Now()
	ev, err := decide()
	elapsed := time.Since(start)
	if err != nil {
		reason := ReasonSystemError
		if sqlite.IsDiskFull(err) {
			d.disk.MarkFull("a meal could not be written")
			reason = ReasonDiskFull
		}
		d.log.Error("gateway: tap not recorded", "card", masked, "reason", reason, "err", err)
		ev = TapEvent{Decision: eldergate.DecisionRefused, Reason: reason, Card: masked, At: at}
	} else {
		d.metrics.TapSeconds(elapsed.Seconds())
	}
	d.metrics.Tap(ev.Decision, ev.Reason)
	return ev
}

// tap: the elder (looked up, or chosen by staff); on a till-priced
// window the amount waiting for a tap, or the tap waits for one (a meal
// by staff is refused without one: the cashier keys it first); then the
// meal is recorded.
func (d *Desk) tap(ctx context.Context, rd card.Read, at time.Time, manual *Manual) (TapEvent, error) {
	masked := eldergate.MaskID(rd.Credential)
	ev := TapEvent{Card: masked, At: at}
	var elder eldergate.Elder
	if manual != nil {
		elder = manual.Elder
	} else {
		e, ok, refusal, err := d.lookup(ctx, rd.Credential)
		if err != nil {
			return ev, fmt.Errorf("tapdesk: tap: %w", err)
		}
		if !ok {
			return d.refuse(ctx, rd, at, refusal)
		}
		elder = e
	}
	var amount *Amount
	if p := d.Policy(); elder.Active && tillPriced(&p, at) { // till.go
		a, ok := d.takeAmount(at)
		if !ok && manual != nil {
			_, window := p.Periods(at)
			ev.Decision, ev.Reason, ev.Window = eldergate.DecisionRefused, ReasonAwaitingAmount, window
			return ev, nil
		}
		if !ok {
			_, window := p.Periods(at)
			return d.wait(rd, at, elder, window), nil
		}
		amount = a
	}
	return d.record(ctx, rd, at, elder, manual, amount)
}

// record decides the meal of elder at time at (priced by amount when not
// nil), commits it in one transaction, then tells the outbox.
func (d *Desk) record(ctx context.Context, rd card.Read, at time.Time, elder eldergate.Elder, manual *Manual, amount *Amount) (TapEvent, error) {
	masked := eldergate.MaskID(rd.Credential)
	ev := TapEvent{Card: masked, At: at}
	var price eldergate.Fen
	if amount != nil {
		price = amount.Fen
	}
	dec, weight, err := d.decide(ctx, elder, at, price) // price, usage, policy (decide.go)
	if err != nil {
		return ev, fmt.Errorf("tapdesk: tap: %w", err)
	}
	window := dec.Window
	if window == "" {
		window = "none" // refused outside any meal window
	}
	data := mealData(elder, masked, window, dec, weight)
	if manual != nil { // a meal recorded by staff by hand
		data.Manual, data.Staff, data.Credential = true, manual.StaffID, ""
	}
	if amount != nil { // where the till price came from, for settlement
		data.PriceSource, data.Till, data.TillRef, data.Cashier = amount.Source, amount.Till, amount.Ref, amount.Cashier
		data.Items = amount.Items // the dishes picked, which add up to the price
	}
	env, err := d.env.New(eldergate.KindMeal, at, data)
	if err != nil {
		return ev, err
	}
	meal := &sqlite.Meal{
		ElderID: elder.ID, Day: dec.Day, Window: window, Decision: dec.Decision, Reason: dec.Reason,
		PriceFen: dec.PriceFen, SubsidyFen: dec.SubsidyFen, PayFen: dec.PayFen, WeightG: weight,
		At: at, PolicyVersion: dec.PolicyVersion, Policy: storedPolicy(dec),
	}
	// Committed (synchronous=FULL) before the kiosk is told anything.
	if _, err := d.store.Commit(ctx, env, meal); err != nil {
		return ev, fmt.Errorf("tapdesk: tap: %w", err)
	}
	d.notify()
	d.log.Info("gateway: tap decided", "event_id", env.ID, "elder", elder.ID, "name", eldergate.MaskName(elder.Name),
		"decision", dec.Decision, "reason", dec.Reason, "window", dec.Window, "pay_fen", int64(dec.PayFen))
	ev.EventID = env.ID
	ev.Decision, ev.Reason, ev.Window, ev.Limit = dec.Decision, dec.Reason, dec.Window, dec.Limit
	ev.PriceFen, ev.SubsidyFen, ev.PayFen = dec.PriceFen, dec.SubsidyFen, dec.PayFen
	ev.DiscountFen = dec.DiscountFen
	ev.Remaining = dec.Remaining
	ev.WeightG = weight
	ev.ElderName = eldergate.MaskName(elder.Name)
	return ev, nil
}

// refuse records the audit event of a credential that is not an active
// elder's: unknown_card, card_lost or card_cancelled.
func (d *Desk) refuse(ctx context.Context, rd card.Read, at time.Time, refusal string) (TapEvent, error) {
	masked := eldergate.MaskID(rd.Credential)
	ev := TapEvent{Card: masked, At: at}
	env, err := d.env.New(eldergate.KindAudit, at, UnknownCardData{
		Type: "tap_refused", Decision: eldergate.DecisionRefused, Reason: refusal,
		Credential: masked, Reader: rd.Reader,
	})
	if err != nil {
		return ev, err
	}
	if _, err := d.store.Commit(ctx, env, nil); err != nil {
		return ev, fmt.Errorf("tapdesk: tap: %w", err)
	}
	d.notify()
	d.log.Info("gateway: tap refused", "reason", refusal, "card", masked, "event_id", env.ID)
	ev.EventID, ev.Decision, ev.Reason = env.ID, eldergate.DecisionRefused, refusal
	return ev, nil
}

// duplicate reports whether cred was already seen within the dedupe
// window before at. A card held on the reader stays one tap.
func (d *Desk) duplicate(cred string, at time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	last, ok := d.lastSeen[cred]
	d.lastSeen[cred] = at
	for c, t := range d.lastSeen {
		if at.Sub(t) > d.dedupe {
			delete(d.lastSeen, c)
		}
	}
	since := at.Sub(last)
	return ok && since >= 0 && since < d.dedupe
}

// Weigh keeps the last reading of the scale for the next meal and shows it.
func (d *Desk) Weigh(w scale.Weight) {
	d.mu.Lock()
	d.weight = w
	d.mu.Unlock()
	d.pub.Publish(EventWeight, WeightEvent{Grams: w.Grams, State: w.State})
}

// Exclusive runs fn while no tap is being decided (a void of a meal).
func (d *Desk) Exclusive(fn func() error) error {
	d.decideMu.Lock()
	defer d.decideMu.Unlock()
	return fn()
}

// Policy returns the policy the next decisions use. The copy shares its
// immutable compiled form.
func (d *Desk) Policy() policy.Policy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy
}

// SetPolicy validates p and makes it the policy of the next decisions.
// On an error the current policy stays.
func (d *Desk) SetPolicy(p policy.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("tapdesk: %w", err)
	}
	d.mu.Lock()
	old := d.policy.Version
	d.policy = p
	d.mu.Unlock()
	d.log.Info("gateway: policy applied", "version", p.Version, "previous", old)
	return nil
}

// Dedupe is the dedupe window in use.
func (d *Desk) Dedupe() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dedupe
}

// SetDedupe sets the dedupe window of the next reads.
func (d *Desk) SetDedupe(w time.Duration) {
	d.mu.Lock()
	d.dedupe = w
	d.mu.Unlock()
}
