package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/enroll"
)

// TestEnrollmentMosquittoDynsec is acceptance 3 against an external
// Mosquitto with the dynamic-security plugin: the cloud (as the dynsec
// admin, which it gives its own eg/v1/# role) creates the enrolled
// gateway's broker client and role; the gateway connects with the
// enrolled credentials and sends a meal that the cloud commits and acks;
// the token cannot be reused; revocation disables the client, so
// Mosquitto disconnects the gateway and refuses it from then on.
func TestEnrollmentMosquittoDynsec(t *testing.T) {
	m := testenv.StartMosquittoDynsec(t, "eldergate-cloud", cloudPW)
	cfg := cloudConfig(t, m.URL)
	cfg.BrokerDynsec = true
	env := startCloud(t, cfg)
	base := env.c.HTTPURL()
	const id, site = "gw-dynsec-1", "site-dynsec-1"

	var created struct {
		Token     string `json:"token"`
		EnrollURL string `json:"enroll_url"`
	}
	if st := adminPost(t, base+"/api/v1/gateways", true, map[string]string{"id": id, "site": site}, &created); st != http.StatusCreated {
		t.Fatalf("create gateway: status %d", st)
	}
	if err := mqttConnect(m.URL, id, "anything"); err == nil {
		t.Fatal("a created but not enrolled gateway was admitted by mosquitto")
	}

	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	creds, path, err := enroll.Enroll(ctx, enroll.Request{CloudURL: created.EnrollURL, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	if creds.GatewayID != id || creds.Username != id || creds.BrokerURL != m.URL || len(creds.Password) < 30 {
		t.Fatalf("credentials = %+v", creds)
	}
	if _, _, err := enroll.Enroll(ctx, enroll.Request{CloudURL: base, Token: created.Token, DataDir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second enrollment with the same token: err = %v, want 409 already used", err)
	}
	if err := mqttConnect(m.URL, id, "wrong-password"); err == nil {
		t.Fatal("mosquitto admitted the gateway with a wrong password")
	}
	// The gateway's role covers its own topics only.
	if codes := subscribeCodes(t, m.URL, id, creds.Password, "eg/v1/gw/"+id+"/cmd", "eg/v1/gw/gw-other/cmd", "eg/v1/#", eldergate.CloudStateTopic, "eg/v1/cloud/#"); codes[0] > 2 || codes[1] != 0x80 || codes[2] != 0x80 || codes[3] > 2 || codes[4] != 0x80 {
		t.Fatalf("subscribe own cmd, other gateway's cmd, eg/v1/#, the cloud state, eg/v1/cloud/#: codes %#x, want granted, 0x80, 0x80, granted, 0x80", codes)
	}

	g, events, connected := enrolledGatewaySends(t, env.c, id, site, dataDir, path)

	var rev struct {
		Revoked bool   `json:"revoked"`
		Broker  string `json:"broker"`
	}
	revokedAt := time.Now()
	if st := adminPost(t, base+"/api/v1/gateways/"+id+"/revoke", true, nil, &rev); st != http.StatusOK || !rev.Revoked || rev.Broker != "disconnected and refused" {
		t.Fatalf("revoke: status %d, %+v", st, rev)
	}
	eventually(t, 5*time.Second, "the revoked gateway's uplink to drop", func() bool { return !connected() })
	t.Logf("uplink reported disconnected %v after the revoke call", time.Since(revokedAt).Round(time.Millisecond))
	r2 := tap(t, g, events, "C0002")
	time.Sleep(3 * time.Second) // several reconnect attempts
	if connected() {
		t.Fatal("revoked gateway reconnected to mosquitto")
	}
	if n := mealsByEvent(t, env.c)[r2.EventID]; n != 0 || delivered(t, g, r2.EventID) {
		t.Fatalf("meal tapped after revocation reached the cloud (count %d)", n)
	}
	if err := mqttConnect(m.URL, id, creds.Password); err == nil {
		t.Fatal("mosquitto admitted the revoked gateway with its enrolled credentials")
	}
}

// subscribeCodes connects as user and subscribes to each filter in turn,
// returning the SUBACK codes (0x80: refused).
func subscribeCodes(t *testing.T, brokerURL, user, password string, filters ...string) []byte {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID("acl-probe-" + user).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectTimeout(3 * time.Second)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect as %s: %v", user, tok.Error())
	}
	defer c.Disconnect(100)
	out := make([]byte, len(filters))
	for i, f := range filters {
		tok := c.Subscribe(f, 1, nil)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, tok.Error())
		}
		out[i] = tok.(*paho.SubscribeToken).Result()[f]
	}
	return out
}
