// Package compose_test lints compose.yaml with compose-go, the loader
// docker compose itself uses (no Docker engine needed), and keeps the
// Mosquitto configuration it mounts equal to what broker-config writes.
package compose_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/eldergate/eldergate/cloud/brokerconfig"
)

var update = flag.Bool("update", false, "rewrite mosquitto/mosquitto.conf from broker-config")

// composeOptions are the broker-config options of compose.yaml's setup
// (its header comment gives the same as flags).
func composeOptions(dir string) brokerconfig.Options {
	return brokerconfig.Options{Dir: dir, Mount: "/mosquitto/config", Plugin: "/usr/lib/mosquitto_dynamic_security.so",
		DataDir: "/mosquitto/data/", Gateways: brokerconfig.Listen{Host: "0.0.0.0", Port: 8883}, Cloud: brokerconfig.Listen{Host: "0.0.0.0", Port: 8884}}
}

// TestMosquittoConfGolden: mosquitto/mosquitto.conf is what broker-config
// writes with compose.yaml's flags (go test -update rewrites it), and the
// header of compose.yaml gives those flags.
func TestMosquittoConfGolden(t *testing.T) {
	tmp := t.TempDir()
	if _, err := brokerconfig.Write(composeOptions(tmp)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(tmp, brokerconfig.ConfFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("mosquitto", brokerconfig.ConfFile)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is not what broker-config writes for compose.yaml; run go test ./deploy/compose -update", golden)
	}
	header, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--mount /mosquitto/config", "--plugin /usr/lib/mosquitto_dynamic_security.so", "--persistence /mosquitto/data/",
		"--listen 0.0.0.0:8883", "--cloud-listen 0.0.0.0:8884", "--ca "} {
		if !strings.Contains(string(header), f) {
			t.Errorf("compose.yaml's setup lacks broker-config %s", f)
		}
	}
}

// load loads compose.yaml as `docker compose config` would, schema
// validation and consistency checks on, with the .env an operator writes
// (env.example) and the files its setup makes (in a copy of the directory).
func load(t *testing.T) *types.Project {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"compose.yaml", "cloud.yaml", "env.example"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(filepath.Join(dir, "env.example"), filepath.Join(dir, ".env")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for f, s := range map[string]string{"secrets/cloud.env": "EG_STORE_DSN=postgres://eldergate:x@postgres:5432/eldergate\nEG_ADMIN_TOKEN=x\n",
		"secrets/postgres_password": "x\n", "secrets/broker_password": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnvFiles(), cli.WithDotEnv, cli.WithConsistency(true),
		cli.WithoutEnvironmentResolution) // env_file stays apart from environment: the check for inline secrets reads the latter
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return p
}

// TestComposeLint: compose.yaml loads and validates, and has what
// production needs: the three services with healthchecks and restart
// policies, named volumes for every state, the cloud waiting for healthy
// dependencies, no secret inline, Mosquitto reading broker-config's
// directory and publishing only the gateways' port.
func TestComposeLint(t *testing.T) {
	p := load(t)
	if names := p.ServiceNames(); !slices.Equal(sorted(names), []string{"cloud", "mosquitto", "postgres"}) {
		t.Fatalf("services = %v", names)
	}
	for name, s := range p.Services {
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Interval == nil || s.HealthCheck.Retries == nil {
			t.Errorf("%s: no complete healthcheck: %+v", name, s.HealthCheck)
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		for k, v := range s.Environment {
			lk := strings.ToLower(k)
			if v != nil && (strings.Contains(lk, "password") && !strings.HasSuffix(lk, "_file") || strings.Contains(lk, "token") || strings.Contains(*v, "@")) {
				t.Errorf("%s: secret inline in environment %s", name, k)
			}
		}
		for _, c := range s.Command {
			if strings.Contains(strings.ToLower(c), "password=") || strings.Contains(c, "token=") {
				t.Errorf("%s: secret on the command line: %s", name, c)
			}
		}
	}
	for _, v := range []string{"pgdata", "mosquitto-data", "cloud-data"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Errorf("no named volume %s", v)
		}
	}

	pg := p.Services["postgres"]
	if !strings.HasPrefix(pg.Image, "postgres:15") || !mounts(pg, "volume", "pgdata", "/var/lib/postgresql/data") {
		t.Errorf("postgres: image %s, volumes %+v", pg.Image, pg.Volumes)
	}
	if pg.Environment["POSTGRES_PASSWORD_FILE"] == nil || len(pg.Secrets) != 1 {
		t.Error("postgres: the password is not a docker secret")
	}

	m := p.Services["mosquitto"]
	opts := composeOptions("")
	if !mounts(m, "bind", "mosquitto", opts.Mount) || !mounts(m, "volume", "mosquitto-data", strings.TrimSuffix(opts.DataDir, "/")) {
		t.Errorf("mosquitto: volumes %+v; want ./mosquitto at %s and a volume at %s", m.Volumes, opts.Mount, opts.DataDir)
	}
	if !slices.Equal(m.Command, types.ShellCommand{"mosquitto", "-c", opts.Mount + "/" + brokerconfig.ConfFile}) {
		t.Errorf("mosquitto: command %v does not read broker-config's %s", m.Command, brokerconfig.ConfFile)
	}
	if len(m.Ports) != 1 || m.Ports[0].Target != uint32(opts.Gateways.Port) || m.Ports[0].Published != "8883" {
		t.Errorf("mosquitto: ports %+v; want only the gateways' 8883 published", m.Ports)
	}
	if !strings.HasPrefix(m.Image, "eclipse-mosquitto:2.") {
		t.Errorf("mosquitto: image %s", m.Image)
	}
	alias := m.Networks["default"]
	if alias == nil || !slices.Contains(alias.Aliases, "broker.example.gov.cn") {
		t.Errorf("mosquitto: the broker's name from .env is not a network alias: %+v", m.Networks)
	}

	c := p.Services["cloud"]
	for _, dep := range []string{"postgres", "mosquitto"} {
		if d, ok := c.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("cloud: does not wait for %s to be healthy: %+v", dep, c.DependsOn)
		}
	}
	cmd := strings.Join(c.Command, " ")
	for _, want := range []string{"--broker=ssl://broker.example.gov.cn:8884", "--broker-gateway-url=ssl://broker.example.gov.cn:8883", "--config=/etc/eldergate/cloud.yaml"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("cloud: command %q lacks %s", cmd, want)
		}
	}
	if len(c.Secrets) != 1 || c.Secrets[0].Source != "broker_password" || len(c.EnvFiles) != 1 {
		t.Errorf("cloud: secrets %+v, env files %+v", c.Secrets, c.EnvFiles)
	}
	if !mounts(c, "bind", "mosquitto/certs/ca.pem", "/etc/eldergate/broker-ca.pem") || !mounts(c, "volume", "cloud-data", "/var/lib/eldergate") {
		t.Errorf("cloud: volumes %+v", c.Volumes)
	}
}

// TestComposeNeedsBrokerHost: without .env the load fails saying what to
// set, instead of running with an empty broker name.
func TestComposeNeedsBrokerHost(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithWorkingDirectory("."), cli.WithEnv([]string{"EG_PUBLIC_URL=https://x"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opts.LoadProject(context.Background()); err == nil || !strings.Contains(err.Error(), "set EG_BROKER_HOST") {
		t.Fatalf("load without EG_BROKER_HOST: %v", err)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// mounts reports whether s mounts source (a volume name, or a bind path
// ending in source) at target.
func mounts(s types.ServiceConfig, typ, source, target string) bool {
	for _, v := range s.Volumes {
		if v.Type == typ && v.Target == target && (v.Source == source || typ == "bind" && strings.HasSuffix(v.Source, "/"+source)) {
			return true
		}
	}
	return false
}
