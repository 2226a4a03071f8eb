package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/eldergate/eldergate/cloud"
	"gopkg.in/yaml.v3"
)

// maxConfigBytes bounds the configuration file.
const maxConfigBytes = 1 << 20

// fileConfig is the YAML configuration file; it mirrors cloud.Config.
type fileConfig struct {
	DataDir        string `yaml:"data_dir"`
	StoreDSN       string `yaml:"store_dsn"`
	HTTPAddr       string `yaml:"http_addr"`
	MQTTAddr       string `yaml:"mqtt_addr"`
	BrokerURL      string `yaml:"broker_url"`
	BrokerUser     string `yaml:"broker_user"`
	BrokerPassword string `yaml:"broker_password"`
	BrokerDynsec   bool   `yaml:"broker_dynsec"`
	// BrokerPasswordFile holds the broker password (broker-config writes
	// it), so the configuration file holds no secret.
	BrokerPasswordFile string              `yaml:"broker_password_file"`
	BrokerCAFile       string              `yaml:"broker_ca_file"`     // CA of the broker's certificate (ssl://)
	BrokerGatewayURL   string              `yaml:"broker_gateway_url"` // the broker URL handed to enrolling gateways
	NoIngest           bool                `yaml:"no_ingest"`
	AdminToken         string              `yaml:"admin_token"`
	PublicURL          string              `yaml:"public_url"` // the cloud's address as the public reaches it (cloud.Config.ConsoleURL)
	Gateways           []cloud.GatewaySeed `yaml:"gateways"`
	// ReleaseKeys are the trusted release public keys, base64 (`release
	// keygen` writes them); the private key never comes here.
	ReleaseKeys []string `yaml:"release_keys"`
	// HTTPTLSCert and HTTPTLSKey (PEM files, both or neither) serve the
	// console, the API and release downloads over HTTPS.
	HTTPTLSCert string `yaml:"http_tls_cert"`
	HTTPTLSKey  string `yaml:"http_tls_key"`
	// EnrollFailuresPerMinute bounds the failed enrollment attempts, all
	// clients together (cloud.Config.EnrollFailuresPerMinute); 0: 30.
	EnrollFailuresPerMinute int `yaml:"enroll_failures_per_minute"`
}

// parseConfig reads a YAML configuration. Unknown keys are an error so
// that a typo does not silently fall back to a default.
func parseConfig(data []byte) (fileConfig, error) {
	var fc fileConfig
	if len(data) > maxConfigBytes {
		return fc, fmt.Errorf("config: %d bytes exceeds the limit of %d", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fileConfig{}, fmt.Errorf("config: %w", err)
	}
	return fc, nil
}

// checkPublicURL checks the cloud's public address (public_url,
// --public-url): empty, or an absolute http(s) URL with a host and no
// query or fragment, since paths are appended to it.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("public url %q: must be an http(s) address such as https://eldergate.example.gov.cn", s)
	}
	return nil
}

// readPasswordFile reads a password file: its first line, which must not
// be empty (broker-config writes the password and a newline).
func readPasswordFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("broker password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimRight(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("broker password file %s: empty first line", path)
	}
	return pw, nil
}
