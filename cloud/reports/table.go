package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/xuri/excelize/v2"
)

// Table is a report laid out as Chinese administrations exchange them: a
// title, the reporting unit and the period, the header, one row per unit,
// a totals row, and the lines the preparer and the reviewer sign
// (制表人 / 审核人). Every download of a report (CSV, XLSX) is written from
// one Table, so the two carry the same figures as the page's JSON.
type Table struct {
	Title      string   // e.g. "2026年12月 长者助餐补贴结算表"
	Unit       string   // the reporting unit, e.g. "填报单位：南山区"
	Period     string   // e.g. "统计期间：2026-12-01 至 2026-12-31（Asia/Shanghai）"
	Header     []string // column names
	Rows       [][]Cell
	Total      []Cell   // nil: no totals row
	Signatures []string // the signature lines as written, e.g. "制表人：", "审核人：" (SignatureLabels)
	Note       string   // a line under the table, "" for none
	Sheet      string   // XLSX sheet name, default "Sheet1"
}

// Cell is one cell: text, a count or an amount of money in fen (shown in
// yuan with two decimals; a number in the XLSX, formatted "0.00").
type Cell struct {
	kind  byte // 0 empty, 't' text, 'n' count, 'm' money
	text  string
	value int64
}

// Text is a text cell.
func Text(s string) Cell { return Cell{kind: 't', text: s} }

// Count is a cell holding a count.
func Count(n int64) Cell { return Cell{kind: 'n', value: n} }

// Money is a cell holding an amount in fen.
func Money(fen int64) Cell { return Cell{kind: 'm', value: fen} }

// Empty is an empty cell (a figure that does not apply).
func Empty() Cell { return Cell{} }

// Percent is a cell holding a share in percent, kept and shown with one
// decimal (37.5).
func Percent(pct float64) Cell { return Cell{kind: 'p', value: int64(math.Round(pct * 10))} }

// String is the cell as the CSV writes it: yuan with two decimals for
// money (eldergate.Fen's own formatting), a plain integer for a count.
func (c Cell) String() string {
	switch c.kind {
	case 't':
		return c.text
	case 'n':
		return strconv.FormatInt(c.value, 10)
	case 'm':
		return eldergate.Fen(c.value).String()
	case 'p':
		return strconv.FormatFloat(float64(c.value)/10, 'f', 1, 64)
	}
	return ""
}

// xlsx is the cell's value in a workbook: money as a float of yuan (exact
// to the fen for any amount below 2^53 fen), counts as integers.
func (c Cell) xlsx() any {
	switch c.kind {
	case 't':
		return c.text
	case 'n':
		return c.value
	case 'm':
		return float64(c.value) / 100
	case 'p':
		return float64(c.value) / 10
	}
	return nil
}

// WriteCSV writes the table as CSV: UTF-8 with a byte-order mark (Excel
// then reads the Chinese right), CRLF line ends, the title, unit and
// period lines, the header, the rows, the totals row, an empty line and
// the signature lines ("制表人：", left to sign).
func (t Table) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	for _, s := range []string{t.Title, t.Unit, t.Period} {
		if s != "" {
			_ = cw.Write([]string{s})
		}
	}
	_ = cw.Write(t.Header)
	line := func(cells []Cell) {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = c.String()
		}
		_ = cw.Write(out)
	}
	for _, r := range t.Rows {
		line(r)
	}
	if t.Total != nil {
		line(t.Total)
	}
	if t.Note != "" {
		_ = cw.Write([]string{t.Note})
	}
	if len(t.Signatures) > 0 {
		_ = cw.Write([]string{""})
		_ = cw.Write(t.Signatures)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	return nil
}

// HeaderRow is the 1-based row of the header in the XLSX WriteXLSX writes
// (after the title, unit and period lines that are present); the rows
// follow it and the totals row comes last. Tests read the workbook back
// with it.
func (t Table) HeaderRow() int {
	n := 1
	for _, s := range []string{t.Title, t.Unit, t.Period} {
		if s != "" {
			n++
		}
	}
	return n
}

// WriteXLSX writes the table as a workbook of one sheet: the title bold
// and merged over the table's width, the unit and period lines, the header
// bold and frozen, amounts as numbers formatted with two decimals, the
// totals row bold, and the signature lines under the table.
func (t Table) WriteXLSX(w io.Writer) error {
	fail := func(err error) error { return fmt.Errorf("reports: xlsx: %w", err) }
	f := excelize.NewFile()
	defer f.Close()
	sheet := t.Sheet
	if sheet == "" {
		sheet = "Sheet1"
	}
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return fail(err)
		}
	}
	width := max(len(t.Header), 1)
	lastCol, _ := excelize.ColumnNumberToName(width)
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return fail(err)
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return fail(err)
	}
	moneyBold, err := f.NewStyle(&excelize.Style{NumFmt: 2, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	row := 1
	for i, s := range []string{t.Title, t.Unit, t.Period} {
		if s == "" {
			continue
		}
		a, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetCellStr(sheet, a, s); err != nil {
			return fail(err)
		}
		if i == 0 {
			b := fmt.Sprintf("%s%d", lastCol, row)
			if err := f.MergeCell(sheet, a, b); err != nil {
				return fail(err)
			}
			if err := f.SetCellStyle(sheet, a, b, title); err != nil {
				return fail(err)
			}
		}
		row++
	}
	hdr := make([]any, len(t.Header))
	for i, s := range t.Header {
		hdr[i] = s
	}
	a, _ := excelize.CoordinatesToCellName(1, row)
	if err := f.SetSheetRow(sheet, a, &hdr); err != nil {
		return fail(err)
	}
	if err := f.SetCellStyle(sheet, a, fmt.Sprintf("%s%d", lastCol, row), bold); err != nil {
		return fail(err)
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: row, TopLeftCell: fmt.Sprintf("A%d", row+1), ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	row++
	put := func(cells []Cell, total bool) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c.xlsx()
		}
		a, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetSheetRow(sheet, a, &vals); err != nil {
			return err
		}
		for i, c := range cells {
			st := -1
			switch {
			case c.kind == 'm' && total:
				st = moneyBold
			case c.kind == 'm':
				st = money
			case total:
				st = bold
			}
			if st >= 0 {
				cell, _ := excelize.CoordinatesToCellName(i+1, row)
				if err := f.SetCellStyle(sheet, cell, cell, st); err != nil {
					return err
				}
			}
		}
		row++
		return nil
	}
	for _, r := range t.Rows {
		if err := put(r, false); err != nil {
			return fail(err)
		}
	}
	if t.Total != nil {
		if err := put(t.Total, true); err != nil {
			return fail(err)
		}
	}
	if t.Note != "" {
		a, _ := excelize.CoordinatesToCellName(1, row)
		_ = f.SetCellStr(sheet, a, t.Note)
		row++
	}
	if len(t.Signatures) > 0 {
		row++
		for i, s := range t.Signatures {
			// Spread the signature lines over the width: 制表人 left, 审核人 further right.
			col := 1 + i*max(width/len(t.Signatures), 2)
			a, _ := excelize.CoordinatesToCellName(col, row)
			if err := f.SetCellStr(sheet, a, s); err != nil {
				return fail(err)
			}
		}
	}
	_ = f.SetColWidth(sheet, "A", lastCol, 14)
	if _, err := f.WriteTo(w); err != nil {
		return fail(err)
	}
	return nil
}

// The lines every report's Table shares, in each language.
var tableTexts = map[string]struct {
	period, unit string
	signatures   []string
}{
	"zh-CN": {"统计期间：%s 至 %s（%s）", "填报单位：%s", []string{"制表人：", "审核人："}},
	"zh-HK": {"統計期間：%s 至 %s（%s）", "填報單位：%s", []string{"製表人：", "審核人："}},
	"en":    {"Period: %s to %s (%s)", "Reporting unit: %s", []string{"Prepared by:", "Reviewed by:"}},
}

// MonthTitle is a report's title for month ("2026-12") in lang: "2026年12月
// 长者助餐补贴结算表" from the names of the report in each language
// (names[lang], zh-CN when missing); English: "Meal subsidy settlement,
// December 2026".
func MonthTitle(lang, month string, names map[string]string) string {
	name := names[lang]
	if name == "" {
		name = names["zh-CN"]
	}
	p, err := ParsePeriod(month)
	if err != nil || p.Kind != PeriodMonth {
		return name + " " + month
	}
	return periodTitle(lang, p, name)
}

// PeriodLine says the period from (inclusive) to (exclusive) as the local
// dates in zone, with the zone named: "统计期间：2026-12-01 至 2026-12-31（Asia/Shanghai）".
func PeriodLine(lang string, from, to time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc, zone = time.UTC, "UTC"
	}
	tt, ok := tableTexts[lang]
	if !ok {
		tt = tableTexts["zh-CN"]
	}
	last := to.Add(-time.Nanosecond)
	return fmt.Sprintf(tt.period, from.In(loc).Format(time.DateOnly), last.In(loc).Format(time.DateOnly), zone)
}

// UnitLine names the reporting unit: "填报单位：南山区".
func UnitLine(lang, name string) string {
	tt, ok := tableTexts[lang]
	if !ok {
		tt = tableTexts["zh-CN"]
	}
	return fmt.Sprintf(tt.unit, name)
}

// SignatureLabels are the lines the preparer and the reviewer sign:
// "制表人：", "审核人：".
func SignatureLabels(lang string) []string {
	tt, ok := tableTexts[lang]
	if !ok {
		tt = tableTexts["zh-CN"]
	}
	return append([]string(nil), tt.signatures...)
}
