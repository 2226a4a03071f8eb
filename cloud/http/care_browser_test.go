package cloudhttp

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
)

// TestCareConsoleBrowser runs the browser test of the console's Care
// visits tab (deploy/e2e/browser/care.test.mjs) against careFixture:
// the real handler on SQLite with the fixture's clock, served on a local
// port. The demo has no four weeks of meals to flag anyone, hence this
// fixture. Skipped unless EG_CARE_BROWSER holds the command, run from
// the repository root with EG_CONSOLE_URL, EG_TOKEN, EG_USER and EG_PASSWORD set, e.g.
//
//	EG_CARE_BROWSER="node deploy/e2e/browser/care.test.mjs" go test -run TestCareConsoleBrowser ./cloud/http
func TestCareConsoleBrowser(t *testing.T) {
	cmdline := os.Getenv("EG_CARE_BROWSER")
	if cmdline == "" {
		t.Skip("EG_CARE_BROWSER not set")
	}
	f := careFixture(t)
	addUser(t, f.st, "admin", domain.RoleAdmin, "", testPW) // the console signs in as a person
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "EG_CONSOLE_URL="+srv.URL, "EG_TOKEN=adm", "EG_USER=admin", "EG_PASSWORD="+testPW)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s: %v", cmdline, err)
	}
}
