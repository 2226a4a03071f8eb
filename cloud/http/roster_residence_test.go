package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
)

// TestRosterImportResidence, on SQLite: a roster file with residence
// columns is imported and the roster command queued to the site's
// gateway carries where each elder lives; a residence that is no
// division code is refused (422) with its row, and nothing is queued.
func TestRosterImportResidence(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	const path = "/api/v1/sites/site-gw-a1/roster/import"
	bad := "编号,姓名,卡号,户籍,居住区,居住街道\nE1,张三明,C0001,否,440307,440307001\nE2,李秀英,C0002,是,龙岗区,\n"
	w := do(f.h, "POST", path, "adm", bad)
	var rep ImportResponse
	if json.Unmarshal(w.Body.Bytes(), &rep); w.Code != http.StatusUnprocessableEntity || len(rep.Report.Problems) != 1 ||
		rep.Report.Problems[0].Row != 3 || rep.Report.Problems[0].Column != "居住区" || !strings.Contains(rep.Report.Problems[0].Message, "not a division code") {
		t.Fatalf("bad residence: %d %s", w.Code, w.Body)
	}
	if cmds, _ := f.st.ListCommands(ctx, "gw-a1"); len(cmds) != 0 {
		t.Fatalf("a refused file queued %+v", cmds)
	}
	good := strings.Replace(bad, "龙岗区", "440307", 1)
	if w := do(f.h, "POST", path, "adm", good); w.Code != http.StatusOK {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	cmds, err := f.st.ListCommands(ctx, "gw-a1")
	if err != nil || len(cmds) != 1 || cmds[0].Type != eldergate.CmdRoster {
		t.Fatalf("roster command: %+v %v", cmds, err)
	}
	var u eldergate.RosterUpdate
	if err := json.Unmarshal(cmds[0].Body, &u); err != nil || u.Validate() != nil || len(u.Elders) != 2 {
		t.Fatalf("roster command body: %+v %v", u, err)
	}
	e1, e2 := u.Elders[0], u.Elders[1]
	if e1.ID != "E1" || e1.HukouLocal || e1.ResidenceDistrict != "440307" || e1.ResidenceStreet != "440307001" ||
		e2.ID != "E2" || !e2.HukouLocal || e2.ResidenceDistrict != "440307" || e2.ResidenceStreet != "" {
		t.Fatalf("pushed elders: %+v / %+v", e1.Elder, e2.Elder)
	}
}
