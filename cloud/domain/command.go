package domain

import (
	"encoding/json"
	"time"
)

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
