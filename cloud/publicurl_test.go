package cloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud"
)

// TestPublicURL: the configured public address (ConsoleURL, the
// command's --public-url) is the base of a published charity summary's
// address and QR code, not the listener's.
func TestPublicURL(t *testing.T) {
	c, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(), ConsoleURL: "https://eg.example.gov.cn/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	base := c.HTTPURL()
	for _, b := range []string{`{"id":"d1","level":"district","name":"一区"}`} {
		if code, body := do(t, "POST", base+"/api/v1/org", adminToken, b); code != http.StatusCreated {
			t.Fatalf("org: %d %s", code, body)
		}
	}
	if code, body := do(t, "POST", base+"/api/v1/charity/funds", adminToken,
		`{"id":"fund-1","names":{"zh-CN":"基金","zh-HK":"基金","en":"Fund"},"unit":"d1"}`); code != http.StatusCreated {
		t.Fatalf("fund: %d %s", code, body)
	}
	code, body := do(t, "POST", base+"/api/v1/charity/publications", adminToken, `{"fund":"fund-1","month":"2026-01"}`)
	var p struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &p) != nil || p.URL != "https://eg.example.gov.cn/charity/"+p.ID {
		t.Fatalf("publish: %d %s", code, body)
	}
	// The page itself is served by this cloud, with no token.
	if code, body := do(t, "GET", base+"/charity/"+p.ID, "", ""); code != http.StatusOK || !strings.Contains(string(body), "<h1>基金</h1>") {
		t.Errorf("public page: %d %.200s", code, body)
	}
}
