package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// reviewTexts are the words of the items to review in one language.
type reviewTexts struct {
	title, sheet, total, withheld string
	named                         string   // an elder's masked name and id
	header                        []string // ReviewTable's columns; header[4] has %s for the zone
	kinds                         map[string]string
	decisions                     map[string]string
	states                        map[string]string
	// The facts of each kind (fmt verbs in the order sentence passes them).
	twoSites, afterLost, afterRemoved, burst, void, night string
}

var reviewLang = map[string]reviewTexts{
	"zh-CN": {
		title: "长者助餐待核查事项", sheet: "待核查", total: "合计（事项）", withheld: "（辖区外，不显示）", named: "%s（%s）",
		header: []string{"序号", "类型", "事项", "事件编号", "时间（%s）", "站点", "长者", "卡号", "餐次", "结果", "手工登记人", "餐费", "补贴", "自付", "作废人"},
		kinds: map[string]string{KindTwoSites: "同一餐次多站点就餐", KindAfterCardLost: "挂失或注销后用卡", KindAfterRemoved: "移出名单后就餐",
			KindManualBurst: "集中手工登记", KindVoid: "作废", KindUnusualHours: "非常规时段用卡"},
		decisions:    map[string]string{"approved": "补贴", "full_pay": "全价", "discounted": "折扣", "refused": "拒绝"},
		states:       map[string]string{"lost": "挂失", "cancelled": "注销"},
		twoSites:     "长者 %s 于 %s %s在 %s 个站点就餐：%s",
		afterLost:    "卡 %s 于 %s 在 %s %s后，仍用于 %s 餐（长者 %s）",
		afterRemoved: "长者 %s 于 %s 移出 %s 名单后，仍在该站点就餐 %s 餐",
		burst:        "工作人员 %s 在 %s 于 %s 分钟内手工登记 %s 餐（%s 起）",
		void:         "%s 的一餐（长者 %s）被 %s 作废",
		night:        "卡 %s 于 %s 夜间在 %s 使用 %s 次（长者 %s）",
	},
	"zh-HK": {
		title: "長者助餐待核查事項", sheet: "待核查", total: "合計（事項）", withheld: "（轄區外，不顯示）", named: "%s（%s）",
		header: []string{"序號", "類型", "事項", "事件編號", "時間（%s）", "站點", "長者", "卡號", "餐次", "結果", "手工登記人", "餐費", "補貼", "自付", "作廢人"},
		kinds: map[string]string{KindTwoSites: "同一餐次多站點用餐", KindAfterCardLost: "掛失或註銷後用卡", KindAfterRemoved: "移出名單後用餐",
			KindManualBurst: "集中手工登記", KindVoid: "作廢", KindUnusualHours: "非常規時段用卡"},
		decisions:    map[string]string{"approved": "補貼", "full_pay": "全價", "discounted": "折扣", "refused": "拒絕"},
		states:       map[string]string{"lost": "掛失", "cancelled": "註銷"},
		twoSites:     "長者 %s 於 %s %s在 %s 個站點用餐：%s",
		afterLost:    "卡 %s 於 %s 在 %s %s後，仍用於 %s 餐（長者 %s）",
		afterRemoved: "長者 %s 於 %s 移出 %s 名單後，仍在該站點用餐 %s 餐",
		burst:        "工作人員 %s 在 %s 於 %s 分鐘內手工登記 %s 餐（%s 起）",
		void:         "%s 的一餐（長者 %s）被 %s 作廢",
		night:        "卡 %s 於 %s 夜間在 %s 使用 %s 次（長者 %s）",
	},
	"en": {
		title: "Items to review, elder meals", sheet: "Review", total: "Total (items)", withheld: "(outside your scope, not shown)", named: "%s (%s)",
		header: []string{"No.", "Kind", "Facts", "Event ID", "Time (%s)", "Site", "Elder", "Card", "Window", "Decision", "Recorded by", "Price", "Subsidy", "Paid", "Voided by"},
		kinds: map[string]string{KindTwoSites: "Served at two sites in one window", KindAfterCardLost: "Card used after reported lost",
			KindAfterRemoved: "Meal after removal from roster", KindManualBurst: "Burst of manual meals", KindVoid: "Voided meal",
			KindUnusualHours: "Card used at unusual hours"},
		decisions:    map[string]string{"approved": "subsidised", "full_pay": "full price", "discounted": "discounted", "refused": "refused"},
		states:       map[string]string{"lost": "reported lost", "cancelled": "cancelled"},
		twoSites:     "Elder %s was served on %s (%s) at %s sites: %s",
		afterLost:    "Card %s was %[4]s at %[2]s at %[3]s; used for %[5]s meals since (elder %[6]s)",
		afterRemoved: "Elder %s was removed from the roster of %[3]s at %[2]s; %[4]s meals there since",
		burst:        "Staff %s recorded %[4]s manual meals at %[2]s within %[3]s minutes (from %[5]s)",
		void:         "A meal at %s (elder %s) was voided by %s",
		night:        "Card %s was used at night on %s at %s, %s times (elder %s)",
	},
}

func (w reviewTexts) word(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// sentence words the facts of it in w's language.
func (w reviewTexts) sentence(lang string, it ReviewItem, tz *time.Location, siteName func(string) string) string {
	p := it.Params
	elder := p["elder"]
	if len(it.Meals) > 0 && it.Meals[0].Name != "" {
		elder = fmt.Sprintf(w.named, it.Meals[0].Name, elder)
	}
	local := func(rfc string) string {
		t, err := time.Parse(time.RFC3339, rfc)
		if err != nil {
			return rfc
		}
		return t.In(tz).Format("2006-01-02 15:04")
	}
	first := ""
	if len(it.Meals) > 0 {
		first = it.Meals[0].Local
	}
	switch it.Kind {
	case KindTwoSites:
		var sites []string
		for _, m := range it.Meals {
			sites = append(sites, siteName(m.Site)+" "+m.Local[11:])
		}
		return fmt.Sprintf(w.twoSites, elder, p["day"], WindowName(lang, p["window"]), p["sites"], strings.Join(sites, "、"))
	case KindAfterCardLost:
		return fmt.Sprintf(w.afterLost, p["credential"], local(p["reported_at"]), siteName(p["reported_site"]), w.word(w.states, p["state"]), p["meals"], elder)
	case KindAfterRemoved:
		return fmt.Sprintf(w.afterRemoved, elder, local(p["removed_at"]), siteName(p["site"]), p["meals"])
	case KindManualBurst:
		return fmt.Sprintf(w.burst, p["staff"], siteName(p["site"]), p["minutes"], p["meals"], first)
	case KindVoid:
		return fmt.Sprintf(w.void, siteName(p["site"]), elder, p["voided_by"])
	case KindUnusualHours:
		return fmt.Sprintf(w.night, p["credential"], p["night"], siteName(p["site"]), p["meals"], elder)
	}
	return it.Kind
}

// ReviewTable lays the items to review out as the table of their CSV and
// XLSX downloads in lang: one row per meal behind an item (the item's
// number, kind and facts repeated on each), the totals row counting the
// items; unitName names the reporting unit.
func ReviewTable(rep ReviewReport, lang, unitName string) (Table, error) {
	w, ok := reviewLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: unknown language %q", lang)
	}
	header := append([]string(nil), w.header...)
	header[4] = fmt.Sprintf(header[4], rep.TimeZone)
	t := Table{
		Title:      MonthTitle(lang, rep.Month, map[string]string{lang: w.title}),
		Unit:       UnitLine(lang, unitName),
		Period:     PeriodLine(lang, rep.From, rep.To, rep.TimeZone),
		Header:     header,
		Rows:       [][]Cell{},
		Signatures: SignatureLabels(lang),
		Sheet:      w.sheet,
	}
	for i, it := range rep.Items {
		for _, m := range it.Meals {
			row := []Cell{Count(int64(i + 1)), Text(w.word(w.kinds, it.Kind)), Text(it.Text), Text(m.EventID), Text(m.Local),
				Text(m.SiteName), Text(strings.TrimSpace(m.Name + " " + m.ElderID)), Text(m.Credential),
				Text(m.Day + " " + WindowName(lang, m.Window)), Text(w.word(w.decisions, m.Decision))}
			if m.Withheld {
				row = append(row, Text(w.withheld), Empty(), Empty(), Empty(), Empty())
			} else {
				row = append(row, Text(m.Staff), Money(m.PriceFen), Money(m.SubsidyFen), Money(m.PayFen), Text(m.VoidedBy))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	t.Total = []Cell{Text(w.total), Count(int64(len(rep.Items)))}
	for range len(header) - 2 {
		t.Total = append(t.Total, Empty())
	}
	var counts []string
	for _, k := range rep.Kinds {
		counts = append(counts, w.word(w.kinds, k)+" "+strconv.Itoa(rep.Counts[k]))
	}
	t.Note = strings.Join(counts, "；")
	return t, nil
}
