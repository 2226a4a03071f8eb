package idcard_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/idcard"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// A SAM ID card module on the Raspberry Pi's UART (/dev/serial0) or on
// a USB-serial adapter (/dev/ttyUSB0), 115200 8N1.
func Example() {
	r, err := idcard.New(idcard.Config{
		Name: "enrol",
		Port: serialport.Config{Path: "/dev/ttyUSB0"}, // 115200 by default
		Log:  slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	err = r.RunIdentity(context.Background(), func(rd card.Read, id idcard.Identity) {
		// Personal data: show it to the person, never log it in clear.
		fmt.Println(eldergate.MaskID(rd.Credential), eldergate.MaskName(id.Name), id.SexName(), id.Birth)
	})
	fmt.Println(err)
}
