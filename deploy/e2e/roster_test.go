package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
)

// send calls the API with a raw body and decodes the JSON answer into out.
func send(t *testing.T, method, url, contentType string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

// confirmedImport imports a roster file the way the console does when the
// preview asks for a confirmation: a dry run for the preview, then the
// import with its token. It returns the preview and the import's answer.
func confirmedImport(t *testing.T, importURL, contentType string, body []byte, out *cloudhttp.ImportResponse) (*domain.RosterPreview, int) {
	t.Helper()
	var pv cloudhttp.ImportResponse
	if code := send(t, http.MethodPost, importURL+"?dry_run=true", contentType, body, &pv); code != http.StatusOK || pv.Preview == nil {
		t.Fatalf("preview: %d %+v", code, pv)
	}
	return pv.Preview, send(t, http.MethodPost, importURL+"?confirm="+url.QueryEscape(pv.Preview.Token), contentType, body, out)
}

// rosterRows returns the header and n elders E01.. with cards R0001..;
// name overrides the name of elder 2 when set.
func rosterRows(n int, name2 string) [][]string {
	rows := [][]string{{"编号", "姓名", "卡号", "类别"}}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("老人%d", i)
		if i == 2 && name2 != "" {
			name = name2
		}
		rows = append(rows, []string{fmt.Sprintf("E%02d", i), name, fmt.Sprintf("R%04d", i), "低保"})
	}
	return rows
}

func csvOf(rows [][]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	return []byte(b.String())
}

func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j := range r {
			cells[j] = r[j]
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rosterCommand(t *testing.T, base, id string) eldergate.RosterUpdate {
	t.Helper()
	c := commandByID(t, base, id)
	var u eldergate.RosterUpdate
	if err := json.Unmarshal(c.Body, &u); err != nil {
		t.Fatalf("roster command body: %v", err)
	}
	return u
}

func succeeded(t *testing.T, base, id string) {
	t.Helper()
	eventually(t, 10*time.Second, "command "+id+" answered", answered(t, base, id))
	if c := commandByID(t, base, id); c.OK == nil || !*c.OK {
		t.Fatalf("command %s: %+v", id, c)
	}
}

// TestRosterAndPolicyEmbeddedBroker: a roster file with bad rows is
// refused whole with the rows named; the fixed file reaches the gateway
// and its cards are approved; a card marked lost is refused at the
// gateway within seconds; an XLSX changing one elder is sent as a
// one-elder delta; an invalid policy is refused, a valid one reaches the
// gateway and its version is on the next meal.
func TestRosterAndPolicyEmbeddedBroker(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	base := env.c.HTTPURL()
	g := startGateway(t, env.c.BrokerURL(), roster(1))
	events := subscribe(t, g.HTTPURL())
	importURL := base + "/api/v1/sites/" + siteID + "/roster/import"
	// A command published between the gateway's birth and its
	// subscription is only re-sent at the next birth: wait until a ping
	// is answered, so the gateway is subscribed.
	succeeded(t, base, queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 30}))

	// 12 elders, two bad rows: row 3 (elder 2) without name, row 7
	// (elder 6) with the card of row 2.
	rows := rosterRows(12, "")
	rows[2][1] = ""
	rows[6][2] = "R0001"
	var imp cloudhttp.ImportResponse
	if code := send(t, http.MethodPost, importURL, "text/csv", csvOf(rows), &imp); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: status %d %+v", code, imp)
	}
	if imp.Report.Count != 2 || imp.Report.Problems[0].Row != 3 || imp.Report.Problems[0].Column != "姓名" ||
		imp.Report.Problems[1].Row != 7 || !strings.Contains(imp.Report.Problems[1].Message, "row 2 (elder E01) and row 7 (elder E06)") {
		t.Fatalf("report: %+v", imp.Report)
	}
	var rv cloudhttp.RosterView
	if code := api(t, http.MethodGet, base+"/api/v1/sites/"+siteID+"/roster", &rv); code != http.StatusOK || rv.Version != 0 || rv.Count != 0 {
		t.Fatalf("roster after a refused file: %d %+v", code, rv)
	}

	// The fixed file: the gateway runs its configuration's seed, which
	// the cloud's first roster replaces: refused until confirmed.
	imp = cloudhttp.ImportResponse{}
	if code := send(t, http.MethodPost, importURL, "text/csv", csvOf(rosterRows(12, "")), &imp); code != http.StatusConflict || imp.Code != cloudhttp.ImportConfirmNeeded {
		t.Fatalf("good file over the gateway's seed, unconfirmed: status %d %+v", code, imp)
	}
	imp = cloudhttp.ImportResponse{}
	pv, code := confirmedImport(t, importURL, "text/csv", csvOf(rosterRows(12, "")), &imp)
	if len(pv.Gateways) != 1 || !pv.Gateways[0].ReplacesLocal || pv.Gateways[0].Reported.Elders != 1 {
		t.Fatalf("preview: %+v", pv)
	}
	if code != http.StatusOK || imp.Change == nil || imp.Change.Version != 1 || len(imp.Commands) != 1 {
		t.Fatalf("good file: status %d %+v", code, imp)
	}
	if u := rosterCommand(t, base, imp.Commands[0]); u.Mode != eldergate.RosterFull || len(u.Elders) != 12 {
		t.Fatalf("first roster command: mode %s, %d elders", u.Mode, len(u.Elders))
	}
	succeeded(t, base, imp.Commands[0])
	if code := api(t, http.MethodGet, base+"/api/v1/sites/"+siteID+"/roster", &rv); code != http.StatusOK || rv.Version != 1 || rv.Count != 12 ||
		rv.Elders[0].Name != "老*1" || rv.Elders[0].Credentials[0].Value != "*0001" {
		t.Fatalf("roster: %d %+v", code, rv)
	}
	if r := tap(t, g, events, "R0001"); r.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap of an imported card: %+v", r)
	}
	if r := tap(t, g, events, "C0001"); r.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("tap of a card of the configuration's roster after the cloud's roster: %+v", r)
	}
	eventually(t, 5*time.Second, "gateway roster confirmed", func() bool {
		gr, err := env.c.Store().GatewayRoster(t.Context(), gwID)
		return err == nil && gr.Confirmed == 1
	})

	// Lost card: refused at the gateway within seconds.
	start := time.Now()
	var st cloudhttp.CredentialStateResponse
	b, _ := json.Marshal(eldergate.Credential{Kind: "card", Value: "r0003", State: "lost"})
	if code := send(t, http.MethodPost, base+"/api/v1/sites/"+siteID+"/elders/E03/credentials/state", "application/json", b, &st); code != http.StatusOK ||
		st.Change.Version != 2 || len(st.Commands) != 1 {
		t.Fatalf("lost: %d %+v", code, st)
	}
	if u := rosterCommand(t, base, st.Commands[0]); u.Mode != eldergate.RosterDelta || u.Base != 1 || len(u.States) != 1 || len(u.Elders) != 0 {
		t.Fatalf("lost card delta: %+v", u)
	}
	eventually(t, 2*time.Second, "lost card delta answered", answered(t, base, st.Commands[0]))
	applied := time.Since(start)
	r := tap(t, g, events, "R0003")
	delay := time.Since(start)
	if r.Decision != eldergate.DecisionRefused || r.Reason != eldergate.ReasonCardLost || delay > 2*time.Second {
		t.Fatalf("tap of the lost card %v after the API call: %+v", delay, r)
	}
	t.Logf("lost card: delta applied and answered %v after the API call; tap refused (card_lost) %v after it", applied.Round(time.Millisecond), delay.Round(time.Millisecond))

	// XLSX changing one elder: a one-elder delta.
	imp = cloudhttp.ImportResponse{}
	if code := send(t, http.MethodPost, importURL, "application/octet-stream", xlsxOf(t, rosterRows(12, "新名字")), &imp); code != http.StatusOK ||
		imp.Change.Version != 3 || imp.Change.Upserted != 1 || len(imp.Commands) != 1 {
		t.Fatalf("xlsx: %d %+v", code, imp)
	}
	u := rosterCommand(t, base, imp.Commands[0])
	if u.Mode != eldergate.RosterDelta || u.Base != 2 || u.Version != 3 || len(u.Elders) != 1 || u.Elders[0].ID != "E02" || len(u.Remove) != 0 {
		t.Fatalf("xlsx delta: %+v", u)
	}
	succeeded(t, base, imp.Commands[0])
	time.Sleep(1100 * time.Millisecond) // past the gateway's tap dedupe of R0003
	if r := tap(t, g, events, "R0003"); r.Reason != eldergate.ReasonCardLost {
		t.Fatalf("lost card after a re-import that lists it: %+v", r)
	}

	// Policies.
	p := allDay()
	p.Version = "e2e-2"
	good, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(good, []byte(`"Asia/Shanghai"`), []byte(`"Mars/Olympus"`), 1)
	var eb cloudhttp.ErrorBody
	if code := send(t, http.MethodPost, base+"/api/v1/policies", "application/json", bad, &eb); code != http.StatusBadRequest || !strings.Contains(eb.Error, "time_zone") {
		t.Fatalf("invalid policy: %d %+v", code, eb)
	}
	var sp domain.StoredPolicy
	if code := send(t, http.MethodPost, base+"/api/v1/policies", "application/json", good, &sp); code != http.StatusCreated || sp.Version != "e2e-2" {
		t.Fatalf("policy: %d %+v", code, sp)
	}
	var ar cloudhttp.AssignPolicyResponse
	ab, _ := json.Marshal(cloudhttp.AssignPolicyRequest{Version: "e2e-2"})
	if code := send(t, http.MethodPut, base+"/api/v1/sites/"+siteID+"/policy", "application/json", ab, &ar); code != http.StatusAccepted || len(ar.Commands) != 1 {
		t.Fatalf("assign: %d %+v", code, ar)
	}
	succeeded(t, base, ar.Commands[0])
	tr := tap(t, g, events, "R0005")
	if tr.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap after the policy: %+v", tr)
	}
	eventually(t, 10*time.Second, "meal with policy e2e-2 in the cloud", func() bool {
		meals, err := env.c.Store().ListMeals(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range meals {
			if m.EventID == tr.EventID {
				return m.PolicyVer == "e2e-2"
			}
		}
		return false
	})
}
