package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/release"
)

// releaseCmd runs `eldergate-cloud release keygen|sign|verify|upload`
// (the logic is in cloud/release).
func releaseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("release: missing subcommand (keygen, sign, verify or upload)")
	}
	switch args[0] {
	case "keygen":
		return releaseKeygen(args[1:], stdout, stderr)
	case "sign":
		return releaseSign(args[1:], stdout, stderr)
	case "verify":
		return releaseVerify(args[1:], stdout, stderr)
	case "upload":
		return releaseUpload(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("release: unknown subcommand %q (keygen, sign, verify or upload)", args[0])
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

func releaseKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for release.key (private, 0600: keep it offline) and release.pub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("release keygen: --out DIR is required")
	}
	pub, privPath, pubPath, err := release.Keygen(*out)
	if err != nil {
		return fmt.Errorf("release keygen: %w", err)
	}
	fmt.Fprintf(stdout, "private key: %s (mode 0600; keep it offline, never on the cloud or a gateway)\n", privPath)
	fmt.Fprintf(stdout, "public key:  %s\nkey id:      %s\n", pubPath, eldergate.ReleaseKeyID(pub))
	fmt.Fprintf(stdout, "release_keys: [%s]\n", base64.StdEncoding.EncodeToString(pub))
	return nil
}

func releaseSign(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the private key file (release.key)")
	artifact := fs.String("artifact", "", "the binary to sign")
	name := fs.String("release", "", "the release's name, e.g. v1.4.0")
	version := fs.String("version", "", "what the binary's `version` prints")
	platform := fs.String("platform", "", "linux/arm64, linux/arm/v7, linux/arm/v6 or linux/amd64")
	kind := fs.String("kind", "eldergate-gateway", "the artifact: eldergate-gateway or eldergate-cloud")
	out := fs.String("out", "", "the bundle to write (default ARTIFACT"+release.BundleSuffix+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"key": *key, "artifact": *artifact, "release": *name, "version": *version, "platform": *platform} {
		if v == "" {
			return fmt.Errorf("release sign: --%s is required", flagName)
		}
	}
	priv, err := release.ReadPrivateKey(*key)
	if err != nil {
		return fmt.Errorf("release sign: %w", err)
	}
	b, m, err := release.SignFile(priv, *artifact, *name, *version, *platform, *kind, time.Now())
	if err != nil {
		return fmt.Errorf("release sign: %w", err)
	}
	if *out == "" {
		*out = *artifact + release.BundleSuffix
	}
	if err := release.WriteBundle(*out, b); err != nil {
		return fmt.Errorf("release sign: %w", err)
	}
	fmt.Fprintf(stdout, "signed %s %s for %s (%d bytes, sha256 %s, key %s): %s\n", m.Release, m.Version, m.Platform, m.Size, m.SHA256, m.KeyID, *out)
	return nil
}

// readBundle reads the bundle at path, by default beside the artifact.
func readBundle(path, artifact string) (release.Bundle, []byte, error) {
	if path == "" {
		path = artifact + release.BundleSuffix
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return release.Bundle{}, nil, err
	}
	b, err := release.ParseBundle(data)
	if err != nil {
		return b, nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, data, nil
}

func releaseVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pub := fs.String("pub", "", "trusted public keys: base64 keys or files of keys, comma-separated")
	artifact := fs.String("artifact", "", "the binary")
	bundle := fs.String("bundle", "", "the bundle (default ARTIFACT"+release.BundleSuffix+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *pub == "" || *artifact == "" {
		return errors.New("release verify: --pub and --artifact are required")
	}
	keys, err := release.ReadPublicKeys(strings.Split(*pub, ","))
	if err != nil {
		return fmt.Errorf("release verify: %w", err)
	}
	b, _, err := readBundle(*bundle, *artifact)
	if err != nil {
		return fmt.Errorf("release verify: %w", err)
	}
	d, err := release.FileDigest(*artifact)
	if err != nil {
		return fmt.Errorf("release verify: %w", err)
	}
	m, err := release.Verify(keys, b, d)
	if err != nil {
		return fmt.Errorf("release verify: %s: %w", *artifact, err)
	}
	fmt.Fprintf(stdout, "OK: %s %s for %s, %d bytes, sha256 %s, signed by key %s on %s\n", m.Release, m.Version, m.Platform, m.Size, m.SHA256, m.KeyID, m.Created.Format(time.RFC3339))
	return nil
}

func releaseUpload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the cloud's address, e.g. https://eldergate.example.gov.cn")
	token := fs.String("token", "", "an API token of an operator or admin (env EG_TOKEN)")
	artifact := fs.String("artifact", "", "the binary")
	bundle := fs.String("bundle", "", "the bundle (default ARTIFACT"+release.BundleSuffix+")")
	ca := fs.String("ca", "", "PEM CA certificate of the cloud's HTTPS (default: the system's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("EG_TOKEN")
	}
	if *url == "" || *token == "" || *artifact == "" {
		return errors.New("release upload: --url, --token and --artifact are required")
	}
	_, data, err := readBundle(*bundle, *artifact)
	if err != nil {
		return fmt.Errorf("release upload: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Minute}
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			return fmt.Errorf("release upload: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("release upload: %s holds no PEM certificate", *ca)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	id, err := release.Upload(ctx, client, *url, *token, *artifact, data)
	if err != nil {
		return fmt.Errorf("release upload: %w", err)
	}
	fmt.Fprintf(stdout, "uploaded: release %s\n", id)
	return nil
}
