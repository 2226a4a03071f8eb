package notify

import (
	"strings"
	"time"
)

// Message is what a notification says about one step of one alert.
type Message struct {
	AlertID string // for the idempotency key
	// Step is "raised", "reminder", "escalated", "pressed_again",
	// "supervision" or "cleared"; other values are shown as they are.
	Step   string
	Type   string    // "emergency" or "supervision"
	Site   string    // site display name (already masked / public)
	Place  string    // room or place of the button; may be empty
	Button string    // button display name
	Level  string    // org level notified: site, community, street, district
	At     time.Time // the press time; shown in Zone
	// Zone is the site's time zone; nil shows UTC.
	Zone   *time.Location
	Link   string // absolute URL of the alert in the console
	Detail string // optional extra line (the reason of a supervision alert)
}

// texts are the words of one language.
type texts struct {
	types, steps, levels                                map[string]string
	site, place, button, time, level, detail, link, sep string
}

var langs = map[string]*texts{
	"zh-CN": {
		types: map[string]string{"emergency": "紧急呼叫", "supervision": "督办告警"},
		steps: map[string]string{"raised": "新告警", "reminder": "提醒：尚未处理", "escalated": "已升级",
			"pressed_again": "再次按下", "supervision": "督办", "cleared": "已解除"},
		levels: map[string]string{"site": "站点", "community": "社区", "street": "街道", "district": "区"},
		site:   "站点", place: "位置", button: "按钮", time: "时间", level: "通知层级", detail: "说明", link: "查看", sep: "：",
	},
	"zh-HK": {
		types: map[string]string{"emergency": "緊急呼叫", "supervision": "督辦警報"},
		steps: map[string]string{"raised": "新警報", "reminder": "提醒：尚未處理", "escalated": "已升級",
			"pressed_again": "再次按下", "supervision": "督辦", "cleared": "已解除"},
		levels: map[string]string{"site": "站點", "community": "社區", "street": "街道", "district": "區"},
		site:   "站點", place: "位置", button: "按鈕", time: "時間", level: "通知層級", detail: "說明", link: "查看", sep: "：",
	},
	"en": {
		types: map[string]string{"emergency": "Emergency call", "supervision": "Supervision alert"},
		steps: map[string]string{"raised": "raised", "reminder": "reminder: not yet handled", "escalated": "escalated",
			"pressed_again": "pressed again", "supervision": "supervision", "cleared": "cleared"},
		levels: map[string]string{"site": "site", "community": "community", "street": "street", "district": "district"},
		site:   "Site", place: "Place", button: "Button", time: "Time", level: "Notified level", detail: "Detail", link: "Open", sep: ": ",
	},
}

// word is m[k], or k itself when the language has no word for it.
func word(m map[string]string, k string) string {
	if w, ok := m[k]; ok {
		return w
	}
	return k
}

// localTime is the press time in the site's zone with the zone named,
// e.g. "2026-12-06 23:04:05 CST (Asia/Shanghai)".
func (m Message) localTime() string {
	z := m.Zone
	if z == nil {
		z = time.UTC
	}
	return m.At.In(z).Format("2006-01-02 15:04:05 MST") + " (" + z.String() + ")"
}

// title is the first line: what happened, e.g. "紧急呼叫 · 新告警 · 某某长者食堂".
func (m Message) title(lang string) string {
	t := lookup(lang)
	return word(t.types, m.Type) + " · " + word(t.steps, m.Step) + " · " + m.Site
}

func lookup(lang string) *texts {
	if t, ok := langs[lang]; ok {
		return t
	}
	return langs["zh-CN"]
}

// Text renders the message in lang (zh-CN, zh-HK or en; anything else is
// zh-CN) as plain text: what (emergency call or supervision alert and the
// step), where (site, place, button), when (local time with the zone
// named), the level notified, the detail and the link.
func (m Message) Text(lang string) string {
	return strings.Join(m.lines(lang, false), "\n")
}

// lines are the lines of the text; md makes the title bold and the link a
// Markdown link (for WeCom and DingTalk).
func (m Message) lines(lang string, md bool) []string {
	t := lookup(lang)
	title := m.title(lang)
	if md {
		title = "**" + title + "**"
	}
	ls := []string{title, t.site + t.sep + m.Site}
	if m.Place != "" {
		ls = append(ls, t.place+t.sep+m.Place)
	}
	ls = append(ls, t.button+t.sep+m.Button, t.time+t.sep+m.localTime(), t.level+t.sep+word(t.levels, m.Level))
	if m.Detail != "" {
		ls = append(ls, t.detail+t.sep+m.Detail)
	}
	if m.Link != "" {
		if md {
			ls = append(ls, "["+t.link+t.sep+m.Link+"]("+m.Link+")")
		} else {
			ls = append(ls, t.link+t.sep+m.Link)
		}
	}
	return ls
}
