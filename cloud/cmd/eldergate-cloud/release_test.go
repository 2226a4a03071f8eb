package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestReleaseKeygenSignVerify: keygen writes a private key of mode 0600
// and the public key; sign writes FILE.release.json beside the artifact;
// verify accepts it and refuses, in words and with an error (exit
// non-zero), a flipped byte in the artifact, a bundle signed by an
// untrusted key, a missing bundle and a garbled one; keygen never
// overwrites a key.
func TestReleaseKeygenSignVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"release"}, args...), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := run("keygen", "--out", filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "keys", "release.key"), filepath.Join(dir, "keys", "release.pub")
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", st, err)
	}
	if !regexp.MustCompile(`release_keys: \[[A-Za-z0-9+/]{43}=\]`).MatchString(out) || !strings.Contains(out, "offline") {
		t.Fatalf("keygen said %q", out)
	}
	if _, err := run("keygen", "--out", filepath.Join(dir, "keys")); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Fatalf("keygen over a key: %v", err)
	}
	if _, err := run("keygen", "--out", filepath.Join(dir, "other")); err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(dir, "eldergate-gateway")
	bin := bytes.Repeat([]byte("eldergate gateway binary "), 4000)
	os.WriteFile(art, bin, 0o755)
	if out, err := run("sign", "--key", priv, "--artifact", art, "--release", "v1.4.0", "--version", "1.4.0", "--platform", "linux/arm/v7"); err != nil || !strings.Contains(out, "linux/arm/v7") {
		t.Fatalf("sign: %q %v", out, err)
	}
	if _, err := os.Stat(art + ".release.json"); err != nil {
		t.Fatal(err)
	}
	if out, err := run("verify", "--pub", pub, "--artifact", art); err != nil || !strings.HasPrefix(out, "OK: v1.4.0 1.4.0 for linux/arm/v7") {
		t.Fatalf("verify: %q %v", out, err)
	}
	pubText, _ := os.ReadFile(pub)
	if _, err := run("verify", "--pub", strings.TrimSpace(string(pubText)), "--artifact", art); err != nil {
		t.Fatalf("verify with the key given inline: %v", err)
	}
	if _, err := run("sign", "--key", priv, "--artifact", art, "--release", "v1", "--version", "1", "--platform", "linux/mips"); err == nil || !strings.Contains(err.Error(), "platform") {
		t.Fatalf("sign for an unknown platform: %v", err)
	}
	if _, err := run("sign", "--key", pub, "--artifact", art, "--release", "v1", "--version", "1", "--platform", "linux/amd64"); err == nil || !strings.Contains(err.Error(), "not a release private key") {
		t.Fatalf("sign with the public key: %v", err)
	}

	// A flipped byte in the artifact.
	flipped := filepath.Join(dir, "flipped")
	bad := bytes.Clone(bin)
	bad[500] ^= 0x01
	os.WriteFile(flipped, bad, 0o644)
	if _, err := run("verify", "--pub", pub, "--artifact", flipped, "--bundle", art+".release.json"); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("flipped byte: %v", err)
	}
	// A truncated one.
	os.WriteFile(flipped, bin[:len(bin)-1], 0o644)
	if _, err := run("verify", "--pub", pub, "--artifact", flipped, "--bundle", art+".release.json"); err == nil || !strings.Contains(err.Error(), "bytes, but the signed manifest says") {
		t.Fatalf("truncated: %v", err)
	}
	// Signed by an untrusted key.
	other := filepath.Join(dir, "other", "release.key")
	if _, err := run("sign", "--key", other, "--artifact", art, "--release", "v1.4.0", "--version", "1.4.0", "--platform", "linux/arm/v7", "--out", filepath.Join(dir, "untrusted.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := run("verify", "--pub", pub, "--artifact", art, "--bundle", filepath.Join(dir, "untrusted.json")); err == nil || !strings.Contains(err.Error(), "not one of the 1 trusted release keys") {
		t.Fatalf("untrusted key: %v", err)
	}
	// A tampered manifest (the signature no longer matches).
	b, _ := os.ReadFile(art + ".release.json")
	os.WriteFile(filepath.Join(dir, "garbled.json"), []byte(strings.Replace(string(b), `"manifest": "ey`, `"manifest": "eX`, 1)), 0o644)
	if _, err := run("verify", "--pub", pub, "--artifact", art, "--bundle", filepath.Join(dir, "garbled.json")); err == nil {
		t.Fatal("a garbled manifest verified")
	}
	os.WriteFile(filepath.Join(dir, "notjson.json"), []byte("{"), 0o644)
	if _, err := run("verify", "--pub", pub, "--artifact", art, "--bundle", filepath.Join(dir, "notjson.json")); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("not JSON: %v", err)
	}
	if _, err := run("verify", "--pub", pub, "--artifact", flipped); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing bundle: %v", err)
	}
	if _, err := run("verify", "--pub", "not-a-key", "--artifact", art); err == nil || !strings.Contains(err.Error(), "neither a base64 release public key nor a readable file") {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := run("frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown subcommand") {
		t.Fatalf("unknown subcommand: %v", err)
	}
}

// TestReleaseUpload: `release upload` sends a signed artifact to a cloud
// serving HTTPS (trusting --ca) with an operator's token; the same again
// is refused with the cloud's words, and so is a wrong token.
func TestReleaseUpload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"release"}, args...), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := run("keygen", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	pub := regexp.MustCompile(`release_keys: \[(\S+)\]`).FindStringSubmatch(out)[1]
	files := testenv.NewTLSFiles(t)
	c, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: "adm",
		ReleaseKeys: []string{pub}, HTTPTLSCert: files.CertFile, HTTPTLSKey: files.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Start(sctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	art := filepath.Join(dir, "eldergate-gateway")
	os.WriteFile(art, []byte("a gateway binary"), 0o755)
	if _, err := run("sign", "--key", filepath.Join(dir, "release.key"), "--artifact", art, "--release", "v9", "--version", "9.0.0", "--platform", "linux/amd64"); err != nil {
		t.Fatal(err)
	}
	up := func(token string) (string, error) {
		return run("upload", "--url", c.HTTPURL(), "--token", token, "--artifact", art, "--ca", files.CAFile)
	}
	if out, err := up("adm"); err != nil || !regexp.MustCompile(`uploaded: release rel-\S+`).MatchString(out) {
		t.Fatalf("upload: %q %v", out, err)
	}
	if _, err := up("adm"); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "uploaded before") {
		t.Fatalf("upload again: %v", err)
	}
	if _, err := up("wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := run("upload", "--url", c.HTTPURL(), "--token", "adm", "--artifact", art); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v", err)
	}
}

// TestReleaseConfigKeys: the configuration file takes release_keys and the
// HTTPS files.
func TestReleaseConfigKeys(t *testing.T) {
	fc, err := parseConfig([]byte("release_keys: [\"a\", \"b\"]\nhttp_tls_cert: c.pem\nhttp_tls_key: k.pem\n"))
	if err != nil || len(fc.ReleaseKeys) != 2 || fc.HTTPTLSCert != "c.pem" || fc.HTTPTLSKey != "k.pem" {
		t.Fatalf("%+v %v", fc, err)
	}
}
