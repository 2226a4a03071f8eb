package rf433_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/rf433"
)

// A 433 MHz decoder board on a CH340 USB adapter of a Raspberry Pi
// (/dev/ttyUSB0; on the Pi's own UART use /dev/serial0), two pendants
// enrolled.
func Example() {
	codes, err := rf433.ParseCodes("A1B2C3=hall-1,A1B2C8=toilet-2")
	if err != nil {
		panic(err)
	}
	rx, err := rf433.New(rf433.Config{
		Name:   "pendants",
		Path:   "/dev/ttyUSB0",
		Baud:   9600,
		Format: rf433.FormatFD,
		Codes:  codes,
		Log:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer rx.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = rx.Run(ctx, func(p button.Press) {
		fmt.Println(p.Button, p.Kind, p.At.Format("15:04:05.000"))
	})
	fmt.Println(err, rx.Status())
}
