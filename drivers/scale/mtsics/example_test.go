package mtsics_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/mtsics"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// A METTLER TOLEDO balance on the Raspberry Pi's USB serial adapter,
// polled with SI five times a second; the kiosk zeroes it before a meal.
func Example() {
	s, err := mtsics.New(mtsics.Config{
		Name:     "counter",
		Serial:   serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600},
		Command:  "SI",
		Interval: 200 * time.Millisecond,
		Timeout:  time.Second,
		Log:      slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctx := context.Background()
	go func() {
		time.Sleep(time.Second)
		if err := s.Zero(ctx); err != nil {
			slog.Warn("zero", "err", err)
		}
	}()
	_ = s.Run(ctx, func(w scale.Weight) {
		slog.Info("weight", "grams", w.Grams, "state", w.State)
	})
}
