package cloud

import (
	"fmt"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/followup"
	"github.com/eldergate/eldergate/cloud/ingest"
)

// NewIngester builds the ingester of a process that ingests, with the
// command follow-ups (cloud/followup) as its birth and result hooks, and
// the follow-ups publishing through it. `serve` and every
// `eldergate-cloud ingest` build theirs here, so a birth or a command
// result is followed up whichever ingester the broker hands it to
// (docs/adr/0009-command-follow-ups.md). cfg.Store, cfg.OnBirth and
// cfg.OnCommandResult are set from st.
func NewIngester(cfg ingest.Config, st domain.Store) (*ingest.Ingester, *followup.Commands, error) {
	return newIngester(cfg, st, ingest.New)
}

func newIngester(cfg ingest.Config, st domain.Store, build func(ingest.Config) (*ingest.Ingester, error)) (*ingest.Ingester, *followup.Commands, error) {
	fu, err := followup.New(followup.Config{Store: st, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, nil, fmt.Errorf("cloud: %w", err)
	}
	cfg.Store = st
	cfg.OnBirth = fu.OnBirth
	cfg.OnCommandResult = fu.OnCommandResult
	in, err := build(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("cloud: %w", err)
	}
	fu.SetPublisher(in)
	return in, fu, nil
}
