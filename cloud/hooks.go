package cloud

import (
	"context"

	"github.com/eldergate/eldergate"
)

// onCommandResult runs after the ingester stored the result of a command
// of gw: the roster and configuration features follow up on their own
// commands (roster.go, desired.go).
func (c *Cloud) onCommandResult(ctx context.Context, gw string, r eldergate.CommandResult) {
	c.rosterResult(ctx, gw, r)
	c.configResult(ctx, gw, r)
}
