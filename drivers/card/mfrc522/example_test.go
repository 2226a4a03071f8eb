package mfrc522_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/mfrc522"
)

// An RC522 board on a Raspberry Pi: SPI0 CE0, RST on GPIO25, IRQ on
// GPIO24.
func Example() {
	if _, err := host.Init(); err != nil {
		log.Fatal(err)
	}
	port, err := spireg.Open("/dev/spidev0.0")
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	r, err := mfrc522.New(port, gpioreg.ByName("GPIO25"), gpioreg.ByName("GPIO24"), mfrc522.Config{
		Name:    "desk",
		Timeout: time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = r.Run(context.Background(), func(rd card.Read) {
		fmt.Println(rd.Reader, rd.Credential) // "desk A1B2C3D4" or "desk 04112233445566"
	})
	log.Print(err)
}
