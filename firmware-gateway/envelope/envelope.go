// Package envelope wraps the data of a gateway event into the contract's
// envelope (eldergate.Envelope): a UUIDv7 id, the gateway, site and boot,
// the time and the clock state of the stamp that gave it.
package envelope

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
)

// Maker makes the envelopes of one gateway's boot.
type Maker struct {
	GW    string
	Site  string
	Boot  uint64
	Clock func() string // state of the last stamp; nil: synced
}

// New returns the envelope of one event of kind observed at at. Seq is
// given by the store when the event is committed.
func (m Maker) New(kind eldergate.Kind, at time.Time, data any) (eldergate.Envelope, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return eldergate.Envelope{}, fmt.Errorf("envelope: event id: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return eldergate.Envelope{}, fmt.Errorf("envelope: encode %s data: %w", kind, err)
	}
	clock := eldergate.ClockSynced
	if m.Clock != nil {
		clock = m.Clock()
	}
	return eldergate.Envelope{
		ID:    id.String(),
		Kind:  kind,
		GW:    m.GW,
		Site:  m.Site,
		Boot:  m.Boot,
		At:    at.UTC(),
		Clock: clock,
		Data:  raw,
	}, nil
}
