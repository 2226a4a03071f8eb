package gateway

import (
	"context"

	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/enroll"
	"github.com/eldergate/eldergate/firmware-gateway/sdnotify"
	"github.com/eldergate/eldergate/firmware-gateway/staffauth"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// The names of the gateway's public API that live in its subsystems.

// Configuration (package config).
type (
	Config        = config.Config
	MQTTConfig    = config.MQTTConfig
	DevicesConfig = config.DevicesConfig
	DeviceConfig  = config.DeviceConfig
	StoreConfig   = config.StoreConfig
	StaffConfig   = config.StaffConfig
	Credentials   = config.Credentials
)

// Driver names.
const (
	DriverSim  = config.DriverSim
	DriverNone = config.DriverNone
)

// CredentialsFileName is the credentials file `eldergate-gateway enroll`
// writes into the data directory; BrokerCAFileName is the broker's CA
// certificate beside it (only when the cloud sent one).
const (
	CredentialsFileName = config.CredentialsFileName
	BrokerCAFileName    = config.BrokerCAFileName
)

// LoadConfig reads, completes with defaults and validates a configuration
// file. A relative roster_file is taken relative to the file's directory.
func LoadConfig(path string) (Config, error) { return config.Load(path) }

// ParseConfig decodes a YAML configuration, applies the defaults and
// validates it. Unknown keys are errors. It does not read roster_file.
func ParseConfig(data []byte) (Config, error) { return config.Parse(data) }

// LoadCredentials reads a credentials file (mode 0600 only).
func LoadCredentials(path string) (Credentials, error) { return config.LoadCredentials(path) }

// WriteCredentials writes c (and caPEM) into dir with mode 0600.
func WriteCredentials(dir string, c Credentials, caPEM string) (string, error) {
	return config.WriteCredentials(dir, c, caPEM)
}

// Enrollment (package enroll).
type EnrollRequest = enroll.Request

// Enroll trades a one-time token for this gateway's broker credentials.
func Enroll(ctx context.Context, req EnrollRequest) (Credentials, string, error) {
	return enroll.Enroll(ctx, req)
}

// ParseEnrollLink splits an eldergate://enroll?cloud=URL&token=T link.
func ParseEnrollLink(link string) (cloudURL, token string, err error) { return enroll.ParseLink(link) }

// The kiosk's events (packages tapdesk and alarms).
type (
	TapEvent        = tapdesk.TapEvent
	WeightEvent     = tapdesk.WeightEvent
	UnknownCardData = tapdesk.UnknownCardData
	AlertEvent      = alarms.AlertEvent
)

// SSE event names.
const (
	EventTap    = tapdesk.EventTap
	EventWeight = tapdesk.EventWeight
	EventAlert  = alarms.EventAlert
)

// Reasons of refusals from the gateway itself.
const (
	ReasonSystemError = tapdesk.ReasonSystemError
	ReasonDiskFull    = tapdesk.ReasonDiskFull
)

// HashPIN returns the bcrypt hash of a staff PIN for the configuration.
func HashPIN(pin string) (string, error) { return staffauth.HashPIN(pin) }

// Notifier speaks systemd's notify protocol (package sdnotify).
type Notifier = sdnotify.Notifier

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through
// getenv; see sdnotify.New.
func NewNotifier(getenv func(string) string, pid int) (*Notifier, error) {
	return sdnotify.New(getenv, pid)
}
