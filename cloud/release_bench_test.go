package cloud_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkReleaseTransfer uploads a 32 MiB signed artifact to a cloud
// serving HTTPS (verified: signature, size, SHA-256, fsync) and downloads
// it as its gateway does (basic auth, platform checked), per iteration.
func BenchmarkReleaseTransfer(b *testing.B) {
	files := testenv.NewTLSFiles(b)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	c, err := cloud.New(cloud.Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(), ReleaseKeys: []string{base64.StdEncoding.EncodeToString(pub)},
		HTTPTLSCert: files.CertFile, HTTPTLSKey: files.KeyFile})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Store().ApplyGatewayState(ctx, "gw-a", eldergate.State{Online: true, Boot: 1, Version: "1", Platform: "linux/arm64"}, time.Now()); err != nil {
		b.Fatal(err)
	}
	caPEM, _ := os.ReadFile(files.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	art := filepath.Join(b.TempDir(), "eldergate-gateway")
	bin := make([]byte, 32<<20)
	b.SetBytes(2 * int64(len(bin)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rand.Read(bin)
		os.WriteFile(art, bin, 0o755)
		bd, _, err := release.SignFile(priv, art, "v"+time.Now().Format("150405.000000000"), "2", "linux/arm64", "", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		id, err := release.Upload(ctx, client, c.HTTPURL(), adminToken, art, bd.Marshal())
		if err != nil {
			b.Fatal(err)
		}
		req, _ := http.NewRequest("GET", c.HTTPURL()+release.ArtifactPath(id), nil)
		req.SetBasicAuth("gw-a", "secret-a")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != int64(len(bin)) {
			b.Fatalf("download: %d, %d bytes", resp.StatusCode, n)
		}
	}
}
