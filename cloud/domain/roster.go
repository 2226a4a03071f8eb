package domain

import (
	"context"
	"time"

	"github.com/eldergate/eldergate"
)

// RosterStore keeps the elders, their credentials and roster versions, and
// the versioned subsidy policies pushed to gateways.
//
// A site's roster has a version that grows by one with every change. Each
// elder row remembers the version that last changed it, and an elder taken
// off the roster stays as a tombstone with the version that removed it, so
// that the delta from any earlier version to the current one can be built:
// the elders changed after it and the ids removed after it.
type RosterStore interface {
	// ReplaceRoster makes elders the roster of site: elders not listed are
	// removed, listed ones added or replaced. A credential that is already
	// on the roster keeps its state (a lost card stays lost when a new
	// file still lists it). Credentials must be normalised (as
	// eldergate.RosterUpdate.Validate leaves them, the elder's Card folded
	// in). When nothing changes the version stays.
	ReplaceRoster(ctx context.Context, site string, elders []eldergate.RosterElder, at time.Time) (RosterChange, error)
	// ReplaceRosterFrom is ReplaceRoster on the condition that the site's
	// version is still base (the version a preview of the change was made
	// on): ErrConflict, and nothing changed, when it is not.
	ReplaceRosterFrom(ctx context.Context, site string, base uint64, elders []eldergate.RosterElder, at time.Time) (RosterChange, error)
	// SetCredentialState sets the state of credential c.Value of elder
	// elderID of site and returns the change (a new version; Changed false
	// and the version unchanged when the state was already c.State).
	// ErrNotFound when the elder, or that credential of the elder, is not
	// on the roster.
	SetCredentialState(ctx context.Context, site, elderID string, c eldergate.Credential, at time.Time) (RosterChange, error)
	// Roster returns the current version (0: no roster yet) and elders of
	// site, ordered by id.
	Roster(ctx context.Context, site string) (version uint64, elders []eldergate.RosterElder, err error)
	// RosterDelta returns the delta of site from version base (>= 1) to
	// the current version: the elders changed after base (whole, with the
	// current state of their credentials) and the ids removed after base.
	// ErrNotFound when base is 0 or above the current version.
	RosterDelta(ctx context.Context, site string, base uint64) (eldergate.RosterUpdate, error)

	// SiteGateways returns the ids of the gateways of site that are not
	// revoked, ordered.
	SiteGateways(ctx context.Context, site string) ([]string, error)
	// NoteRosterCommand records that roster command id carrying version
	// was queued for gw: the next delta for gw builds on it.
	NoteRosterCommand(ctx context.Context, id, gw string, version uint64, at time.Time) error
	// RosterCommand returns the version a roster command carries; found
	// is false when id is not a roster command.
	RosterCommand(ctx context.Context, id string) (version uint64, found bool, err error)
	// ClaimRosterResult returns true the first time it is called for
	// roster command id, false after (a result may arrive twice; its
	// follow-up runs once).
	ClaimRosterResult(ctx context.Context, id string) (bool, error)
	// ConfirmGatewayRoster records that gw holds version (from the ok
	// result of a roster command). An older confirmation than the stored
	// one is ignored.
	ConfirmGatewayRoster(ctx context.Context, gw string, version uint64, at time.Time) error
	// ResetGatewayRoster forgets what gw was sent and confirmed (it refused
	// a delta): its next roster is a full one.
	ResetGatewayRoster(ctx context.Context, gw string, have uint64) error
	// GatewayRoster returns the roster state of gw (zero when none).
	GatewayRoster(ctx context.Context, gw string) (GatewayRoster, error)
	// ReportGatewayRoster records which roster gw says it runs: from a
	// birth of boot (> 0), applied unless a later boot already reported;
	// or from the ok result of a roster command (boot 0), applied unless
	// a higher version was already reported.
	ReportGatewayRoster(ctx context.Context, gw string, rep eldergate.RosterReport, boot uint64, at time.Time) error
	// GatewayRosters returns the roster state of every gateway that has
	// one, by gateway id.
	GatewayRosters(ctx context.Context) (map[string]GatewayRoster, error)

	// CreatePolicy stores a policy version. The same version with the same
	// body is accepted again (created false); with another body it is
	// ErrConflict.
	CreatePolicy(ctx context.Context, p StoredPolicy) (created bool, err error)
	// Policy returns a policy version, or ErrNotFound.
	Policy(ctx context.Context, version string) (StoredPolicy, error)
	// ListPolicies returns the latest ListLimit policies, newest first,
	// without their bodies.
	ListPolicies(ctx context.Context) ([]StoredPolicy, error)
	// AssignPolicy makes version the policy of site (ErrNotFound when
	// there is no such policy).
	AssignPolicy(ctx context.Context, site, version string, at time.Time) error
	// SitePolicy returns the policy version assigned to site ("" when none).
	SitePolicy(ctx context.Context, site string) (string, error)
}

// RosterChange is the outcome of a roster change.
type RosterChange struct {
	Version  uint64 `json:"version"`  // the site's version after the change
	Previous uint64 `json:"previous"` // before it
	Changed  bool   `json:"changed"`
	Upserted int    `json:"upserted"` // elders added or changed
	Removed  int    `json:"removed"`  // elders taken off
	Elders   int    `json:"elders"`   // elders on the roster now
}

// GatewayRoster is what the cloud knows of the roster a gateway holds.
type GatewayRoster struct {
	GW        string     `json:"gw"`
	Queued    uint64     `json:"queued"`    // version of the last roster command queued
	Confirmed uint64     `json:"confirmed"` // version the gateway confirmed
	At        *time.Time `json:"confirmed_at,omitempty"`
	// Reported is which roster the gateway last said it runs (its birth,
	// or a roster command's result); nil until it said (ADR 0025).
	Reported   *eldergate.RosterReport `json:"reported,omitempty"`
	ReportedAt *time.Time              `json:"reported_at,omitempty"`
}

// Base is the version the gateway's next delta starts from: the version
// last queued to it, or the one it confirmed when none was queued; 0 when
// neither is known (the gateway then needs the full roster).
func (g GatewayRoster) Base() uint64 {
	if g.Queued != 0 {
		return g.Queued
	}
	return g.Confirmed
}

// StoredPolicy is one version of a subsidy policy as the cloud keeps it.
type StoredPolicy struct {
	Version   string    `json:"version"`
	Name      string    `json:"name,omitempty"`
	Body      string    `json:"body,omitempty"` // the YAML or JSON text as uploaded
	SHA256    string    `json:"sha256"`         // hex of Body
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// CarryStates gives the credentials of e that old also holds the state
// they have in old: a new roster file does not bring a lost card back.
func CarryStates(e *eldergate.RosterElder, old eldergate.RosterElder) {
	states := make(map[string]string, len(old.Credentials))
	for _, c := range old.Credentials {
		states[c.Value] = c.State
	}
	for i, c := range e.Credentials {
		if st, ok := states[c.Value]; ok {
			e.Credentials[i].State = st
		}
	}
}

// SetCredentialState gives credential c.Value (of kind c.Kind) of e the
// state c.State. changed is false when it already had it; ErrNotFound
// when e has no such credential.
func SetCredentialState(e *eldergate.RosterElder, c eldergate.Credential) (changed bool, err error) {
	for i, x := range e.Credentials {
		if x.Kind == c.Kind && x.Value == c.Value {
			if x.State == c.State {
				return false, nil
			}
			e.Credentials[i].State = c.State
			return true, nil
		}
	}
	return false, ErrNotFound
}
