package domain

import (
	"context"
	"time"
)

// Release is one signed artifact for one platform, uploaded to the cloud
// (docs/adr/0030-releases-in-the-cloud.md). Manifest and Signature are the
// bytes `eldergate-cloud release sign` wrote, kept verbatim: the cloud
// hands them to the gateway, which verifies them itself.
type Release struct {
	ID         string    `json:"id"`
	Release    string    `json:"release"`
	Version    string    `json:"version"`
	Platform   string    `json:"platform"`
	Artifact   string    `json:"artifact"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Manifest   []byte    `json:"manifest"`  // base64 in JSON
	Signature  []byte    `json:"signature"` // base64 in JSON
	KeyID      string    `json:"key_id"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// UpdateQueued is the state of an update the cloud started whose gateway
// reported nothing yet; then the eldergate.Update* states follow.
const UpdateQueued = "queued"

// UpdateCodeExpired is the code of an update whose ota command expired
// before the gateway answered it.
const UpdateCodeExpired = "expired"

// UpdateCodeRefused is the code of an update whose ota command the gateway
// answered with an error (cmdres ok:false) before any update event.
const UpdateCodeRefused = "command_failed"

// GatewayUpdate is one over-the-air update of one gateway: its ota
// command's id, the release, and the latest state the gateway reported.
type GatewayUpdate struct {
	CommandID   string       `json:"command_id"`
	GW          string       `json:"gw"`
	Site        string       `json:"site"`
	ReleaseID   string       `json:"release_id"` // "" for an update known from its events only
	Release     string       `json:"release"`
	Rollout     string       `json:"rollout,omitempty"`
	State       string       `json:"state"`
	Code        string       `json:"code,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Bytes       int64        `json:"bytes"`
	Size        int64        `json:"size"`
	FromVersion string       `json:"from_version"`
	ToVersion   string       `json:"to_version"`
	StartedBy   string       `json:"started_by,omitempty"`
	StartedAt   time.Time    `json:"started_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Steps       []UpdateStep `json:"steps"`
}

// UpdateStep is one reported state of an update.
type UpdateStep struct {
	EventID    string    `json:"event_id"`
	State      string    `json:"state"`
	Code       string    `json:"code,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	Size       int64     `json:"size,omitempty"`
	At         time.Time `json:"at"`
	ReceivedAt time.Time `json:"received_at"`
}

// ReleaseStore keeps the releases and the gateways' updates (update
// events are stored at ingest: EventStore.IngestBatches).
type ReleaseStore interface {
	// CreateRelease stores r; ErrConflict when its artifact (SHA-256) or
	// its name for its platform is stored already.
	CreateRelease(ctx context.Context, r Release) error
	// ListReleases returns the releases, newest first.
	ListReleases(ctx context.Context) ([]Release, error)
	// Release returns release id or ErrNotFound.
	Release(ctx context.Context, id string) (Release, error)
	// GatewayPlatform returns what gateway gw reported it was built for
	// ("" when it never said) and the version it runs.
	GatewayPlatform(ctx context.Context, gw string) (platform, version string, err error)
	// StartGatewayUpdate stores update u (state queued) and queues its ota
	// command c in one transaction. An unfinished update of the gateway
	// whose command expired unanswered at now is first closed as failed
	// (UpdateCodeExpired); another unfinished one is returned with
	// ErrConflict.
	StartGatewayUpdate(ctx context.Context, u GatewayUpdate, c Command, now time.Time) (running GatewayUpdate, err error)
	// GatewayUpdates returns the latest ListLimit updates of gw, newest
	// first, each with its steps in order.
	GatewayUpdates(ctx context.Context, gw string) ([]GatewayUpdate, error)
	// GatewayUpdate returns the update of ota command id with its steps.
	GatewayUpdate(ctx context.Context, commandID string) (GatewayUpdate, error)
	// FailUpdateCommand marks the update of ota command id of gw failed
	// with the command's error (a cmdres ok:false: refused before any
	// update began, e.g. a bad signature), once however often the result
	// arrives. matched is false when there is no such update.
	FailUpdateCommand(ctx context.Context, gw, commandID, errText string, at time.Time) (matched bool, err error)
}
