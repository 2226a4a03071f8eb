package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// systemd-dropin prints the drop-in for the packaged configuration, and
// refuses a configuration that does not load with exit code 2.
func TestSystemdDropInCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runSystemdDropIn([]string{"--config", filepath.Join("..", "..", "..", "deploy", "packaging", "etc", "gateway.yaml")}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\nDeviceAllow=\nDeviceAllow=char-ttyUSB rw\nSupplementaryGroups=\nSupplementaryGroups=dialout\n") {
		t.Errorf("drop-in:\n%s", out.String())
	}
	bad := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(bad, []byte("gateway_id: gw-1\ndevices:\n  card: {driver: nosuch}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := runSystemdDropIn([]string{"--config", bad}, &out, &errb)
	if exitCode(err, &errb) != 2 || out.Len() != 0 {
		t.Errorf("bad configuration: err %v, output %q", err, out.String())
	}
	if exitCode(runSystemdDropIn(nil, &out, &errb), &errb) != 2 {
		t.Error("missing --config accepted")
	}
}
