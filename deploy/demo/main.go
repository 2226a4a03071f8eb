// Command demo runs the eldergate demo: the cloud (embedded MQTT broker,
// SQLite) and one simulated gateway as two processes talking MQTT over TCP
// on loopback, then prints the URLs to open. Ctrl-C stops both.
//
//	go run ./deploy/demo                      (what `make demo` does)
//	go run ./deploy/demo -run 'node test.mjs' run a command against the demo, then stop
//
// With -run the command gets EG_CONSOLE_URL, EG_KIOSK_URL, EG_TOKEN (the
// admin API token, for API calls) and EG_USER / EG_PASSWORD (the demo
// admin's sign-in, for the console) in its environment and the demo's
// exit status is the command's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
)

// demoOrg is the demo's organisation tree: the demo site under a
// district, a street and a community, so that the console shows the
// site's name and the alarm ladder has its levels. The district and the
// street carry the division codes of the demo gateway's area
// (deploy/demo/gateway.yaml), from which the reconciliation builds the
// site's jurisdiction.
var demoOrg = []string{
	`{"id":"demo-district","level":"district","name":"示范区","code":"440307"}`,
	`{"id":"demo-street","parent":"demo-district","level":"street","name":"幸福街道","code":"440307001"}`,
	`{"id":"demo-community","parent":"demo-street","level":"community","name":"幸福里社区"}`,
	`{"id":"site-demo-1","parent":"demo-community","level":"site","name":"幸福里长者饭堂"}`,
}

// seedCall sends one seeding request to the cloud's API (JSON body,
// the admin token) and returns the status the cloud answered; one not
// in ok is an error naming what (what was being seeded) with the cloud's
// words.
func seedCall(ctx context.Context, what, method, url, token string, body []byte, ok ...int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	if !slices.Contains(ok, res.StatusCode) {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
		return res.StatusCode, fmt.Errorf("%s: the cloud answered %s: %s", what, res.Status, msg)
	}
	return res.StatusCode, nil
}

// seedOrg creates demoOrg through the API; units that exist already (a
// demo run again on its data) get the division code of their entry (data
// from before the org codes).
func seedOrg(ctx context.Context, consoleURL, token string) error {
	for _, body := range demoOrg {
		code, err := seedCall(ctx, "org tree", "POST", consoleURL+"/api/v1/org", token, []byte(body), http.StatusCreated, http.StatusOK, http.StatusConflict)
		if err != nil {
			return err
		}
		var u struct{ ID, Code string }
		if err := json.Unmarshal([]byte(body), &u); err != nil {
			return err
		}
		if code != http.StatusConflict || u.Code == "" {
			continue
		}
		if _, err := seedCall(ctx, "org code of "+u.ID, "PATCH", consoleURL+"/api/v1/org/"+u.ID, token, []byte(`{"code":"`+u.Code+`"}`), http.StatusOK); err != nil {
			return err
		}
	}
	return nil
}

// demoFund is the demo's charity fund: its id is the layer "charity" of
// the demo policy (gateway.yaml), so the demo's lunches and dinners carry
// a share of it (docs/charity.md).
const demoFund = `{"id":"charity","names":{"zh-CN":"幸福里爱心助餐基金","zh-HK":"幸福里愛心助餐基金","en":"Xingfuli Meals for Elders Fund"},"unit":"demo-district"}`

// seedFund registers demoFund through the API; a fund registered already
// (a demo run again on its data) is left as it is.
func seedFund(ctx context.Context, consoleURL, token string) error {
	_, err := seedCall(ctx, "charity fund", "POST", consoleURL+"/api/v1/charity/funds", token, []byte(demoFund), http.StatusCreated, http.StatusConflict)
	return err
}

// seedMenu sets the demo site's menu (deploy/demo/menu.json) through the
// API: the cloud queues it to gw-demo-1, which gets it at its birth. Set
// again on a demo run on its data, the same dishes change nothing.
func seedMenu(ctx context.Context, root, consoleURL, token string) error {
	body, err := os.ReadFile(filepath.Join(root, "deploy", "demo", "menu.json"))
	if err != nil {
		return fmt.Errorf("menu: %w", err)
	}
	_, err = seedCall(ctx, "menu", "PUT", consoleURL+"/api/v1/sites/site-demo-1/menu", token, body, http.StatusOK)
	return err
}

// seedRoster makes the demo gateway's roster (the roster seed of
// gateway.yaml, every elder with their active flag) the demo site's roster
// in the cloud, through the roster import, when the cloud has none for the
// site yet: the cloud's roster is the roster (ADR 0025), so the cloud and
// the hall agree from the start and the gateway, at its birth, is sent
// the cloud's roster in place of its seed. A demo run again on its data
// keeps the roster the cloud has (an operator may have changed it).
func seedRoster(ctx context.Context, gatewayYAML, consoleURL, token string) error {
	var cur struct {
		Version uint64 `json:"version"`
	}
	if err := getJSON(ctx, consoleURL+"/api/v1/sites/site-demo-1/roster", token, &cur); err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	if cur.Version != 0 {
		return nil
	}
	b, err := os.ReadFile(gatewayYAML)
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	var cfg struct {
		Roster []eldergate.Elder `yaml:"roster"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("roster: %s: %w", gatewayYAML, err)
	}
	var csv bytes.Buffer
	csv.WriteString("编号,姓名,卡号,出生日期,类别,有效\n")
	for _, e := range cfg.Roster {
		active := "否"
		if e.Active {
			active = "是"
		}
		fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s\n", e.ID, e.Name, e.Card, e.Birth, e.Category, active)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", consoleURL+"/api/v1/sites/site-demo-1/roster/import", bytes.NewReader(csv.Bytes()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return fmt.Errorf("roster: the cloud answered %s: %s", res.Status, msg)
	}
	return nil
}

// demoUser is a person of the demo who signs in to the console.
type demoUser struct {
	Login, Name, Role, Scope, Password, What string
}

// demoUsers are the demo's people, one of each role, with fixed passwords
// printed beside the URLs (docs/console.md "People"). The admin is the
// district's administrator with no scope limit (the whole tree: the
// browser tests create gateways at sites outside it); the operator is
// bound to the street, the staff member to the hall, the auditor and the
// viewer to the district.
var demoUsers = []demoUser{
	{"admin", "周主任", "admin", "", "demo-admin-2468", "district administrator (区管理员)"},
	{"street-op", "王工", "operator", "demo-street", "demo-operator-1357", "street operator (街道运维)"},
	{"staff", "李姐", "staff", "site-demo-1", "demo-staff-2468", "hall staff (饭堂工作人员)"},
	{"auditor", "赵审计", "auditor", "demo-district", "demo-auditor-9753", "auditor (审计)"},
	{"viewer", "陈查看", "viewer", "demo-district", "demo-viewer-8642", "viewer (查看)"},
}

// seedUsers creates demoUsers through the API (their passwords need no
// change); users that exist already (a demo run again on its data) are
// left as they are.
func seedUsers(ctx context.Context, consoleURL, token string) error {
	for _, u := range demoUsers {
		body, err := json.Marshal(map[string]any{"login": u.Login, "name": u.Name, "role": u.Role, "scope": u.Scope,
			"password": u.Password, "must_change_password": false})
		if err != nil {
			return err
		}
		if _, err := seedCall(ctx, "user "+u.Login, "POST", consoleURL+"/api/v1/users", token, body, http.StatusCreated, http.StatusConflict); err != nil {
			return err
		}
	}
	return nil
}

// getJSON reads a JSON answer of the cloud's API.
func getJSON(ctx context.Context, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1<<10))
		return fmt.Errorf("GET %s: %s: %s", url, res.Status, msg)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// demoTillToken is the token of the demo till till-1 (gateway.yaml).
const demoTillToken = "demo-till-1-token-2468"

func run() error {
	root, _ := os.Getwd()
	bin := flag.String("bin", filepath.Join(root, "bin"), "folder with eldergate-cloud and eldergate-gateway")
	data := flag.String("data", filepath.Join(root, "demo-data"), "data folder (kept between runs)")
	httpPort := flag.Int("http", 8080, "console and API port")
	mqttPort := flag.Int("mqtt", 1883, "embedded MQTT broker port")
	kioskPort := flag.Int("kiosk", 8081, "kiosk port of the simulated gateway")
	token := flag.String("token", "demo-admin-token", "console login and API token")
	fresh := flag.Bool("fresh", false, "start from an empty data folder")
	runCmd := flag.String("run", "", "run this shell command against the demo, then stop")
	flag.Parse()

	if *fresh {
		if err := os.RemoveAll(*data); err != nil {
			return err
		}
	}
	for _, d := range []string{filepath.Join(*data, "cloud"), filepath.Join(*data, "gateway")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	const secret = "demo-gateway-secret"
	relKey, relPriv, err := demoReleaseKey(*data) // release.go
	if err != nil {
		return err
	}
	subst := strings.NewReplacer("@SECRET@", secret, "@RELEASE_KEY@", b64(relKey), "@TILL_TOKEN@", demoTillToken, "@MQTT_PORT@", fmt.Sprint(*mqttPort),
		"@KIOSK_PORT@", fmt.Sprint(*kioskPort), "@DATA@", filepath.Join(*data, "gateway"))
	for _, name := range []string{"cloud.yaml", "gateway.yaml"} {
		tmpl, err := os.ReadFile(filepath.Join(root, "deploy", "demo", name))
		if err != nil {
			return fmt.Errorf("run from the repository root: %w", err)
		}
		if err := os.WriteFile(filepath.Join(*data, name), []byte(subst.Replace(string(tmpl))), 0o600); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	consoleURL := fmt.Sprintf("http://127.0.0.1:%d", *httpPort)
	kioskURL := fmt.Sprintf("http://127.0.0.1:%d", *kioskPort)
	cloud, err := startProc(filepath.Join(*data, "cloud.log"), filepath.Join(*bin, "eldergate-cloud"), "serve",
		"--config", filepath.Join(*data, "cloud.yaml"), "--data", filepath.Join(*data, "cloud"),
		"--http", fmt.Sprintf("127.0.0.1:%d", *httpPort), "--mqtt", fmt.Sprintf("127.0.0.1:%d", *mqttPort),
		"--token", *token)
	if err != nil {
		return err
	}
	defer cloud.stop()
	if err := waitHTTP(ctx, consoleURL+"/healthz", 20*time.Second, cloud); err != nil {
		return err
	}
	if err := seedOrg(ctx, consoleURL, *token); err != nil {
		return err
	}
	if err := seedMenu(ctx, root, consoleURL, *token); err != nil {
		return err
	}
	if err := seedFund(ctx, consoleURL, *token); err != nil {
		return err
	}
	if err := seedUsers(ctx, consoleURL, *token); err != nil {
		return err
	}
	if err := seedRoster(ctx, filepath.Join(*data, "gateway.yaml"), consoleURL, *token); err != nil {
		return err
	}
	if err := seedRelease(ctx, *bin, relPriv, consoleURL, *token); err != nil {
		return err
	}
	gw, err := startProc(filepath.Join(*data, "gateway.log"), filepath.Join(*bin, "eldergate-gateway"), "run",
		"--config", filepath.Join(*data, "gateway.yaml"))
	if err != nil {
		return err
	}
	defer gw.stop()
	if err := waitHTTP(ctx, kioskURL+"/api/status", 20*time.Second, gw); err != nil {
		return err
	}

	fmt.Printf(`
  eldergate demo is running (logs in %[1]s/*.log)

  Kiosk (simulated gateway gw-demo-1):  %[2]s/
      staff PIN (工作人员):             2468
      operator PIN (运维):              1357
      cashier's screen (收银员屏幕):     %[2]s/cashier.html
      demo till till-1 (token %[6]s), for windows priced at the till:
        curl -H 'Authorization: Bearer %[6]s' -H 'Content-Type: application/json' \
             -d '{"amount_fen":1250,"ref":"S-1"}' %[2]s/api/till/amount
  Cloud console:                        %[3]s/
%[7]s  Cloud API (machines, bearer token):   curl -H 'Authorization: Bearer %[4]s' %[3]s/api/v1/meals
  MQTT broker (embedded):               tcp://127.0.0.1:%[5]d

  In the kiosk, tap a card in the simulation panel: the decision shows at
  once and the meal appears in the console. Press the emergency button:
  the kiosk says staff are being called; acknowledge the alert in the
  console or on the kiosk's staff screen (PIN 2468), then resolve it.

`, *data, kioskURL, consoleURL, *token, *mqttPort, demoTillToken, userLines())

	if *runCmd != "" {
		c := exec.CommandContext(ctx, "sh", "-c", *runCmd)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		c.Env = append(os.Environ(), "EG_CONSOLE_URL="+consoleURL, "EG_KIOSK_URL="+kioskURL, "EG_TOKEN="+*token, "EG_TILL_TOKEN="+demoTillToken,
			"EG_USER="+demoUsers[0].Login, "EG_PASSWORD="+demoUsers[0].Password, "EG_RELEASE_KEY="+relPriv)
		return c.Run()
	}
	fmt.Println("  Ctrl-C stops both.")
	select {
	case <-ctx.Done():
		return nil
	case err := <-cloud.done:
		return fmt.Errorf("cloud exited: %v (see %s)", err, cloud.log)
	case err := <-gw.done:
		return fmt.Errorf("gateway exited: %v (see %s)", err, gw.log)
	}
}

// userLines lists the demo's people for the banner: login, password, role.
func userLines() string {
	var b strings.Builder
	for _, u := range demoUsers {
		fmt.Fprintf(&b, "      sign in as %-10s password %-20s %s\n", u.Login, u.Password, u.What)
	}
	return b.String()
}

type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startProc(logPath, bin string, args ...string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = f, f
	if err := c.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s (run `make build` first): %w", bin, err)
	}
	p := &proc{cmd: c, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- c.Wait(); f.Close() }()
	return p, nil
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func waitHTTP(ctx context.Context, url string, d time.Duration, p *proc) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.done:
			log, _ := os.ReadFile(p.log)
			return fmt.Errorf("%s exited before answering: %v\n%s", p.cmd.Path, err, tail(string(log)))
		case <-ctx.Done():
			return errors.New("interrupted")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %v (see %s)", url, d, p.log)
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
