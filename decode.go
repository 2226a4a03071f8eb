package eldergate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Size limits for untrusted payloads.
const (
	MaxBatchBytes    = 1 << 20 // an up batch
	MaxBatchEvents   = 1000
	MaxEventBytes    = 16 << 10 // the data of one envelope (unknown fields are bounded by the batch only)
	MaxSmallPayload  = 256 << 10
	maxTextFieldSize = 256
)

// ValidationError says what is wrong with a payload or one of its fields.
type ValidationError struct {
	Field   string // JSON path of the offending field, "" for the payload
	Problem string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// DecodeBatch reads an up batch received on the up topic of gateway gw.
// An error means the whole payload is unusable (too large, not JSON, wrong
// version, wrong gateway, no events). Otherwise the valid events are
// returned and each invalid one is listed in the rejections with its id
// when it has one. Unknown fields are ignored. The events' Data may share
// payload's memory (it is not copied): payload must not be changed while
// the batch is in use.
func DecodeBatch(payload []byte, gw string) (Batch, []Rejection, error) {
	if len(payload) > MaxBatchBytes {
		return Batch{}, nil, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxBatchBytes)
	}
	if b, ok := decodeBatchFast(payload, gw); ok {
		return b, nil, nil
	}
	return decodeBatchCareful(payload, gw)
}

// decodeBatchFast decodes a batch in one pass and reports whether every
// event in it is valid. It is the common case, and about twice as fast as
// decodeBatchCareful, which decodes the events one by one to say which
// one is wrong; anything that is not perfectly valid goes there, so the
// two give the same result for every payload (FuzzDecodeBatchPaths).
func decodeBatchFast(payload []byte, gw string) (Batch, bool) {
	raw, ok := scanBatchFlat(payload, gw)
	if !ok {
		var err error
		if raw, err = unmarshalBatch(payload); err != nil {
			return Batch{}, false
		}
	}
	return checkBatchFast(raw, gw)
}

// checkBatchFast is decodeBatchFast once the batch is read.
func checkBatchFast(raw batchFields, gw string) (Batch, bool) {
	if !raw.HasV || raw.V != ProtocolVersion || raw.GW != gw || len(raw.Events) == 0 || len(raw.Events) > MaxBatchEvents {
		return Batch{}, false
	}
	for i := range raw.Events {
		e := &raw.Events[i]
		if e.GW != gw || len(e.Data) > MaxEventBytes || e.Validate() != nil {
			return Batch{}, false
		}
	}
	return Batch{V: raw.V, GW: raw.GW, Boot: raw.Boot, Events: raw.Events}, true
}

// decodeBatchCareful decodes the events of a batch one by one.
func decodeBatchCareful(payload []byte, gw string) (Batch, []Rejection, error) {
	var raw struct {
		V      *int              `json:"v"`
		GW     string            `json:"gw"`
		Boot   uint64            `json:"boot"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Batch{}, nil, invalid("", "payload is not a valid JSON batch: %v", err)
	}
	if raw.V == nil {
		return Batch{}, nil, invalid("v", "missing")
	}
	if *raw.V != ProtocolVersion {
		return Batch{}, nil, invalid("v", "unsupported version %d, want %d", *raw.V, ProtocolVersion)
	}
	if raw.GW != gw {
		return Batch{}, nil, invalid("gw", "%q does not match the topic's gateway %q", clip(raw.GW), gw)
	}
	if len(raw.Events) == 0 {
		return Batch{}, nil, invalid("events", "missing or empty")
	}
	if len(raw.Events) > MaxBatchEvents {
		return Batch{}, nil, invalid("events", "%d events exceed the limit of %d", len(raw.Events), MaxBatchEvents)
	}
	b := Batch{V: *raw.V, GW: raw.GW, Boot: raw.Boot, Events: make([]Envelope, 0, len(raw.Events))}
	var rejected []Rejection
	for i, re := range raw.Events {
		e, err := DecodeEnvelope(re)
		if err == nil && e.GW != gw {
			err = invalid("gw", "%q does not match the topic's gateway %q", clip(e.GW), gw)
		}
		if err != nil {
			rejected = append(rejected, Rejection{ID: e.ID, Reason: fmt.Sprintf("events[%d]: %v", i, err)})
			continue
		}
		b.Events = append(b.Events, e)
	}
	return b, rejected, nil
}

// DecodeEnvelope reads and validates one event. On a validation error the
// returned envelope still carries the id when one could be read, so that
// the rejection can name it.
func DecodeEnvelope(raw []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		e = Envelope{}
		if _, perr := uuid.Parse(idOnly.ID); perr == nil {
			e.ID = idOnly.ID
		}
		return e, invalid("", "not a valid event: %v", err)
	}
	err := e.Validate()
	if err == nil && len(e.Data) > MaxEventBytes {
		err = invalid("data", "%d bytes exceed the limit of %d bytes", len(e.Data), MaxEventBytes)
	}
	if err != nil {
		if _, perr := uuid.Parse(e.ID); perr != nil {
			e.ID = ""
		}
		return e, err
	}
	return e, nil
}

// Validate checks the required fields of an envelope and, for the kinds the
// cloud acts on, of its data.
func (e *Envelope) Validate() error {
	if e.ID == "" {
		return invalid("id", "missing")
	}
	u, err := uuid.Parse(e.ID)
	if err != nil || len(e.ID) != 36 {
		return invalid("id", "%q is not a UUID", clip(e.ID))
	}
	if u.Version() != 7 {
		return invalid("id", "%q is not a version 7 UUID", e.ID)
	}
	if !e.Kind.Valid() {
		return invalid("kind", "unknown kind %q", clip(string(e.Kind)))
	}
	if err := ValidateGatewayID(e.GW); err != nil {
		return invalid("gw", "%v", err)
	}
	if e.Site == "" || len(e.Site) > maxTextFieldSize {
		return invalid("site", "missing or too long")
	}
	if e.Seq == 0 {
		return invalid("seq", "missing")
	}
	if e.At.IsZero() {
		return invalid("at", "missing")
	}
	if _, off := e.At.Zone(); off != 0 {
		return invalid("at", "not UTC")
	}
	if e.Clock != ClockSynced && e.Clock != ClockUnsynced {
		return invalid("clock", "must be %q or %q", ClockSynced, ClockUnsynced)
	}
	data := bytes.TrimSpace(e.Data)
	if len(data) == 0 || data[0] != '{' {
		return invalid("data", "missing or not an object")
	}
	switch e.Kind {
	case KindMeal:
		m, err := DecodeMealData(e.Data)
		if err != nil {
			return err
		}
		e.meal = &m
		return nil
	case KindAlert:
		_, err := DecodeAlertData(e.Data)
		return err
	case KindUpdate:
		_, err := DecodeUpdateData(e.Data)
		return err
	}
	return nil
}

// DecodeMealData reads and validates the data of a meal event.
func DecodeMealData(raw []byte) (MealData, error) {
	m, ok := scanMealFlat(raw)
	if !ok {
		var slow MealData // its own variable: only this path moves it to the heap
		err := json.Unmarshal(raw, &slow)
		m = slow
		if err != nil {
			return m, invalid("data", "not a valid meal: %v", err)
		}
	}
	switch {
	case m.ElderID == "" || len(m.ElderID) > maxTextFieldSize:
		return m, invalid("data.elder_id", "missing or too long")
	case m.Window == "" || len(m.Window) > maxTextFieldSize:
		return m, invalid("data.window", "missing or too long")
	case m.Decision != DecisionApproved && m.Decision != DecisionFullPay && m.Decision != DecisionRefused && m.Decision != DecisionDiscounted:
		return m, invalid("data.decision", "unknown decision %q", clip(m.Decision))
	case m.PriceFen < 0 || m.SubsidyFen < 0 || m.PayFen < 0:
		return m, invalid("data", "negative amount")
	case m.SubsidyFen > m.PriceFen:
		return m, invalid("data.subsidy_fen", "%d is above the price %d", m.SubsidyFen, m.PriceFen)
	case m.DiscountFen < 0 || m.OperatingFen < 0:
		return m, invalid("data", "negative amount")
	case m.Decision == DecisionDiscounted && m.SubsidyFen != 0:
		return m, invalid("data.subsidy_fen", "a discounted meal has no subsidy")
	case m.DiscountFen > m.PriceFen-m.SubsidyFen:
		return m, invalid("data.discount_fen", "%d is above what remains after the subsidy", m.DiscountFen)
	case len(m.Rule) > maxTextFieldSize || len(m.DiscountBy) > maxTextFieldSize || len(m.OperatingBy) > maxTextFieldSize:
		return m, invalid("data", "text field too long")
	case m.PriceSource != "" && m.PriceSource != PriceSourceTill && m.PriceSource != PriceSourceCashier && m.PriceSource != PriceSourceMenu:
		return m, invalid("data.price_source", "unknown price source %q (till, cashier or menu)", clip(m.PriceSource))
	case len(m.Till) > maxTextFieldSize || len(m.TillRef) > maxTextFieldSize || len(m.Cashier) > maxTextFieldSize:
		return m, invalid("data", "text field too long")
	case len(m.Funding) > MaxFundingShares:
		return m, invalid("data.funding", "%d shares exceed the limit of %d", len(m.Funding), MaxFundingShares)
	case len(m.Items) > 0 && m.PriceSource != PriceSourceMenu:
		return m, invalid("data.items", "dishes are listed only for a price from the menu")
	}
	if m.PriceSource == PriceSourceMenu {
		if err := ValidateLines(m.Items); err != nil {
			return m, invalid("data."+err.(*ValidationError).Field, "%s", err.(*ValidationError).Problem)
		}
		if len(m.Items) == 0 || LinesTotal(m.Items) != m.PriceFen {
			return m, invalid("data.items", "the dishes add up to %d fen, not the price %d", LinesTotal(m.Items), m.PriceFen)
		}
	}
	if len(m.Funding) > 0 {
		var sum Fen
		for i, s := range m.Funding {
			if s.Fen < 0 || s.Fen > m.SubsidyFen || s.Layer == "" || len(s.Layer) > maxTextFieldSize || len(s.Code) > maxTextFieldSize {
				return m, invalid(fmt.Sprintf("data.funding[%d]", i), "bad share")
			}
			sum += s.Fen
		}
		if sum != m.SubsidyFen {
			return m, invalid("data.funding", "shares sum to %d, not the subsidy %d", sum, m.SubsidyFen)
		}
	}
	if _, err := time.Parse(time.DateOnly, m.Day); err != nil {
		return m, invalid("data.day", "%q is not a date YYYY-MM-DD", clip(m.Day))
	}
	return m, nil
}

// DecodeAlertData reads and validates the data of an alert event.
func DecodeAlertData(raw []byte) (AlertData, error) {
	var a AlertData
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, invalid("data", "not a valid alert: %v", err)
	}
	switch {
	case a.AlertID == "" || len(a.AlertID) > maxTextFieldSize:
		return a, invalid("data.alert_id", "missing or too long")
	case !knownAlertAction(a.Action):
		return a, invalid("data.action", "unknown action %q", clip(a.Action))
	case a.Type != "" && a.Type != AlertTypeEmergency && a.Type != AlertTypeSupervision:
		return a, invalid("data.type", "unknown alert type %q (emergency or supervision)", clip(a.Type))
	case len(a.Button) > maxTextFieldSize || len(a.Place) > maxTextFieldSize || len(a.ButtonName) > maxTextFieldSize ||
		len(a.By) > maxTextFieldSize || len(a.Outcome) > maxTextFieldSize || len(a.Reason) > maxTextFieldSize:
		return a, invalid("data", "text field too long")
	case len(a.Note) > maxNoteBytes:
		return a, invalid("data.note", "longer than %d bytes", maxNoteBytes)
	case (a.Action == AlertAcknowledged || a.Action == AlertResolved) && a.By == "":
		return a, invalid("data.by", "missing: who %s the alert", a.Action)
	case a.Action == AlertResolved && a.Outcome == "":
		return a, invalid("data.outcome", "missing")
	}
	return a, nil
}

// maxNoteBytes bounds a resolution note (MaxAlertNoteRunes characters of
// up to 4 bytes).
const maxNoteBytes = 4 * MaxAlertNoteRunes

func knownAlertAction(a string) bool {
	switch a {
	case AlertRaised, AlertCancelled, AlertAcknowledged, AlertResolved, AlertCleared:
		return true
	}
	return false
}

// DecodeAck reads an application ack.
func DecodeAck(payload []byte) (Ack, error) {
	var a Ack
	if len(payload) > MaxSmallPayload {
		return a, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxSmallPayload)
	}
	if err := json.Unmarshal(payload, &a); err != nil {
		return Ack{}, invalid("", "payload is not a valid ack: %v", err)
	}
	if a.IDs == nil && a.Rejected == nil {
		return Ack{}, invalid("ids", "missing")
	}
	return a, nil
}

// DecodeState reads a birth or will message.
func DecodeState(payload []byte) (State, error) {
	var s State
	if len(payload) > MaxSmallPayload {
		return s, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxSmallPayload)
	}
	var raw struct {
		Online *bool         `json:"online"`
		Boot   uint64        `json:"boot"`
		Ver    string        `json:"version"`
		SHA    string        `json:"config_sha256"`
		Policy string        `json:"policy_version"`
		Roster uint64        `json:"roster_version"`
		Menu   string        `json:"menu_version"`
		Rost   *RosterReport `json:"roster"`
		Prices string        `json:"price_devices"`
		Plat   string        `json:"platform"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return s, invalid("", "payload is not a valid state: %v", err)
	}
	if raw.Online == nil {
		return s, invalid("online", "missing")
	}
	if raw.SHA != "" && !isSHA256Hex(raw.SHA) {
		return s, invalid("config_sha256", "%q is not 64 lowercase hex digits", clip(raw.SHA))
	}
	switch raw.Prices {
	case "", PriceDevicesNone, PriceDeviceScale, PriceDeviceTill, PriceDeviceScale + "," + PriceDeviceTill:
	default:
		return s, invalid("price_devices", "%q is not none, scale, till or scale,till", clip(raw.Prices))
	}
	if raw.Rost != nil && !raw.Rost.Valid() {
		raw.Rost = nil // a roster report that says nothing sure is ignored, the birth kept
	}
	if !ValidPlatform(raw.Plat) {
		raw.Plat = "" // a platform eldergate does not build is unknown: no release is offered, the birth kept
	}
	return State{Online: *raw.Online, Boot: raw.Boot, Version: clip(raw.Ver),
		ConfigSHA256: raw.SHA, PolicyVersion: clip(raw.Policy), RosterVersion: raw.Roster, MenuVersion: clip(raw.Menu), Roster: raw.Rost,
		PriceDevices: raw.Prices, Platform: raw.Plat}, nil
}

// isSHA256Hex reports whether s is a SHA-256 sum in lowercase hex.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// clip shortens untrusted text quoted in an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
