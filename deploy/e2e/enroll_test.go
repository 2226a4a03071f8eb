package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/domain"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/enroll"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// adminPost POSTs body as JSON with the admin token (when auth) and
// decodes a JSON answer into out; it returns the status.
func adminPost(t *testing.T, url string, auth bool, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// readQR reads the QR code in a data:image/png;base64 URI with an
// independent decoder (ZXing's Go port) and returns its text.
func readQR(t *testing.T, uri string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(uri, "data:image/png;base64,") {
		t.Fatalf("qr_png %.40q...: not a PNG data URI (%v)", uri, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("qr_png: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("qr_png does not decode: %v", err)
	}
	return res.GetText()
}

// mqttConnect connects once with user/password to brokerURL and reports
// the error (nil: admitted).
func mqttConnect(brokerURL, user, password string) error {
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID("probe-" + user).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(3 * time.Second)
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		return context.DeadlineExceeded
	}
	if err := tok.Error(); err != nil {
		return err
	}
	c.Disconnect(100)
	return nil
}

// TestEnrollmentEmbeddedBroker is acceptance 3 against the embedded broker:
// an operator creates a gateway and gets a one-time token; the gateway
// enrolls with it (credentials written 0600), connects and sends a meal
// that the cloud commits; the token cannot be reused, an expired one is
// refused; revocation disconnects the gateway at once and refuses it from
// then on.
func TestEnrollmentEmbeddedBroker(t *testing.T) {
	clk := &simClock{t: time.Now().UTC()}
	cfg := cloudConfig(t, "")
	cfg.Now = clk.now
	env := startCloud(t, cfg)
	base := env.c.HTTPURL()
	const id, site = "gw-enroll-1", "site-enroll-1"

	// The operator creates the gateway.
	var created struct {
		ID        string    `json:"id"`
		Site      string    `json:"site"`
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
		EnrollURL string    `json:"enroll_url"`
		QRPNG     string    `json:"qr_png"`
	}
	if st := adminPost(t, base+"/api/v1/gateways", true, map[string]string{"id": id, "site": site}, &created); st != http.StatusCreated {
		t.Fatalf("create gateway: status %d", st)
	}
	if len(created.Token) < 40 || created.ID != id || created.Site != site ||
		!created.ExpiresAt.Equal(clk.now().Add(24*time.Hour)) ||
		!strings.HasPrefix(created.EnrollURL, "eldergate://enroll?") || !strings.Contains(created.EnrollURL, "token="+created.Token) {
		t.Fatalf("create gateway answer = %+v", created)
	}
	if st := adminPost(t, base+"/api/v1/gateways", true, map[string]string{"id": id, "site": site}, nil); st != http.StatusConflict {
		t.Fatalf("create the same gateway again: status %d, want 409", st)
	}
	if st := adminPost(t, base+"/api/v1/gateways", false, map[string]string{"id": "gw-x", "site": site}, nil); st != http.StatusUnauthorized {
		t.Fatalf("create without the admin token: status %d, want 401", st)
	}
	// Before enrollment the gateway has no secret: it cannot connect.
	if err := mqttConnect(env.c.BrokerURL(), id, "anything"); err == nil {
		t.Fatal("a created but not enrolled gateway was admitted by the broker")
	}

	// The gateway enrolls with the link read back from the QR picture, as
	// `eldergate-gateway enroll --cloud <link>` passes it.
	scanned := readQR(t, created.QRPNG)
	if scanned != created.EnrollURL {
		t.Fatalf("QR code reads %q, want enroll_url %q", scanned, created.EnrollURL)
	}
	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	creds, path, err := enroll.Enroll(ctx, enroll.Request{CloudURL: scanned, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	if creds.GatewayID != id || creds.Site != site || creds.Username != id || creds.BrokerURL != env.c.BrokerURL() || len(creds.Password) < 30 {
		t.Fatalf("credentials = %+v", creds)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dataDir, config.CredentialsFileName) || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file %s mode %v, want %s mode 0600", path, fi.Mode().Perm(), filepath.Join(dataDir, config.CredentialsFileName))
	}
	// The store keeps only a salted hash of the generated password (ADR 0035).
	cred, err := env.c.Store().GatewayCredential(ctx, id)
	if err != nil || !strings.HasPrefix(cred.SecretHash, "sha256$") || strings.Contains(cred.SecretHash, creds.Password) ||
		!domain.VerifySecret(cred.SecretHash, creds.Password) || domain.VerifySecret(cred.SecretHash, creds.Password+"x") {
		t.Fatalf("stored credential %+v, %v: want a salted hash that verifies the password", cred, err)
	}

	// The token is one-time.
	if _, _, err := enroll.Enroll(ctx, enroll.Request{CloudURL: base, Token: created.Token, DataDir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("second enrollment with the same token: err = %v, want 409 already used", err)
	}
	if err := mqttConnect(env.c.BrokerURL(), id, "wrong-password"); err == nil {
		t.Fatal("wrong password admitted")
	}

	// A gateway configured with the credentials file connects and sends.
	g, events, connected := enrolledGatewaySends(t, env.c, id, site, dataDir, path)

	// Revocation disconnects it at once and refuses it from then on.
	var rev struct {
		ID      string `json:"id"`
		Revoked bool   `json:"revoked"`
		Broker  string `json:"broker"`
	}
	revokedAt := time.Now()
	if st := adminPost(t, base+"/api/v1/gateways/"+id+"/revoke", true, nil, &rev); st != http.StatusOK || !rev.Revoked || rev.ID != id || rev.Broker != "disconnected and refused" {
		t.Fatalf("revoke: status %d, %+v", st, rev)
	}
	eventually(t, 3*time.Second, "the revoked gateway's uplink to drop", func() bool { return !connected() })
	t.Logf("uplink reported disconnected %v after the revoke call", time.Since(revokedAt).Round(time.Millisecond))
	r2 := tap(t, g, events, "C0002")
	// The gateway keeps retrying; give it several reconnect attempts.
	time.Sleep(3 * time.Second)
	if connected() {
		t.Fatal("revoked gateway reconnected")
	}
	if n := mealsByEvent(t, env.c)[r2.EventID]; n != 0 || delivered(t, g, r2.EventID) {
		t.Fatalf("meal tapped after revocation reached the cloud (count %d)", n)
	}
	if err := mqttConnect(env.c.BrokerURL(), id, creds.Password); err == nil {
		t.Fatal("revoked gateway admitted with its enrolled credentials")
	}
	if st := adminPost(t, base+"/api/v1/gateways/gw-nobody/revoke", true, nil, nil); st != http.StatusNotFound {
		t.Fatalf("revoke unknown gateway: status %d, want 404", st)
	}

	// An expired token is refused.
	var late struct {
		Token string `json:"token"`
	}
	if st := adminPost(t, base+"/api/v1/gateways", true, map[string]string{"id": "gw-enroll-late", "site": site}, &late); st != http.StatusCreated {
		t.Fatalf("create second gateway: status %d", st)
	}
	clk.add(24*time.Hour + time.Second)
	// A context of its own: the first one also bounded the steps above,
	// which take longer on a loaded machine.
	lateCtx, lateCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer lateCancel()
	if _, _, err := enroll.Enroll(lateCtx, enroll.Request{CloudURL: base, Token: late.Token, DataDir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "410") || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("enrollment with an expired token: err = %v, want 410 expired", err)
	}
}

// enrolledGatewaySends starts a simulated gateway that takes its broker
// credentials from the file enrollment wrote (credPath), waits for its
// uplink, taps a card and waits until the meal is committed in cloud c
// and marked delivered. It returns the gateway, its SSE events and a
// probe of its uplink.
func enrolledGatewaySends(t *testing.T, c *cloud.Cloud, id, site, dataDir, credPath string) (*gateway.Gateway, <-chan sseEvent, func() bool) {
	t.Helper()
	gcfg := config.Config{GatewayID: id, Site: site, DataDir: dataDir, HTTPAddr: "127.0.0.1:0", Simulation: true,
		Policy: allDay(), Roster: roster(2), TapDedupe: time.Second}
	gcfg.MQTT.CredentialsFile = credPath
	gcfg.MQTT.BatchWait = 20 * time.Millisecond
	gcfg.MQTT.AckTimeout = 2 * time.Second
	gcfg.MQTT.KeepAlive = 5 * time.Second
	g, err := gateway.New(gcfg, gateway.WithLogger(logger(t).With("side", "gateway")))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	events := subscribe(t, g.HTTPURL())
	connected := func() bool {
		st, err := g.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.UplinkConnected
	}
	eventually(t, 10*time.Second, "the enrolled gateway's uplink to connect", connected)
	r := tap(t, g, events, "C0001")
	if r.Decision != eldergate.DecisionApproved || r.EventID == "" {
		t.Fatalf("tap = %+v", r)
	}
	eventually(t, 10*time.Second, "the meal committed in the cloud", func() bool { return mealsByEvent(t, c)[r.EventID] == 1 })
	// The ack came back through the broker on the gateway's own ack topic.
	eventually(t, 5*time.Second, "the meal marked delivered", func() bool { return delivered(t, g, r.EventID) })
	return g, events, connected
}
