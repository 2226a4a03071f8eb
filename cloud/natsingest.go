package cloud

import (
	"context"
	"fmt"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/natsingest"
)

// StartNATSIngester is NewIngester for a NATS cluster (ADR 0041): the
// ingester's transport-neutral core with the command follow-ups, reading
// the cluster's stream through the consumer every ingester shares, the
// follow-ups publishing their commands as NATS messages. cfg's broker
// settings are unused; nc.Processor is set here. Close the source before
// the ingester.
func StartNATSIngester(ctx context.Context, cfg ingest.Config, nc natsingest.Config, st domain.Store) (*ingest.Ingester, *natsingest.Source, error) {
	in, fu, err := newIngester(cfg, st, ingest.NewCore)
	if err != nil {
		return nil, nil, err
	}
	nc.Processor = in
	if nc.Logger == nil {
		nc.Logger = cfg.Logger
	}
	src, err := natsingest.Dial(ctx, nc)
	if err != nil {
		in.Close()
		return nil, nil, fmt.Errorf("cloud: %w", err)
	}
	fu.SetPublisher(src) // before the first birth is read
	if err := src.Run(); err != nil {
		src.Close()
		in.Close()
		return nil, nil, fmt.Errorf("cloud: %w", err)
	}
	return in, src, nil
}
