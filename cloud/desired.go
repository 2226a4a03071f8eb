package cloud

import (
	"context"

	"github.com/eldergate/eldergate"
)

// configResult follows up on the result of a config command.
func (c *Cloud) configResult(ctx context.Context, gw string, r eldergate.CommandResult) {}
