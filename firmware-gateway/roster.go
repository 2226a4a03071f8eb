package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// rosterKeyFile holds the generated roster key when roster_key is not set.
const rosterKeyFile = "roster.key"

// rosterKey returns the key of the resident ID hash: roster_key from the
// configuration or, when it is empty, a random key generated once and
// kept in data_dir. Hashes made with a generated key are valid on this
// gateway only, which is all the gateway needs: the cloud sends plain
// numbers over TLS and the gateway hashes them before storing.
func (g *Gateway) rosterKey() ([]byte, error) {
	if g.cfg.RosterKey != "" {
		return hex.DecodeString(g.cfg.RosterKey) // checked by Validate
	}
	path := filepath.Join(g.cfg.DataDir, rosterKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < sqlite.MinRosterKeyBytes {
			return nil, fmt.Errorf("gateway: %s is not a hex key of at least %d bytes", path, sqlite.MinRosterKeyBytes)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("gateway: roster key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("gateway: roster key: %w", err)
	}
	if err := atomicfile.Write(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("gateway: roster key: %w", err)
	}
	g.log.Warn("gateway: roster_key is not set: generated a key in data_dir; resident ID hashes are valid on this gateway only", "file", path)
	return k, nil
}

// setupRoster sets the store's roster key and seeds the roster from the
// configuration while the roster has never been synced from the cloud.
// Once the cloud has sent a roster, the configuration's roster is ignored:
// it would bring back cards the cloud removed.
func (g *Gateway) setupRoster(ctx context.Context) error {
	key, err := g.rosterKey()
	if err != nil {
		return err
	}
	if err := g.store.SetRosterKey(ctx, key); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	info, err := g.store.RosterInfo(ctx)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if info.Version != 0 {
		if len(g.cfg.Roster) > 0 {
			g.log.Info("gateway: roster from the configuration ignored: the cloud's roster is loaded", "roster_version", info.Version, "elders", info.Elders)
		}
		return nil
	}
	if err := g.store.SeedElders(ctx, g.cfg.Roster); err != nil {
		return fmt.Errorf("gateway: seed roster: %w", err)
	}
	if len(g.cfg.Roster) > 0 && len(g.cfg.MQTT.Brokers()) > 0 {
		// The seed is for a gateway without a cloud (ADR 0025): reported
		// as source "local" until the cloud's roster replaces it.
		g.log.Info("gateway: running the configuration's roster seed until the cloud sends the site's roster", "elders", len(g.cfg.Roster))
	}
	return nil
}

// applyRoster applies the body of a roster command. A delta on another
// version than the gateway's is refused with a body naming the version the
// gateway has, so that the cloud sends a full roster.
func (g *Gateway) applyRoster(ctx context.Context, body json.RawMessage) (any, error) {
	u, err := eldergate.DecodeRosterUpdate(body)
	if err != nil {
		return nil, fmt.Errorf("gateway: roster: %w", err)
	}
	res, err := g.store.ApplyRoster(ctx, u, g.now())
	var ve *sqlite.RosterVersionError
	if errors.As(err, &ve) {
		return map[string]any{"version": ve.Have, "full_roster_needed": true}, err
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: roster: %w", err)
	}
	g.log.Info("gateway: roster applied", "mode", u.Mode, "version", res.Version, "elders", res.Elders,
		"upserted", res.Upserted, "removed", res.Removed, "states_changed", res.StatesChanged, "already_applied", res.AlreadyApplied)
	return res, nil
}
