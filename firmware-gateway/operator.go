package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// The staff screen's board (today's counts, each device's state) and the
// operator screen (httpapi.OperatorBackend): the gateway's state for a
// staff member with the operator role, and a test per device, each
// recorded as an audit event like the staff actions (staff.go).

// AuditOperatorTest is the audit type of an operator's device test.
const AuditOperatorTest = "operator_test"

// CardTestWait is how long the card test waits for a card.
const CardTestWait = 15 * time.Second

// probe sees the readings of the card reader and the scale before the tap
// desk: the scale's last weight, and the next card while a card test
// waits (that read is the test's, never a meal).
type probe struct {
	mu       sync.Mutex
	weight   scale.Weight
	weighed  bool
	cardWait chan card.Read // a card test is waiting
}

func (p *probe) weigh(w scale.Weight) {
	p.mu.Lock()
	p.weight, p.weighed = w, true
	p.mu.Unlock()
}

func (p *probe) lastWeight() (scale.Weight, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.weight, p.weighed
}

// takeCard hands rd to a waiting card test and reports whether it did.
func (p *probe) takeCard(rd card.Read) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cardWait == nil {
		return false
	}
	p.cardWait <- rd // buffered, one read; sent under the lock (waitCard relies on it)
	p.cardWait = nil
	return true
}

// waitCard waits up to d for the next card read; false when none came.
func (p *probe) waitCard(ctx context.Context, d time.Duration) (card.Read, bool, error) {
	ch := make(chan card.Read, 1)
	p.mu.Lock()
	if p.cardWait != nil {
		p.mu.Unlock()
		return card.Read{}, false, fmt.Errorf("gateway: card test: another card test is waiting: %w", httpapi.ErrConflict)
	}
	p.cardWait = ch
	p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	var err error
	select {
	case rd := <-ch:
		return rd, true, nil
	case <-t.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	// Withdrawn: unless a read was handed over meanwhile (it is then in
	// ch already, takeCard sends under the lock), and it is the test's:
	// a card never falls between the test and the desk.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cardWait == ch {
		p.cardWait = nil
		return card.Read{}, false, err
	}
	return <-ch, true, nil
}

// operator returns the staff member of a session with the operator role.
func (g *Gateway) operator(tok string) (config.StaffConfig, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return st, err
	}
	if !st.IsOperator() {
		return st, fmt.Errorf("gateway: staff %s: %w", st.ID, httpapi.ErrForbidden)
	}
	return st, nil
}

// siteZone is the site's time zone (the running policy's), UTC when it
// names none or an unknown one.
func (g *Gateway) siteZone() (string, *time.Location) {
	zone := g.desk.Policy().TimeZone
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		return zone, loc
	}
	return "UTC", time.UTC
}

// StaffToday implements httpapi.BoardBackend: today's meals (the site's
// local day) and every device's state, for any staff session.
func (g *Gateway) StaffToday(ctx context.Context, tok string) (httpapi.StaffToday, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return httpapi.StaffToday{}, err
	}
	now, _ := g.clock.Stamp(time.Time{})
	zone, loc := g.siteZone()
	day := now.In(loc).Format(time.DateOnly)
	counts, err := g.store.DayCounts(ctx, day)
	if err != nil {
		return httpapi.StaffToday{}, fmt.Errorf("gateway: %w", err)
	}
	return httpapi.StaffToday{Day: day, TimeZone: zone, Counts: counts, Devices: g.deviceStates()}, nil
}

// deviceStates is every device's state: card reader, scale, button
// source, each configured alarm button, the outputs, voice, uplink.
func (g *Gateway) deviceStates() []httpapi.DeviceState {
	out := []httpapi.DeviceState{}
	of := func(kind string, st drivers.Status) httpapi.DeviceState {
		d := httpapi.DeviceState{Kind: kind, Name: st.Name, Driver: st.Driver, State: httpapi.DeviceOK, Error: st.Err, Since: st.Since}
		switch {
		case !st.Connected:
			d.State = httpapi.DeviceDisconnected
		case strings.Contains(st.Err, printer.ErrPaperOut.Error()):
			d.State = httpapi.DevicePaperOut
		case st.Err != "":
			d.State = httpapi.DeviceFault
		}
		return d
	}
	for _, d := range g.devices.Devices() {
		out = append(out, of(d.Kind, d.Status))
	}
	// Each configured alarm button: its live supervision alert, if any.
	ids := make([]string, 0, len(g.cfg.Alarms.Buttons))
	for id := range g.cfg.Alarms.Buttons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	live := map[string]string{}
	for _, a := range g.alarms.Alerts() {
		if a.Own && a.Type == eldergate.AlertTypeSupervision && (a.State == alarms.StateOpen || a.State == alarms.StateAcknowledged) {
			live[a.Button] = a.Reason
		}
	}
	for _, id := range ids {
		d := httpapi.DeviceState{Kind: "alarm_button", Name: g.cfg.Alarms.Buttons[id].Name, State: httpapi.DeviceOK}
		if d.Name == "" {
			d.Name = id
		}
		if r, ok := live[id]; ok {
			d.State, d.Reason = httpapi.DeviceAlert, r
		}
		out = append(out, d)
	}
	for _, d := range g.outputs.Devices() {
		out = append(out, of(d.Kind, d.Status))
	}
	if g.voice != nil {
		out = append(out, of("voice", g.voice.Status()))
	} else {
		out = append(out, httpapi.DeviceState{Kind: "voice", Name: "espeak-ng", State: httpapi.DeviceDisconnected, Error: "no voice cache"})
	}
	up := httpapi.DeviceState{Kind: "uplink", Name: brokerHosts(g.cfg.MQTT.Brokers()), Driver: "mqtt", State: httpapi.DeviceOK}
	if !g.up.Connected() {
		up.State = httpapi.DeviceDisconnected
	}
	out = append(out, up)
	return out
}

// brokerHost is the host:port of a broker URL, without credentials.
// brokerHosts is the host of every broker URL, comma separated.
func brokerHosts(urls []string) string {
	hosts := make([]string, 0, len(urls))
	for _, u := range urls {
		hosts = append(hosts, brokerHost(u))
	}
	return strings.Join(hosts, ",")
}

func brokerHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// hostAddresses lists the host's IP addresses, loopback last.
func hostAddresses() []string {
	addrs, err := net.InterfaceAddrs()
	out := []string{}
	if err != nil {
		return out
	}
	var loop []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ipn.IP.IsLoopback() {
			loop = append(loop, ipn.IP.String())
			continue
		}
		out = append(out, ipn.IP.String())
	}
	return append(out, loop...)
}

// OperatorStatus implements httpapi.OperatorBackend.
func (g *Gateway) OperatorStatus(ctx context.Context, tok string) (httpapi.OperatorStatus, error) {
	var st httpapi.OperatorStatus
	if _, err := g.operator(tok); err != nil {
		return st, err
	}
	now, clockState := g.clock.Stamp(time.Time{})
	ob, err := g.store.OutboxStats(ctx)
	if err != nil {
		return st, fmt.Errorf("gateway: operator status: %w", err)
	}
	ri, err := g.store.RosterInfo(ctx)
	if err != nil {
		return st, fmt.Errorf("gateway: operator status: %w", err)
	}
	st.Devices = g.deviceStates()
	st.Outbox.Pending, st.Outbox.DeadLetters, st.Outbox.OldestPending = ob.Pending, ob.DeadLetters, ob.OldestPending
	if !ob.OldestPending.IsZero() {
		st.Outbox.OldestAgeSeconds = max(0, int64(now.Sub(ob.OldestPending)/time.Second))
	}
	st.Clock.State, st.Clock.Now = clockState, now
	if clockState != eldergate.ClockSynced {
		st.Clock.Reason = g.clock.Reason() // of the Stamp above
	}
	st.Clock.JumpsForward, st.Clock.JumpsBackward = g.clock.Jumps()
	st.Network.UplinkConnected, st.Network.Broker, st.Network.LastAck = g.up.Connected(), brokerHosts(g.cfg.MQTT.Brokers()), g.up.LastAck()
	st.Network.Addresses = hostAddresses()
	st.Version, st.Boot, st.StartedAt = g.version, g.store.Boot(), g.startedAt.UTC()
	st.UptimeSeconds = int64(time.Since(g.startedAt) / time.Second)
	st.Enrollment.GatewayID, st.Enrollment.Site, st.Enrollment.SiteName = g.cfg.GatewayID, g.cfg.Site, g.cfg.SiteName
	st.Enrollment.Credentials = g.cfg.MQTT.Username != "" && g.cfg.MQTT.Password != ""
	switch {
	case g.cfg.MQTT.CredentialsFile != "":
		st.Enrollment.Source = "file"
	case st.Enrollment.Credentials:
		st.Enrollment.Source = "config"
	}
	st.Roster.Version, st.Roster.Elders, st.Roster.UpdatedAt = ri.Version, ri.Elders, ri.UpdatedAt
	p := g.desk.Policy()
	st.Policy.Version, st.Policy.TimeZone = p.Version, p.TimeZone
	return st, nil
}

// OperatorTest implements httpapi.OperatorBackend: runs one device test
// and records it as an audit event.
func (g *Gateway) OperatorTest(ctx context.Context, tok, test string) (httpapi.OperatorTest, error) {
	st, err := g.operator(tok)
	if err != nil {
		return httpapi.OperatorTest{}, err
	}
	res := httpapi.OperatorTest{Test: test}
	switch test {
	case httpapi.TestBeep:
		played, err := g.outputs.Beep()
		res.Played = played
		switch {
		case errors.Is(err, devices.ErrNoDevice):
			res.Result = httpapi.TestNoDevice
		case err != nil && len(played) == 0:
			res.Result, res.Error = httpapi.TestFailed, err.Error()
		default:
			res.Result = httpapi.TestBeeped
			if err != nil {
				res.Error = err.Error()
			}
		}
	case httpapi.TestTicket:
		now, _ := g.clock.Stamp(time.Time{})
		_, loc := g.siteZone()
		site := g.cfg.Outputs.Ticket.SiteName
		if site == "" {
			site = g.cfg.Site
		}
		err := g.outputs.PrintTest(ctx, devices.TestTicket(site, g.cfg.GatewayID, now, loc))
		switch {
		case errors.Is(err, devices.ErrNoDevice):
			res.Result = httpapi.TestNoDevice
		case errors.Is(err, printer.ErrPaperOut):
			res.Result, res.Error = httpapi.TestPaperOut, err.Error()
		case err != nil:
			res.Result, res.Error = httpapi.TestFailed, err.Error()
		default:
			res.Result = httpapi.TestPrinted
		}
	case httpapi.TestScale:
		w, ok := g.probe.lastWeight()
		switch {
		case g.devices.Config().Scale.Driver == config.DriverNone:
			res.Result = httpapi.TestNoDevice
		case !ok:
			res.Result = httpapi.TestNoReading
		default:
			grams := w.Grams
			res.Result, res.Grams, res.Stable = httpapi.TestWeight, &grams, w.State == scale.Stable
		}
	case httpapi.TestCard:
		if g.devices.Config().Card.Driver == config.DriverNone {
			res.Result = httpapi.TestNoDevice
			break
		}
		rd, ok, err := g.probe.waitCard(ctx, CardTestWait)
		switch {
		case err != nil:
			return res, err
		case ok:
			res.Result, res.Card = httpapi.TestCardRead, eldergate.MaskID(rd.Credential)
		default:
			res.Result = httpapi.TestNoCard
		}
	default:
		return res, fmt.Errorf("gateway: operator test %q: %w", test, httpapi.ErrNotFound)
	}
	res.At, _ = g.clock.Stamp(time.Time{})
	id, aerr := g.staffAudit(context.WithoutCancel(ctx), StaffAuditData{Type: AuditOperatorTest, Staff: st.ID, Test: test, Result: res.Result, Reason: res.Error})
	if aerr != nil {
		g.log.Error("gateway: operator test not recorded", "test", test, "err", aerr)
	}
	res.EventID = id
	g.log.Info("gateway: operator test", "staff", st.ID, "test", test, "result", res.Result)
	return res, nil
}
