package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// DynsecPlugin is Debian's path of Mosquitto's dynamic-security plugin.
const DynsecPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"

// StartMosquittoDynsec starts mosquitto on a random loopback port with the
// dynamic-security plugin, its state file initialised by
// `mosquitto_ctrl dynsec init` with one admin (adminUser/adminPass, allowed
// on $CONTROL/dynamic-security/#) and no other client; no anonymous access.
// It is stopped when the test ends.
func StartMosquittoDynsec(t testing.TB, adminUser, adminPass string) *Mosquitto {
	t.Helper()
	bin := mosquittoBin(t)
	if _, err := os.Stat(DynsecPlugin); err != nil {
		t.Fatalf("testenv: dynamic-security plugin missing (make test installs mosquitto): %v", err)
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "dynamic-security.json")
	if out, err := exec.Command("mosquitto_ctrl", "dynsec", "init", state, adminUser, adminPass).CombinedOutput(); err != nil {
		t.Fatalf("testenv: mosquitto_ctrl dynsec init: %v: %s", err, out)
	}
	return launch(t, bin, dir, fmt.Sprintf("plugin %s\nplugin_opt_config_file %s\n", DynsecPlugin, state), "", "tcp")
}
