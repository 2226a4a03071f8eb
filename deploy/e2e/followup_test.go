package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestFollowUpsOnStandaloneIngester (issue 9): `serve` does not ingest
// (cloud.Config.NoIngest) and only one standalone `eldergate-cloud
// ingest` process takes the gateway's messages, behind a real Mosquitto,
// both on one SQLite store. A pushed configuration becomes in_sync with
// the gateway's result recorded on the desired version (only the
// follow-up records it: a birth reports a checksum, never a result); a
// replacement gateway on an empty data dir, born on its local seed, is
// sent the site's full roster at its birth, and the next delta applies
// (its lost card is refused).
func TestFollowUpsOnStandaloneIngester(t *testing.T) {
	m := testenv.StartMosquitto(t, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
	cfg := cloudConfig(t, m.URL)
	cfg.NoIngest = true
	env := startCloud(t, cfg)
	base := env.c.HTTPURL()
	testenv.StartIngestProc(t, testenv.BuildCloud(t), "--broker", m.URL, "--broker-user", "eldergate-cloud",
		"--broker-password", cloudPW, "--data", cfg.DataDir, "--client-id", "eg-cloud-ingest-e2e")
	start := time.Now()

	dir := t.TempDir()
	g := startGatewayIn(t, dir, m.URL)
	eventually(t, 10*time.Second, "the gateway's birth (applied by the standalone ingester)", func() bool {
		return getConfig(t, base).Reported != nil
	})
	succeeded(t, base, queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 30}))

	// A pushed configuration: in_sync, with the result on the version.
	gcfg := desiredGatewayConfig(dir, "")
	gcfg.TapDedupe = 3 * time.Second
	body := pushable(t, gcfg)
	sum := sha256.Sum256([]byte(body))
	if code, v := putConfig(t, base, body); code != http.StatusAccepted || v.Desired == nil || v.Desired.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("PUT config: %d %+v", code, v)
	}
	eventually(t, 10*time.Second, "in_sync with the gateway's result recorded", func() bool {
		v := getConfig(t, base)
		return v.Status == domain.ConfigInSync && v.LastResult != nil && v.LastResult.OK != nil && *v.LastResult.OK
	})
	t.Logf("configuration in sync %v after the gateway started", time.Since(start).Round(time.Millisecond))

	// A roster: full version 1, confirmed.
	importURL := base + "/api/v1/sites/" + siteID + "/roster/import"
	var imp cloudhttp.ImportResponse
	if _, code := confirmedImport(t, importURL, "text/csv", csvOf(rosterRows(4, "")), &imp); code != http.StatusOK || len(imp.Commands) != 1 {
		t.Fatalf("roster import: %d %+v", code, imp)
	}
	succeeded(t, base, imp.Commands[0])
	eventually(t, 10*time.Second, "roster version 1 confirmed", func() bool {
		gr, err := env.c.Store().GatewayRoster(t.Context(), gwID)
		return err == nil && gr.Confirmed == 1
	})

	// A replacement gateway on an empty data dir runs its configuration's
	// seed and says so in its birth: the standalone ingester's follow-up
	// sends it the site's full roster at once (ADR 0025; before issue 13
	// it waited for the next delta to be refused with full_roster_needed,
	// a path cloud/followup's tests still cover), so the next delta applies.
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	bornAt := time.Now()
	g = startGatewayIn(t, t.TempDir(), m.URL)
	// fulls lists the full roster commands of version 1.
	fulls := func() (ids []string, ok bool) {
		var list []cloudhttp.CommandView
		if code := api(t, http.MethodGet, base+"/api/v1/gateways/"+gwID+"/commands", &list); code != http.StatusOK {
			t.Fatalf("list commands: %d", code)
		}
		for _, c := range list {
			var u eldergate.RosterUpdate
			if c.Type == eldergate.CmdRoster && json.Unmarshal(c.Body, &u) == nil && u.Mode == eldergate.RosterFull && u.Version == 1 {
				ids = append(ids, c.ID)
				ok = ok || (c.OK != nil && *c.OK)
			}
		}
		return ids, ok
	}
	eventually(t, 15*time.Second, "the full roster sent at the replacement's birth answered ok", func() bool {
		_, ok := fulls()
		return ok
	})
	time.Sleep(500 * time.Millisecond) // the birth reaches the ingester once; a full roster once
	if ids, _ := fulls(); len(ids) != 2 {
		t.Fatalf("full rosters of version 1: %v, want the first gateway's and one at the replacement's birth", ids)
	}
	eventually(t, 5*time.Second, "the replacement reported on the cloud's roster", func() bool {
		gr, err := env.c.Store().GatewayRoster(t.Context(), gwID)
		return err == nil && gr.Reported != nil && gr.Reported.Source == eldergate.RosterSourceCloud && gr.Reported.Version == 1 && gr.Reported.Elders == 4
	})
	t.Logf("replacement gateway on the cloud's roster %v after it started", time.Since(bornAt).Round(time.Millisecond))
	var st cloudhttp.CredentialStateResponse
	b, _ := json.Marshal(eldergate.Credential{Kind: "card", Value: "r0003", State: "lost"})
	if code := send(t, http.MethodPost, base+"/api/v1/sites/"+siteID+"/elders/E03/credentials/state", "application/json", b, &st); code != http.StatusOK || len(st.Commands) != 1 {
		t.Fatalf("lost card: %d %+v", code, st)
	}
	eventually(t, 10*time.Second, "the lost card's delta applied", func() bool {
		c := commandByID(t, base, st.Commands[0])
		return c.OK != nil && *c.OK
	})
	events := subscribe(t, g.HTTPURL())
	if r := tap(t, g, events, "R0003"); r.Decision != eldergate.DecisionRefused || r.Reason != eldergate.ReasonCardLost {
		t.Fatalf("tap of the lost card after the full roster: %+v", r)
	}
	if r := tap(t, g, events, "R0001"); r.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap of a roster card after the full roster: %+v", r)
	}
}
