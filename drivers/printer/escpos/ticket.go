package escpos

import (
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
)

// MealTicket is what a meal ticket shows. Amounts are integer fen.
type MealTicket struct {
	Site     string         // site name, e.g. "幸福社区长者饭堂"
	Title    string         // default "助餐小票" (meal ticket)
	At       time.Time      // when the meal was decided
	Location *time.Location // the site's time zone for At; nil means UTC
	// Zone names the zone of the printed time on a row of its own (时区),
	// e.g. "Asia/Shanghai"; empty: no such row.
	Zone     string
	Elder    string        // the elder's full name; printed masked (eldergate.MaskName)
	Window   string        // meal window, e.g. "lunch" (printed as 午餐, see WindowLabel) or a label
	Grams    int64         // weight for meals priced by weight; 0: not printed
	Price    eldergate.Fen // price of the meal
	Subsidy  eldergate.Fen // subsidy granted
	Pay      eldergate.Fen // amount the elder pays
	TicketID string        // ticket or event id
	Footer   string        // e.g. "谢谢惠顾 祝您健康"; empty: none
	Width    int           // columns of font A: 32 for 58 mm paper (default), 48 for 80 mm
}

// WindowLabel returns the Chinese name of the policy's usual meal windows
// (breakfast, lunch, dinner, supper) and any other name unchanged.
func WindowLabel(name string) string {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "breakfast":
		return "早餐"
	case "lunch":
		return "午餐"
	case "dinner":
		return "晚餐"
	case "supper":
		return "夜宵"
	}
	return name
}

// Ticket lays out a meal ticket as ESC/POS bytes: initialise, Chinese
// mode, the site name large and centred, the date and time in the site's
// zone (and the zone's name when Zone is set), the masked name, meal window, price, subsidy, the amount to pay
// emphasised, the ticket id, the footer, feed and cut. It is pure: the
// same ticket gives the same bytes.
func Ticket(t MealTicket) []byte {
	width := t.Width
	if width < 16 {
		width = 32
	}
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	title := t.Title
	if title == "" {
		title = "助餐小票"
	}
	rule := strings.Repeat("-", width)

	var b Builder
	b.Init().Chinese(true)
	b.Align(Center).Bold(true).Size(2, 2).Line(t.Site).Size(1, 1).Bold(false)
	b.Line(title)
	b.Align(Left).Line(rule)
	b.Lines(row("时间", t.At.In(loc).Format("2006-01-02 15:04"), width))
	if t.Zone != "" {
		b.Lines(row("时区", t.Zone, width))
	}
	b.Lines(row("长者", eldergate.MaskName(t.Elder), width))
	b.Lines(row("餐次", WindowLabel(t.Window), width))
	if t.Grams > 0 {
		b.Lines(row("重量", strconv.FormatInt(t.Grams, 10)+"克", width))
	}
	b.Line(rule)
	b.Lines(row("餐费", t.Price.String()+"元", width))
	b.Lines(row("补贴", t.Subsidy.String()+"元", width))
	b.Bold(true).Size(1, 2).Lines(row("应付", t.Pay.String()+"元", width)).Size(1, 1).Bold(false)
	b.Line(rule)
	if t.TicketID != "" {
		if Width("单号 "+t.TicketID) <= width {
			b.Lines(row("单号", t.TicketID, width))
		} else {
			b.Line("单号")
			b.Font(1).Line(t.TicketID).Font(0)
		}
	}
	if strings.TrimSpace(t.Footer) != "" {
		b.Align(Center).Line(t.Footer).Align(Left)
	}
	b.Feed(3).Cut()
	return b.Bytes()
}

// row is the line "label   value" with value right-aligned in width
// columns, or two lines, the value right-aligned on its own, when both do
// not fit on one.
func row(label, value string, width int) []string {
	label, value = Clean(label), Clean(value)
	gap := width - Width(label) - Width(value)
	if gap >= 1 {
		return []string{label + strings.Repeat(" ", gap) + value}
	}
	pad := max(width-Width(value), 0)
	return []string{label, strings.Repeat(" ", pad) + value}
}

// Lines appends each of lines followed by LF.
func (b *Builder) Lines(lines []string) *Builder {
	for _, l := range lines {
		b.Line(l)
	}
	return b
}
