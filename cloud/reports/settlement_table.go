package reports

import (
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// settlementTexts are the words of the settlement table in one language.
type settlementTexts struct {
	title, from, sheet             string   // title: the report's name (MonthTitle)
	fixed                          []string // the fixed columns, in SettlementTable's order
	layer, rule, category, outside string   // prefixes of the per-key columns
	noRule, noCategory             string
	layers                         map[string]string
	// Adjustments: the level of each kind's line, the name of a line
	// (original date, site), the adjustment total and the grand total.
	kinds                         map[string]string
	adjName, adjTotal, grandTotal string
	// The line of a closed statement (number, SHA-256, who, when, zone)
	// and of a month closed by an ancestor's statement (number).
	statement, coveredBy string
}

var settlementLang = map[string]settlementTexts{
	"zh-CN": {
		title: "长者助餐补贴结算表", sheet: "补贴结算",
		fixed: []string{"层级", "编号", "名称", "就餐人次", "补贴人次", "餐费合计", "长者自付", "补贴合计",
			"异地就餐人次", "异地补贴", "运营补贴", "折扣", "手工登记人次", "作废人次", "作废餐费", "作废补贴"},
		layer: "补贴·", rule: "补贴人次·规则 ", category: "补贴人次·类别 ", outside: "异地补贴·",
		noRule: "（无）", noCategory: "（未登记）",
		layers:  map[string]string{"city": "市级", "district": "区级", "street": "街道", "charity": "慈善"},
		kinds:   map[string]string{domain.AdjustLateMeal: "调整·补录就餐", domain.AdjustLateVoid: "调整·补录作废", ReconcileKind: "调整·复核差异"},
		adjName: "原日期 %s · %s", adjTotal: "调整合计", grandTotal: "应付总计（含调整）",
		statement: "结算单号：%s；SHA-256：%s；关账人：%s；关账时间：%s（%s）",
		coveredBy: "本月已随结算单 %s 关账；数字不含关账后收到的事件",
	},
	"zh-HK": {
		title: "長者助餐補貼結算表", sheet: "補貼結算",
		fixed: []string{"層級", "編號", "名稱", "用餐人次", "補貼人次", "餐費合計", "長者自付", "補貼合計",
			"異地用餐人次", "異地補貼", "營運補貼", "折扣", "手工登記人次", "作廢人次", "作廢餐費", "作廢補貼"},
		layer: "補貼·", rule: "補貼人次·規則 ", category: "補貼人次·類別 ", outside: "異地補貼·",
		noRule: "（無）", noCategory: "（未登記）",
		layers:  map[string]string{"city": "市級", "district": "區級", "street": "街道", "charity": "慈善"},
		kinds:   map[string]string{domain.AdjustLateMeal: "調整·補錄用餐", domain.AdjustLateVoid: "調整·補錄作廢", ReconcileKind: "調整·覆核差異"},
		adjName: "原日期 %s · %s", adjTotal: "調整合計", grandTotal: "應付總計（含調整）",
		statement: "結算單號：%s；SHA-256：%s；關賬人：%s；關賬時間：%s（%s）",
		coveredBy: "本月已隨結算單 %s 關賬；數字不含關賬後收到的事件",
	},
	"en": {
		title: "Elder meal subsidy settlement", sheet: "Settlement",
		fixed: []string{"Level", "ID", "Name", "Meals served", "Subsidised meals", "Price total", "Paid by elders", "Subsidy total",
			"Meals outside home jurisdiction", "Subsidy for outside meals", "Operating subsidy", "Discounts", "Manual meals",
			"Voided meals", "Voided price", "Voided subsidy"},
		layer: "Subsidy: ", rule: "Subsidised meals: rule ", category: "Subsidised meals: category ", outside: "Outside meals paid by: ",
		noRule: "(none)", noCategory: "(not on roster)",
		layers:  map[string]string{"city": "city", "district": "district", "street": "street", "charity": "charity"},
		kinds:   map[string]string{domain.AdjustLateMeal: "Adjustment: late meal", domain.AdjustLateVoid: "Adjustment: late void", ReconcileKind: "Adjustment: reconciliation difference"},
		adjName: "Original date %s · %s", adjTotal: "Adjustments total", grandTotal: "Grand total (with adjustments)",
		statement: "Statement No. %s; SHA-256: %s; closed by %s at %s (%s)",
		coveredBy: "This month was closed with statement %s; the figures leave out events received after that close",
	},
}

var settlementLevels = map[string]map[string]string{
	"zh-CN": {"site": "站点", "community": "社区", "street": "街道", "district": "区", LevelTotal: "合计"},
	"zh-HK": {"site": "站點", "community": "社區", "street": "街道", "district": "區", LevelTotal: "合計"},
	"en":    {"site": "Site", "community": "Community", "street": "Street", "district": "District", LevelTotal: "Total"},
}

// SettlementTable lays the settlement out as the table of its CSV and
// XLSX downloads in lang; unitName names the reporting unit (the scope).
// Columns: the fixed ones, then per funding layer its subsidy, per rule
// and per elder category the subsidised meals, per layer and division code
// the subsidy of the outside meals. One row per site and org unit (as
// rep.Rows), then the totals row.
func SettlementTable(rep SettlementReport, lang, unitName string) (Table, error) {
	tx, ok := settlementLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: unknown language %q", lang)
	}
	levels := settlementLevels[lang]
	layerName := func(l string) string {
		if n, ok := tx.layers[l]; ok {
			return n
		}
		return l
	}
	// The outside (layer, code) columns over every row.
	type lc struct{ layer, code string }
	var outs []lc
	for _, a := range rep.Total.OutsideFunding {
		outs = append(outs, lc{a.Layer, a.Code})
	}
	header := append([]string{}, tx.fixed...)
	for _, l := range rep.Layers {
		header = append(header, tx.layer+layerName(l))
	}
	for _, r := range rep.Rules {
		if r == "" {
			r = tx.noRule
		}
		header = append(header, tx.rule+r)
	}
	for _, c := range rep.Categories {
		if c == "" {
			c = tx.noCategory
		}
		header = append(header, tx.category+c)
	}
	for _, o := range outs {
		h := tx.outside + layerName(o.layer)
		if o.code != "" {
			h += " " + o.code
		}
		header = append(header, h)
	}
	row := func(r SettlementRow) []Cell {
		level := levels[r.Level]
		cells := []Cell{Text(level), Text(r.Unit), Text(r.Name),
			Count(r.Meals), Count(r.Subsidised), Money(r.PriceFen), Money(r.PayFen), Money(r.SubsidyFen),
			Count(r.OutsideMeals), Money(r.OutsideFen), Money(r.OperatingFen), Money(r.DiscountFen), Count(r.Manual),
			Count(r.Voids), Money(r.VoidPriceFen), Money(r.VoidSubsidyFen)}
		for _, l := range rep.Layers {
			cells = append(cells, Money(r.Funding[l]))
		}
		for _, k := range rep.Rules {
			cells = append(cells, Count(r.ByRule[k].Meals))
		}
		for _, k := range rep.Categories {
			cells = append(cells, Count(r.ByCategory[k].Meals))
		}
		for _, o := range outs {
			var fen int64
			for _, a := range r.OutsideFunding {
				if a.Layer == o.layer && a.Code == o.code {
					fen = a.Fen
				}
			}
			cells = append(cells, Money(fen))
		}
		return cells
	}
	t := Table{
		Title:      MonthTitle(lang, rep.Month, map[string]string{lang: tx.title}),
		Unit:       UnitLine(lang, unitName),
		Period:     PeriodLine(lang, rep.From, rep.To, rep.TimeZone),
		Header:     header,
		Signatures: SignatureLabels(lang),
		Sheet:      tx.sheet,
	}
	for _, r := range rep.Rows {
		t.Rows = append(t.Rows, row(r))
	}
	t.Total = row(rep.Total)
	if len(rep.Adjustments) > 0 {
		// The month's total stays a row ("合计"), then one line per
		// adjustment, their total, and the grand total last.
		t.Rows = append(t.Rows, t.Total)
		for _, a := range rep.Adjustments {
			cells := row(a.SettlementRow)
			kind := tx.kinds[a.Kind]
			if kind == "" {
				kind = a.Kind
			}
			cells[0], cells[1], cells[2] = Text(kind), Text(a.MealEventID), Text(fmt.Sprintf(tx.adjName, a.Day, a.Name))
			t.Rows = append(t.Rows, cells)
		}
		cells := row(rep.AdjustmentTotal)
		cells[0] = Text(tx.adjTotal)
		t.Rows = append(t.Rows, cells)
		t.Total = row(rep.GrandTotal)
		t.Total[0] = Text(tx.grandTotal)
	}
	if st := rep.Statement; st != nil {
		loc, err := time.LoadLocation(st.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		t.Note = fmt.Sprintf(tx.statement, st.Number, st.SHA256, st.ClosedBy, st.ClosedAt.In(loc).Format("2006-01-02 15:04:05"), loc.String())
	} else if st := rep.CoveredBy; st != nil {
		t.Note = fmt.Sprintf(tx.coveredBy, st.Number)
	}
	return t, nil
}
