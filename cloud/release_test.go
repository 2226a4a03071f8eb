package cloud_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestReleaseOverHTTPS walks the cloud's side of an over-the-air update
// on a cloud serving HTTPS (deploy/testenv's CA): a release signed
// offline is uploaded (a flipped byte, an untrusted key and a duplicate
// refused in words); StartUpdate sends the gateway an ota command whose
// signature the gateway's keys verify; the gateway downloads the artifact
// over HTTPS with its own credentials and resumes with a Range request,
// while another gateway (no platform) and a wrong secret are refused; a
// second start is refused while the first runs; the gateway's update
// events become the update's steps, ending rolled back with the cause;
// and a refused ota command (cmdres ok:false) ends the next update as
// failed with the gateway's error.
func TestReleaseOverHTTPS(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, untrusted, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	c, err := cloud.New(cloud.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(), ReleaseKeys: []string{base64.StdEncoding.EncodeToString(pub)},
		HTTPTLSCert: files.CertFile, HTTPTLSKey: files.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	base := c.HTTPURL()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("HTTP URL %s, want https", base)
	}
	caPEM, _ := os.ReadFile(files.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("a client without the CA trusted the cloud's certificate")
	}

	// The gateway: its birth names its platform; it hears its commands.
	gw := mustConnect(t, c, "gw-a", "secret-a")
	cmds := make(chan eldergate.Command, 4)
	if tok := gw.Subscribe(eldergate.Topic("gw-a", eldergate.ChannelCmd), 1, func(_ paho.Client, m paho.Message) {
		if cmd, err := eldergate.DecodeCommand(m.Payload()); err == nil {
			cmds <- cmd
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal("subscribe", tok.Error())
	}
	acks := subscribeAcks(t, gw, "gw-a")
	birth, _ := json.Marshal(eldergate.State{Online: true, Boot: 1, Version: "1.0.0", Platform: "linux/arm64"})
	if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelState), birth); err != nil {
		t.Fatal(err)
	}

	// Signed offline, uploaded.
	art := filepath.Join(t.TempDir(), "eldergate-gateway")
	bin := make([]byte, 300<<10)
	rand.Read(bin)
	if err := os.WriteFile(art, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	b, m, err := release.SignFile(priv, art, "v2.0.0", "2.0.0", "linux/arm64", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	flipped := filepath.Join(t.TempDir(), "flipped")
	bad := bytes.Clone(bin)
	bad[1000] ^= 1
	os.WriteFile(flipped, bad, 0o644)
	if _, err := release.Upload(ctx, client, base, adminToken, flipped, b.Marshal()); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("flipped byte: %v", err)
	}
	ub, _, _ := release.SignFile(untrusted, art, "v2.0.0", "2.0.0", "linux/arm64", "", time.Now())
	if _, err := release.Upload(ctx, client, base, adminToken, art, ub.Marshal()); err == nil || !strings.Contains(err.Error(), "not one of the 1 trusted release keys") {
		t.Fatalf("untrusted key: %v", err)
	}
	id, err := release.Upload(ctx, client, base, adminToken, art, b.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := release.Upload(ctx, client, base, adminToken, art, b.Marshal()); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("duplicate: %v", err)
	}
	if kept, err := os.ReadFile(filepath.Join(dir, "releases", m.SHA256)); err != nil || !bytes.Equal(kept, bin) {
		t.Fatalf("kept artifact: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "releases")); len(ents) != 1 {
		t.Fatalf("release dir holds %d files, want the artifact alone (no temporary file left)", len(ents))
	}

	// Started: the ota command carries what the gateway verifies.
	cmdID, err := c.StartUpdate(ctx, "gw-a", id, "", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var cmd eldergate.Command
	select {
	case cmd = <-cmds:
	case <-time.After(10 * time.Second):
		t.Fatal("no ota command within 10 s")
	}
	req, err := eldergate.DecodeUpdateRequest(cmd.Body)
	if err != nil || cmd.ID != cmdID || cmd.Type != eldergate.CmdOTA || req.HealthTimeoutS != 90 {
		t.Fatalf("ota command %+v: %v", cmd, err)
	}
	if _, err := eldergate.VerifyRelease([]ed25519.PublicKey{pub}, req.Manifest, req.Signature); err != nil {
		t.Fatal(err)
	}
	var se *release.StartError
	if _, err := c.StartUpdate(ctx, "gw-a", id, "", 0); !errors.As(err, &se) || se.Code != release.CodeUpdateRunning || se.Running != cmdID {
		t.Fatalf("second start: %v", err)
	}
	if _, err := c.StartUpdate(ctx, "gw-b", id, "", 0); !errors.As(err, &se) || se.Code != release.CodeNoPlatform {
		t.Fatalf("gateway without platform: %v", err)
	}

	// Downloaded as the gateway does: its credentials, resumed.
	get := func(user, pw, rng string) (*http.Response, []byte) {
		t.Helper()
		r, _ := http.NewRequestWithContext(ctx, "GET", base+req.URL, nil)
		r.SetBasicAuth(user, pw)
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	r1, part1 := get("gw-a", "secret-a", "bytes=0-99999")
	r2, part2 := get("gw-a", "secret-a", "bytes=100000-")
	sum := sha256.Sum256(append(part1, part2...))
	if r1.StatusCode != http.StatusPartialContent || r2.StatusCode != http.StatusPartialContent || hex.EncodeToString(sum[:]) != m.SHA256 {
		t.Fatalf("resumed download: %d %d, sha256 %x", r1.StatusCode, r2.StatusCode, sum)
	}
	if r, body := get("gw-a", "wrong", ""); r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "device secret") {
		t.Fatalf("wrong secret: %d %s", r.StatusCode, body)
	}
	if r, body := get("gw-b", "secret-b", ""); r.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "no platform") {
		t.Fatalf("gateway of no platform: %d %s", r.StatusCode, body)
	}

	// The gateway's steps, in one batch: rolled back, with its cause.
	at := time.Now().UTC().Truncate(time.Millisecond)
	var evs []eldergate.Envelope
	for i, st := range []string{eldergate.UpdateAccepted, eldergate.UpdateDownloading, eldergate.UpdateVerified,
		eldergate.UpdateInstalled, eldergate.UpdateChecking, eldergate.UpdateRolledBack} {
		evs = append(evs, storetest.UpdateStep(t, "gw-a", uint64(i+1), cmdID, st, at.Add(time.Duration(i)*time.Second)))
	}
	if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", evs...)); err != nil {
		t.Fatal(err)
	}
	if a := waitAck(t, acks); !sameIDs(a.IDs, evs...) {
		t.Fatalf("ack %+v", a)
	}
	// A step of an unknown state is refused with its reason, and stays out.
	badStep := storetest.UpdateStep(t, "gw-a", 7, cmdID, eldergate.UpdateCommitted, at.Add(10*time.Second))
	badStep.Data = json.RawMessage(`{"command_id":"` + cmdID + `","state":"exploded"}`)
	if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", badStep)); err != nil {
		t.Fatal(err)
	}
	if a := waitAck(t, acks); len(a.Rejected) != 1 || !strings.Contains(a.Rejected[0].Reason, `unknown update state "exploded"`) {
		t.Fatalf("ack of an unknown state: %+v", a)
	}
	history := func() []map[string]any {
		t.Helper()
		r, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/gateways/gw-a/updates", nil)
		r.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	h := history()
	if len(h) != 1 || h[0]["state"] != eldergate.UpdateRolledBack || h[0]["code"] != "health_card" ||
		!strings.Contains(h[0]["reason"].(string), "rdm6300") || len(h[0]["steps"].([]any)) != 6 {
		t.Fatalf("history after the rollback: %v", h)
	}

	// The next update refused by the gateway (its keys do not trust it).
	cmd2, err := c.StartUpdate(ctx, "gw-a", id, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := json.Marshal(eldergate.CommandResult{ID: cmd2, OK: false, Error: "release is signed with key \"x\", which is not one of the 1 trusted release keys"})
	if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelCmdRes), res); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h = history(); h[0]["state"] != eldergate.UpdateFailed; h = history() {
		if time.Now().After(deadline) {
			t.Fatalf("refused update not failed: %v", h[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h[0]["code"] != "command_failed" || !strings.Contains(h[0]["reason"].(string), "not one of the 1 trusted release keys") {
		t.Fatalf("refused update: %v", h[0])
	}
}

// TestReleaseConfigErrors: a release key that is not base64 ed25519 and
// HTTPS with a certificate but no key are refused in words.
func TestReleaseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  cloud.Config
		want string
	}{
		{cloud.Config{ReleaseKeys: []string{"bm90IGEga2V5"}}, "release_keys[0]: release public key is 9 bytes, not 32"},
		{cloud.Config{HTTPTLSCert: "cert.pem"}, "HTTPS needs both a certificate and a key"},
	} {
		tc.cfg.DataDir, tc.cfg.AdminToken = t.TempDir(), adminToken
		if _, err := cloud.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
