package eldergate

import (
	"bytes"
	"encoding/json"
	"time"
)

// Command types (DESIGN.md, "MQTT contract").
const (
	CmdConfig = "config" // body: a gateway configuration (YAML text as a JSON string, or a JSON object)
	CmdPolicy = "policy" // body: a subsidy policy
	CmdRoster = "roster" // body: RosterUpdate, full or delta
	CmdUsage  = "usage"  // body: cross-site usage rows
	CmdPing   = "ping"   // no body; answered with PingResult
	CmdReboot = "reboot" // no body; answered, then the process exits for systemd to restart it
	CmdOTA    = "ota"    // body: UpdateRequest (update.go)
	CmdAlert  = "alert"  // body: AlertUpdate, an alert of the gateway's site changed in the cloud
	CmdMenu   = "menu"   // body: Menu, the site's dishes and prices (menu.go)
)

// Size limits of a command payload: a roster (100,000 elders with their
// credentials is about 20 MB of JSON) may be large, every other command is
// small.
const (
	MaxCommandBytes       = MaxSmallPayload // 256 KiB
	MaxRosterCommandBytes = 32 << 20
	MaxCommandIDLen       = 128
)

// PingResult is the body of the result of a ping command.
type PingResult struct {
	GatewayID string    `json:"gateway_id"`
	Boot      uint64    `json:"boot"`
	Version   string    `json:"version"`
	Time      time.Time `json:"time"` // the gateway's clock, UTC
}

// AlertUpdate is the body of an alert command: the cloud's state of an
// alert of the gateway's site, sent to every gateway of the site after
// each change so that its kiosk shows it (raised → acknowledged by a named
// staff member → resolved). A gateway acknowledging or resolving it at
// its kiosk sends an alert event whose alert_id is AlertID (or, for its
// own press, its own GWAlertID).
type AlertUpdate struct {
	AlertID        string     `json:"alert_id"`    // the cloud's id
	GW             string     `json:"gw"`          // the gateway the press came from
	GWAlertID      string     `json:"gw_alert_id"` // that gateway's id of the first press
	State          string     `json:"state"`       // open | acknowledged | resolved | false_alarm
	Type           string     `json:"type"`        // emergency | supervision
	Button         string     `json:"button,omitempty"`
	ButtonName     string     `json:"button_name,omitempty"`
	Place          string     `json:"place,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Presses        int        `json:"presses"`
	OpenedAt       time.Time  `json:"opened_at"`
	AckedAt        *time.Time `json:"acked_at,omitempty"`
	AckedBy        string     `json:"acked_by,omitempty"`  // shown on the kiosk: "张*明 acknowledged"
	AckedVia       string     `json:"acked_via,omitempty"` // console | kiosk | api
	PressedAgainAt *time.Time `json:"pressed_again_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
}

// AlertUpdateTTL is how long an alert command may wait for a gateway that
// is offline: past it, the kiosk learns the state from the next one.
const AlertUpdateTTL = time.Hour

// DecodeAlertUpdate reads the body of an alert command.
func DecodeAlertUpdate(body []byte) (AlertUpdate, error) {
	var u AlertUpdate
	if err := json.Unmarshal(body, &u); err != nil {
		return AlertUpdate{}, invalid("body", "not a valid alert update: %v", err)
	}
	switch {
	case u.AlertID == "" || len(u.AlertID) > maxTextFieldSize:
		return u, invalid("body.alert_id", "missing or too long")
	case u.State != "open" && u.State != "acknowledged" && u.State != "resolved" && u.State != "false_alarm":
		return u, invalid("body.state", "unknown state %q", clip(u.State))
	case u.OpenedAt.IsZero():
		return u, invalid("body.opened_at", "missing")
	}
	return u, nil
}

// KnownCommand reports whether t is a command type of the contract.
func KnownCommand(t string) bool {
	switch t {
	case CmdConfig, CmdPolicy, CmdRoster, CmdUsage, CmdPing, CmdReboot, CmdOTA, CmdAlert, CmdMenu:
		return true
	}
	return false
}

// DecodeCommand reads a command received on eg/v1/gw/{gw}/cmd. A roster
// command may be up to MaxRosterCommandBytes, any other up to
// MaxCommandBytes. The id (1-128 printable ASCII characters), a known type
// and the expiry time are required; the body, when present, must be a JSON
// object or string. Unknown fields are ignored. On an error the returned
// command still carries the id and type when they could be read, so that a
// failure result can name it.
func DecodeCommand(payload []byte) (Command, error) {
	var c Command
	if len(payload) > MaxRosterCommandBytes {
		return c, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxRosterCommandBytes)
	}
	var raw struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Expires *time.Time      `json:"expires"`
		Body    json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return c, invalid("", "payload is not a valid JSON command: %v", err)
	}
	if validCommandID(raw.ID) {
		c.ID = raw.ID
	}
	if KnownCommand(raw.Type) {
		c.Type = raw.Type
	}
	switch {
	case raw.ID == "":
		return c, invalid("id", "missing")
	case !validCommandID(raw.ID):
		return c, invalid("id", "%q is not 1-%d printable ASCII characters", clip(raw.ID), MaxCommandIDLen)
	case raw.Type == "":
		return c, invalid("type", "missing")
	case !KnownCommand(raw.Type):
		return c, invalid("type", "unknown command type %q", clip(raw.Type))
	case raw.Type != CmdRoster && len(payload) > MaxCommandBytes:
		return c, invalid("", "%s command of %d bytes exceeds the limit of %d bytes", raw.Type, len(payload), MaxCommandBytes)
	case raw.Expires == nil || raw.Expires.IsZero():
		return c, invalid("expires", "missing")
	}
	body := bytes.TrimSpace(raw.Body)
	if len(body) > 0 && !bytes.Equal(body, []byte("null")) {
		if body[0] != '{' && body[0] != '"' {
			return c, invalid("body", "must be a JSON object or string")
		}
		c.Body = raw.Body
	}
	c.Expires = raw.Expires.UTC()
	return c, nil
}

func validCommandID(id string) bool {
	if id == "" || len(id) > MaxCommandIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// DecodeCommandResult reads a command result received on
// eg/v1/gw/{gw}/cmdres or carried as the data of a cmdres event.
func DecodeCommandResult(payload []byte) (CommandResult, error) {
	var r CommandResult
	if len(payload) > MaxSmallPayload {
		return r, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxSmallPayload)
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return CommandResult{}, invalid("", "payload is not a valid command result: %v", err)
	}
	if !validCommandID(r.ID) {
		return CommandResult{}, invalid("id", "missing or not 1-%d printable ASCII characters", MaxCommandIDLen)
	}
	if !r.OK && r.Error == "" {
		return CommandResult{}, invalid("error", "a failed result must say why")
	}
	return r, nil
}
