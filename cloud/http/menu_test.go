package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// sentCommands records the commands handed to the sender.
type sentCommands struct {
	mu  sync.Mutex
	ids []string
}

func (s *sentCommands) SendCommand(_ context.Context, c domain.Command) {
	s.mu.Lock()
	s.ids = append(s.ids, c.ID)
	s.mu.Unlock()
}

const menuBody = `{"dishes":[
	{"id":"rice","name":{"zh-CN":"米饭","zh-HK":"白飯","en":"Rice"},"price_fen":100},
	{"id":"egg","name":{"zh-CN":"番茄炒蛋"},"price_fen":600,"windows":["lunch","dinner"]}]}`

// TestMenu, on SQLite: PUT stores the menu as version 1 and queues one
// menu command carrying it (site and version set) to each gateway of the
// site, handed to the sender; GET reads it back; the same dishes again
// change nothing and queue nothing; a change is version 2; a bad price,
// a version in the body or another site's name are refused in words
// (400) and store nothing; a viewer cannot PUT; a token of another street
// does not see the site; a site without a menu is 404.
func TestMenu(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	if err := f.st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a1b", Site: "site-gw-a1"}); err != nil {
		t.Fatal(err)
	}
	sent := &sentCommands{}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock, Commands: sent})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	const path = "/api/v1/sites/site-gw-a1/menu"

	if w := do(h, "GET", path, "adm", ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no menu") {
		t.Fatalf("no menu yet: %d %s", w.Code, w.Body)
	}
	w := do(h, "PUT", path, "adm", menuBody)
	if w.Code != http.StatusOK {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	var r MenuResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Changed || r.Menu.Version != "1" || r.Menu.Site != "site-gw-a1" || len(r.Menu.Dishes) != 2 || r.Menu.SetBy != "token admin" || len(r.Commands) != 2 {
		t.Fatalf("put answer: %+v", r)
	}
	if !slices.Equal(sent.ids, r.Commands) {
		t.Fatalf("sent %v, queued %v", sent.ids, r.Commands)
	}
	for _, gw := range []string{"gw-a1", "gw-a1b"} {
		cmds, err := f.st.ListCommands(ctx, gw)
		if err != nil || len(cmds) != 1 || cmds[0].Type != eldergate.CmdMenu || !slices.Contains(r.Commands, cmds[0].ID) {
			t.Fatalf("commands of %s: %+v %v", gw, cmds, err)
		}
		m, err := eldergate.DecodeMenu(cmds[0].Body)
		if err != nil || m.Site != "site-gw-a1" || m.Version != "1" || m.Dishes[0].Name["zh-HK"] != "白飯" || m.Dishes[1].PriceFen != 600 {
			t.Fatalf("menu command of %s: %+v %v", gw, m, err)
		}
	}
	if cmds, _ := f.st.ListCommands(ctx, "gw-b1"); len(cmds) != 0 {
		t.Fatalf("a gateway of another site got %+v", cmds)
	}

	w = do(h, "GET", path, "adm", "")
	var got domain.StoredMenu
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.Version != "1" || got.Dishes[1].Windows[0] != "lunch" {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}

	w = do(h, "PUT", path, "adm", menuBody)
	r = MenuResponse{}
	if json.Unmarshal(w.Body.Bytes(), &r); w.Code != http.StatusOK || r.Changed || r.Menu.Version != "1" || len(r.Commands) != 0 {
		t.Fatalf("same menu again: %d %s", w.Code, w.Body)
	}
	w = do(h, "PUT", path, "adm", strings.Replace(menuBody, `"price_fen":600`, `"price_fen":650`, 1))
	r = MenuResponse{}
	if json.Unmarshal(w.Body.Bytes(), &r); w.Code != http.StatusOK || !r.Changed || r.Menu.Version != "2" || len(r.Commands) != 2 {
		t.Fatalf("a price change: %d %s", w.Code, w.Body)
	}

	for _, c := range []struct{ name, body, words string }{
		{"no price", strings.Replace(menuBody, `"price_fen":100`, `"price_fen":0`, 1), "is not a price"},
		{"no zh-CN name", strings.Replace(menuBody, `"zh-CN":"米饭",`, ``, 1), "zh-CN name is missing"},
		{"same id twice", strings.Replace(menuBody, `"id":"egg"`, `"id":"rice"`, 1), "used by two dishes"},
		{"version given", `{"version":"9","dishes":[]}`, "leave it out"},
		{"another site", `{"site":"site-gw-b1","dishes":[]}`, "site-gw-b1"},
		{"unknown field", `{"dishes":[],"price":1}`, "not valid JSON"},
	} {
		w := do(h, "PUT", path, "adm", c.body)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), c.words) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.name, w.Code, w.Body, c.words)
		}
	}
	if m, _ := f.st.Menu(ctx, "site-gw-a1"); m.Version != "2" {
		t.Fatalf("a refused menu was stored: %+v", m)
	}

	_, viewer := f.token(t, `{"name":"查看","role":"viewer"}`)
	_, opB := f.token(t, `{"name":"B 街道运维","role":"operator","scope":"st-b"}`)
	if w := do(h, "GET", path, viewer, ""); w.Code != http.StatusOK {
		t.Fatalf("viewer reads the menu: %d", w.Code)
	}
	if w := do(h, "PUT", path, viewer, menuBody); w.Code != http.StatusForbidden {
		t.Fatalf("viewer puts the menu: %d, want 403", w.Code)
	}
	for _, m := range []string{"GET", "PUT"} {
		if w := do(h, m, path, opB, menuBody); w.Code != http.StatusNotFound {
			t.Fatalf("%s by an operator of another street: %d, want 404", m, w.Code)
		}
	}
	if w := do(h, "PUT", "/api/v1/sites/site-gw-b1/menu", opB, menuBody); w.Code != http.StatusOK {
		t.Fatalf("operator of st-b sets its own site's menu: %d %s", w.Code, w.Body)
	}
}
