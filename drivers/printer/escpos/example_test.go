package escpos_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
)

func ticket() []byte {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return escpos.Ticket(escpos.MealTicket{
		Site:     "幸福社区长者饭堂",
		At:       time.Now(),
		Location: loc,
		Elder:    "张三丰", // printed as 张*丰
		Window:   "lunch",
		Price:    1260, // fen
		Subsidy:  800,
		Pay:      460,
		TicketID: "01956f3a-7c1e-7d2a-9b1e-5f0c3a2b1d4e",
		Footer:   "谢谢惠顾 祝您健康",
		Width:    32, // 58 mm paper; 48 for 80 mm
	})
}

// A USB receipt printer on a Raspberry Pi, through the kernel's usblp
// character device.
func ExampleNew() {
	f, err := os.OpenFile("/dev/usb/lp0", os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := escpos.New(f, escpos.Options{Name: "receipt", Timeout: time.Second})
	defer p.Close() // closes f

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Print(ctx, ticket()); errors.Is(err, printer.ErrPaperOut) {
		fmt.Println("paper out: load paper and print again")
	} else if err != nil {
		fmt.Println(err)
	}
}

// A serial receipt printer behind a USB serial adapter (/dev/ttyUSB0),
// kept open across unplug and replug; its paper status polled every 30 s.
func ExampleNewSerial() {
	p, err := escpos.NewSerial(escpos.SerialConfig{Name: "receipt", Path: "/dev/ttyUSB0", Baud: 9600})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	if err := p.Print(context.Background(), ticket()); err != nil {
		fmt.Println(err, p.Status())
	}
}
