package config

import (
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
)

// TillConfig configures prices rung up at a till, for windows of the
// policy that have neither a fixed price nor a price by weight.
type TillConfig struct {
	// Tokens maps a till id to the secret it sends as
	// "Authorization: Bearer SECRET" to POST /api/till/amount. No tokens:
	// the endpoint refuses every request (a cashier may still key amounts).
	Tokens map[string]string `yaml:"tokens"`
	// Timeout is how long an amount waits for a tap, or a tap for its
	// amount; default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxFen is the largest acceptable amount; default 20000 (200 yuan).
	MaxFen eldergate.Fen `yaml:"max_fen"`
}

// Till defaults and limits.
const (
	DefaultTillTimeout = 60 * time.Second
	DefaultTillMaxFen  = eldergate.Fen(20000)
	MinTillTokenLen    = 16
	maxTillIDLen       = 64
	maxTillTimeout     = 30 * time.Minute
	maxTillMaxFen      = eldergate.Fen(10_000_000)
)

func (t *TillConfig) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = DefaultTillTimeout
	}
	if t.MaxFen == 0 {
		t.MaxFen = DefaultTillMaxFen
	}
}

func (t *TillConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: till."+format, args...)
	}
	if t.Timeout < time.Second || t.Timeout > maxTillTimeout {
		return bad("timeout %v: must be between 1s and %v", t.Timeout, maxTillTimeout)
	}
	if t.MaxFen < 1 || t.MaxFen > maxTillMaxFen {
		return bad("max_fen %d: must be between 1 and %d", int64(t.MaxFen), int64(maxTillMaxFen))
	}
	seen := map[string]string{}
	for id, tok := range t.Tokens {
		switch {
		case id == "" || len(id) > maxTillIDLen:
			return bad("tokens: till id %q: must be 1 to %d bytes", id, maxTillIDLen)
		case len(tok) < MinTillTokenLen:
			return bad("tokens.%s: the token must be at least %d characters (e.g. openssl rand -hex 16)", id, MinTillTokenLen)
		case seen[tok] != "":
			return bad("tokens.%s: same token as till %s; each till needs its own", id, seen[tok])
		}
		seen[tok] = id
	}
	return nil
}
