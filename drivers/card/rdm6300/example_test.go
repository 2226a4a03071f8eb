package rdm6300_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/rdm6300"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// An RDM6300 wired to a USB-serial adapter (module TX to adapter RX,
// 5 V, GND) on a Raspberry Pi; on the Pi's own UART use /dev/serial0.
func Example() {
	r, err := rdm6300.New(rdm6300.Config{
		Name: "entrance",
		Port: serialport.Config{Path: "/dev/ttyUSB0"}, // 9600 8N1 by default
		Log:  slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = r.Run(ctx, func(rd card.Read) {
		dec, _ := card.Dec10(rd.Credential, card.BigEndian) // the number printed on the card
		fmt.Println(rd.Reader, rd.Credential, dec)
	})
	fmt.Println(err)
}
