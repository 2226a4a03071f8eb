package eldergate

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Over-the-air updates (docs/adr/0029-signed-updates-commit-on-health.md).
//
// A release is one binary for one platform, described by a manifest the
// release key signs (ed25519, kept offline: `eldergate-cloud release
// sign`). The cloud sends an ota command whose body is an UpdateRequest;
// the gateway verifies the signature with the public keys of its
// configuration, downloads the artifact, checks its size and SHA-256
// against the signed manifest, installs it beside the running binary,
// restarts, and commits only after a health check of the hall's real
// functions. It reports every step as an update event (KindUpdate).

// ReleaseManifest is what a release signature covers: the exact JSON
// bytes are signed, and those bytes travel with the signature.
type ReleaseManifest struct {
	Release  string    `json:"release"`  // the release's name, e.g. "v1.4.0"
	Version  string    `json:"version"`  // what the binary's `version` prints
	Artifact string    `json:"artifact"` // "eldergate-gateway" (or "eldergate-cloud")
	Platform string    `json:"platform"` // linux/arm64, linux/arm/v7, linux/arm/v6, linux/amd64
	Size     int64     `json:"size"`     // bytes
	SHA256   string    `json:"sha256"`   // hex, lower case
	Created  time.Time `json:"created"`  // UTC
	KeyID    string    `json:"key_id"`   // ReleaseKeyID of the signing key
}

// The platforms a gateway may report and a release may be built for.
var platformRE = regexp.MustCompile(`^linux/(amd64|arm64|arm/v[567])$`)

// ValidPlatform reports whether p is a platform of the form os/arch[/variant]
// that eldergate builds.
func ValidPlatform(p string) bool { return platformRE.MatchString(p) }

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Check returns the first problem of m in words, or nil.
func (m ReleaseManifest) Check() error {
	switch {
	case m.Release == "" || len(m.Release) > 64:
		return invalid("release", "missing or longer than 64 characters")
	case m.Version == "" || len(m.Version) > 64:
		return invalid("version", "missing or longer than 64 characters")
	case m.Artifact != "eldergate-gateway" && m.Artifact != "eldergate-cloud":
		return invalid("artifact", "%q is not eldergate-gateway or eldergate-cloud", clip(m.Artifact))
	case !ValidPlatform(m.Platform):
		return invalid("platform", "%q is not one of linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6", clip(m.Platform))
	case m.Size <= 0 || m.Size > MaxReleaseBytes:
		return invalid("size", "%d bytes is not between 1 and %d", m.Size, MaxReleaseBytes)
	case !sha256RE.MatchString(m.SHA256):
		return invalid("sha256", "not 64 lower-case hex digits")
	case m.Created.IsZero():
		return invalid("created", "missing")
	case m.KeyID == "":
		return invalid("key_id", "missing")
	}
	return nil
}

// MaxReleaseBytes bounds a release artifact (a gateway binary is ~30 MB).
const MaxReleaseBytes = 256 << 20

// ReleaseKeyID names a release public key: the first 8 bytes of its
// SHA-256, in hex.
func ReleaseKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// SignRelease checks m, stamps the key id and returns the manifest bytes
// and their signature.
func SignRelease(priv ed25519.PrivateKey, m ReleaseManifest) (manifest, sig []byte, err error) {
	m.KeyID = ReleaseKeyID(priv.Public().(ed25519.PublicKey))
	m.Created = m.Created.UTC()
	if err := m.Check(); err != nil {
		return nil, nil, err
	}
	manifest, err = json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return manifest, ed25519.Sign(priv, manifest), nil
}

// VerifyRelease checks sig over the manifest bytes with the key among keys
// whose id the manifest names, and returns the manifest. Every failure is
// an error in words (unknown key, bad signature, invalid manifest).
func VerifyRelease(keys []ed25519.PublicKey, manifest, sig []byte) (ReleaseManifest, error) {
	var m ReleaseManifest
	if len(manifest) == 0 || len(manifest) > MaxSmallPayload {
		return m, fmt.Errorf("release manifest of %d bytes is empty or too large", len(manifest))
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return m, fmt.Errorf("release manifest is not valid JSON: %v", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return m, fmt.Errorf("release signature is %d bytes, not %d", len(sig), ed25519.SignatureSize)
	}
	var key ed25519.PublicKey
	for _, k := range keys {
		if ReleaseKeyID(k) == m.KeyID {
			key = k
			break
		}
	}
	if key == nil {
		return m, fmt.Errorf("release is signed with key %q, which is not one of the %d trusted release keys", clip(m.KeyID), len(keys))
	}
	if !ed25519.Verify(key, manifest, sig) {
		return m, fmt.Errorf("release signature does not match its manifest (key %s)", m.KeyID)
	}
	if err := m.Check(); err != nil {
		return m, fmt.Errorf("signed release manifest is invalid: %w", err)
	}
	return m, nil
}

// ParseReleaseKey reads a base64 ed25519 public key (as written by
// `eldergate-cloud release keygen`).
func ParseReleaseKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("release public key is not base64: %v", err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("release public key is %d bytes, not %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// UpdateRequest is the body of an ota command.
type UpdateRequest struct {
	Rollout   string `json:"rollout,omitempty"` // the rollout it belongs to ("" for a single update)
	Manifest  []byte `json:"manifest"`          // the signed manifest bytes (base64 in JSON)
	Signature []byte `json:"signature"`         // ed25519 over Manifest (base64 in JSON)
	// URL is where to download the artifact: an https:// URL, or a path
	// (starting with /) on the cloud the gateway enrolled with. The
	// download resumes with Range requests and carries the gateway's
	// credentials (basic auth: gateway id and device secret).
	URL string `json:"url"`
	// HealthTimeoutS bounds the health check of the new binary after its
	// restart; past it the gateway rolls back. 0 means the default (180 s).
	HealthTimeoutS int `json:"health_timeout_s,omitempty"`
}

// DefaultHealthTimeout is the health check's limit when the request names none.
const DefaultHealthTimeout = 180 * time.Second

// DecodeUpdateRequest reads the body of an ota command.
func DecodeUpdateRequest(body []byte) (UpdateRequest, error) {
	var r UpdateRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return r, invalid("body", "not a valid update request: %v", err)
	}
	switch {
	case len(r.Manifest) == 0:
		return r, invalid("body.manifest", "missing")
	case len(r.Signature) == 0:
		return r, invalid("body.signature", "missing")
	case r.URL == "" || len(r.URL) > 2048:
		return r, invalid("body.url", "missing or longer than 2048 characters")
	case !strings.HasPrefix(r.URL, "https://") && !strings.HasPrefix(r.URL, "/"):
		return r, invalid("body.url", "must be https:// or a path on the cloud")
	case r.HealthTimeoutS < 0 || r.HealthTimeoutS > 3600:
		return r, invalid("body.health_timeout_s", "%d is not between 0 and 3600", r.HealthTimeoutS)
	case len(r.Rollout) > MaxCommandIDLen:
		return r, invalid("body.rollout", "longer than %d characters", MaxCommandIDLen)
	}
	return r, nil
}

// The states of an update at the gateway, as reported in update events.
// The gateway's state machine persists its own finer states; these are
// what the cloud sees (in this order on the good path).
const (
	UpdateAccepted    = "accepted"    // the request's signature verified; queued
	UpdateDeferred    = "deferred"    // waiting: a meal window or an open alarm (Reason says which)
	UpdateDownloading = "downloading" // Data.Bytes of Data.Size so far
	UpdateVerified    = "verified"    // size and SHA-256 match the signed manifest
	UpdateInstalled   = "installed"   // beside the running binary; restarting into it
	UpdateChecking    = "checking"    // the new binary runs its health check
	UpdateCommitted   = "committed"   // healthy: the new version stays (terminal)
	UpdateRolledBack  = "rolled_back" // the new binary failed; the old version runs again (terminal)
	UpdateFailed      = "failed"      // refused before install; the old version never stopped (terminal)
)

// UpdateTerminal reports whether s ends an update.
func UpdateTerminal(s string) bool {
	return s == UpdateCommitted || s == UpdateRolledBack || s == UpdateFailed
}

// UpdateData is the data of an update event (KindUpdate): one step of an
// update, recorded in the outbox so that it reaches the cloud even after a
// restart or an outage.
type UpdateData struct {
	CommandID   string `json:"command_id"`        // the ota command
	Rollout     string `json:"rollout,omitempty"` // from the request
	Release     string `json:"release"`
	FromVersion string `json:"from_version"` // what ran when the update was accepted
	ToVersion   string `json:"to_version"`   // the manifest's version
	State       string `json:"state"`        // one of the Update* states
	// Reason says why, in words, for deferred, rolled_back and failed
	// (e.g. "SHA-256 of the download does not match the signed
	// manifest", "health check: card reader rdm6300 did not answer").
	Reason string `json:"reason,omitempty"`
	// Code is a stable word for Reason: signature, hash, size, download,
	// install, health_store, health_card, health_scale, health_uplink,
	// health_heartbeat, health_kiosk, health_timeout, crash, meal_window,
	// alarm_open.
	Code  string `json:"code,omitempty"`
	Bytes int64  `json:"bytes,omitempty"` // downloading: so far
	Size  int64  `json:"size,omitempty"`  // downloading: in all
}

// MaxUpdateReason bounds the reason of an update event.
const MaxUpdateReason = 1000

// DecodeUpdateData reads and validates the data of an update event: an
// unknown state, a missing command id or an oversized field is an error
// in words.
func DecodeUpdateData(raw []byte) (UpdateData, error) {
	var d UpdateData
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, invalid("data", "not a valid update step: %v", err)
	}
	switch d.State {
	case UpdateAccepted, UpdateDeferred, UpdateDownloading, UpdateVerified, UpdateInstalled, UpdateChecking,
		UpdateCommitted, UpdateRolledBack, UpdateFailed:
	default:
		return d, invalid("data.state", "unknown update state %q", clip(d.State))
	}
	switch {
	case d.CommandID == "" || len(d.CommandID) > MaxCommandIDLen:
		return d, invalid("data.command_id", "missing or longer than %d characters", MaxCommandIDLen)
	case len(d.Rollout) > MaxCommandIDLen:
		return d, invalid("data.rollout", "longer than %d characters", MaxCommandIDLen)
	case len(d.Release) > 64 || len(d.FromVersion) > 64 || len(d.ToVersion) > 64:
		return d, invalid("data", "release or version longer than 64 characters")
	case len(d.Reason) > MaxUpdateReason:
		return d, invalid("data.reason", "longer than %d characters", MaxUpdateReason)
	case len(d.Code) > 32:
		return d, invalid("data.code", "longer than 32 characters")
	case d.Bytes < 0 || d.Size < 0 || d.Size > MaxReleaseBytes || (d.Size > 0 && d.Bytes > d.Size):
		return d, invalid("data", "bytes %d of size %d are not 0 <= bytes <= size <= %d", d.Bytes, d.Size, MaxReleaseBytes)
	}
	return d, nil
}
