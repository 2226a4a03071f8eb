package serialtill

import (
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
)

// The customer display protocol: the command set of the 8-digit LED
// customer pole displays (顾客显示屏, "LED8") that Chinese POS software
// drives over a serial line, usually at 2400 or 9600 baud, 8N1:
//
//	ESC @            1B 40             initialise: display cleared, lights off
//	CLR              0C                clear the display
//	ESC s n          1B 73 n           light one of the four words: n = 1 单价
//	                                   (price), 2 总计 (total), 3 收款 (paid),
//	                                   4 找零 (change), 0 none. n is sent as the
//	                                   ASCII digit ('2' = 0x32) by most
//	                                   software, as the byte (0x02) by some:
//	                                   both are accepted.
//	ESC Q A d..d CR  1B 51 41 .. 0D    show the number d..d (digits and one
//	                                   '.', e.g. "12.50")
//
// Software sends the number and the light in either order: GiPOS and
// fastfd send ESC Q A number CR, then ESC s n; the Wintec/efuture JavaPOS
// driver and many VB examples send ESC s n first. Hence a total is taken
// once the display has shown it, under the 总计 light, for Settle without
// another command: what an elder in front of the display would read.
//
// Followed (byte values and order): linminglu/GiPOS
// src/POSClient/POSClient/CustomerDisplay.cpp (ShowCustomerScreen:
// "\x1B\x51\x41%0.2f\x0D" then "\x1B\x73%d", type 0..4 = 全暗/单价/总计/
// 收款/找零; CLR 0x0C), ch593030323/fastfd20200204
// output_lib/clientdisplay_no.cpp (ESC Q A d1..dn CR; ESC s with
// 0x30+n; ESC @ to clear; 2400 baud), github188/GIT
// JavaPos/device/LineDisplay/WintecCD110_LineDisplay.java (ESC s with
// 0x01..0x04 before ESC Q A), and the 通用客显指令集 quoted in
// bbs.bccn.net/thread-471533 (Chr(27) Chr(115) Chr(50) 总价灯亮, then
// Chr(27) Chr(81) Chr(65) amount Chr(13)).

// Light is the word lit on the display.
type Light byte

// The display's lights.
const (
	LightOff    Light = 0
	LightPrice  Light = 1 // 单价
	LightTotal  Light = 2 // 总计
	LightPaid   Light = 3 // 收款
	LightChange Light = 4 // 找零
)

// Display protocol bytes.
const (
	esc = 0x1B
	clr = 0x0C
	cr  = 0x0D
)

// MaxNumber is the longest number frame accepted (an 8-digit display
// with its point, spaces around it).
const MaxNumber = 16

// DefaultSettle is how long a total must stay on the display, with no
// other command, to be taken as the meal's amount.
const DefaultSettle = 300 * time.Millisecond

// DisplayKind is the kind of a display command.
type DisplayKind byte

// Display commands.
const (
	KindInit   DisplayKind = iota + 1 // ESC @
	KindClear                         // CLR
	KindLight                         // ESC s n
	KindNumber                        // ESC Q A d..d CR
)

// DisplayCommand is one complete display command.
type DisplayCommand struct {
	Kind  DisplayKind
	Light Light         // KindLight
	Fen   eldergate.Fen // KindNumber: the number as money; 0 when it is not money or zero
	Text  string        // KindNumber: the number as sent, trimmed
}

// Parser states.
const (
	stIdle    = iota
	stEsc     // after ESC
	stEscS    // after ESC s
	stEscQ    // after ESC Q
	stNumber  // inside ESC Q A ... CR
	stSkip    // discarding up to CR, ESC or CLR
	stGarbage // discarding garbage up to ESC or CLR (reported once)
)

// DisplayParser decodes the bytes a POS sends to its customer display,
// one byte at a time. Whatever is not a complete, known command is
// skipped with an error saying why; it never panics and never grows
// beyond MaxNumber bytes. The zero value is ready.
type DisplayParser struct {
	st  int
	num []byte
	n   int // bytes of an over-long number
}

// Feed adds one byte. It returns a command when c completes one, and an
// error for a frame or bytes it skipped. A number frame that is not money
// returns both: a KindNumber command with Fen 0 (the display shows no
// amount any more) and the error.
func (p *DisplayParser) Feed(c byte) (DisplayCommand, bool, error) {
	switch p.st {
	case stIdle, stGarbage, stSkip:
		switch c {
		case esc:
			p.st = stEsc
		case clr:
			p.st = stIdle
			return DisplayCommand{Kind: KindClear}, true, nil
		case cr, '\n', 0:
			if p.st == stSkip {
				p.st = stIdle
			}
		default:
			if p.st == stIdle {
				p.st = stGarbage
				return DisplayCommand{}, false, fmt.Errorf("%w: byte 0x%02X outside a command; skipping to the next ESC or CLR", ErrFrame, c)
			}
		}
	case stEsc:
		switch c {
		case '@':
			p.st = stIdle
			return DisplayCommand{Kind: KindInit}, true, nil
		case 's':
			p.st = stEscS
		case 'Q':
			p.st = stEscQ
		case esc:
			return DisplayCommand{}, false, fmt.Errorf("%w: ESC followed by ESC; the first one skipped", ErrFrame)
		default:
			p.st = stSkip
			return DisplayCommand{}, false, fmt.Errorf("%w: unknown command ESC 0x%02X; skipped up to CR, ESC or CLR", ErrFrame, c)
		}
	case stEscS:
		p.st = stIdle
		switch {
		case c <= 4:
			return DisplayCommand{Kind: KindLight, Light: Light(c)}, true, nil
		case c >= '0' && c <= '4':
			return DisplayCommand{Kind: KindLight, Light: Light(c - '0')}, true, nil
		case c == esc:
			p.st = stEsc
		}
		return DisplayCommand{}, false, fmt.Errorf("%w: ESC s 0x%02X: the light must be 0 to 4", ErrFrame, c)
	case stEscQ:
		switch c {
		case 'A':
			p.st, p.num, p.n = stNumber, p.num[:0], 0
			return DisplayCommand{}, false, nil
		case esc:
			p.st = stEsc
			return DisplayCommand{}, false, fmt.Errorf("%w: ESC Q cut short by ESC", ErrFrame)
		}
		p.st = stSkip
		return DisplayCommand{}, false, fmt.Errorf("%w: ESC Q 0x%02X: only line A (the number) is read; skipped up to CR", ErrFrame, c)
	case stNumber:
		switch c {
		case cr:
			p.st = stIdle
			if p.n > 0 {
				return DisplayCommand{Kind: KindNumber}, true, fmt.Errorf("%w: number of %d bytes, longer than %d", ErrFrame, p.n, MaxNumber)
			}
			return number(string(p.num))
		case esc, clr:
			p.st = stEsc
			if c == clr {
				p.st = stIdle
			}
			err := fmt.Errorf("%w: number %q cut short (no CR before the next command)", ErrFrame, clip(string(p.num), MaxNumber))
			if c == clr {
				return DisplayCommand{Kind: KindClear}, true, err
			}
			return DisplayCommand{Kind: KindNumber}, true, err
		}
		if p.n > 0 || len(p.num) == MaxNumber {
			if p.n == 0 {
				p.n = len(p.num)
			}
			p.n++
			return DisplayCommand{}, false, nil
		}
		p.num = append(p.num, c)
	}
	return DisplayCommand{}, false, nil
}

// number reads the text of a number frame as money.
func number(raw string) (DisplayCommand, bool, error) {
	s := strings.TrimSpace(raw)
	cmd := DisplayCommand{Kind: KindNumber, Text: s}
	if s == "" {
		return cmd, true, fmt.Errorf("%w: empty number", ErrFrame)
	}
	if strings.Trim(s, "0123456789.") != "" {
		return DisplayCommand{Kind: KindNumber}, true, fmt.Errorf("%w: number %q is not money: only digits and one point", ErrFrame, clip(s, MaxNumber))
	}
	f, err := eldergate.ParseYuan(s)
	if err != nil {
		return DisplayCommand{Kind: KindNumber}, true, fmt.Errorf("%w: number %q is not money (yuan with at most two decimals, e.g. 12.50)", ErrFrame, s)
	}
	cmd.Fen = f
	return cmd, true, nil
}

// Totals turns what the display shows into the meal's amounts: a number
// shown under the 总计 (total) light, unchanged and with no other command
// for Settle, is one amount. Price, paid and change are never amounts,
// nor is zero. Showing the same total again (POS software refreshes its
// display, or shows the total again after paid and change) is not another
// amount until a new sale starts: ESC @, CLR, the 单价 (price) light, all
// lights off, or a zero shown (an idle display, no change due). A
// different total is another amount.
type Totals struct {
	settle time.Duration
	light  Light
	fen    eldergate.Fen // the number shown as money; 0: none
	last   eldergate.Fen // the last total taken; 0: none since a new sale
	since  time.Time     // the last command
}

// NewTotals returns Totals with the settle time (DefaultSettle when 0).
func NewTotals(settle time.Duration) *Totals {
	if settle <= 0 {
		settle = DefaultSettle
	}
	return &Totals{settle: settle}
}

// Apply takes a command received at at.
func (t *Totals) Apply(c DisplayCommand, at time.Time) {
	switch c.Kind {
	case KindInit, KindClear:
		t.light, t.fen, t.last = LightOff, 0, 0
	case KindLight:
		t.light = c.Light
		if c.Light == LightPrice || c.Light == LightOff {
			t.last = 0 // a new sale
		}
	case KindNumber:
		t.fen = c.Fen
		if c.Fen == 0 && c.Text != "" {
			t.last = 0 // zero shown (idle, no change due): the sale is over
		}
	default:
		return
	}
	t.since = at
}

// Deadline is when Due may next take an amount; ok false when nothing
// shown can become one.
func (t *Totals) Deadline() (time.Time, bool) {
	if t.light != LightTotal || t.fen <= 0 || t.fen == t.last {
		return time.Time{}, false
	}
	return t.since.Add(t.settle), true
}

// Due returns the total shown, once, when it has settled by now.
func (t *Totals) Due(now time.Time) (eldergate.Fen, bool) {
	d, ok := t.Deadline()
	if !ok || now.Before(d) {
		return 0, false
	}
	t.last = t.fen
	return t.fen, true
}
