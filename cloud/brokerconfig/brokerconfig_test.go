package brokerconfig_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/brokerconfig"
	"github.com/eldergate/eldergate/deploy/testenv"
)

func options(t *testing.T) brokerconfig.Options {
	t.Helper()
	return brokerconfig.Options{Dir: filepath.Join(t.TempDir(), "out"),
		Gateways: brokerconfig.Listen{Host: "0.0.0.0", Port: 8883}, Cloud: brokerconfig.Listen{Host: "127.0.0.1", Port: 8884}}
}

func TestParseListen(t *testing.T) {
	for in, want := range map[string]brokerconfig.Listen{
		"0.0.0.0:8883":    {"0.0.0.0", 8883},
		":1":              {"", 1},
		"[::1]:65535":     {"::1", 65535},
		"broker.lan:8884": {"broker.lan", 8884},
	} {
		got, err := brokerconfig.ParseListen(in)
		if err != nil || got != want {
			t.Errorf("ParseListen(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, words := range map[string]string{
		"8883":                 "want host:port",
		"0.0.0.0:0":            "from 1 to 65535",
		"0.0.0.0:65536":        "from 1 to 65535",
		"0.0.0.0:+80":          "from 1 to 65535",
		"0.0.0.0:08":           "from 1 to 65535",
		"bad host:8883":        "neither an IP address nor a host name",
		"a\nplugin x:8883":     "neither an IP address nor a host name",
		"-lead.example:8883":   "neither an IP address nor a host name",
		"0.0.0.0:http":         "from 1 to 65535",
		"[0.0.0.0]:8883:12":    "want host:port",
		"under_score.lan:8883": "neither an IP address nor a host name",
	} {
		if _, err := brokerconfig.ParseListen(in); err == nil || !strings.Contains(err.Error(), words) {
			t.Errorf("ParseListen(%q) error = %v, want one saying %q", in, err, words)
		}
	}
}

// FuzzParseListen: whatever it accepts round-trips through String, and its
// listener line is one line of at most three fields.
func FuzzParseListen(f *testing.F) {
	for _, s := range []string{"0.0.0.0:8883", ":1", "[::]:8883", "a.b:1", "x", "1.2.3.4:99999", "h\n:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := brokerconfig.ParseListen(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if l.Port < 1 || l.Port > 65535 {
			t.Fatalf("%q: port %d", s, l.Port)
		}
		again, err := brokerconfig.ParseListen(l.String())
		if err != nil || again != l {
			t.Fatalf("%q: %+v does not round-trip: %+v, %v", s, l, again, err)
		}
		if strings.ContainsAny(l.Host, " \t\r\n#") {
			t.Fatalf("%q: host %q would break the configuration line", s, l.Host)
		}
	})
}

// TestWrite: the files, their modes, the configuration's settings, the
// certificates copied, and no overwrite without Force.
func TestWrite(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	o := options(t)
	o.TLSCert, o.TLSKey, o.CA, o.Mount = files.CertFile, files.KeyFile, files.CAFile, "/mosquitto/config"
	res, err := brokerconfig.Write(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 6 || res.AdminUser != brokerconfig.DefaultAdminUser || res.CAFile != filepath.Join(o.Dir, brokerconfig.CAFile) {
		t.Fatalf("result = %+v", res)
	}
	for name, mode := range map[string]os.FileMode{brokerconfig.ConfFile: 0o644, brokerconfig.DynsecFile: 0o600, brokerconfig.PasswordFile: 0o600,
		brokerconfig.CertFile: 0o644, brokerconfig.KeyFile: 0o600, brokerconfig.CAFile: 0o644} {
		st, err := os.Stat(filepath.Join(o.Dir, name))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v; want %v", name, err, st.Mode().Perm(), mode)
		}
	}
	conf, _ := os.ReadFile(filepath.Join(o.Dir, brokerconfig.ConfFile))
	for _, line := range []string{"listener 8883 0.0.0.0\n", "listener 8884 127.0.0.1\n", "tls_version tlsv1.2\n", "certfile /mosquitto/config/certs/server.pem\n",
		"plugin_opt_config_file /mosquitto/config/dynamic-security.json\n", "allow_anonymous false\n", "persistence true\n",
		"max_packet_size 1114112\n", "max_queued_messages 100000\n", "max_queued_bytes 536870912\n", "max_inflight_messages 64\n"} {
		if !strings.Contains(string(conf), line) {
			t.Errorf("mosquitto.conf lacks %q", line)
		}
	}
	if strings.Count(string(conf), "tls_version tlsv1.2\n") != 2 {
		t.Error("not every listener has tls_version tlsv1.2")
	}
	key, _ := os.ReadFile(files.KeyFile)
	if got, _ := os.ReadFile(filepath.Join(o.Dir, brokerconfig.KeyFile)); string(got) != string(key) {
		t.Error("the key was not copied as it is")
	}
	pw1, _ := os.ReadFile(res.PasswordFile)

	// Again: refused, nothing changed.
	if _, err := brokerconfig.Write(o); err == nil || !strings.Contains(err.Error(), "already exist") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second Write: %v, want a refusal naming --force", err)
	}
	if pw, _ := os.ReadFile(res.PasswordFile); string(pw) != string(pw1) {
		t.Fatal("a refused Write changed the password file")
	}
	o.Force = true
	if _, err := brokerconfig.Write(o); err != nil {
		t.Fatal(err)
	}
	if pw, _ := os.ReadFile(res.PasswordFile); string(pw) == string(pw1) {
		t.Fatal("Force did not write a new password")
	}

	// A directory holding only the same mosquitto.conf (the checked-in
	// golden one) is completed without Force.
	o2 := options(t)
	o2.Mount = "/mosquitto/config"
	if _, err := brokerconfig.Write(o2); err != nil {
		t.Fatal(err)
	}
	keep, _ := os.ReadFile(filepath.Join(o2.Dir, brokerconfig.ConfFile))
	os.Remove(filepath.Join(o2.Dir, brokerconfig.DynsecFile))
	os.Remove(filepath.Join(o2.Dir, brokerconfig.PasswordFile))
	if res, err := brokerconfig.Write(o2); err != nil || len(res.Files) != 2 {
		t.Fatalf("completing a directory with the same mosquitto.conf: %+v, %v", res, err)
	}
	if again, _ := os.ReadFile(filepath.Join(o2.Dir, brokerconfig.ConfFile)); string(again) != string(keep) {
		t.Fatal("mosquitto.conf is not deterministic")
	}
}

// TestWriteErrors: bad input is refused in words and writes nothing.
func TestWriteErrors(t *testing.T) {
	files := testenv.NewTLSFiles(t)
	other := testenv.NewTLSFiles(t) // another CA
	for name, c := range map[string]struct {
		edit  func(*brokerconfig.Options)
		words string
	}{
		"missing cert":   {func(o *brokerconfig.Options) { o.TLSCert, o.TLSKey = "/nonexistent/server.pem", files.KeyFile }, "the TLS certificate: open /nonexistent/server.pem"},
		"cert alone":     {func(o *brokerconfig.Options) { o.TLSCert = files.CertFile }, "together"},
		"key not cert's": {func(o *brokerconfig.Options) { o.TLSCert, o.TLSKey = files.CertFile, other.KeyFile }, "private key does not match public key"},
		"key is a cert":  {func(o *brokerconfig.Options) { o.TLSCert, o.TLSKey = files.CertFile, files.CAFile }, "and key"},
		"wrong CA": {func(o *brokerconfig.Options) {
			o.TLSCert, o.TLSKey, o.CA = files.CertFile, files.KeyFile, other.CAFile
		}, "does not chain to the CA"},
		"CA not PEM": {func(o *brokerconfig.Options) {
			o.TLSCert, o.TLSKey, o.CA = files.CertFile, files.KeyFile, files.KeyFile
		}, "holds no PEM certificate"},
		"expired": {func(o *brokerconfig.Options) {
			o.TLSCert, o.TLSKey, o.Now = files.CertFile, files.KeyFile, func() time.Time { return time.Now().Add(48 * time.Hour) }
		}, "expired on"},
		"CA alone":       {func(o *brokerconfig.Options) { o.CA = files.CAFile }, "--ca without"},
		"same port":      {func(o *brokerconfig.Options) { o.Cloud.Port = o.Gateways.Port }, "same port"},
		"admin user":     {func(o *brokerconfig.Options) { o.AdminUser = "a b" }, "may hold only"},
		"relative data":  {func(o *brokerconfig.Options) { o.DataDir = "data" }, "absolute path"},
		"plugin newline": {func(o *brokerconfig.Options) { o.Plugin = "/x.so\nallow_anonymous true" }, "absolute path on one line"},
		"no dir":         {func(o *brokerconfig.Options) { o.Dir = "" }, "--out"},
	} {
		o := options(t)
		c.edit(&o)
		_, err := brokerconfig.Write(o)
		if err == nil || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.words)
			continue
		}
		if o.Dir != "" {
			if _, err := os.Stat(o.Dir); !os.IsNotExist(err) {
				t.Errorf("%s: the output directory was made: %v", name, err)
			}
		}
	}
}

// TestInitialDynsecAsMosquittoCtrl: the first dynsec state has the
// structure `mosquitto_ctrl dynsec init` writes, and its password hash is
// the plugin's (recomputed from mosquitto_ctrl's own salt).
func TestInitialDynsecAsMosquittoCtrl(t *testing.T) {
	ctrl := filepath.Join(t.TempDir(), "ctrl.json")
	if out, err := exec.Command("mosquitto_ctrl", "dynsec", "init", ctrl, "admin", "pw-123").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_ctrl (make test installs mosquitto): %v: %s", err, out)
	}
	raw, err := os.ReadFile(ctrl)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := brokerconfig.InitialDynsec("admin", "pw-123")
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &got); err != nil {
		t.Fatal(err)
	}
	wc := want["clients"].([]any)[0].(map[string]any)
	gc := got["clients"].([]any)[0].(map[string]any)
	salt, err := base64.StdEncoding.DecodeString(wc["salt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if h, err := brokerconfig.HashPassword("pw-123", salt, int(wc["iterations"].(float64))); err != nil || h != wc["password"] {
		t.Fatalf("HashPassword = %s, %v; mosquitto_ctrl has %s", h, err, wc["password"])
	}
	for _, k := range []string{"password", "salt", "textName"} {
		delete(wc, k)
		delete(gc, k)
	}
	if !reflect.DeepEqual(want, got) {
		a, _ := json.MarshalIndent(want, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("dynsec state differs from mosquitto_ctrl's:\nmosquitto_ctrl: %s\nours: %s", a, b)
	}
}
