package config

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"time"

	"github.com/eldergate/eldergate"
)

// UpdateConfig configures the over-the-air updates (package update,
// docs/adr/0029-signed-updates-commit-on-health.md). It is local-only: a
// config command cannot change whom the gateway trusts.
type UpdateConfig struct {
	// CloudURL is the https:// base URL of the cloud that artifact paths
	// are resolved against; default: the cloud the gateway enrolled with
	// (cloud_url of the credentials file).
	CloudURL string `yaml:"cloud_url"`
	// CAFile is the PEM CA bundle of the cloud's HTTPS certificate;
	// default mqtt.ca_file; empty: the system's roots.
	CAFile string `yaml:"ca_file"`
	// PublicKeys are the trusted release keys, base64 ed25519 (as printed
	// by `eldergate-cloud release keygen`). Without any, every update is
	// refused.
	PublicKeys []string `yaml:"public_keys"`
	// RetryInterval is how often a deferred install (meal window, open
	// alarm) looks again, and caps the wait between download attempts
	// (default 1m, between 1s and 1h).
	RetryInterval time.Duration `yaml:"retry_interval"`
}

func (u *UpdateConfig) applyDefaults() {
	if u.RetryInterval == 0 {
		u.RetryInterval = time.Minute
	}
}

// Keys parses the trusted release keys.
func (u UpdateConfig) Keys() ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for i, s := range u.PublicKeys {
		k, err := eldergate.ParseReleaseKey(s)
		if err != nil {
			return nil, fmt.Errorf("gateway: config: update.public_keys[%d]: %w", i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (u UpdateConfig) validate() error {
	if u.CloudURL != "" {
		p, err := url.Parse(u.CloudURL)
		if err != nil || p.Scheme != "https" || p.Host == "" {
			return fmt.Errorf("gateway: config: update.cloud_url %q: must be https://host[:port] (updates come over HTTPS only)", u.CloudURL)
		}
	}
	if _, err := u.Keys(); err != nil {
		return err
	}
	if u.RetryInterval < time.Second || u.RetryInterval > time.Hour {
		return fmt.Errorf("gateway: config: update.retry_interval %v: must be between 1s and 1h", u.RetryInterval)
	}
	return nil
}
