package hx711_test

import (
	"context"
	"log/slog"
	"os"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/hx711"
)

// A load cell on an HX711 wired to a Raspberry Pi: DOUT on GPIO5,
// PD_SCK on GPIO6, calibrated at 420.5 counts per gram, tared at start.
func Example() {
	if _, err := host.Init(); err != nil {
		panic(err)
	}
	s, err := hx711.New(hx711.Config{
		Name:        "tray",
		DOUT:        gpioreg.ByName("GPIO5"),
		SCK:         gpioreg.ByName("GPIO6"),
		Gain:        hx711.GainA128,
		Filter:      hx711.FilterConfig{CountsPerGram: 420.5, Window: 5, StableGrams: 2},
		TareOnStart: true,
		Log:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
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
