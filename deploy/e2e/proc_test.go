package e2e

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// buildGateway builds the gateway command (testenv.BuildGateway).
func buildGateway(t testing.TB) string { return testenv.BuildGateway(t) }

// procConfig is the configuration file of a gateway process: simulated
// devices, the demo endpoints, a policy covering the whole day and a roster
// file of elders, each with one card.
func writeProcConfig(t testing.TB, dir, brokerURL string, elders []eldergate.Elder) string {
	t.Helper()
	roster, err := yaml.Marshal(elders)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roster.yaml"), roster, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"gateway_id":  gwID,
		"site":        siteID,
		"data_dir":    filepath.Join(dir, "data"),
		"http_addr":   "127.0.0.1:0",
		"simulation":  true,
		"tap_dedupe":  "1s",
		"policy":      allDay(),
		"roster_file": "roster.yaml",
		"mqtt": map[string]any{
			"url":         brokerURL,
			"password":    gwSecret,
			"batch_wait":  "20ms",
			"ack_timeout": "2s",
			"keepalive":   "5s",
		},
	}
	body, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gwProc is one eldergate-gateway process owned by a test.
type gwProc = testenv.GatewayProc

// startProc runs `eldergate-gateway run --config cfg` and waits until it
// serves HTTP.
func startProc(t testing.TB, bin, cfg string) *gwProc { return testenv.StartGatewayProc(t, bin, cfg) }

func openRO(t testing.TB, path string) *sql.DB { return testenv.OpenRO(t, path) }

func integrityCheck(t testing.TB, path string) { testenv.IntegrityCheck(t, path) }

func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	return testenv.QueryStrings(t, db, q, args...)
}
