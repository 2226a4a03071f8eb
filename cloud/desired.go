package cloud

import (
	"context"

	"github.com/eldergate/eldergate"
)

// configResult follows up on the result of a config command: the result
// of a desired configuration's command is recorded on that version; an ok
// result of the latest version confirms its checksum as reported before
// the gateway's next birth, a failure keeps the gateway's error for the
// status. Results of other commands match no version and are ignored.
func (c *Cloud) configResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	matched, err := c.store.RecordDesiredResult(ctx, gw, r.ID, r.OK, r.Error, c.cfg.Now().UTC())
	if err != nil {
		c.log.Error("cloud: desired config result", "gw", gw, "command", r.ID, "err", err)
		return
	}
	if matched {
		c.log.Info("cloud: desired config result", "gw", gw, "command", r.ID, "ok", r.OK, "err", r.Error)
	}
}
