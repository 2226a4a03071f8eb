package escpos

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/eldergate/eldergate"
)

// update rewrites the golden tickets: go test ./drivers/printer/escpos -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/*.bin golden files")

func sampleTicket(t testing.TB) MealTicket {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600) // no tzdata: same offset
	}
	return MealTicket{
		Site:     "幸福社区长者饭堂",
		At:       time.Date(2026, 3, 14, 4, 5, 0, 0, time.UTC), // 12:05 in Shanghai
		Location: loc,
		Elder:    "张三丰",
		Window:   "lunch",
		Price:    1260,
		Subsidy:  800,
		Pay:      460,
		TicketID: "01956f3a-7c1e-7d2a-9b1e-5f0c3a2b1d4e",
		Footer:   "谢谢惠顾 祝您健康",
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s differs at byte %d (len got %d, want %d):\n got  % X\n want % X", name, i, len(got), len(want),
			got[i:min(i+16, len(got))], want[i:min(i+16, len(want))])
	}
}

func TestTicketGolden(t *testing.T) {
	golden(t, "meal_ticket_58mm.bin", Ticket(sampleTicket(t)))

	w := sampleTicket(t)
	w.Width, w.Window, w.Grams, w.Subsidy, w.Pay, w.Price = 48, "dinner", 350, 0, 1400, 1400
	golden(t, "meal_ticket_80mm_weight.bin", Ticket(w))
}

func decodeGB(t *testing.T, b []byte) string {
	t.Helper()
	s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatalf("not GB18030: %v", err)
	}
	return string(s)
}

// TestTicketDecodesToChinese decodes the ticket bytes as GB18030 (the
// commands are ASCII bytes, so the whole ticket decodes) and checks the
// Chinese text, the masked name and the amounts.
func TestTicketDecodesToChinese(t *testing.T) {
	b := Ticket(sampleTicket(t))
	text := decodeGB(t, b)
	for _, want := range []string{
		"幸福社区长者饭堂\n",
		"助餐小票\n",
		pad("时间", "2026-03-14 12:05", 32),
		pad("长者", "张*丰", 32),
		pad("餐次", "午餐", 32),
		pad("餐费", "12.60元", 32),
		pad("补贴", "8.00元", 32),
		pad("应付", "4.60元", 32),
		"单号\n",
		"01956f3a-7c1e-7d2a-9b1e-5f0c3a2b1d4e\n",
		"谢谢惠顾 祝您健康\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("ticket lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "张三丰") {
		t.Error("the full name is printed")
	}
	// GB18030 bytes for 张 (D5 C5) prove the encoding is not UTF-8.
	if !bytes.Contains(b, []byte{0xD5, 0xC5, '*', 0xB7, 0xE1}) {
		t.Errorf("masked name not in GB18030: % X", b)
	}
	for _, cmd := range [][]byte{
		{ESC, '@', FS, '&'},           // init, then Chinese mode
		{ESC, 'a', 1},                 // centre
		{ESC, 'E', 1, GS, '!', 0x11},  // bold, double size
		{GS, '!', 0x01},               // double height for the amount to pay
		{ESC, 'M', 1},                 // font B for the long id
		{ESC, 'd', 3, GS, 'V', 66, 0}, // feed, cut
	} {
		if !bytes.Contains(b, cmd) {
			t.Errorf("ticket lacks command % X", cmd)
		}
	}
	if !bytes.HasPrefix(b, []byte{ESC, '@'}) || !bytes.HasSuffix(b, []byte{GS, 'V', 66, 0}) {
		t.Error("ticket does not start with ESC @ and end with the cut")
	}
	// Every line of font A fits the 32 columns of 58 mm paper.
	for _, line := range strings.Split(stripCommands(text), "\n") {
		if Width(line) > 32 && !strings.Contains(line, "01956f3a") && !strings.Contains(line, "饭堂") {
			t.Errorf("line %q is %d columns", line, Width(line))
		}
	}
}

// stripCommands removes the ESC/POS commands Ticket uses from decoded text.
func stripCommands(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ESC:
			if i+1 < len(s) && s[i+1] == '@' {
				i++
			} else {
				i += 2
			}
		case GS:
			if i+1 < len(s) && s[i+1] == 'V' {
				i += 3
			} else {
				i += 2
			}
		case FS:
			i++
		default:
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

// pad is label, spaces and value on width columns, counting a Chinese
// character as two columns.
func pad(label, value string, width int) string {
	w := func(s string) int {
		n := 0
		for _, r := range s {
			n++
			if r >= 0x80 {
				n++
			}
		}
		return n
	}
	return label + strings.Repeat(" ", width-w(label)-w(value)) + value + "\n"
}

func TestTicketWeightAndLongRows(t *testing.T) {
	tk := sampleTicket(t)
	tk.Width, tk.Grams, tk.Window = 48, 350, "加餐"
	tk.TicketID = "T-42"
	text := decodeGB(t, Ticket(tk))
	for _, want := range []string{pad("重量", "350克", 48), pad("餐次", "加餐", 48), pad("单号", "T-42", 48)} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if got := row("长者", strings.Repeat("名", 15), 32); len(got) != 2 || got[0] != "长者" || got[1] != "  "+strings.Repeat("名", 15) {
		t.Errorf("overlong row = %q", got)
	}
	if got := row("长者", strings.Repeat("名", 20), 32); len(got) != 2 || got[1] != strings.Repeat("名", 20) {
		t.Errorf("row wider than the paper = %q", got)
	}
	if got := row("a", "b", 5); len(got) != 1 || got[0] != "a   b" {
		t.Errorf("row = %q", got)
	}
}

func TestTicketCleansControls(t *testing.T) {
	tk := sampleTicket(t)
	tk.Site = "饭堂\x1b@\x1dV\x00"
	tk.Elder = "李\x1b四"
	tk.Footer = "bye\r\n\x10\x04\x04"
	b := Ticket(tk)
	clean := Ticket(sampleTicket(t))
	for _, c := range []byte{ESC, GS, FS, DLE, 0x00} {
		if bytes.Count(b, []byte{c}) != bytes.Count(clean, []byte{c}) {
			t.Errorf("control byte %#02x injected by text: % X", c, b)
		}
	}
	if text := decodeGB(t, b); !strings.Contains(text, "李*") || !strings.Contains(text, "饭堂@V") || !strings.Contains(text, "bye  ") {
		t.Errorf("cleaned text wrong:\n%s", text)
	}
}

func TestWindowLabel(t *testing.T) {
	for in, want := range map[string]string{"breakfast": "早餐", "Lunch": "午餐", "dinner": "晚餐", "supper": "夜宵", "午餐": "午餐", "tea": "tea"} {
		if got := WindowLabel(in); got != want {
			t.Errorf("WindowLabel(%q) = %q", in, got)
		}
	}
}

func TestWidthAndClean(t *testing.T) {
	if w := Width("餐费 12.60元"); w != 2*2+1+5+2 {
		t.Fatalf("Width = %d", w)
	}
	if c := Clean("a\tb\x1bc\u0085d\xff"); c != "a bcd?" {
		t.Fatalf("Clean = %q", c)
	}
	if got := encode("𠀀"); len(got) != 4 { // supplementary plane: GB18030 four bytes
		t.Fatalf("encode 𠀀 = % X", got)
	}
}

// FuzzTicket: any text in any field gives a ticket that starts with ESC @,
// ends with the cut, decodes as GB18030 and has exactly the command bytes
// of the template (no command injected through text).
func FuzzTicket(f *testing.F) {
	f.Add("幸福社区长者饭堂", "张三丰", "lunch", "id-1", "谢谢", int64(1260), 24)
	f.Add("\x1b@", "\x1d\x56", "\x10\x04\x01", "\xff\xfe", "\x00", int64(-5), 0)
	f.Fuzz(func(t *testing.T, site, elder, window, id, footer string, price int64, width int) {
		tk := MealTicket{Site: site, Elder: elder, Window: window, TicketID: id, Footer: footer,
			Price: eldergate.Fen(price), Subsidy: 1, Pay: eldergate.Fen(price - 1), Width: width % 200, At: time.Unix(0, 0)}
		b := Ticket(tk)
		if !bytes.HasPrefix(b, []byte{ESC, '@', FS, '&'}) || !bytes.HasSuffix(b, []byte{ESC, 'd', 3, GS, 'V', 66, 0}) {
			t.Fatalf("bad frame: % X", b)
		}
		if _, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err != nil {
			t.Fatalf("not GB18030: %v", err)
		}
		// Text never adds command bytes: a ticket has no more of them
		// than the sample (which uses every optional part).
		for _, c := range []byte{ESC, GS, FS, DLE, 0x00} {
			if n := bytes.Count(b, []byte{c}); n > bytes.Count(Ticket(sampleTicket(t)), []byte{c}) {
				t.Fatalf("%d bytes %#02x, more than the template: % X", n, c, b)
			}
		}
	})
}
