package care

import (
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

type tableTexts struct {
	title, asOf, total, toVisit, visited string
	header                               []string
	outcomes                             map[domain.VisitOutcome]string
}

var careTexts = map[string]tableTexts{
	"zh-CN": {title: "关怀探访名单", asOf: "名单时间：%s（%s）", total: "合计", toVisit: "待探访", visited: "本次缺席已探访",
		header: []string{"社区", "姓名", "老人编号", "所属站点", "最后就餐", "就餐站点", "未到天数", "此前每周餐数", "状态", "上次探访", "探访结果", "备注"},
		outcomes: map[domain.VisitOutcome]string{domain.VisitVisited: "已上门见到", domain.VisitNotHome: "不在家",
			domain.VisitHospital: "住院", domain.VisitMoved: "已搬离", domain.VisitOther: "其他"}},
	"zh-HK": {title: "關懷探訪名單", asOf: "名單時間：%s（%s）", total: "合計", toVisit: "待探訪", visited: "本次缺席已探訪",
		header: []string{"社區", "姓名", "長者編號", "所屬站點", "最後用餐", "用餐站點", "未到天數", "此前每週餐數", "狀態", "上次探訪", "探訪結果", "備註"},
		outcomes: map[domain.VisitOutcome]string{domain.VisitVisited: "已上門見到", domain.VisitNotHome: "不在家",
			domain.VisitHospital: "住院", domain.VisitMoved: "已搬離", domain.VisitOther: "其他"}},
	"en": {title: "Care visit list", asOf: "As of %s (%s)", total: "Total", toVisit: "to visit", visited: "visited during this absence",
		header: []string{"Community", "Name", "Elder ID", "Home site", "Last meal", "Meal site", "Days away", "Meals per week before", "Status", "Last visit", "Outcome", "Note"},
		outcomes: map[domain.VisitOutcome]string{domain.VisitVisited: "visited at home", domain.VisitNotHome: "not at home",
			domain.VisitHospital: "in hospital", domain.VisitMoved: "moved away", domain.VisitOther: "other"}},
}

// Table lays out the visit list (the elders to visit, then those visited
// during this absence) for the CSV and XLSX downloads, with the same
// figures as the JSON: masked names, times in zone, the total number of
// elders listed. unitName names the reporting unit ("" for the whole
// tree); name gives an org unit's name from its id.
func Table(entries []Entry, lang string, now time.Time, zone *time.Location, unitName string, name func(id string) string) (reports.Table, error) {
	tt, ok := careTexts[lang]
	if !ok {
		return reports.Table{}, fmt.Errorf("lang %q is not one of zh-CN, zh-HK, en", lang)
	}
	at := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") }
	tab := reports.Table{
		Title:      tt.title + " " + now.In(zone).Format(time.DateOnly),
		Unit:       reports.UnitLine(lang, unitName),
		Period:     fmt.Sprintf(tt.asOf, at(now), zone.String()),
		Header:     append([]string(nil), tt.header...),
		Signatures: reports.SignatureLabels(lang),
		Sheet:      tt.title,
	}
	ordered := make([]Entry, 0, len(entries))
	for _, visited := range []bool{false, true} {
		for _, e := range entries {
			if e.Visited == visited {
				ordered = append(ordered, e)
			}
		}
	}
	for _, e := range ordered {
		weekly := make([]string, len(e.Weekly))
		for i, n := range e.Weekly {
			weekly[i] = fmt.Sprint(n)
		}
		status := tt.toVisit
		if e.Visited {
			status = tt.visited
		}
		last, outcome, note := reports.Empty(), reports.Empty(), reports.Empty()
		if v := e.LastVisit; v != nil {
			last, outcome, note = reports.Text(at(v.At)), reports.Text(tt.outcomes[v.Outcome]), reports.Text(v.Note)
		}
		tab.Rows = append(tab.Rows, []reports.Cell{
			reports.Text(name(e.Community)), reports.Text(e.Name), reports.Text(e.ElderID), reports.Text(name(e.Site)),
			reports.Text(at(e.LastSeen)), reports.Text(name(e.LastSite)), reports.Count(int64(e.DaysAbsent)),
			reports.Text(strings.Join(weekly, " · ")), reports.Text(status), last, outcome, note,
		})
	}
	tab.Total = []reports.Cell{reports.Text(tt.total), reports.Count(int64(len(ordered)))}
	for len(tab.Total) < len(tab.Header) {
		tab.Total = append(tab.Total, reports.Empty())
	}
	return tab, nil
}
