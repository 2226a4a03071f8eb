package domain

import (
	"context"
	"encoding/json"
	"time"
)

// The causes of a gateway's presence change: where the cloud decided it.
const (
	PresenceBirth  = "birth"  // the gateway's birth message (online)
	PresenceWill   = "will"   // its will, or its own offline state (offline)
	PresenceSilent = "silent" // the fleet monitor: silent too long (offline)
	PresenceBatch  = "batch"  // a batch received after its last state (online)
)

// PresenceChange is one transition of a gateway between online and
// offline.
type PresenceChange struct {
	At     time.Time `json:"at"`
	Online bool      `json:"online"`
	Cause  string    `json:"cause"`
}

// Heartbeat is the latest heartbeat event of a gateway as stored: Data is
// the gateway's heartbeat data as it sent it (firmware-gateway's
// HeartbeatData: version, clock, devices, outbox depth, ...), which the
// cloud passes on without reading.
type Heartbeat struct {
	EventID    string          `json:"event_id"`
	At         time.Time       `json:"at"`          // the gateway's clock
	ReceivedAt time.Time       `json:"received_at"` // the cloud's clock
	Clock      string          `json:"clock"`       // synced | unsynced
	Data       json.RawMessage `json:"data"`
}

// NewGateway is one gateway of a bulk creation: its enrollment token is
// stored by its HashToken.
type NewGateway struct {
	ID        string
	Site      string
	Name      string
	TokenHash string
}

// GatewayStore is what a gateway's page and the fleet's operations need.
type GatewayStore interface {
	// Gateway returns gateway id as ListGateways shows it, or ErrNotFound.
	Gateway(ctx context.Context, id string) (Gateway, error)
	// GatewayPresence returns the presence changes of gw at or after from
	// and before to, oldest first, preceded by the last change before from
	// (the state at from) when there is one; repeated states are merged.
	// At most ListLimit changes, the newest.
	GatewayPresence(ctx context.Context, gw string, from, to time.Time) ([]PresenceChange, error)
	// LastHeartbeat returns the latest heartbeat event of gw (nil: none).
	LastHeartbeat(ctx context.Context, gw string) (*Heartbeat, error)
	// DesiredConfigBySHA returns the latest desired version of gw whose
	// body has checksum sha (what the gateway reports it runs), or
	// ErrNotFound.
	DesiredConfigBySHA(ctx context.Context, gw, sha string) (DesiredConfig, error)
	// ReenrollGateway revokes the credentials of gateway id (its secret
	// hash is cleared, its unused tokens expire at at) and stores a new
	// enrollment token expiring at expiresAt; a revoked gateway may enroll
	// again with it. ErrNotFound when there is no such gateway.
	ReenrollGateway(ctx context.Context, id, tokenHash string, at, expiresAt time.Time) error
	// CreateEnrollments creates every gateway of gs with its token in one
	// transaction: all or none (ErrConflict when an id exists).
	CreateEnrollments(ctx context.Context, gs []NewGateway, createdAt, expiresAt time.Time) error
}

// PresenceKeep bounds the presence history kept per gateway (the oldest
// changes go first).
const PresenceKeep = 1000
