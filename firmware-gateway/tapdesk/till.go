package tapdesk

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/policy"
)

// Till prices. A window whose price is neither fixed nor by weight
// (`price: {}` in the policy, as in Shenzhen's) takes the actual price
// rung up at the till: a till (POS) sends it over the local API, or a
// cashier keys it. The amount waits for the next tap, or the tap waits
// for the amount, each for at most TillConfig.Timeout; one amount pays
// for exactly one tap. The pairing is decided under the desk's decision
// lock, so an amount and a tap arriving together are paired once.

// Defaults of TillConfig.
const (
	DefaultTillTimeout = 60 * time.Second
	DefaultTillMaxFen  = eldergate.Fen(20000) // 200 yuan
)

// Limits of the text an amount carries.
const (
	MaxTillIDLen  = 64
	MaxTillRefLen = 128
)

// DecisionWaiting is the decision Tap returns (never recorded) for a tap
// on a till-priced window before its amount arrived; ReasonAwaitingAmount
// is its reason ("请收银员输入金额"). Read publishes it as a TillEvent
// (state waiting), not as a tap: it is not a decision.
const (
	DecisionWaiting      = "waiting"
	ReasonAwaitingAmount = "awaiting_amount"
)

// EventTill is the SSE event the desk publishes when an amount waits for
// a tap, a tap waits for an amount, or a wait ends without a meal.
const EventTill = "till"

// Errors of Amount. Each is wrapped with a sentence saying what is wrong.
var (
	// ErrBadAmount: the amount or its till id or reference is not acceptable.
	ErrBadAmount = errors.New("tapdesk: bad amount")
	// ErrAmountWaiting: another amount already waits for a tap.
	ErrAmountWaiting = errors.New("tapdesk: an amount is already waiting for a tap")
)

// TillConfig configures till prices.
type TillConfig struct {
	Timeout time.Duration // how long an amount waits for a tap, or a tap for an amount; default 60s
	MaxFen  eldergate.Fen // amounts above this are refused as absurd; default 20000 (200 yuan)
}

// Amount is the price of the next till-priced meal and where it came
// from: a till (Till and Ref) or a cashier (Cashier, the staff id).
type Amount struct {
	Fen     eldergate.Fen
	Source  string // eldergate.PriceSourceTill or eldergate.PriceSourceCashier
	Till    string // the till's id (Source till)
	Ref     string // the till's reference of the sale, optional
	Cashier string // the staff id (Source cashier or menu)
	// Items are the dishes picked (Source menu), priced from the site's
	// menu; they add up to Fen.
	Items []eldergate.MenuLine
}

// Check reports, in words, why a is not an acceptable amount: zero or
// negative, above maxFen, or an unknown source or unprintable or overlong
// till id or reference. The error wraps ErrBadAmount.
func (a Amount) Check(maxFen eldergate.Fen) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadAmount}, args...)...)
	}
	switch {
	case a.Fen <= 0:
		return bad("amount_fen %d: must be more than zero", int64(a.Fen))
	case a.Fen > maxFen:
		return bad("amount_fen %d is above the most a meal may cost here (%d fen, %s); check the amount", int64(a.Fen), int64(maxFen), yuan(maxFen))
	}
	switch a.Source {
	case eldergate.PriceSourceTill:
		if err := checkText("till", a.Till, MaxTillIDLen, true); err != nil {
			return bad("%v", err)
		}
	case eldergate.PriceSourceCashier, eldergate.PriceSourceMenu:
		if err := checkText("cashier", a.Cashier, MaxTillIDLen, true); err != nil {
			return bad("%v", err)
		}
	default:
		return bad("unknown price source %q (till, cashier or menu)", a.Source)
	}
	switch {
	case a.Source != eldergate.PriceSourceMenu && len(a.Items) > 0:
		return bad("dishes are given only with price source menu")
	case a.Source == eldergate.PriceSourceMenu && len(a.Items) == 0:
		return bad("no dish picked")
	case a.Source == eldergate.PriceSourceMenu:
		if err := eldergate.ValidateLines(a.Items); err != nil {
			return bad("%v", err)
		}
		if t := eldergate.LinesTotal(a.Items); t != a.Fen {
			return bad("the dishes add up to %d fen, not the amount %d", int64(t), int64(a.Fen))
		}
	}
	if err := checkText("ref", a.Ref, MaxTillRefLen, false); err != nil {
		return bad("%v", err)
	}
	return nil
}

// checkText checks an id or reference: valid UTF-8, printable, at most
// max bytes, and present when required.
func checkText(field, s string, maxLen int, required bool) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%s is missing", field)
	case len(s) > maxLen:
		return fmt.Errorf("%s is longer than %d bytes", field, maxLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%s contains a control character", field)
		}
	}
	return nil
}

// yuan formats fen as "12.50 yuan".
func yuan(f eldergate.Fen) string { return fmt.Sprintf("%d.%02d yuan", int64(f)/100, int64(f)%100) }

// AmountResult is what became of an amount.
type AmountResult struct {
	// State is "pending" (the amount waits for the next tap until
	// Expires) or "decided" (a waiting tap was decided with it: Tap).
	State   string    `json:"state"`
	Expires time.Time `json:"expires,omitzero"`
	Tap     *TapEvent `json:"tap,omitempty"`
}

// States of AmountResult and TillEvent.
const (
	TillPending  = "pending"  // an amount waits for a tap
	TillDecided  = "decided"  // a waiting tap was decided with the amount
	TillWaiting  = "waiting"  // a tap waits for an amount
	TillExpired  = "expired"  // an amount or a waiting tap ran out of time, no meal
	TillCanceled = "canceled" // the cashier withdrew the amount
)

// TillEvent is the data of the SSE "till" event, for the kiosk and the
// cashier panel.
type TillEvent struct {
	State     string        `json:"state"`
	Reason    string        `json:"reason,omitempty"` // ReasonAwaitingAmount while a tap waits
	AmountFen eldergate.Fen `json:"amount_fen,omitempty"`
	Source    string        `json:"source,omitempty"`
	// Items are the dishes of a pending amount picked from the menu.
	Items     []eldergate.MenuLine `json:"items,omitempty"`
	Card      string               `json:"card,omitempty"`       // masked, of a waiting tap
	ElderName string               `json:"elder_name,omitempty"` // masked, of a waiting tap
	Window    string               `json:"window,omitempty"`
	Expires   time.Time            `json:"expires,omitzero"`
}

// TillState is what waits now: an amount, a tap, or nothing.
type TillState struct {
	AmountFen eldergate.Fen `json:"amount_fen,omitempty"` // an amount waiting for a tap
	Source    string        `json:"source,omitempty"`
	Waiting   string        `json:"waiting_card,omitempty"` // masked card of a tap waiting for an amount
	Expires   time.Time     `json:"expires,omitzero"`
}

// pendingAmount is an amount waiting for a tap since at.
type pendingAmount struct {
	Amount
	at time.Time
}

// waitingTap is a tap of a known elder on a till-priced window, waiting
// for its amount since at.
type waitingTap struct {
	rd    card.Read
	at    time.Time
	elder eldergate.Elder
}

// within reports whether b is within the till timeout of a, either way.
func (d *Desk) within(a, b time.Time) bool {
	diff := b.Sub(a)
	return diff <= d.till.Timeout && diff >= -d.till.Timeout
}

// tillPriced reports whether the window of p at time at takes its price
// from the till: neither fixed nor by weight.
func tillPriced(p *policy.Policy, at time.Time) bool {
	_, name := p.Periods(at)
	if name == "" {
		return false
	}
	for _, w := range p.Windows {
		if w.Name == name {
			return w.Price.FixedFen == 0 && w.Price.Per100gFen == 0
		}
	}
	return false
}

// takeAmount returns and clears the pending amount when it is still good
// at time at. Called with decideMu held.
func (d *Desk) takeAmount(at time.Time) (*Amount, bool) {
	p := d.pending
	if p == nil {
		return nil, false
	}
	d.pending = nil
	if !d.within(p.at, at) {
		d.log.Info("gateway: till amount expired unused", "amount_fen", int64(p.Fen), "source", p.Source, "till", p.Till)
		d.pub.Publish(EventTill, TillEvent{State: TillExpired, AmountFen: p.Fen, Source: p.Source})
		return nil, false
	}
	return &p.Amount, true
}

// wait keeps a tap of elder as the one waiting for an amount (replacing
// an earlier one: the elder at the counter is the last who tapped) and
// returns what the kiosk shows. Called with decideMu held.
func (d *Desk) wait(rd card.Read, at time.Time, elder eldergate.Elder, window string) TapEvent {
	masked := eldergate.MaskID(rd.Credential)
	if w := d.waiting; w != nil && w.elder.ID != elder.ID {
		d.log.Info("gateway: waiting tap replaced by a newer one", "card", eldergate.MaskID(w.rd.Credential), "by", masked)
	}
	d.waiting = &waitingTap{rd: rd, at: at, elder: elder}
	d.log.Info("gateway: tap waits for the till amount", "card", masked, "elder", elder.ID, "window", window)
	return TapEvent{Decision: DecisionWaiting, Reason: ReasonAwaitingAmount, Window: window,
		ElderName: eldergate.MaskName(elder.Name), Card: masked, At: at}
}

// Amount takes the price of a till-priced meal from a till or a cashier.
// A tap waiting for its amount (within the timeout) is decided with it at
// once, recorded and shown; otherwise the amount waits for the next tap
// until the timeout. A second amount while one waits is refused
// (ErrAmountWaiting); a bad amount too (ErrBadAmount), with words.
func (d *Desk) Amount(ctx context.Context, a Amount) (AmountResult, error) {
	if err := a.Check(d.till.MaxFen); err != nil {
		return AmountResult{}, err
	}
	at, _ := d.clock.Stamp(d.now())
	d.decideMu.Lock()
	defer d.decideMu.Unlock()
	if w := d.waiting; w != nil {
		d.waiting = nil
		if d.within(w.at, at) {
			ev := d.timed(w.rd, w.at, func() (TapEvent, error) { return d.record(ctx, w.rd, w.at, w.elder, nil, &a) })
			d.pub.Publish(EventTap, ev)
			return AmountResult{State: TillDecided, Tap: &ev}, nil
		}
		masked := eldergate.MaskID(w.rd.Credential)
		d.log.Info("gateway: waiting tap expired without an amount", "card", masked)
		d.pub.Publish(EventTill, TillEvent{State: TillExpired, Card: masked})
	}
	if p := d.pending; p != nil {
		if d.within(p.at, at) {
			return AmountResult{}, fmt.Errorf("%w: %s (%s) waits until %s; a tap uses it, or cancel it first",
				ErrAmountWaiting, yuan(p.Fen), p.Source, p.at.Add(d.till.Timeout).Format(time.RFC3339))
		}
		d.pending = nil
	}
	d.pending = &pendingAmount{Amount: a, at: at}
	exp := at.Add(d.till.Timeout)
	d.log.Info("gateway: till amount waits for a tap", "amount_fen", int64(a.Fen), "source", a.Source, "till", a.Till, "ref", a.Ref, "cashier", a.Cashier)
	d.pub.Publish(EventTill, TillEvent{State: TillPending, AmountFen: a.Fen, Source: a.Source, Items: a.Items, Expires: exp})
	return AmountResult{State: TillPending, Expires: exp}, nil
}

// CancelAmount withdraws the amount waiting for a tap (a cashier's
// mistake); it reports whether there was one.
func (d *Desk) CancelAmount() bool {
	d.decideMu.Lock()
	defer d.decideMu.Unlock()
	p := d.pending
	d.pending = nil
	if p == nil {
		return false
	}
	d.log.Info("gateway: till amount canceled", "amount_fen", int64(p.Fen), "source", p.Source)
	d.pub.Publish(EventTill, TillEvent{State: TillCanceled, AmountFen: p.Fen, Source: p.Source})
	return true
}

// Till reports what waits now (expired waits are not reported).
func (d *Desk) Till() TillState {
	now, _ := d.clock.Stamp(d.now())
	d.decideMu.Lock()
	defer d.decideMu.Unlock()
	var st TillState
	if p := d.pending; p != nil && d.within(p.at, now) {
		st.AmountFen, st.Source, st.Expires = p.Fen, p.Source, p.at.Add(d.till.Timeout)
	}
	if w := d.waiting; w != nil && d.within(w.at, now) {
		st.Waiting, st.Expires = eldergate.MaskID(w.rd.Credential), w.at.Add(d.till.Timeout)
	}
	return st
}
