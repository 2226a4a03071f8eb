package eldergate

import (
	"encoding/json"
	"time"
)

// CloudState is the retained payload of CloudStateTopic. Every ingesting
// cloud process publishes Online true with a Boot of its own once its
// shared subscription is in place (and again with a new Boot after each
// reconnection to the broker), and sets a will with Online false and the
// same Boot. With several ingesters the retained value is the last one
// published, so an offline state says only that one ingester went away:
// a gateway acts on an online state with a Boot it has not seen (it sends
// again at once what the cloud has not acknowledged) and treats an
// offline state as information (ADR 0012).
type CloudState struct {
	Online bool      `json:"online"`
	Boot   string    `json:"boot"` // one ingester connection: unique, opaque
	At     time.Time `json:"at,omitzero"`
}

// MaxCloudBootLen bounds CloudState.Boot.
const MaxCloudBootLen = 128

// DecodeCloudState reads a payload of CloudStateTopic.
func DecodeCloudState(payload []byte) (CloudState, error) {
	var s CloudState
	if len(payload) > MaxSmallPayload {
		return s, invalid("", "payload of %d bytes exceeds the limit of %d bytes", len(payload), MaxSmallPayload)
	}
	var raw struct {
		Online *bool     `json:"online"`
		Boot   string    `json:"boot"`
		At     time.Time `json:"at"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return s, invalid("", "payload is not a valid cloud state: %v", err)
	}
	if raw.Online == nil {
		return s, invalid("online", "missing")
	}
	if raw.Boot == "" {
		return s, invalid("boot", "missing")
	}
	if len(raw.Boot) > MaxCloudBootLen {
		return s, invalid("boot", "longer than %d bytes", MaxCloudBootLen)
	}
	return CloudState{Online: *raw.Online, Boot: raw.Boot, At: raw.At.UTC()}, nil
}
