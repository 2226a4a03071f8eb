package serialport

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// Device is the plumbing every serial driver shares: its status tracker
// and the Keeper that holds its port open across unplug and replug. A
// driver embeds it for Status and Close.
type Device struct {
	Tracker *drivers.Tracker
	keeper  *Keeper
}

// NewDevice returns the device of driver (shown as name in its status) on
// cfg.Path, which is required.
func NewDevice(driver, name string, cfg Config, now func() time.Time, onStatus func(drivers.Status)) (*Device, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("%s: no serial device path", driver)
	}
	tr := drivers.NewTracker(name, driver, now, onStatus)
	return &Device{Tracker: tr, keeper: NewKeeper(cfg, tr)}, nil
}

// RunPort runs session in the keeper until ctx ends or Close; it returns
// ctx.Err() or drivers.ErrClosed.
func (d *Device) RunPort(ctx context.Context, session Session) error {
	return d.keeper.Run(ctx, session)
}

// Status returns the device status.
func (d *Device) Status() drivers.Status { return d.Tracker.Status() }

// Close stops RunPort and waits for it; it is safe to call more than once.
func (d *Device) Close() error { return d.keeper.Close() }
