package cloudhttp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/reports"
	"golang.org/x/text/language"
)

// The public page of a charity summary: GET /charity/{id}, no token. It
// shows the stored summary (reports.CharityPublic, which holds no personal
// data) in zh-CN, zh-HK or en (?lang=, else Accept-Language), on one page
// with its style inline and nothing fetched from elsewhere, readable from
// a 360 px phone to a 1280 px screen. GET /charity/{id}/summary.json
// serves the stored bytes whose SHA-256 the page shows.

// PageLang picks the page's language: query (?lang=) when it is one of
// zh-CN, zh-HK, en; else the first language of the Accept-Language header
// (by its q-values) that is Chinese or English: Chinese in traditional
// script (zh-HK, zh-TW, zh-Hant) reads zh-HK, other Chinese zh-CN; else
// zh-CN.
func PageLang(query, acceptLanguage string) string {
	for _, l := range reports.Langs {
		if query == l {
			return l
		}
	}
	if len(acceptLanguage) > 512 {
		acceptLanguage = acceptLanguage[:512]
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return "zh-CN"
	}
	hant := language.MustParseScript("Hant")
	for _, t := range tags {
		base, _ := t.Base()
		switch base.String() {
		case "zh":
			if sc, _ := t.Script(); sc == hant {
				return "zh-HK"
			}
			return "zh-CN"
		case "en":
			return "en"
		}
	}
	return "zh-CN"
}

// pageText is the page's words in one language.
type pageText struct {
	Lang, Title, Meals, Elders, Amount, Yuan, Sites, Site, District, Total,
	PublishedBy, PublishedAt, Covers, AllSites, Period, Checksum, Checksum2, Data, Note, Switch string
}

var pageTexts = map[string]pageText{
	"zh-CN": {Lang: "zh-CN", Title: "助餐资助公示", Meals: "资助餐次", Elders: "受助长者（人）", Amount: "资助金额（元）", Yuan: "元",
		Sites: "各站点资助情况", Site: "站点", District: "所属区", Total: "合计",
		PublishedBy: "公示单位", PublishedAt: "公示时间", Covers: "统计范围", AllSites: "全部站点", Period: "统计期间",
		Checksum: "数据校验码（SHA-256）", Checksum2: "公示内容发布后不再更改；校验码由下方数据文件计算得出。", Data: "数据文件（JSON）",
		Note: "本页仅列出餐次、人数与金额，不含任何长者个人信息。", Switch: "语言"},
	"zh-HK": {Lang: "zh-HK", Title: "助餐資助公示", Meals: "資助餐次", Elders: "受助長者（人）", Amount: "資助金額（元）", Yuan: "元",
		Sites: "各站點資助情況", Site: "站點", District: "所屬區", Total: "合計",
		PublishedBy: "公示單位", PublishedAt: "公示時間", Covers: "統計範圍", AllSites: "全部站點", Period: "統計期間",
		Checksum: "數據校驗碼（SHA-256）", Checksum2: "公示內容發佈後不再更改；校驗碼由下方數據檔案計算得出。", Data: "數據檔案（JSON）",
		Note: "本頁只列出餐次、人數與金額，不含任何長者個人資料。", Switch: "語言"},
	"en": {Lang: "en", Title: "Meals paid for by the fund", Meals: "Meals paid for", Elders: "Elders served", Amount: "Amount (yuan)", Yuan: "yuan",
		Sites: "By dining site", Site: "Site", District: "District", Total: "Total",
		PublishedBy: "Published by", PublishedAt: "Published", Covers: "Covers", AllSites: "all sites", Period: "Period",
		Checksum: "Checksum (SHA-256)", Checksum2: "A published summary never changes; the checksum is computed over the data file below.", Data: "Data file (JSON)",
		Note: "This page shows counts and amounts only, never an elder's personal data.", Switch: "Language"},
}

// pageCSS is the page's whole style (inline, allowed by its hash in the
// Content-Security-Policy).
const pageCSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1a1a1a;background:#f4f6f8}
main{max-width:960px;margin:0 auto;padding:16px}
header{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline;justify-content:space-between}
h1{font-size:1.5rem;margin:.2em 0}
h2{font-size:1.15rem;margin:1.2em 0 .4em}
.sub{color:#444;margin:0}
nav ul{list-style:none;display:flex;gap:4px;margin:0;padding:0}
nav a{display:inline-block;min-width:44px;min-height:44px;padding:10px 8px;text-align:center;color:#0b57a4;border-radius:6px}
nav a[aria-current]{background:#0b57a4;color:#fff;text-decoration:none}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:16px 0;padding:0;list-style:none}
.figs li{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.figs b{display:block;font-size:1.8rem;font-variant-numeric:tabular-nums}
.figs span{color:#444}
.wrap{overflow-x:auto;background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%}
th,td{padding:8px 10px;border-bottom:1px solid #dde2e6;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td,tfoot th{font-weight:700;border-bottom:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:16px 0}
dt{color:#444}dd{margin:0}
code{word-break:break-all;font-size:.85rem}
footer p{color:#444;font-size:.9rem}
th .d{display:none}
@media (max-width:480px){.dist{display:none}th .d{display:block;font-weight:400;color:#444;font-size:.85rem}dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:8px}th,td{padding:8px 6px}}
a{color:#0b57a4}`

// pageCSP allows nothing but the inline style above.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// pageData is what the template shows.
type pageData struct {
	T                  pageText
	CSS                template.CSS
	P                  reports.CharityPublic
	Fund, Month        string
	From, To, At, Zone string
	ZoneNote           string // "(Asia/Shanghai)"
	Meals, Elders      int64
	Yuan               string
	Sites              []pageSite
	SHA256, JSONPath   string
	Langs              []pageLink
}

type pageSite struct {
	Name, District, Yuan string
	Meals                int64
}

type pageLink struct {
	Lang, Label, Href string
	Current           bool
}

var pageTemplate = template.Must(template.New("charity").Parse(`<!doctype html>
<html lang="{{.T.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Fund}} · {{.Month}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<header>
<div>
<h1>{{.Fund}}</h1>
<p class="sub">{{.Month}}</p>
</div>
<nav aria-label="{{.T.Switch}}"><ul>{{range .Langs}}<li><a href="{{.Href}}" hreflang="{{.Lang}}" lang="{{.Lang}}"{{if .Current}} aria-current="page"{{end}}>{{.Label}}</a></li>{{end}}</ul></nav>
</header>
<ul class="figs">
<li><b data-fig="meals">{{.Meals}}</b><span>{{.T.Meals}}</span></li>
<li><b data-fig="elders">{{.Elders}}</b><span>{{.T.Elders}}</span></li>
<li><b data-fig="yuan">{{.Yuan}}</b><span>{{.T.Amount}}</span></li>
</ul>
<h2 id="sites-h">{{.T.Sites}}</h2>
<div class="wrap" role="region" aria-labelledby="sites-h" tabindex="0">
<table>
<thead><tr><th scope="col">{{.T.Site}}</th><th scope="col" class="dist">{{.T.District}}</th><th scope="col" class="n">{{.T.Meals}}</th><th scope="col" class="n">{{.T.Amount}}</th></tr></thead>
<tbody>{{range .Sites}}
<tr><th scope="row">{{.Name}}{{if .District}}<span class="d">{{.District}}</span>{{end}}</th><td class="dist">{{.District}}</td><td class="n">{{.Meals}}</td><td class="n">{{.Yuan}}</td></tr>{{end}}
</tbody>
<tfoot><tr><th scope="row">{{.T.Total}}</th><td class="dist"></td><td class="n" data-total="meals">{{.Meals}}</td><td class="n" data-total="yuan">{{.Yuan}}</td></tr></tfoot>
</table>
</div>
<dl>
<dt>{{.T.Period}}</dt><dd>{{.From}} – {{.To}} {{.ZoneNote}}</dd>
<dt>{{.T.Covers}}</dt><dd>{{if .P.UnitName}}{{.P.UnitName}}{{else}}{{.T.AllSites}}{{end}}</dd>
<dt>{{.T.PublishedBy}}</dt><dd data-publisher>{{.P.PublisherName}}</dd>
<dt>{{.T.PublishedAt}}</dt><dd>{{.At}} {{.ZoneNote}}</dd>
<dt>{{.T.Checksum}}</dt><dd><code data-sha256>{{.SHA256}}</code></dd>
</dl>
<footer>
<p>{{.T.Checksum2}} <a href="{{.JSONPath}}">{{.T.Data}}</a></p>
<p>{{.T.Note}}</p>
</footer>
</main>
</body>
</html>
`))

// charityPage serves GET /charity/{id}.
func (s *Server) charityPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.publication(w, r)
	if !ok {
		return
	}
	var pub reports.CharityPublic
	if err := json.Unmarshal(p.Body, &pub); err != nil {
		s.internal(w, r, err)
		return
	}
	lang := PageLang(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	tz, err := time.LoadLocation(pub.TimeZone)
	if err != nil {
		tz = time.UTC
	}
	d := pageData{T: pageTexts[lang], CSS: template.CSS(pageCSS), P: pub, Fund: pub.Names.In(lang),
		Month: reports.MonthTitle(lang, pub.Month, map[string]string{lang: pageTexts[lang].Title}),
		From:  pub.From.In(tz).Format(time.DateOnly),
		To:    pub.To.Add(-time.Nanosecond).In(tz).Format(time.DateOnly),
		At:    pub.PublishedAt.In(tz).Format("2006-01-02 15:04"),
		Zone:  tz.String(), ZoneNote: "(" + tz.String() + ")",
		Meals: pub.Meals, Elders: pub.Elders, Yuan: eldergate.Fen(pub.Fen).String(),
		SHA256: p.SHA256, JSONPath: "/charity/" + p.ID + "/summary.json"}
	for _, st := range pub.Sites {
		d.Sites = append(d.Sites, pageSite{Name: st.Name, District: st.District, Meals: st.Meals, Yuan: eldergate.Fen(st.Fen).String()})
	}
	for _, l := range []struct{ lang, label string }{{"zh-CN", "简体"}, {"zh-HK", "繁體"}, {"en", "English"}} {
		d.Langs = append(d.Langs, pageLink{Lang: l.lang, Label: l.label, Href: "/charity/" + p.ID + "?lang=" + l.lang, Current: l.lang == lang})
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		s.internal(w, r, err)
		return
	}
	publicHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Content-Language", lang)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// charitySummaryJSON serves GET /charity/{id}/summary.json: the stored
// bytes whose SHA-256 the page shows.
func (s *Server) charitySummaryJSON(w http.ResponseWriter, r *http.Request) {
	p, ok := s.publication(w, r)
	if !ok {
		return
	}
	publicHeaders(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
}

// publicHeaders are the headers of the public pages: a publication never
// changes, so it may be cached; nothing else may frame or sniff it.
func publicHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}
