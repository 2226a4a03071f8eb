package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// PushCommandTTL is the expiry of roster and policy commands: a gateway
// offline for longer gets a full roster when it confirms nothing.
const PushCommandTTL = 24 * time.Hour

// Command is one command queued for a gateway (DESIGN.md, "MQTT
// contract"): desired configuration, policy, roster, usage, ping or
// reboot, with an expiry and, once the gateway answered, its result.
type Command struct {
	ID        string          `json:"id"`
	GW        string          `json:"gw"`
	Type      string          `json:"type"`
	Body      json.RawMessage `json:"body,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	SentAt    *time.Time      `json:"sent_at,omitempty"`   // last publication to the gateway
	ResultAt  *time.Time      `json:"result_at,omitempty"` // when the result was recorded
	OK        *bool           `json:"ok,omitempty"`        // set with ResultAt
	Error     string          `json:"error,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
}

// NewCommand returns a command of type typ for gw with a fresh random id,
// created at now and expiring after ttl.
func NewCommand(gw, typ string, body []byte, now time.Time, ttl time.Duration) (Command, error) {
	id, err := RandomToken(12)
	if err != nil {
		return Command{}, fmt.Errorf("domain: command id: %w", err)
	}
	return Command{ID: "cmd-" + id, GW: gw, Type: typ, Body: body, CreatedAt: now, ExpiresAt: now.Add(ttl)}, nil
}
