package alarms

import (
	"context"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
)

// Supervision: the gateway raises a supervision alert (type supervision,
// a Supervise* reason) when a device can no longer be relied on, and
// clears it when the device is back. One live alert per device and
// reason: a fault that goes on raises nothing more.
//
//   - button_silent: a button with a supervision interval not heard (a
//     press or a supervision report) for SilentFactor times it;
//   - battery_low: a button sent its low-battery code; cleared once it
//     is heard without one for the battery clear time;
//   - button_stuck: a wired button held past the driver's stuck limit;
//     cleared when released;
//   - kiosk_disconnected: the kiosk screen's browser, once connected,
//     gone for KioskGrace; cleared when it connects again.
//
// Time is the injected clock's: Check evaluates the deadlines at a given
// time, Run calls it every Tick.

// Signal handles a supervision signal of a button driver.
func (a *Alarms) Signal(ctx context.Context, s button.Signal) {
	at := a.stamp(s.At)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch s.Kind {
	case button.Alive:
		a.alive(ctx, s.Button, at)
	case button.BatteryLow: // heard, with a low battery
		a.battery[s.Button] = at
		a.alive(ctx, s.Button, at)
		a.raise(ctx, s.Button, eldergate.SuperviseBatteryLow, at)
	case button.Stuck:
		a.raise(ctx, s.Button, eldergate.SuperviseButtonStuck, at)
	case button.Unstuck:
		a.clear(ctx, s.Button, eldergate.SuperviseButtonStuck, at)
	}
}

// Fault raises (active) or clears the supervision alert of device for
// reason (a Supervise* reason such as printer_paper_out), for faults the
// gateway's other devices report. A fault that goes on raises nothing
// more; clearing a fault that is not live does nothing.
func (a *Alarms) Fault(ctx context.Context, device, reason string, active bool) {
	at := a.stamp(time.Time{})
	a.mu.Lock()
	defer a.mu.Unlock()
	if active {
		a.raise(ctx, device, reason, at)
		return
	}
	a.clear(ctx, device, reason, at)
}

// alive records a sign of life of a button; a.mu is held.
func (a *Alarms) alive(ctx context.Context, b string, at time.Time) {
	if at.After(a.seen[b]) {
		a.seen[b] = at
	}
	a.clear(ctx, b, eldergate.SuperviseButtonSilent, at)
	if low, ok := a.battery[b]; ok && at.Sub(low) >= a.batteryClear(b) {
		delete(a.battery, b)
		a.clear(ctx, b, eldergate.SuperviseBatteryLow, at)
	}
}

func (a *Alarms) batteryClear(b string) time.Duration {
	if iv := a.c.Buttons[b].Supervision; iv > 0 {
		return silentAfter(iv)
	}
	return DefaultBatteryClear
}

func silentAfter(interval time.Duration) time.Duration {
	return time.Duration(float64(interval) * SilentFactor)
}

// KioskStreams tells how many kiosk screens (SSE streams) are connected
// now; the HTTP server calls it on every change.
func (a *Alarms) KioskStreams(ctx context.Context, n int) {
	at := a.stamp(time.Time{})
	a.mu.Lock()
	defer a.mu.Unlock()
	was := a.kiosk.streams
	a.kiosk.streams = n
	switch {
	case n > 0:
		a.kiosk.seen = true
		a.clear(ctx, KioskDevice, eldergate.SuperviseKioskOffline, at)
	case was > 0:
		a.kiosk.goneAt = at
	}
}

// Check raises the supervision alerts whose deadline passed at now, and
// forgets closed alerts older than Linger.
func (a *Alarms) Check(ctx context.Context, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for b, cfg := range a.c.Buttons {
		if cfg.Supervision <= 0 {
			continue
		}
		last, ok := a.seen[b]
		if !ok || last.Before(a.started) {
			last = a.started
		}
		if now.Sub(last) >= silentAfter(cfg.Supervision) {
			a.raise(ctx, b, eldergate.SuperviseButtonSilent, now)
		}
	}
	if k := a.kiosk; a.c.KioskGrace > 0 && k.seen && k.streams == 0 && now.Sub(k.goneAt) >= a.c.KioskGrace {
		a.raise(ctx, KioskDevice, eldergate.SuperviseKioskOffline, now)
	}
	for id, t := range a.closed {
		if now.Sub(t) > a.c.Linger {
			delete(a.closed, id)
		}
	}
}

// Run calls Check every Tick with the injected clock's time until ctx is
// done.
func (a *Alarms) Run(ctx context.Context) error {
	tick := time.NewTicker(a.c.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			a.Check(ctx, a.c.Now())
		}
	}
}

func faultKey(device, reason string) string { return device + "/" + reason }

// raise opens the supervision alert of device and reason, seen at wall
// time seen, unless one is live; a.mu is held.
func (a *Alarms) raise(ctx context.Context, device, reason string, seen time.Time) {
	k := faultKey(device, reason)
	if _, live := a.faults[k]; live {
		return
	}
	at, _ := a.c.Stamp(seen) // the clock rules, only for what is recorded
	b := a.c.Buttons[device]
	al := &alert{key: newID(), own: true, gw: a.c.GW, state: StateOpen, typ: eldergate.AlertTypeSupervision,
		button: device, name: b.Name, place: b.Place, reason: reason, openedAt: at}
	a.faults[k] = &fault{key: al.key, since: at}
	a.alerts[al.key] = al
	id, err := a.record(ctx, at, al, eldergate.AlertRaised, eldergate.AlertData{})
	a.logged(err, "gateway: supervision alert", al)
	a.show(al, eldergate.AlertRaised, id, at)
}

// clear ends the fault of device and reason, if any: a cleared event,
// and its alert, if still live, leaves the screen; a.mu is held.
func (a *Alarms) clear(ctx context.Context, device, reason string, at time.Time) {
	k := faultKey(device, reason)
	f, live := a.faults[k]
	if !live {
		return
	}
	delete(a.faults, k)
	al, shown := a.alerts[f.key]
	if !shown { // closed by staff meanwhile: the cloud still hears it ended
		b := a.c.Buttons[device]
		al = &alert{key: f.key, own: true, gw: a.c.GW, state: StateCleared, typ: eldergate.AlertTypeSupervision,
			button: device, name: b.Name, place: b.Place, reason: reason, openedAt: f.since}
	}
	id, err := a.record(ctx, at, al, eldergate.AlertCleared, eldergate.AlertData{})
	if err != nil {
		a.c.Log.Error("gateway: alert event not recorded", "alert_id", al.key, "err", err)
	}
	a.c.Log.Info("gateway: supervision alert cleared", "alert_id", al.key, "device", device, "reason", reason)
	if shown {
		al.state, al.closedAt = StateCleared, &at
		a.close(al, at)
		a.show(al, eldergate.AlertCleared, id, at)
	}
}
