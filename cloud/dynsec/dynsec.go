// Package dynsec manages clients and roles on an external Mosquitto
// through its dynamic-security plugin: JSON commands published on
// $CONTROL/dynamic-security/v1, answers read from .../v1/response and
// matched by correlation data.
package dynsec

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
)

const (
	// ControlTopic receives the commands.
	ControlTopic = "$CONTROL/dynamic-security/v1"
	// ResponseTopic carries the plugin's answers.
	ResponseTopic = ControlTopic + "/response"
)

// ErrExists is returned (wrapped) when the plugin answers that the client
// or role already exists.
var ErrExists = errors.New("dynsec: already exists")

// Config configures a Client. User must be allowed to use the control
// topic (the admin made by `mosquitto_ctrl dynsec init`).
type Config struct {
	URL, User, Password string
	ClientID            string        // default "eldergate-dynsec"
	Timeout             time.Duration // per command; default 5 s
	TLS                 *tls.Config   // for ssl:// URLs; nil: paho's default
	Logger              *slog.Logger
}

// Command is one dynamic-security command, e.g.
// {"command":"createClient","username":"gw-1","password":"..."}.
type Command map[string]any

type response struct {
	Command         string `json:"command"`
	Error           string `json:"error"`
	CorrelationData string `json:"correlationData"`
}

// Client sends commands over its own MQTT connection.
type Client struct {
	cfg  Config
	log  *slog.Logger
	conn paho.Client
	seq  atomic.Uint64

	mu      sync.Mutex
	pending map[string]chan response
}

// Dial connects, subscribes to the response topic and returns the client.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.URL == "" || cfg.User == "" {
		return nil, errors.New("dynsec: broker URL and user are required")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "eldergate-dynsec"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, log: cfg.Logger, pending: map[string]chan response{}}
	o := paho.NewClientOptions().AddBroker(cfg.URL).SetClientID(cfg.ClientID).
		SetUsername(cfg.User).SetPassword(cfg.Password).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(false).SetConnectTimeout(cfg.Timeout).
		SetOrderMatters(false).
		SetOnConnectHandler(func(pc paho.Client) {
			// Resubscribe after every (re)connection: the session is clean.
			t := pc.Subscribe(ResponseTopic, 1, c.onResponse)
			go func() {
				if t.WaitTimeout(cfg.Timeout) && t.Error() != nil {
					c.log.Error("dynsec: subscribe", "err", t.Error())
				}
			}()
		})
	if cfg.TLS != nil {
		o.SetTLSConfig(cfg.TLS)
	}
	c.conn = paho.NewClient(o)
	t := c.conn.Connect()
	if err := wait(ctx, t, cfg.Timeout); err != nil {
		return nil, fmt.Errorf("dynsec: connect %s: %w", cfg.URL, err)
	}
	// Make sure the subscription is in place before the first command.
	st := c.conn.Subscribe(ResponseTopic, 1, c.onResponse)
	if err := wait(ctx, st, cfg.Timeout); err != nil {
		c.conn.Disconnect(100)
		return nil, fmt.Errorf("dynsec: subscribe %s: %w", ResponseTopic, err)
	}
	if sub, ok := st.(*paho.SubscribeToken); ok {
		for _, q := range sub.Result() {
			if q > 2 {
				c.conn.Disconnect(100)
				return nil, fmt.Errorf("dynsec: subscribe %s refused (user %s lacks the rights)", ResponseTopic, cfg.User)
			}
		}
	}
	return c, nil
}

func wait(ctx context.Context, t paho.Token, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("no answer within %v", d)
	}
}

func (c *Client) onResponse(_ paho.Client, m paho.Message) {
	var body struct {
		Responses []response `json:"responses"`
	}
	if err := json.Unmarshal(m.Payload(), &body); err != nil {
		c.log.Warn("dynsec: bad response", "err", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range body.Responses {
		if ch, ok := c.pending[r.CorrelationData]; ok {
			delete(c.pending, r.CorrelationData)
			ch <- r // buffered 1
		}
	}
}

// Do sends the commands in one message and waits for every answer; it
// returns the first error (wrapped ErrExists for "already exists").
func (c *Client) Do(ctx context.Context, cmds ...Command) error {
	if len(cmds) == 0 {
		return nil
	}
	chans := make([]chan response, len(cmds))
	ids := make([]string, len(cmds))
	out := make([]Command, len(cmds))
	c.mu.Lock()
	for i, cmd := range cmds {
		ids[i] = strconv.FormatUint(c.seq.Add(1), 10)
		chans[i] = make(chan response, 1)
		c.pending[ids[i]] = chans[i]
		cp := Command{"correlationData": ids[i]}
		for k, v := range cmd {
			cp[k] = v
		}
		out[i] = cp
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		for _, id := range ids {
			delete(c.pending, id)
		}
		c.mu.Unlock()
	}()
	payload, err := json.Marshal(map[string]any{"commands": out})
	if err != nil {
		return fmt.Errorf("dynsec: encode: %w", err)
	}
	if err := wait(ctx, c.conn.Publish(ControlTopic, 1, false, payload), c.cfg.Timeout); err != nil {
		return fmt.Errorf("dynsec: publish: %w", err)
	}
	timer := time.NewTimer(c.cfg.Timeout)
	defer timer.Stop()
	var first error
	for i, ch := range chans {
		select {
		case r := <-ch:
			if r.Error != "" && first == nil {
				if r.Error == "Client already exists" || r.Error == "Role already exists" {
					first = fmt.Errorf("%w: %s %v: %s", ErrExists, cmds[i]["command"], name(cmds[i]), r.Error)
				} else {
					first = fmt.Errorf("dynsec: %s %v: %s", cmds[i]["command"], name(cmds[i]), r.Error)
				}
			}
		case <-ctx.Done():
			return fmt.Errorf("dynsec: %s: %w", cmds[i]["command"], ctx.Err())
		case <-timer.C:
			return fmt.Errorf("dynsec: %s: no answer within %v", cmds[i]["command"], c.cfg.Timeout)
		}
	}
	return first
}

func name(c Command) any {
	if v, ok := c["username"]; ok {
		return v
	}
	return c["rolename"]
}

// Close disconnects.
func (c *Client) Close() {
	c.conn.Disconnect(250)
}

// ACL is one role ACL entry.
type ACL struct {
	Type  string // publishClientSend, publishClientReceive, subscribeLiteral, subscribePattern, ...
	Topic string
	Allow bool
}

// EnsureRole creates role (if missing) and adds the ACLs (an ACL that is
// already there is not an error).
func (c *Client) EnsureRole(ctx context.Context, role string, acls []ACL) error {
	if err := c.Do(ctx, Command{"command": "createRole", "rolename": role}); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	for _, a := range acls {
		err := c.Do(ctx, Command{"command": "addRoleACL", "rolename": role, "acltype": a.Type, "topic": a.Topic, "allow": a.Allow, "priority": 0})
		if err != nil && !isACLExists(err) {
			return err
		}
	}
	return nil
}

func isACLExists(err error) bool {
	return err != nil && (errors.Is(err, ErrExists) || strings.Contains(err.Error(), "already exists"))
}

// GatewayRole is the role name of gateway id.
func GatewayRole(id string) string { return "eg-gw-" + id }

// GatewayACLs are the rights of gateway id (MQTT contract in DESIGN.md):
// publish up, cmdres, state; subscribe ack, cmd and the cloud's state
// (read only, ADR 0012).
func GatewayACLs(id string) []ACL {
	p := "eg/v1/gw/" + id + "/"
	return []ACL{
		{"subscribeLiteral", eldergate.CloudStateTopic, true},
		{"publishClientReceive", eldergate.CloudStateTopic, true},
		{"publishClientSend", p + "up", true},
		{"publishClientSend", p + "cmdres", true},
		{"publishClientSend", p + "state", true},
		{"subscribeLiteral", p + "ack", true},
		{"subscribeLiteral", p + "cmd", true},
		{"publishClientReceive", p + "ack", true},
		{"publishClientReceive", p + "cmd", true},
	}
}

// ServiceACLs are the rights of the cloud's own account: everything under
// eg/v1/, also as a shared subscription.
func ServiceACLs() []ACL {
	return []ACL{
		{"publishClientSend", "eg/v1/#", true},
		{"publishClientReceive", "eg/v1/#", true},
		{"subscribePattern", "eg/v1/#", true},
		// The ingesters' shared subscription ($share/ingest/eg/v1/gw/+/up)
		// is checked with its $share prefix.
		{"subscribePattern", "$share/+/eg/v1/#", true},
	}
}

// EnrollGateway creates the broker client of gateway id with password and
// its own role; an existing client (a repeated enrollment) gets the new
// password and is enabled again.
func (c *Client) EnrollGateway(ctx context.Context, id, password string) error {
	role := GatewayRole(id)
	if err := c.EnsureRole(ctx, role, GatewayACLs(id)); err != nil {
		return err
	}
	err := c.Do(ctx, Command{"command": "createClient", "username": id, "password": password,
		"roles": []map[string]any{{"rolename": role}}})
	if errors.Is(err, ErrExists) {
		err = c.Do(ctx,
			Command{"command": "setClientPassword", "username": id, "password": password},
			Command{"command": "enableClient", "username": id})
		if err == nil {
			err = c.Do(ctx, Command{"command": "addClientRole", "username": id, "rolename": role})
		}
	}
	return err
}

// AddClientRole gives user the role.
func (c *Client) AddClientRole(ctx context.Context, user, role string) error {
	return c.Do(ctx, Command{"command": "addClientRole", "username": user, "rolename": role})
}

// DisableClient disables user; Mosquitto disconnects its sessions.
func (c *Client) DisableClient(ctx context.Context, user string) error {
	return c.Do(ctx, Command{"command": "disableClient", "username": user})
}

// DeleteClient deletes user; Mosquitto disconnects its sessions.
func (c *Client) DeleteClient(ctx context.Context, user string) error {
	return c.Do(ctx, Command{"command": "deleteClient", "username": user})
}
