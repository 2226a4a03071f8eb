package reports

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/kiosk"
)

// ReasonName is a decision reason's words in lang as the kiosk says them
// (kiosk.Reasons: the one place they are written); an unknown code keeps
// its code, "ok" and "" say nothing.
func ReasonName(lang, code string) string {
	if n, ok := kiosk.Reasons()[lang][code]; ok {
		return n
	}
	return code
}

// decisionNames are the decisions of a meal as an office's list names
// them (the kiosk's words speak to the elder: "请付全价").
var decisionNames = map[string]map[string]string{
	"zh-CN": {"approved": "已补贴", "full_pay": "全价", "discounted": "优惠价", "refused": "拒绝", domain.DecisionVoided: "已作废"},
	"zh-HK": {"approved": "已資助", "full_pay": "全費", "discounted": "優惠價", "refused": "拒絕", domain.DecisionVoided: "已作廢"},
	"en":    {"approved": "Subsidised", "full_pay": "Full price", "discounted": "Discounted", "refused": "Refused", domain.DecisionVoided: "Voided"},
}

// DecisionNames returns the decisions' names in each language (by
// language, then decision; "voided" names a voided meal).
func DecisionNames() map[string]map[string]string { return decisionNames }

// DecisionName is a decision's name in lang; an unknown one keeps its id.
func DecisionName(lang, d string) string {
	if n := decisionNames[lang][d]; n != "" {
		return n
	}
	return d
}

var mealsTexts = map[string]struct {
	title, time, timeIn, card, yes string
	header                         []string
	sources                        map[string]string
	truncated                      string
}{
	"zh-CN": {title: "用餐记录", time: "时间", timeIn: "时间（%s）", card: "卡号 %s", yes: "是",
		header:    []string{"站点", "长者编号", "长者", "餐次", "结果", "原因", "餐费", "补贴", "自付", "计价来源", "菜品", "已作废", "事件编号"},
		sources:   map[string]string{"till": "收银机", "cashier": "收银员", "menu": "菜单"},
		truncated: "仅导出前 %d 行，请缩小筛选范围"},
	"zh-HK": {title: "用膳記錄", time: "時間", timeIn: "時間（%s）", card: "卡號 %s", yes: "是",
		header:    []string{"站點", "長者編號", "長者", "餐次", "結果", "原因", "餐費", "資助", "自付", "計價來源", "菜式", "已作廢", "事件編號"},
		sources:   map[string]string{"till": "收銀機", "cashier": "收銀員", "menu": "菜單"},
		truncated: "只匯出首 %d 行，請收窄篩選範圍"},
	"en": {title: "Meals", time: "Time", timeIn: "Time (%s)", card: "Card %s", yes: "yes",
		header:    []string{"Site", "Elder ID", "Elder", "Window", "Decision", "Reason", "Price", "Subsidy", "Pay", "Price source", "Dishes", "Voided", "Event ID"},
		sources:   map[string]string{"till": "Till", "cashier": "Cashier", "menu": "Menu"},
		truncated: "Only the first %d rows are exported: narrow the filter"},
}

// MealsTable lays out rows of the meals list: each row's time in its
// site's zone (zone(site)), named in the header when every row shares one
// zone and in each time cell otherwise; money in yuan; names masked as the
// rows hold them; a card tap's masked card in the elder column. unit is
// the unit line's name, from/to the filter's period (zero: none) in
// periodZone; truncated says the list stopped at its cap.
func MealsTable(lang string, rows []domain.MealRow, zone func(site string) *time.Location, unit string,
	from, to time.Time, periodZone string, truncated int) (Table, error) {
	if _, err := textsOf(lang); err != nil {
		return Table{}, err
	}
	tt := mealsTexts[lang]
	zones := map[string]bool{}
	for _, r := range rows {
		zones[zone(r.Site).String()] = true
	}
	one := ""
	if len(zones) == 1 {
		for z := range zones {
			one = z
		}
	}
	timeHead := tt.time
	if one != "" {
		timeHead = strings.Replace(tt.timeIn, "%s", one, 1)
	}
	t := Table{Title: tt.title, Unit: UnitLine(lang, unit), Header: append([]string{timeHead}, tt.header...), Sheet: tt.title}
	if !from.IsZero() && !to.IsZero() {
		t.Period = PeriodLine(lang, from, to, periodZone)
	}
	for _, r := range rows {
		loc := zone(r.Site)
		at := r.At.In(loc).Format("2006-01-02 15:04:05")
		if one == "" {
			at += " (" + loc.String() + ")"
		}
		elder := r.ElderName
		if r.Kind == domain.RowCard {
			elder = strings.Replace(tt.card, "%s", r.Card, 1)
		}
		var dishes []string
		for _, it := range r.Items {
			name := it.Name
			if it.Qty > 1 {
				name += " ×" + strconv.Itoa(it.Qty)
			}
			dishes = append(dishes, name)
		}
		voided := ""
		if r.Voided {
			voided = tt.yes
		}
		row := []Cell{Text(at), Text(cmp.Or(r.SiteName, r.Site)), Text(r.ElderID), Text(elder), Text(WindowName(lang, r.Window)),
			Text(DecisionName(lang, r.Decision)), Text(ReasonName(lang, r.Reason))}
		if r.Kind == domain.RowCard {
			row = append(row, Empty(), Empty(), Empty())
		} else {
			row = append(row, Money(int64(r.PriceFen)), Money(int64(r.SubsidyFen)), Money(int64(r.PayFen)))
		}
		src := tt.sources[r.PriceSource]
		if src == "" {
			src = r.PriceSource
		}
		row = append(row, Text(src), Text(strings.Join(dishes, "、")), Text(voided), Text(r.EventID))
		t.Rows = append(t.Rows, row)
	}
	if truncated > 0 {
		t.Note = strings.Replace(tt.truncated, "%d", strconv.Itoa(truncated), 1)
	}
	return t, nil
}
