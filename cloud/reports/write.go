package reports

import "fmt"

// Langs are the languages the writers' headers come in.
var Langs = []string{"zh-CN", "zh-HK", "en"}

// texts are the header and level names of one language. The month
// header names the zone (%s) the month's boundaries are in.
type texts struct {
	header  []string // the columns of responseRecord, header[0] with %s for the zone
	levels  map[string]string
	windows map[string]string // meal windows by id (WindowName)
	sheet   string
}

var langTexts = map[string]texts{
	"zh-CN": {
		header: []string{"月份（%s 时间）", "层级", "编号", "名称", "报警数", "设备监测告警数", "已确认", "未关闭",
			"确认用时 P50（秒）", "确认用时 P90（秒）", "确认用时最长（秒）",
			"处置用时 P50（秒）", "处置用时 P90（秒）", "处置用时最长（秒）",
			"60 秒内确认数", "60 秒内确认率（%）", "误报", "升级次数"},
		levels:  map[string]string{"site": "站点", "community": "社区", "street": "街道", "district": "区", LevelTotal: "合计"},
		windows: map[string]string{"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"},
		sheet:   "报警响应",
	},
	"zh-HK": {
		header: []string{"月份（%s 時間）", "層級", "編號", "名稱", "警報數", "設備監測警報數", "已確認", "未關閉",
			"確認用時 P50（秒）", "確認用時 P90（秒）", "確認用時最長（秒）",
			"處理用時 P50（秒）", "處理用時 P90（秒）", "處理用時最長（秒）",
			"60 秒內確認數", "60 秒內確認率（%）", "誤報", "升級次數"},
		levels:  map[string]string{"site": "站點", "community": "社區", "street": "街道", "district": "區", LevelTotal: "合計"},
		windows: map[string]string{"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"},
		sheet:   "警報響應",
	},
	"en": {
		header: []string{"Month (%s time)", "Level", "ID", "Name", "Alarms", "Supervision alerts", "Acknowledged", "Open",
			"Acknowledge p50 (s)", "Acknowledge p90 (s)", "Acknowledge max (s)",
			"Resolve p50 (s)", "Resolve p90 (s)", "Resolve max (s)",
			"Acknowledged within 60 s", "Acknowledged within 60 s (%)", "False alarms", "Escalations"},
		levels:  map[string]string{"site": "Site", "community": "Community", "street": "Street", "district": "District", LevelTotal: "Total"},
		windows: map[string]string{"breakfast": "Breakfast", "lunch": "Lunch", "dinner": "Dinner"},
		sheet:   "Alarm response",
	},
}

// WindowName is a meal window's name in lang ("lunch" → 午餐); a window
// without one keeps its id.
func WindowName(lang, w string) string {
	if n := langTexts[lang].windows[w]; n != "" {
		return n
	}
	return w
}

// responseTitle names the alarm response report in each language.
var responseTitle = map[string]string{"zh-CN": "报警响应统计表", "zh-HK": "警報響應統計表", "en": "Alarm response report"}

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

// ResponseTable lays rep out for download in lang (Table: CSV and XLSX):
// the title and period in the zone of the month, the header, one line per
// row, the total last; absent figures are empty cells, the share has one
// decimal.
func ResponseTable(rep ResponseReport, lang string) (Table, error) {
	t, err := textsOf(lang)
	if err != nil {
		return Table{}, err
	}
	h, _ := Header(rep, lang)
	tab := Table{Header: h, Sheet: t.sheet, Signatures: SignatureLabels(lang),
		Title:  MonthTitle(lang, rep.Month, responseTitle),
		Period: PeriodLine(lang, rep.From, rep.To, rep.TimeZone)}
	for _, r := range rows(rep) {
		rec := record(rep, r, t)
		cells := make([]Cell, len(rec))
		for i, v := range rec {
			switch v := v.(type) {
			case nil:
				cells[i] = Empty()
			case string:
				cells[i] = Text(v)
			case int64:
				cells[i] = Count(v)
			case float64:
				cells[i] = Percent(v)
			}
		}
		if r.Level == LevelTotal {
			tab.Total = cells
		} else {
			tab.Rows = append(tab.Rows, cells)
		}
	}
	return tab, nil
}
