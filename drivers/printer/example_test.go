package printer_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
)

// A gateway prints a meal ticket on whatever printer is configured and
// tells staff to load paper when it ran out; the ticket is kept for a
// retry.
func Example() {
	var p printer.Printer
	p, err := escpos.NewSerial(escpos.SerialConfig{Name: "receipt", Path: "/dev/ttyUSB0", Baud: 9600})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ticket := escpos.Ticket(escpos.MealTicket{
		Site: "幸福社区长者饭堂", At: time.Now(), Location: time.Local,
		Elder: "张三丰", Window: "lunch", Price: 1260, Subsidy: 800, Pay: 460,
		TicketID: "01956f3a-7c1e-7d2a-9b1e-5f0c3a2b1d4e",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch err := p.Print(ctx, ticket); {
	case errors.Is(err, printer.ErrPaperOut):
		log.Print("load paper, then print the ticket again")
	case errors.Is(err, printer.ErrNotConnected):
		log.Print("printer unplugged or off")
	case err != nil:
		log.Print(err)
	}
	log.Printf("%+v", p.Status())
}
