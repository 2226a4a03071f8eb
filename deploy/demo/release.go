package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/release"
)

// The demo's over-the-air update (docs/adr/0030-releases-in-the-cloud.md):
// a release key made at the first start (in the data folder: a demo
// only; a real release key stays offline), its public key in the cloud's
// release_keys, and one signed release of the demo gateway's own binary
// for this machine's platform, so that the console's Releases page and
// the gateway page's update section have something to show. The demo
// gateway is not given the key: an update started from the console is
// refused by it, and the cloud shows that refusal with its cause.

// demoReleaseKey returns the demo's release public key, made once under
// data/release-key.
func demoReleaseKey(data string) (ed25519.PublicKey, string, error) {
	dir := filepath.Join(data, "release-key")
	priv := filepath.Join(dir, release.PrivateKeyFile)
	if _, err := os.Stat(priv); errors.Is(err, os.ErrNotExist) {
		if _, _, _, err := release.Keygen(dir); err != nil {
			return nil, "", fmt.Errorf("release key: %w", err)
		}
	}
	k, err := release.ReadPrivateKey(priv)
	if err != nil {
		return nil, "", fmt.Errorf("release key: %w", err)
	}
	return k.Public().(ed25519.PublicKey), priv, nil
}

// demoPlatform is this machine's platform as releases name it, "" when
// eldergate builds no gateway for it.
func demoPlatform() string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOARCH == "arm" {
		p += "/v7"
	}
	if !eldergate.ValidPlatform(p) {
		return ""
	}
	return p
}

// seedRelease signs the demo gateway's binary as release "demo-next" and
// uploads it; uploaded before (a demo run again on its data), it is left.
func seedRelease(ctx context.Context, bin, privPath, consoleURL, token string) error {
	platform := demoPlatform()
	if platform == "" {
		return nil // e.g. macOS: no gateway release to show
	}
	priv, err := release.ReadPrivateKey(privPath)
	if err != nil {
		return err
	}
	art := filepath.Join(bin, "eldergate-gateway")
	b, _, err := release.SignFile(priv, art, "demo-next", "demo-next", platform, "eldergate-gateway", time.Now())
	if err != nil {
		return fmt.Errorf("demo release: %w", err)
	}
	_, err = release.Upload(ctx, &http.Client{Timeout: 2 * time.Minute}, consoleURL, token, art, b.Marshal())
	if err != nil && !strings.Contains(err.Error(), "409") {
		return fmt.Errorf("demo release: %w", err)
	}
	return nil
}

func b64(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) }
