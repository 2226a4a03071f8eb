package indicator_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/indicator"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// A platform scale indicator (XK3190 style) on the Raspberry Pi's USB
// serial adapter, sending "ST,GS,+  1.234kg" lines continuously.
func Example() {
	s, err := indicator.New(indicator.Config{
		Name:   "platform",
		Serial: serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600},
		Log:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = s.Run(context.Background(), func(w scale.Weight) {
		slog.Info("weight", "grams", w.Grams, "state", w.State, "net", w.Net)
	})
}
