package cloud

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
)

// commandSender publishes commands on eg/v1/gw/{gw}/cmd (QoS 1) through
// the ingester's broker connection: at once when one is queued, and again
// for every pending one when the gateway's birth arrives. The gateway
// runs a command id once (it keeps results by id), so a command sent
// twice is answered from its stored result.
type commandSender struct {
	in    *ingest.Ingester
	store domain.Store
	now   func() time.Time
	log   interface {
		Info(string, ...any)
		Warn(string, ...any)
		Error(string, ...any)
	}
}

// publishTimeout bounds one command publication.
const publishTimeout = 5 * time.Second

// SendCommand implements cloudhttp.CommandSender.
func (s *commandSender) SendCommand(ctx context.Context, c domain.Command) {
	payload, err := json.Marshal(eldergate.Command{ID: c.ID, Type: c.Type, Expires: c.ExpiresAt, Body: c.Body})
	if err != nil {
		s.log.Error("cloud: encode command", "gw", c.GW, "command", c.ID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.in.Publish(ctx, eldergate.Topic(c.GW, eldergate.ChannelCmd), payload); err != nil {
		s.log.Warn("cloud: command not published; it is sent again at the gateway's next birth", "gw", c.GW, "command", c.ID, "err", err)
		return
	}
	if err := s.store.MarkCommandSent(ctx, c.ID, s.now().UTC()); err != nil {
		s.log.Error("cloud: mark command sent", "gw", c.GW, "command", c.ID, "err", err)
		return
	}
	s.log.Info("cloud: command published", "gw", c.GW, "command", c.ID, "type", c.Type)
}

// onBirth re-publishes the pending commands of gw.
func (s *commandSender) onBirth(ctx context.Context, gw string) {
	pending, err := s.store.PendingCommands(ctx, gw, s.now().UTC())
	if err != nil {
		s.log.Error("cloud: pending commands", "gw", gw, "err", err)
		return
	}
	for _, c := range pending {
		s.SendCommand(ctx, c)
	}
}
