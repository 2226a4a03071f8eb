package reports

import (
	"cmp"
	"fmt"
)

// reconcileTexts are the words of the reconciliation table in one language.
type reconcileTexts struct {
	title, sheet string
	fixed        []string // the fixed columns, in ReconcileTable's order
	diff         string   // prefix of the per-layer difference columns
	tail         []string // the columns after them
	total        string
	limit        string // "limit reached across sites: %s"
	skipped      string // what the cloud decision cell says for a meal not re-decided
	note         string
	decisions    map[string]string
	reasons      map[string]string
}

var reconcileLang = map[string]reconcileTexts{
	"zh-CN": {
		title: "长者助餐补贴复核差异表", sheet: "复核差异",
		fixed: []string{"事件编号", "站点", "就餐时间", "时区", "餐次", "长者", "网关决定", "网关补贴", "云端决定", "云端补贴"},
		diff:  "差额·", tail: []string{"补贴差额", "运营补贴差额", "长者自付差额", "差异原因"}, total: "合计",
		limit: "跨站点用量已达限额 %s", skipped: "未能复核",
		note:      "差额＝云端复核－网关决定；原记录不作修改，差额在结算中作为调整项处理。",
		decisions: map[string]string{"approved": "补贴", "full_pay": "全价", "discounted": "折扣", "refused": "拒绝"},
		reasons: map[string]string{SkipNoPolicyVersion: "无政策版本", SkipPolicyNotHeld: "云端无此政策版本", SkipPolicyInvalid: "政策版本无法解析",
			SkipElderNotRostered: "长者不在云端名册", SkipSiteNotInTree: "站点不在组织架构", SkipSiteWithoutCode: "站点上级无行政区划代码",
			"usage_stale": "网关用量过期"},
	},
	"zh-HK": {
		title: "長者助餐補貼覆核差異表", sheet: "覆核差異",
		fixed: []string{"事件編號", "站點", "用餐時間", "時區", "餐次", "長者", "網關決定", "網關補貼", "雲端決定", "雲端補貼"},
		diff:  "差額·", tail: []string{"補貼差額", "營運補貼差額", "長者自付差額", "差異原因"}, total: "合計",
		limit: "跨站點用量已達限額 %s", skipped: "未能覆核",
		note:      "差額＝雲端覆核－網關決定；原記錄不作修改，差額在結算中作為調整項處理。",
		decisions: map[string]string{"approved": "補貼", "full_pay": "全費", "discounted": "折扣", "refused": "拒絕"},
		reasons: map[string]string{SkipNoPolicyVersion: "無政策版本", SkipPolicyNotHeld: "雲端無此政策版本", SkipPolicyInvalid: "政策版本無法解析",
			SkipElderNotRostered: "長者不在雲端名冊", SkipSiteNotInTree: "站點不在組織架構", SkipSiteWithoutCode: "站點上級無行政區劃代碼",
			"usage_stale": "網關用量過期"},
	},
	"en": {
		title: "Meal subsidy reconciliation", sheet: "Reconciliation",
		fixed: []string{"Event", "Site", "Time", "Time zone", "Window", "Elder", "Gateway decision", "Gateway subsidy", "Cloud decision", "Cloud subsidy"},
		diff:  "Difference: ", tail: []string{"Subsidy difference", "Operating subsidy difference", "Paid by elder difference", "Reason"}, total: "Total",
		limit: "limit reached across sites: %s", skipped: "not re-decidable",
		note:      "Difference = cloud re-decision − gateway decision; nothing stored is changed, the differences are settled as adjustments.",
		decisions: map[string]string{"approved": "subsidised", "full_pay": "full price", "discounted": "discounted", "refused": "refused"},
		reasons: map[string]string{SkipNoPolicyVersion: "no policy version", SkipPolicyNotHeld: "policy version not held by the cloud", SkipPolicyInvalid: "policy version does not parse",
			SkipElderNotRostered: "elder on no cloud roster", SkipSiteNotInTree: "site not in the org tree", SkipSiteWithoutCode: "no division code above the site",
			"usage_stale": "gateway usage stale"},
	},
}

// ReconcileReason says in lang why a listed meal differs: the limit the
// cloud found reached with the usage across sites, a stale gateway, or
// the two decisions' reasons.
func ReconcileReason(l ReconcileLine, lang string) string {
	tx := reconcileLang[lang]
	switch {
	case l.Cloud.Limit != "" && l.Cloud.Limit != l.Gateway.Reason:
		return fmt.Sprintf(tx.limit, l.Cloud.Limit)
	case l.Gateway.Reason == "usage_stale":
		return tx.reasons["usage_stale"]
	}
	return l.Gateway.Reason + " → " + l.Cloud.Reason
}

// ReconcileTable lays the reconciliation out as the table of its CSV and
// XLSX downloads in lang; unitName names the reporting unit. One row per
// listed meal (the differences per layer and division code in columns,
// the reason last),
// then one per meal not re-decided (the reason, no difference), then the
// totals row.
func ReconcileTable(rep ReconcileReport, lang, unitName string) (Table, error) {
	tx, ok := reconcileLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: unknown language %q", lang)
	}
	layerNames := settlementLang[lang].layers
	header := append([]string{}, tx.fixed...)
	for _, t := range rep.Totals {
		h := tx.diff + cmp.Or(layerNames[t.Layer], t.Layer)
		if t.Code != "" {
			h += " " + t.Code
		}
		header = append(header, h)
	}
	header = append(header, tx.tail...)
	dec := func(d string) string { return cmp.Or(tx.decisions[d], d) }
	t := Table{
		Title:      MonthTitle(lang, rep.Month, map[string]string{lang: tx.title}),
		Unit:       UnitLine(lang, unitName),
		Period:     PeriodLine(lang, rep.From, rep.To, rep.TimeZone),
		Header:     header,
		Signatures: SignatureLabels(lang),
		Note:       tx.note,
		Sheet:      tx.sheet,
	}
	for _, l := range rep.Differences {
		row := []Cell{Text(l.EventID), Text(cmp.Or(l.SiteName, l.Site)), Text(l.Local), Text(l.TimeZone), Text(WindowName(lang, l.Window)), Text(l.Elder),
			Text(dec(l.Gateway.Decision)), Money(l.Gateway.SubsidyFen), Text(dec(l.Cloud.Decision)), Money(l.Cloud.SubsidyFen)}
		for _, tot := range rep.Totals {
			var fen int64
			for _, d := range l.Layers {
				if d.Layer == tot.Layer && d.Code == tot.Code {
					fen = d.Fen
				}
			}
			row = append(row, Money(fen))
		}
		t.Rows = append(t.Rows, append(row, Money(l.Subsidy), Money(l.Operating), Money(l.Pay), Text(ReconcileReason(l, lang))))
	}
	for _, s := range rep.NotRedecidable {
		row := []Cell{Text(s.EventID), Text(cmp.Or(s.SiteName, s.Site)), Text(s.Local), Text(s.TimeZone),
			Empty(), Text(s.Elder), Text(dec(s.Decision)), Money(s.Subsidy), Text(tx.skipped), Empty()}
		for range rep.Totals {
			row = append(row, Empty())
		}
		t.Rows = append(t.Rows, append(row, Empty(), Empty(), Empty(), Text(cmp.Or(tx.reasons[s.Reason], s.Reason))))
	}
	total := []Cell{Text(tx.total)}
	for range len(tx.fixed) - 1 {
		total = append(total, Empty())
	}
	for _, tot := range rep.Totals {
		total = append(total, Money(tot.Fen))
	}
	t.Total = append(total, Money(rep.SubsidyFen), Money(rep.OperatingFen), Money(rep.PayFen), Empty())
	return t, nil
}
