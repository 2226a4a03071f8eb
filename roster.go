package eldergate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Credential kinds: what an elder presents at the reader.
const (
	CredCard       = "card"        // contactless card UID, upper-case hex
	CredSSC        = "ssc"         // social-security card number
	CredResidentID = "resident_id" // 18-character resident ID number; a gateway stores it only as a keyed hash
)

// Credential states. A lost or cancelled credential is refused at the tap.
const (
	CredActive    = "active"
	CredLost      = "lost"
	CredCancelled = "cancelled"
)

// Roster update modes.
const (
	RosterFull  = "full"  // the whole roster: what is not listed is removed
	RosterDelta = "delta" // changes on top of version Base
)

// Limits of a roster update.
const (
	MaxRosterElders        = 500_000
	MaxCredentialsPerElder = 16
	maxCredentialLen       = 64
)

// Credential is one credential of an elder on the roster. In a delta's
// States list it names an existing credential (kind and value) and its new
// state.
type Credential struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	State string `json:"state,omitempty"` // default active
}

// RosterElder is one elder of a roster update with all their credentials.
// The embedded Elder's Card, when set, is one more credential of kind card.
type RosterElder struct {
	Elder
	Credentials []Credential `json:"credentials,omitempty"`
}

// RosterUpdate is the body of a roster command. A full update replaces the
// roster and sets its version. A delta applies only on top of version Base:
// elders listed are added or replaced (with all their credentials), elders
// in Remove are taken off the roster and States changes the state of
// existing credentials; a gateway not at Base refuses it and the cloud
// then sends a full roster.
type RosterUpdate struct {
	Mode    string        `json:"mode"`
	Version uint64        `json:"version"`
	Base    uint64        `json:"base,omitempty"`
	Elders  []RosterElder `json:"elders,omitempty"`
	Remove  []string      `json:"remove,omitempty"`
	States  []Credential  `json:"states,omitempty"`
}

// NormalizeCredential returns the canonical form of a credential value:
// trimmed and upper-case (hex UIDs and the check character X of a resident
// ID number).
func NormalizeCredential(v string) string { return strings.ToUpper(strings.TrimSpace(v)) }

// ValidateCredential checks a credential and returns it normalised.
func ValidateCredential(c Credential) (Credential, error) {
	c.Value = NormalizeCredential(c.Value)
	if c.State == "" {
		c.State = CredActive
	}
	switch c.Kind {
	case CredCard, CredSSC:
	case CredResidentID:
		v, err := NormalizeResidentID(c.Value)
		if err != nil {
			if re := (*ResidentIDError)(nil); errors.As(err, &re) {
				err = &ResidentIDError{Masked: MaskID(c.Value), Problem: re.Problem, Code: re.Code, At: re.At}
			}
			return c, err
		}
		c.Value = v
	default:
		return c, fmt.Errorf("unknown credential kind %q", clip(c.Kind))
	}
	if c.Value == "" || len(c.Value) > maxCredentialLen {
		return c, fmt.Errorf("%s value missing or longer than %d characters", c.Kind, maxCredentialLen)
	}
	for i := 0; i < len(c.Value); i++ {
		if c.Value[i] <= ' ' || c.Value[i] > '~' {
			return c, fmt.Errorf("%s value has a character that is not printable ASCII", c.Kind)
		}
	}
	switch c.State {
	case CredActive, CredLost, CredCancelled:
	default:
		return c, fmt.Errorf("unknown credential state %q", clip(c.State))
	}
	return c, nil
}

// DecodeRosterUpdate reads and validates the body of a roster command.
// Credentials come back normalised, the elder's Card folded into the
// credential list.
func DecodeRosterUpdate(raw []byte) (RosterUpdate, error) {
	var u RosterUpdate
	if len(raw) > MaxRosterCommandBytes {
		return RosterUpdate{}, invalid("", "roster of %d bytes exceeds the limit of %d bytes", len(raw), MaxRosterCommandBytes)
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return RosterUpdate{}, invalid("", "not a valid roster update: %v", err)
	}
	if err := u.Validate(); err != nil {
		return RosterUpdate{}, err
	}
	return u, nil
}

// Validate checks an update and normalises its credentials in place.
func (u *RosterUpdate) Validate() error {
	switch u.Mode {
	case RosterFull:
		if u.Base != 0 || len(u.Remove) > 0 || len(u.States) > 0 {
			return invalid("mode", "a full roster has no base, remove or states")
		}
	case RosterDelta:
		if u.Base >= u.Version {
			return invalid("base", "%d is not below the version %d", u.Base, u.Version)
		}
	default:
		return invalid("mode", "must be %q or %q", RosterFull, RosterDelta)
	}
	if u.Version == 0 {
		return invalid("version", "missing")
	}
	if len(u.Elders) > MaxRosterElders {
		return invalid("elders", "%d elders exceed the limit of %d", len(u.Elders), MaxRosterElders)
	}
	ids := make(map[string]bool, len(u.Elders))
	creds := make(map[string]bool, len(u.Elders)*2)
	for i := range u.Elders {
		e := &u.Elders[i]
		field := fmt.Sprintf("elders[%d]", i)
		switch {
		case e.ID == "" || len(e.ID) > maxTextFieldSize:
			return invalid(field+".id", "missing or too long")
		case ids[e.ID]:
			return invalid(field+".id", "duplicate id %q", clip(e.ID))
		case e.Name == "" || len(e.Name) > maxTextFieldSize:
			return invalid(field+".name", "missing or too long")
		}
		ids[e.ID] = true
		if e.Card != "" {
			e.Credentials = append(e.Credentials, Credential{Kind: CredCard, Value: e.Card, State: CredActive})
			e.Card = ""
		}
		if len(e.Credentials) > MaxCredentialsPerElder {
			return invalid(field+".credentials", "more than %d", MaxCredentialsPerElder)
		}
		for j, c := range e.Credentials {
			c, err := ValidateCredential(c)
			if err != nil {
				return invalid(fmt.Sprintf("%s.credentials[%d]", field, j), "%v", err)
			}
			if creds[c.Value] {
				return invalid(fmt.Sprintf("%s.credentials[%d]", field, j), "%s %s is held twice", c.Kind, MaskID(c.Value))
			}
			creds[c.Value] = true
			e.Credentials[j] = c
		}
	}
	for i, id := range u.Remove {
		if id == "" || len(id) > maxTextFieldSize {
			return invalid(fmt.Sprintf("remove[%d]", i), "missing or too long")
		}
	}
	for i, c := range u.States {
		c, err := ValidateCredential(c)
		if err != nil {
			return invalid(fmt.Sprintf("states[%d]", i), "%v", err)
		}
		u.States[i] = c
	}
	return nil
}
