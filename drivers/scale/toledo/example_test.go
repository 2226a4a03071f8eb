package toledo_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/toledo"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// An IND560 terminal's COM1 set to continuous output, 9600 7E1, checksum
// enabled, on the Raspberry Pi's USB serial adapter.
func Example() {
	s, err := toledo.New(toledo.Config{
		Name:     "kitchen",
		Serial:   serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600, DataBits: 7, Parity: serialport.ParityEven},
		Checksum: true,
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
