package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
)

// TestMenuAtBirthEmbeddedBroker: a site's menu set while its gateway is
// offline is queued to it (and published to nobody); when that command has expired by the time the
// gateway is first born (offline for more than a day), the birth queues
// the menu again and it is published to the gateway, which answers it.
// The command carries the stored menu with its site and version.
func TestMenuAtBirthEmbeddedBroker(t *testing.T) {
	clk := &simClock{t: time.Now().UTC()}
	cfg := cloudConfig(t, "")
	cfg.Now = clk.now
	env := startCloud(t, cfg)
	base := env.c.HTTPURL()

	body := `{"dishes":[{"id":"rice","name":{"zh-CN":"米饭","zh-HK":"白飯","en":"Rice"},"price_fen":100},
		{"id":"congee","name":{"zh-CN":"小米粥"},"price_fen":150,"windows":["breakfast"]}]}`
	var put cloudhttp.MenuResponse
	if code := send(t, http.MethodPut, base+"/api/v1/sites/"+siteID+"/menu", "application/json", []byte(body), &put); code != http.StatusOK ||
		!put.Changed || put.Menu.Version != "1" || len(put.Commands) != 1 {
		t.Fatalf("put menu: %d %+v", code, put)
	}
	first := put.Commands[0]
	clk.set(clk.now().Add(25 * time.Hour)) // the first menu command expires unsent

	startGateway(t, env.c.BrokerURL(), roster(1))
	var again string
	eventually(t, 10*time.Second, "the menu queued again at the gateway's birth and answered", func() bool {
		var list []cloudhttp.CommandView
		if code := api(t, http.MethodGet, base+"/api/v1/gateways/"+gwID+"/commands", &list); code != http.StatusOK {
			t.Fatalf("list commands: %d", code)
		}
		for _, c := range list {
			if c.Type == eldergate.CmdMenu && c.ID != first && c.ResultAt != nil {
				again = c.ID
				return true
			}
		}
		return false
	})
	c := commandByID(t, base, again)
	m, err := eldergate.DecodeMenu(c.Body)
	if err != nil || m.Site != siteID || m.Version != "1" || len(m.Dishes) != 2 || m.Dishes[1].PriceFen != 150 {
		t.Fatalf("menu command at birth: %+v %v", m, err)
	}
	if c.OK == nil || !*c.OK {
		t.Fatalf("menu command answered %+v", c)
	}
	if old := commandByID(t, base, first); old.ResultAt != nil || old.State != "expired" {
		t.Fatalf("the first menu command, published while the gateway was offline: %s, answered %v", old.State, old.ResultAt)
	}
	t.Logf("menu at birth: command %s answered ok=%v %q", again, *c.OK, c.Error)
}
