package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
)

// CredentialsFileName is the credentials file `eldergate-gateway enroll`
// writes into the data directory; BrokerCAFileName is the broker's CA
// certificate beside it (only when the cloud sent one).
const (
	CredentialsFileName = "credentials.yaml"
	BrokerCAFileName    = "broker-ca.pem"
)

// Credentials are the per-device broker credentials obtained by
// enrollment (mqtt.credentials_file). The file is secret: mode 0600.
type Credentials struct {
	GatewayID string `yaml:"gateway_id"`
	Site      string `yaml:"site"`
	BrokerURL string `yaml:"broker_url"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	CAFile    string `yaml:"ca_file,omitempty"` // PEM CA of the broker, absolute or relative to the credentials file
	// CloudURL is the cloud the gateway enrolled with: the default of
	// update.cloud_url when it is https.
	CloudURL string `yaml:"cloud_url,omitempty"`
}

// WriteCredentials writes c (and caPEM, when not empty, as
// BrokerCAFileName) into dir with mode 0600, atomically, and returns the
// path of the credentials file.
func WriteCredentials(dir string, c Credentials, caPEM string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("gateway: credentials: %w", err)
	}
	if caPEM != "" {
		ca := filepath.Join(dir, BrokerCAFileName)
		if err := writeFile0600(ca, []byte(caPEM)); err != nil {
			return "", err
		}
		c.CAFile = BrokerCAFileName
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("gateway: credentials: %w", err)
	}
	path := filepath.Join(dir, CredentialsFileName)
	if err := writeFile0600(path, data); err != nil {
		return "", err
	}
	return path, nil
}

func writeFile0600(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("gateway: credentials: %w", err)
	}
	return nil
}

// LoadCredentials reads a credentials file. It refuses a file that group
// or others may read.
func LoadCredentials(path string) (Credentials, error) {
	var c Credentials
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("gateway: credentials: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return c, fmt.Errorf("gateway: credentials: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return c, fmt.Errorf("gateway: credentials %s: mode %v, want 0600 (chmod 600 it)", path, st.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return c, fmt.Errorf("gateway: credentials %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("gateway: credentials %s: %w", path, err)
	}
	if c.Username == "" || c.Password == "" {
		return c, fmt.Errorf("gateway: credentials %s: username or password missing", path)
	}
	if c.CAFile != "" && !filepath.IsAbs(c.CAFile) {
		c.CAFile = filepath.Join(filepath.Dir(path), c.CAFile)
	}
	return c, nil
}

// ApplyCredentials fills the MQTT user, password, CA file and (when
// mqtt.url is not set) the broker URL from mqtt.credentials_file.
func (c *Config) ApplyCredentials() error {
	if c.MQTT.CredentialsFile == "" {
		return nil
	}
	cr, err := LoadCredentials(c.MQTT.CredentialsFile)
	if err != nil {
		return err
	}
	if cr.GatewayID != "" && c.GatewayID != "" && cr.GatewayID != c.GatewayID {
		return errors.New("gateway: credentials are for gateway " + cr.GatewayID + ", not " + c.GatewayID)
	}
	if c.MQTT.Password != "" {
		return errors.New("gateway: config: set either mqtt.password or mqtt.credentials_file, not both")
	}
	c.MQTT.Username, c.MQTT.Password = cr.Username, cr.Password
	if c.MQTT.URL == "" && len(c.MQTT.URLs) == 0 {
		c.MQTT.URL = cr.BrokerURL
	}
	if c.MQTT.CAFile == "" {
		c.MQTT.CAFile = cr.CAFile
	}
	if c.Update.CloudURL == "" && strings.HasPrefix(cr.CloudURL, "https://") {
		c.Update.CloudURL = cr.CloudURL
	}
	if c.MQTT.URL == "" && len(c.MQTT.URLs) == 0 {
		return errors.New("gateway: config: no mqtt.url and no broker_url in " + c.MQTT.CredentialsFile)
	}
	return nil
}
