package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
	"github.com/eldergate/eldergate/firmware-gateway/update"
)

// What the gateway reports it runs, in its birth message: the SHA-256 of
// the configuration body last applied from a config command, the policy
// version, the roster (its version, and which roster it is: the cloud's or
// the configuration's seed, with its size) and the menu version. The cloud compares the first with the
// desired configuration it pushed.

// configSHAFile, in data_dir, holds the SHA-256 (hex) of the body of the
// config command whose configuration is in config.AppliedFile.
const configSHAFile = "config.applied.sha256"

// configSHA returns the SHA-256 (hex) of a config command's body text.
func configSHA(text []byte) string {
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:])
}

// reported is the uplink's Reported: the reported fields of the birth.
func (g *Gateway) reported() eldergate.State {
	g.mu.Lock()
	st := eldergate.State{ConfigSHA256: g.configSHA}
	g.mu.Unlock()
	st.Platform = update.Platform() // what a release must be built for (ota.go)
	run := g.running()
	st.PolicyVersion = run.Policy.Version
	st.PriceDevices = run.PriceDevices() // ADR 0026: the cloud refuses a policy needing a device the site lacks
	st.MenuVersion = g.menuVersion()     // menu.go
	if g.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if info, err := g.store.RosterInfo(ctx); err != nil {
			g.log.Warn("gateway: roster version not reported", "err", err)
		} else {
			st.RosterVersion = info.Version
			rep := info.Report()
			st.Roster = &rep
		}
	}
	return st
}

// loadConfigSHA reads configSHAFile; "" when it is missing or malformed.
func (g *Gateway) loadConfigSHA() string {
	b, err := os.ReadFile(filepath.Join(g.cfg.DataDir, configSHAFile))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	sha := strings.TrimSpace(string(b))
	if err != nil || len(sha) != sha256.Size*2 {
		g.log.Error("gateway: applied configuration checksum unreadable, reported as none", "err", err)
		return ""
	}
	if _, err := hex.DecodeString(sha); err != nil || strings.ToLower(sha) != sha {
		g.log.Error("gateway: applied configuration checksum malformed, reported as none")
		return ""
	}
	return sha
}

// setConfigSHA persists sha ("" removes the file) and reports it from now on.
func (g *Gateway) setConfigSHA(sha string) error {
	path := filepath.Join(g.cfg.DataDir, configSHAFile)
	var err error
	if sha == "" {
		if err = os.Remove(path); errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	} else {
		err = atomicfile.Write(path, []byte(sha+"\n"), 0o600)
	}
	if err != nil {
		return fmt.Errorf("gateway: persist config checksum: %w", err)
	}
	g.mu.Lock()
	g.configSHA = sha
	g.mu.Unlock()
	return nil
}

// currentConfigSHA returns the reported configuration checksum.
func (g *Gateway) currentConfigSHA() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.configSHA
}

// rebirthIfChanged publishes a fresh birth when what the gateway reports
// differs from before (the cloud learns the new configuration without
// waiting for a reconnect). Offline, the next connect's birth carries it.
func (g *Gateway) rebirthIfChanged(before eldergate.State) {
	if g.up == nil {
		return
	}
	if g.reported().Same(before) {
		return
	}
	if err := g.up.PublishBirth(); err != nil {
		g.log.Debug("gateway: fresh birth not published now, the next connect sends it", "err", err)
	}
}
