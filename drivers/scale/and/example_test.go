package and_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/and"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// An A&D balance on a USB serial adapter of a Raspberry Pi, sending the
// A&D standard format continuously at 9600 baud.
func Example() {
	s, err := and.New(and.Config{
		Name:   "counter",
		Serial: serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600},
		Log:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = s.Run(context.Background(), func(w scale.Weight) {
		if w.State == scale.Stable {
			slog.Info("weight", "grams", w.Grams)
		}
	})
}
