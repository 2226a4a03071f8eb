package domain

import (
	"context"
	"time"
)

// ConfigStore keeps the desired configuration of each gateway and what the
// gateway reports it runs.
type ConfigStore interface {
	// SetDesiredConfig stores d as the gateway's next desired version
	// (the previous version + 1, from 1) and queues cmd, the config
	// command carrying it, in the same transaction; cmd.ID is recorded as
	// the version's command. It returns d with Version set.
	SetDesiredConfig(ctx context.Context, d DesiredConfig, cmd Command) (DesiredConfig, error)
	// DesiredConfig returns the latest desired version of gw, or
	// ErrNotFound when none was ever set.
	DesiredConfig(ctx context.Context, gw string) (DesiredConfig, error)
	// RecordDesiredResult records the result of config command commandID
	// of gw on the desired version it carries (matched false when no
	// version has that command). An ok result of the latest version also
	// records its checksum as reported (confirmed before the next birth).
	RecordDesiredResult(ctx context.Context, gw, commandID string, ok bool, errText string, at time.Time) (matched bool, err error)
	// ReportedConfig returns what gw last reported it runs (births, and
	// confirmations by RecordDesiredResult), or ErrNotFound.
	ReportedConfig(ctx context.Context, gw string) (ReportedConfig, error)
	// ConfigStatuses returns the ConfigStatus of every gateway that has a
	// desired configuration, by gateway id.
	ConfigStatuses(ctx context.Context) (map[string]string, error)
}

// DesiredConfig is one version of the configuration the cloud wants a
// gateway to run.
type DesiredConfig struct {
	GW          string     `json:"gw"`
	Version     int64      `json:"version"`
	SHA256      string     `json:"sha256"` // of Body, hex
	Body        string     `json:"body"`   // YAML or JSON text, sent as is
	SetBy       string     `json:"set_by"`
	SetAt       time.Time  `json:"set_at"`
	CommandID   string     `json:"command_id"`
	ResultOK    *bool      `json:"result_ok,omitempty"` // nil until the gateway answered
	ResultError string     `json:"result_error,omitempty"`
	ResultAt    *time.Time `json:"result_at,omitempty"`
}

// ReportedConfig is what a gateway last reported it runs.
type ReportedConfig struct {
	GW            string    `json:"gw"`
	Boot          uint64    `json:"boot"`
	ConfigSHA256  string    `json:"config_sha256"`
	PolicyVersion string    `json:"policy_version"`
	RosterVersion uint64    `json:"roster_version"`
	At            time.Time `json:"at"`
	Source        string    `json:"source"` // ReportedByBirth or ReportedByResult
	// PriceDevices is what the last birth said can price a meal
	// (eldergate.State.PriceDevices); "" when it never said.
	PriceDevices string `json:"price_devices,omitempty"`
}

// Sources of a ReportedConfig.
const (
	ReportedByBirth  = "birth"
	ReportedByResult = "result"
)

// The configuration statuses of a gateway.
const (
	ConfigInSync  = "in_sync" // the gateway reports the desired checksum
	ConfigPending = "pending" // a desired configuration not yet confirmed
	ConfigFailed  = "failed"  // the gateway refused the desired version
	ConfigUnknown = "unknown" // no desired configuration
)

// ConfigStatus derives the status from the latest desired version (nil:
// none) and the reported configuration (nil: never reported).
func ConfigStatus(d *DesiredConfig, r *ReportedConfig) string {
	switch {
	case d == nil:
		return ConfigUnknown
	case r != nil && r.ConfigSHA256 == d.SHA256:
		return ConfigInSync
	case d.ResultOK != nil && !*d.ResultOK:
		return ConfigFailed
	}
	return ConfigPending
}
