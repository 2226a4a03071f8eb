package uidline_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/uidline"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// A desktop reader set to "10-digit decimal, CR LF" on a USB-serial
// adapter of a Raspberry Pi.
func Example() {
	r, err := uidline.New(uidline.Config{
		Name: "counter",
		Port: serialport.Config{Path: "/dev/ttyUSB0", Baud: 9600},
		Parser: uidline.Parser{
			Format: card.Format{Input: card.InputDec10, Order: card.BigEndian},
		},
		Log: slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	err = r.Run(context.Background(), func(rd card.Read) {
		fmt.Println(rd.Reader, rd.Credential) // canonical hex, e.g. 04A1B2C3
	})
	fmt.Println(err)
}
