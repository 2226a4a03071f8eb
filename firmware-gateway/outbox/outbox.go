// Package outbox is the contract between the store that keeps the
// gateway's outbox (sqlite) and the uplink that drains it: one row of the
// outbox. It holds no code, so that neither side depends on the other.
package outbox

import (
	"encoding/json"

	"github.com/eldergate/eldergate"
)

// Row is one event of the outbox.
type Row struct {
	ID           string
	Seq          uint64
	Priority     int
	Kind         eldergate.Kind
	Payload      json.RawMessage // the envelope
	Attempts     int
	Delivered    bool
	Rejected     bool
	RejectReason string
}
