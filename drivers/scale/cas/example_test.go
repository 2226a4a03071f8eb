package cas_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/cas"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// A CAS CI-200A indicator on the Raspberry Pi's USB serial adapter,
// set to the 22-byte continuous format, device ID 01.
func Example() {
	s, err := cas.New(cas.Config{
		Name:     "platform",
		Serial:   serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600},
		DeviceID: '1',
		Log:      slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = s.Run(context.Background(), func(w scale.Weight) {
		slog.Info("weight", "grams", w.Grams, "state", w.State, "net", w.Net)
	})
}
