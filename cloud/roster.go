package cloud

import (
	"context"

	"github.com/eldergate/eldergate"
)

// rosterResult follows up on the result of a roster or policy command.
func (c *Cloud) rosterResult(ctx context.Context, gw string, r eldergate.CommandResult) {}
