package reports

import (
	"fmt"
	"strconv"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// auditTexts are the words of the audit log download in one language.
type auditTexts struct {
	title, sheet, unit, period string
	header                     []string // header[1] has %s for the zone
	kinds                      map[string]string
}

var auditLang = map[string]auditTexts{
	"zh-CN": {
		title: "操作审计日志", sheet: "审计日志", unit: "范围：%s", period: "导出时间：%s（%s）",
		header: []string{"编号", "时间（%s）", "操作者类型", "操作者", "角色", "来源地址", "操作", "路径", "对象类型", "对象", "所属单位", "状态码", "修改前", "修改后", "哈希"},
		kinds:  map[string]string{"user": "用户", "token": "令牌", "": "匿名"},
	},
	"zh-HK": {
		title: "操作審計日誌", sheet: "審計日誌", unit: "範圍：%s", period: "匯出時間：%s（%s）",
		header: []string{"編號", "時間（%s）", "操作者類型", "操作者", "角色", "來源地址", "操作", "路徑", "對象類型", "對象", "所屬單位", "狀態碼", "修改前", "修改後", "雜湊"},
		kinds:  map[string]string{"user": "用戶", "token": "令牌", "": "匿名"},
	},
	"en": {
		title: "Audit log", sheet: "Audit log", unit: "Scope: %s", period: "Exported: %s (%s)",
		header: []string{"ID", "Time (%s)", "Actor kind", "Actor", "Role", "From", "Action", "Path", "Target type", "Target", "Unit", "Status", "Before", "After", "Hash"},
		kinds:  map[string]string{"user": "user", "token": "token", "": "anonymous"},
	},
}

// AuditTable lays out rows of the audit log (newest first, as read) for a
// download in lang: times in tz with the zone named, units and targets
// that are org units by name (names: id → name; an id without a name is
// shown as is), before and after as their redacted JSON. scope names the
// subtree the rows come from ("" = everything); now is the export's time.
func AuditTable(rows []domain.AuditEntry, lang string, tz *time.Location, names map[string]string, scope string, now time.Time) (Table, error) {
	tx, ok := auditLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: no language %q", lang)
	}
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n + " (" + id + ")"
		}
		return id
	}
	header := append([]string(nil), tx.header...)
	header[1] = fmt.Sprintf(header[1], tz.String())
	t := Table{Title: tx.title, Header: header, Sheet: tx.sheet,
		Period: fmt.Sprintf(tx.period, now.In(tz).Format("2006-01-02 15:04"), tz.String())}
	if scope != "" {
		t.Unit = fmt.Sprintf(tx.unit, name(scope))
	}
	for _, e := range rows {
		t.Rows = append(t.Rows, []Cell{
			Count(e.ID), Text(e.At.In(tz).Format("2006-01-02 15:04:05")), Text(tx.kinds[e.ActorKind]), Text(e.ActorName),
			Text(e.Role), Text(e.Remote), Text(e.Route), Text(e.Path), Text(e.TargetType), Text(name(e.TargetID)),
			Text(name(e.Unit)), Text(strconv.Itoa(e.Status)), Text(string(e.Before)), Text(string(e.After)), Text(e.Hash),
		})
	}
	return t, nil
}
