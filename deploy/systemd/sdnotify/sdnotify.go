// Package sdnotify speaks systemd's notify protocol: readiness, stopping
// and the watchdog. Both daemons use it (eldergate-gateway and
// eldergate-cloud, units Type=notify with WatchdogSec in deploy/systemd):
// it lives beside the units, outside firmware-gateway/ and cloud/, which
// must not import each other (ADR 0032). It imports nothing of the module.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Notifier speaks systemd's notify protocol (sd_notify(3)) by sending
// datagrams to $NOTIFY_SOCKET itself: READY=1, WATCHDOG=1, STOPPING=1.
// The zero of a missing socket is a Notifier that does nothing.
type Notifier struct {
	socket   string        // path, or "@name" for the abstract namespace
	watchdog time.Duration // WATCHDOG_USEC, 0 when off
}

// New reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through
// getenv (os.Getenv in production). The watchdog is on only when
// WATCHDOG_PID is unset or names pid.
func New(getenv func(string) string, pid int) (*Notifier, error) {
	n := &Notifier{socket: getenv("NOTIFY_SOCKET")}
	if us := getenv("WATCHDOG_USEC"); us != "" {
		v, err := strconv.ParseUint(us, 10, 63)
		if err != nil || v == 0 {
			return n, fmt.Errorf("sdnotify: WATCHDOG_USEC %q is not a positive integer", us)
		}
		if p := getenv("WATCHDOG_PID"); p == "" || p == strconv.Itoa(pid) {
			n.watchdog = time.Duration(v) * time.Microsecond
		}
	}
	return n, nil
}

// Enabled reports whether systemd listens.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// WatchdogInterval is how often to send WATCHDOG=1: half of WATCHDOG_USEC,
// 0 when the watchdog is off.
func (n *Notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog / 2
}

// Notify sends one state datagram, e.g. "READY=1". It does nothing when
// NOTIFY_SOCKET is unset.
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return nil
	}
	name := n.socket
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: notify: %w", err)
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sdnotify: notify %q: %w", state, err)
	}
	return nil
}

// Watchdog sends WATCHDOG=1 every WatchdogInterval while healthy answers
// nil, until ctx is done. A failed health check skips the ping: systemd
// then restarts the service when WatchdogSec runs out.
func (n *Notifier) Watchdog(ctx context.Context, healthy func(context.Context) error, log *slog.Logger) {
	iv := n.WatchdogInterval()
	if iv <= 0 {
		return
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hctx, cancel := context.WithTimeout(ctx, iv)
		err := healthy(hctx)
		cancel()
		if err != nil {
			log.Error("sdnotify: unhealthy, watchdog not fed", "err", err)
			continue
		}
		if err := n.Notify("WATCHDOG=1"); err != nil {
			log.Warn("sdnotify: watchdog", "err", err)
		}
	}
}
