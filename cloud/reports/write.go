package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Langs are the languages the writers' headers come in.
var Langs = []string{"zh-CN", "zh-HK", "en"}

// texts are the header and level names of one language. The month
// header names the zone (%s) the month's boundaries are in.
type texts struct {
	header []string // the columns of responseRecord, header[0] with %s for the zone
	levels map[string]string
	sheet  string
}

var langTexts = map[string]texts{
	"zh-CN": {
		header: []string{"月份（%s 时间）", "层级", "编号", "名称", "报警数", "设备监测告警数", "已确认", "未关闭",
			"确认用时 P50（秒）", "确认用时 P90（秒）", "确认用时最长（秒）",
			"处置用时 P50（秒）", "处置用时 P90（秒）", "处置用时最长（秒）",
			"60 秒内确认数", "60 秒内确认率（%）", "误报", "升级次数"},
		levels: map[string]string{"site": "站点", "community": "社区", "street": "街道", "district": "区", LevelTotal: "合计"},
		sheet:  "报警响应",
	},
	"zh-HK": {
		header: []string{"月份（%s 時間）", "層級", "編號", "名稱", "警報數", "設備監測警報數", "已確認", "未關閉",
			"確認用時 P50（秒）", "確認用時 P90（秒）", "確認用時最長（秒）",
			"處理用時 P50（秒）", "處理用時 P90（秒）", "處理用時最長（秒）",
			"60 秒內確認數", "60 秒內確認率（%）", "誤報", "升級次數"},
		levels: map[string]string{"site": "站點", "community": "社區", "street": "街道", "district": "區", LevelTotal: "合計"},
		sheet:  "警報響應",
	},
	"en": {
		header: []string{"Month (%s time)", "Level", "ID", "Name", "Alarms", "Supervision alerts", "Acknowledged", "Open",
			"Acknowledge p50 (s)", "Acknowledge p90 (s)", "Acknowledge max (s)",
			"Resolve p50 (s)", "Resolve p90 (s)", "Resolve max (s)",
			"Acknowledged within 60 s", "Acknowledged within 60 s (%)", "False alarms", "Escalations"},
		levels: map[string]string{"site": "Site", "community": "Community", "street": "Street", "district": "District", LevelTotal: "Total"},
		sheet:  "Alarm response",
	},
}

func textsOf(lang string) (texts, error) {
	t, ok := langTexts[lang]
	if !ok {
		return t, fmt.Errorf("reports: language %q is not one of zh-CN, zh-HK, en", lang)
	}
	return t, nil
}

// Header returns the header row of the CSV and XLSX in lang.
func Header(rep ResponseReport, lang string) ([]string, error) {
	t, err := textsOf(lang)
	if err != nil {
		return nil, err
	}
	h := append([]string(nil), t.header...)
	h[0] = fmt.Sprintf(h[0], rep.TimeZone)
	return h, nil
}

// record returns the cells of one row: strings for the text columns,
// int64 / float64 for the figures, nil for an absent figure.
func record(rep ResponseReport, r ResponseRow, t texts) []any {
	opt := func(v *int64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	var pct any
	if r.AckedWithin60Pct != nil {
		pct = *r.AckedWithin60Pct
	}
	name := r.Name
	if r.Level == LevelTotal {
		name = t.levels[LevelTotal]
	}
	return []any{rep.Month, t.levels[r.Level], r.Unit, name,
		int64(r.Alarms), int64(r.Supervision), int64(r.Acknowledged), int64(r.Open),
		opt(r.AckP50S), opt(r.AckP90S), opt(r.AckMaxS),
		opt(r.ResolveP50S), opt(r.ResolveP90S), opt(r.ResolveMaxS),
		int64(r.AckedWithin60), pct, int64(r.FalseAlarms), int64(r.Escalations)}
}

func rows(rep ResponseReport) []ResponseRow {
	return append(append([]ResponseRow(nil), rep.Rows...), rep.Total)
}

// WriteResponseCSV writes rep as CSV: UTF-8 with a byte-order mark (so
// that Excel reads the Chinese right), the header in lang, one line per
// row and the total last. Absent figures are empty cells; the share is
// written with one decimal.
func WriteResponseCSV(w io.Writer, rep ResponseReport, lang string) error {
	t, err := textsOf(lang)
	if err != nil {
		return err
	}
	h, _ := Header(rep, lang)
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes
	_ = cw.Write(h)
	for _, r := range rows(rep) {
		rec := record(rep, r, t)
		out := make([]string, len(rec))
		for i, v := range rec {
			switch v := v.(type) {
			case nil:
			case string:
				out[i] = v
			case int64:
				out[i] = strconv.FormatInt(v, 10)
			case float64:
				out[i] = strconv.FormatFloat(v, 'f', 1, 64)
			}
		}
		_ = cw.Write(out)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: csv: %w", err)
	}
	return nil
}

// WriteResponseXLSX writes rep as an XLSX workbook of one sheet: the
// header in lang (bold, frozen), one row per ResponseRow and the total
// last (bold); figures are numbers, absent ones empty cells.
func WriteResponseXLSX(w io.Writer, rep ResponseReport, lang string) error {
	t, err := textsOf(lang)
	if err != nil {
		return err
	}
	h, _ := Header(rep, lang)
	f := excelize.NewFile()
	defer f.Close()
	sheet := t.sheet
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("reports: xlsx: %w", err)
	}
	fail := func(err error) error { return fmt.Errorf("reports: xlsx: %w", err) }
	hdr := make([]any, len(h))
	for i, s := range h {
		hdr[i] = s
	}
	if err := f.SetSheetRow(sheet, "A1", &hdr); err != nil {
		return fail(err)
	}
	all := rows(rep)
	for i, r := range all {
		rec := record(rep, r, t)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &rec); err != nil {
			return fail(err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	last, _ := excelize.CoordinatesToCellName(len(h), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return fail(err)
	}
	first, _ := excelize.CoordinatesToCellName(1, len(all)+1)
	last, _ = excelize.CoordinatesToCellName(len(h), len(all)+1)
	if err := f.SetCellStyle(sheet, first, last, bold); err != nil {
		return fail(err)
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	_ = f.SetColWidth(sheet, "A", "A", 22)
	_ = f.SetColWidth(sheet, "C", "D", 18)
	_ = f.SetColWidth(sheet, "E", "R", 14)
	if _, err := f.WriteTo(w); err != nil {
		return fail(err)
	}
	return nil
}
