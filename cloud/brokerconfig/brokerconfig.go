// Package brokerconfig writes the configuration of the production broker:
// Mosquitto with TLS listeners, the dynamic-security plugin (the cloud
// creates each enrolled gateway's client and role there, cloud/dynsec),
// persistence, and queue limits sized for gateways that come back with a
// backlog (ADR 0033). `eldergate-cloud broker-config` is its command.
package brokerconfig

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// Names of the files written into Options.Dir.
const (
	ConfFile     = "mosquitto.conf"
	DynsecFile   = "dynamic-security.json"
	PasswordFile = "cloud-broker-password" // the admin's password, for the cloud's broker_password_file
	CertFile     = "certs/server.pem"
	KeyFile      = "certs/server.key"
	CAFile       = "certs/ca.pem"
)

// DefaultAdminUser is the cloud's broker account (the dynsec admin).
const DefaultAdminUser = "eldergate-cloud"

// Options says what to write.
type Options struct {
	Dir string // where the files go; made if missing
	// Mount is the directory as Mosquitto sees it (a container's
	// /mosquitto/config); empty: Dir, made absolute.
	Mount string
	// TLSCert, TLSKey and CA are PEM files copied into Dir/certs. Cert and
	// key together, or neither: the configuration then names
	// Mount/certs/server.pem and server.key, to be put there before the
	// broker starts. The CA is optional; given, the certificate must chain
	// to it, and the cloud and the gateways are handed it.
	TLSCert, TLSKey, CA string
	Gateways            Listen // the gateways' TLS listener
	Cloud               Listen // the cloud's TLS listener, kept off the public network
	// AdminUser is the cloud's account; its password is generated.
	AdminUser string
	// Plugin is the dynamic-security plugin's path; default DefaultPlugin.
	Plugin string
	// DataDir is where Mosquitto saves its database; default
	// /var/lib/mosquitto/.
	DataDir string
	// RunAs is the user Mosquitto drops to when started as root; empty:
	// its default (mosquitto).
	RunAs string
	// Force overwrites files that exist with other contents.
	Force bool
	// Now is the time certificates are checked at; default time.Now.
	Now func() time.Time
}

// Result says what was written.
type Result struct {
	Files        []string // paths written (unchanged files are not listed)
	AdminUser    string
	PasswordFile string // Dir/cloud-broker-password
	CAFile       string // Dir/certs/ca.pem, "" without a CA
	Warnings     []string
}

// DefaultPlugin is the path of Debian's dynamic-security plugin for the
// architecture this program runs on.
func DefaultPlugin() string {
	triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "arm": "arm-linux-gnueabihf", "386": "i386-linux-gnu"}[runtime.GOARCH]
	if triplet == "" {
		triplet = runtime.GOARCH + "-linux-gnu"
	}
	return "/usr/lib/" + triplet + "/mosquitto_dynamic_security.so"
}

// Write checks the options and the certificates, then writes the files.
// It refuses to change an existing file without Force and writes nothing
// then; a file that already has the contents to be written is left as it
// is (so a directory holding only the checked-in mosquitto.conf can be
// completed).
func Write(o Options) (Result, error) {
	var res Result
	if o.Dir == "" {
		return res, errors.New("broker-config: no output directory (--out)")
	}
	if o.AdminUser == "" {
		o.AdminUser = DefaultAdminUser
	}
	if err := checkUser(o.AdminUser); err != nil {
		return res, err
	}
	if o.Plugin == "" {
		o.Plugin = DefaultPlugin()
	}
	if o.DataDir == "" {
		o.DataDir = "/var/lib/mosquitto/"
	}
	if !strings.HasSuffix(o.DataDir, "/") {
		o.DataDir += "/" // mosquitto appends the file name to it as it is
	}
	if o.Mount == "" {
		abs, err := filepath.Abs(o.Dir)
		if err != nil {
			return res, fmt.Errorf("broker-config: %w", err)
		}
		o.Mount = abs
	}
	for name, p := range map[string]string{"plugin": o.Plugin, "data directory": o.DataDir, "mount directory": o.Mount, "run-as user": o.RunAs} {
		if strings.ContainsAny(p, "\n\r\x00") || (name != "run-as user" && p != "" && !path.IsAbs(p)) {
			return res, fmt.Errorf("broker-config: the %s %q must be an absolute path on one line", name, p)
		}
	}
	if o.Gateways.Port == 0 || o.Cloud.Port == 0 {
		return res, errors.New("broker-config: both listeners (gateways and cloud) need a port")
	}
	if o.Gateways.Port == o.Cloud.Port && (o.Gateways.Host == o.Cloud.Host || o.Gateways.wildcard() || o.Cloud.wildcard()) {
		return res, fmt.Errorf("broker-config: the gateways' listener %s and the cloud's %s use the same port", o.Gateways, o.Cloud)
	}
	if o.Now == nil {
		o.Now = time.Now
	}

	files := map[string][]byte{}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return res, errors.New("broker-config: give the TLS certificate and its key together (--tls-cert and --tls-key)")
	}
	if o.TLSCert == "" && o.CA != "" {
		return res, errors.New("broker-config: --ca without --tls-cert and --tls-key: the CA is checked against the certificate")
	}
	if o.TLSCert != "" {
		cert, key, ca, warnings, err := loadTLS(o.TLSCert, o.TLSKey, o.CA, o.Now())
		if err != nil {
			return res, err
		}
		res.Warnings = append(res.Warnings, warnings...)
		files[CertFile], files[KeyFile] = cert, key
		if ca != nil {
			files[CAFile] = ca
			res.CAFile = filepath.Join(o.Dir, CAFile)
		}
	}
	files[ConfFile] = []byte(Conf(o))

	password, err := domain.RandomToken(24)
	if err != nil {
		return res, fmt.Errorf("broker-config: %w", err)
	}
	ds, err := InitialDynsec(o.AdminUser, password)
	if err != nil {
		return res, err
	}
	files[DynsecFile] = ds
	files[PasswordFile] = []byte(password + "\n")

	// Check every file before writing any.
	var refused []string
	for name, data := range files {
		old, err := os.ReadFile(filepath.Join(o.Dir, name))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return res, fmt.Errorf("broker-config: %w", err)
		case bytes.Equal(old, data):
			delete(files, name)
		case !o.Force:
			refused = append(refused, filepath.Join(o.Dir, name))
		}
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return res, fmt.Errorf("broker-config: %s already exist(s) with other contents; nothing was written (--force overwrites, and a new %s replaces every broker account the cloud made)",
			strings.Join(refused, ", "), DynsecFile)
	}
	if _, ok := files[DynsecFile]; !ok {
		// Only the password file would change: keep the old pair.
		delete(files, PasswordFile)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(o.Dir, n)
		mode := os.FileMode(0o600)
		if n == ConfFile || n == CertFile || n == CAFile {
			mode = 0o644
		}
		if err := writeFile(p, files[n], mode); err != nil {
			return res, err
		}
		res.Files = append(res.Files, p)
	}
	res.AdminUser = o.AdminUser
	res.PasswordFile = filepath.Join(o.Dir, PasswordFile)
	return res, nil
}

// writeFile writes data atomically (a temp file renamed) with mode.
func writeFile(p string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("broker-config: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p))
	if err != nil {
		return fmt.Errorf("broker-config: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("broker-config: write %s: %w", p, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("broker-config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("broker-config: write %s: %w", p, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("broker-config: %w", err)
	}
	return nil
}

// checkUser: a broker user name of 1-64 of a-z A-Z 0-9 . _ -.
func checkUser(u string) error {
	if len(u) > 64 {
		return fmt.Errorf("broker-config: the admin user %q is longer than 64 characters", u)
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("broker-config: the admin user %q may hold only letters, digits, '.', '_' and '-'", u)
		}
	}
	return nil
}

// loadTLS reads and checks the certificate (with its chain), the key and
// the CA: PEM, the key belongs to the certificate, the certificate chains
// to the CA. It returns the files' contents. A certificate that expires
// within 30 days is a warning; an expired one an error.
func loadTLS(certFile, keyFile, caFile string, now time.Time) (cert, key, ca []byte, warnings []string, err error) {
	if cert, err = os.ReadFile(certFile); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS certificate: %w", err)
	}
	if key, err = os.ReadFile(keyFile); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS key: %w", err)
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS certificate %s: %w", certFile, err)
	}
	if now.After(leaf.NotAfter) {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS certificate %s expired on %s", certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if leaf.NotAfter.Sub(now) < 30*24*time.Hour {
		warnings = append(warnings, fmt.Sprintf("the TLS certificate %s expires on %s", certFile, leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	if caFile == "" {
		return cert, key, nil, warnings, nil
	}
	if ca, err = os.ReadFile(caFile); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the CA %s holds no PEM certificate", caFile)
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("broker-config: the TLS certificate %s does not chain to the CA %s: %w", certFile, caFile, err)
	}
	return cert, key, ca, warnings, nil
}

// Dynamic-security state: the structure `mosquitto_ctrl dynsec init`
// writes (Mosquitto 2.0).
type dynsecState struct {
	Clients          []dynsecClient  `json:"clients"`
	Roles            []dynsecRole    `json:"roles"`
	DefaultACLAccess map[string]bool `json:"defaultACLAccess"`
}

type dynsecClient struct {
	Username   string           `json:"username"`
	TextName   string           `json:"textName,omitempty"`
	Password   string           `json:"password"`
	Salt       string           `json:"salt"`
	Iterations int              `json:"iterations"`
	Roles      []map[string]any `json:"roles"`
}

type dynsecRole struct {
	Rolename string      `json:"rolename"`
	ACLs     []dynsecACL `json:"acls"`
}

type dynsecACL struct {
	ACLType string `json:"acltype"`
	Topic   string `json:"topic"`
	Allow   bool   `json:"allow"`
}

// dynsecIterations is the PBKDF2 count `mosquitto_ctrl dynsec init` uses;
// the clients the cloud creates later get the plugin's own.
const dynsecIterations = 101

// InitialDynsec is the plugin's first state, as `mosquitto_ctrl dynsec
// init FILE admin password` makes it: one client, admin, with the role
// admin (the control topic, $SYS, read everything), and by default no
// client may publish or subscribe. The cloud, connected as admin, then
// creates its service account and role and each enrolled gateway's
// client and role (cloud/dynsec.go, cloud/dynsec).
func InitialDynsec(admin, password string) ([]byte, error) {
	salt := make([]byte, 12)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("broker-config: random: %w", err)
	}
	hash, err := HashPassword(password, salt, dynsecIterations)
	if err != nil {
		return nil, err
	}
	st := dynsecState{
		Clients: []dynsecClient{{
			Username: admin, TextName: "eldergate cloud (dynsec admin)",
			Password: hash, Salt: base64.StdEncoding.EncodeToString(salt), Iterations: dynsecIterations,
			Roles: []map[string]any{{"rolename": "admin"}},
		}},
		Roles: []dynsecRole{{Rolename: "admin", ACLs: []dynsecACL{
			{"publishClientSend", "$CONTROL/dynamic-security/#", true},
			{"publishClientReceive", "$CONTROL/dynamic-security/#", true},
			{"subscribePattern", "$CONTROL/dynamic-security/#", true},
			{"publishClientReceive", "$SYS/#", true},
			{"subscribePattern", "$SYS/#", true},
			{"publishClientReceive", "#", true},
			{"subscribePattern", "#", true},
			{"unsubscribePattern", "#", true},
		}}},
		DefaultACLAccess: map[string]bool{"publishClientSend": false, "publishClientReceive": true, "subscribe": false, "unsubscribe": true},
	}
	out, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("broker-config: %w", err)
	}
	return append(out, '\n'), nil
}

// HashPassword is the plugin's password hash: base64 of PBKDF2-HMAC-SHA512
// (64 bytes) of password with salt.
func HashPassword(password string, salt []byte, iterations int) (string, error) {
	k, err := pbkdf2.Key(sha512.New, password, salt, iterations, 64)
	if err != nil {
		return "", fmt.Errorf("broker-config: hash: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}
