// The meals list (docs/meals.md): every meal and every refused tap of a
// card not on the roster, filtered by date, org unit, window, decision,
// reason and elder, in pages newest first (GET /api/v1/meals, keyset
// cursors), each time in its site's zone with the zone named, and the
// filtered list as CSV. Reason words are the kiosk's (GET /api/v1/meals/words).
"use strict";
(function () {
  const PAGE = 25;
  const S = {
    words: null,   // {reasons: {lang: {code: text}}, decisions: {lang: {d: text}}}
    rows: [],      // the page shown
    cursors: [""], // cursor of each page walked so far; the last is the page shown
    next: "",      // cursor of the page after the shown one
    zone: "",      // the zone the dates were read in
    query: "",     // the filter's query string (without paging)
    loaded: false,
  };
  const $ = (id) => EG.$(id);

  function reasonWords(code) {
    if (!code || code === "ok") return "";
    const w = S.words && S.words.reasons[EG.lang()];
    return (w && w[code]) || code;
  }
  function decisionWords(d) {
    const w = S.words && S.words.decisions[EG.lang()];
    return (w && w[d]) || d;
  }

  // The filter as a query string, from the form.
  function filterQuery() {
    const q = new URLSearchParams();
    const put = (k, id) => { const v = $(id).value.trim(); if (v) q.set(k, v); };
    put("from", "ml-from");
    put("to", "ml-to");
    put("scope", "ml-unit");
    put("window", "ml-window");
    put("decision", "ml-decision");
    put("reason", "ml-reason");
    put("q", "ml-q");
    return q;
  }

  async function load(cursor) {
    const q = new URLSearchParams(S.query);
    q.set("limit", String(PAGE));
    if (cursor) q.set("before", cursor);
    EG.say("ml-note", EG.t("mlLoading"));
    const res = await EG.call("GET", "meals?" + q.toString());
    if (!res.ok) {
      EG.say("ml-note", EG.fmt("mlFailed", { msg: (res.data && res.data.error) || "HTTP " + res.status }), true);
      return false;
    }
    S.rows = res.data.meals || [];
    S.next = res.data.next || "";
    S.zone = res.data.time_zone || "";
    S.loaded = true;
    render();
    return true;
  }

  async function search() {
    if (!S.words) S.words = await EG.api("GET", "meals/words");
    if (!Object.keys(EG.org() || {}).length) await EG.loadOrg();
    S.query = filterQuery().toString();
    S.cursors = [""];
    await load("");
  }

  function fillReasons() {
    const sel = $("ml-reason");
    const keep = sel.value;
    sel.replaceChildren(new Option(EG.t("mlAll"), ""));
    const w = S.words ? S.words.reasons[EG.lang()] : {};
    for (const code of Object.keys(w || {}).filter((c) => c !== "ok").sort()) sel.appendChild(new Option(w[code], code));
    sel.value = keep;
  }

  function fillDecisions() {
    const sel = $("ml-decision");
    const keep = sel.value;
    sel.replaceChildren(new Option(EG.t("mlAll"), ""));
    for (const d of ["approved", "full_pay", "discounted", "refused", "voided"]) sel.appendChild(new Option(decisionWords(d), d));
    sel.value = keep;
  }

  // The org units the caller sees, as a tree: district, street, community, site.
  function fillUnits() {
    const sel = $("ml-unit");
    const keep = sel.value;
    sel.replaceChildren(new Option(EG.t("mlAllUnits"), ""));
    const org = EG.org() || {};
    const units = Object.values(org);
    const kids = {};
    for (const u of units) (kids[u.parent && org[u.parent] ? u.parent : ""] ||= []).push(u);
    const walk = (parent, depth) => {
      for (const u of (kids[parent] || []).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) {
        const o = new Option("\u00a0\u00a0".repeat(depth) + u.name + " · " + EG.tk("mlLv_", u.level), u.id);
        sel.appendChild(o);
        walk(u.id, depth + 1);
      }
    };
    walk("", 0);
    sel.value = keep;
  }

  function dishes(m) {
    if (m.items && m.items.length) return m.items.map((it) => it.name + (it.qty > 1 ? " ×" + it.qty : "")).join("、");
    return m.price_source ? EG.tk("mlSrc_", m.price_source) : "";
  }

  function render() {
    fillDecisions();
    fillReasons();
    fillUnits();
    const tb = $("ml-rows");
    tb.replaceChildren();
    if (!S.loaded) return;
    if (!S.rows.length) EG.emptyRow(tb, 10);
    // One zone for every row (the usual case): named once, in the header.
    const zones = new Set(S.rows.map((m) => m.time_zone));
    const one = zones.size === 1 ? [...zones][0] : "";
    $("ml-th-time").textContent = one ? EG.fmt("mlTimeIn", { zone: one }) : EG.t("mlTime");
    const when = (m) => (one ? EG.when(m.at, one).replace(" (" + one + ")", "") : EG.when(m.at, m.time_zone));
    for (const m of S.rows) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "meals-list-row";
      tr.dataset.eventId = m.event_id;
      tr.dataset.kind = m.kind;
      tr.dataset.decision = m.decision;
      tr.dataset.reason = m.reason || "";
      if (m.voided) tr.classList.add("ml-voided");
      EG.cell(tr, when(m), "ml-when", "meals-row-when");
      EG.cell(tr, m.site_name || m.site, "", "meals-row-site");
      const who = m.kind === "card" ? EG.fmt("mlCard", { card: m.card || "—" })
        : (m.elder_name ? m.elder_name + " (" + m.elder_id + ")" : m.elder_id);
      EG.cell(tr, who, "", "meals-row-elder");
      EG.cell(tr, m.window ? EG.tk("mlW_", m.window) : "—");
      EG.cell(tr, decisionWords(m.decision) + (m.voided ? " · " + decisionWords("voided") : ""), "", "meals-row-decision");
      EG.cell(tr, reasonWords(m.reason), "ml-reason", "meals-row-reason");
      const card = m.kind === "card";
      EG.cell(tr, card ? "—" : EG.yuan(m.price_fen), "num");
      EG.cell(tr, card ? "—" : EG.yuan(m.subsidy_fen), "num");
      EG.cell(tr, card ? "—" : EG.yuan(m.pay_fen), "num", "meals-row-pay");
      EG.cell(tr, dishes(m), "ml-dishes");
      tb.appendChild(tr);
    }
    const n = S.cursors.length;
    $("ml-page").textContent = EG.fmt("mlPage", { n: String(n) });
    $("ml-prev").disabled = n <= 1;
    $("ml-next").disabled = !S.next;
    EG.say("ml-note", S.zone ? EG.fmt("mlZone", { zone: S.zone, n: String(S.rows.length) }) : "");
  }

  // The filtered list as CSV in the console's language (the whole list,
  // not just the page).
  async function download() {
    const link = $("ml-csv");
    link.setAttribute("aria-disabled", "true");
    try {
      const q = new URLSearchParams(filterQuery());
      q.set("format", "csv");
      q.set("lang", EG.lang());
      const msg = await EG.fetchFile("meals?" + q.toString(), "meals.csv");
      if (msg) EG.say("ml-note", EG.fmt("mlFailed", { msg }), true);
    } catch (e) {
      EG.say("ml-note", EG.t("mlNetError"), true);
    } finally {
      link.removeAttribute("aria-disabled");
    }
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    $("ml-form").addEventListener("submit", (ev) => { ev.preventDefault(); search().catch(() => EG.say("ml-note", EG.t("mlNetError"), true)); });
    $("ml-next").addEventListener("click", async () => {
      if (!S.next) return;
      const c = S.next;
      if (await load(c)) { S.cursors.push(c); render(); }
    });
    $("ml-prev").addEventListener("click", async () => {
      if (S.cursors.length <= 1) return;
      const c = S.cursors[S.cursors.length - 2];
      if (await load(c)) { S.cursors.pop(); render(); }
    });
    $("ml-csv").addEventListener("click", (ev) => { ev.preventDefault(); download(); });
  }

  EG.page({
    id: "meals",
    tab: "tabMeals",
    role: "viewer",
    strings: {
      "zh-CN": {
        tabMeals: "用餐记录", mlTitle: "用餐记录", mlFrom: "从", mlTo: "到", mlUnit: "单位", mlWindow: "餐次", mlDecision: "结果",
        mlReason: "原因", mlQ: "长者编号或卡号", mlSearch: "查询", mlCSV: "下载 CSV", mlAll: "全部", mlAllUnits: "全部（本账号范围）",
        mlTime: "时间", mlTimeIn: "时间（{zone}）", mlSite: "站点", mlElder: "长者", mlPrice: "餐费", mlSubsidy: "补贴", mlPay: "自付", mlDishes: "菜品 / 计价",
        mlPrev: "上一页", mlNext: "下一页", mlPage: "第 {n} 页", mlCard: "未登记卡 {card}", mlLoading: "正在加载…",
        mlFailed: "加载失败：{msg}", mlNetError: "网络错误，请重试", mlZone: "本页 {n} 条；日期按 {zone} 时间计，每条时间按其站点所在时区显示",
        mlW_breakfast: "早餐", mlW_lunch: "午餐", mlW_dinner: "晚餐", mlW_none: "非用餐时间",
        mlSrc_till: "收银机", mlSrc_cashier: "收银员", mlSrc_menu: "菜单",
        mlLv_district: "区", mlLv_street: "街道", mlLv_community: "社区", mlLv_site: "站点",
        mlRules: "含拒绝的刷卡和未登记卡的刷卡（未登记卡不计入结算和统计）；姓名已脱敏；CSV 为当前筛选条件下的全部记录。",
      },
      "zh-HK": {
        tabMeals: "用膳記錄", mlTitle: "用膳記錄", mlFrom: "由", mlTo: "至", mlUnit: "單位", mlWindow: "餐次", mlDecision: "結果",
        mlReason: "原因", mlQ: "長者編號或卡號", mlSearch: "查詢", mlCSV: "下載 CSV", mlAll: "全部", mlAllUnits: "全部（本帳戶範圍）",
        mlTime: "時間", mlTimeIn: "時間（{zone}）", mlSite: "站點", mlElder: "長者", mlPrice: "餐費", mlSubsidy: "資助", mlPay: "自付", mlDishes: "菜式 / 計價",
        mlPrev: "上一頁", mlNext: "下一頁", mlPage: "第 {n} 頁", mlCard: "未登記卡 {card}", mlLoading: "載入中…",
        mlFailed: "載入失敗：{msg}", mlNetError: "網絡錯誤，請重試", mlZone: "本頁 {n} 條；日期按 {zone} 時間計，每條時間按其站點所在時區顯示",
        mlW_breakfast: "早餐", mlW_lunch: "午餐", mlW_dinner: "晚餐", mlW_none: "非用膳時間",
        mlSrc_till: "收銀機", mlSrc_cashier: "收銀員", mlSrc_menu: "菜單",
        mlLv_district: "區", mlLv_street: "街道", mlLv_community: "社區", mlLv_site: "站點",
        mlRules: "包括被拒絕的拍卡和未登記卡的拍卡（未登記卡不計入結算和統計）；姓名已遮蔽；CSV 為目前篩選條件下的全部記錄。",
      },
      en: {
        tabMeals: "Meals", mlTitle: "Meals", mlFrom: "From", mlTo: "To", mlUnit: "Unit", mlWindow: "Window", mlDecision: "Decision",
        mlReason: "Reason", mlQ: "Elder ID or card", mlSearch: "Search", mlCSV: "Download CSV", mlAll: "All", mlAllUnits: "All (this account's scope)",
        mlTime: "Time", mlTimeIn: "Time ({zone})", mlSite: "Site", mlElder: "Elder", mlPrice: "Price", mlSubsidy: "Subsidy", mlPay: "Pay", mlDishes: "Dishes / priced by",
        mlPrev: "Previous", mlNext: "Next", mlPage: "Page {n}", mlCard: "Unregistered card {card}", mlLoading: "Loading…",
        mlFailed: "Could not load: {msg}", mlNetError: "Network error, please try again", mlZone: "{n} rows on this page; dates are read in {zone} time, each time is shown in its site's zone",
        mlW_breakfast: "Breakfast", mlW_lunch: "Lunch", mlW_dinner: "Dinner", mlW_none: "Outside meal times",
        mlSrc_till: "Till", mlSrc_cashier: "Cashier", mlSrc_menu: "Menu",
        mlLv_district: "District", mlLv_street: "Street", mlLv_community: "Community", mlLv_site: "Site",
        mlRules: "Refused taps and taps of unregistered cards are included (unregistered cards count in no settlement or statistics); names are masked; the CSV holds every row of the filter.",
      },
    },
    html: `<h2 id="ml-title" data-i18n="mlTitle"></h2>
<form id="ml-form" class="bar ml-filters" data-testid="meals-filters" autocomplete="off">
  <label for="ml-from" data-i18n="mlFrom"></label><input id="ml-from" type="date" data-testid="meals-from">
  <label for="ml-to" data-i18n="mlTo"></label><input id="ml-to" type="date" data-testid="meals-to">
  <label for="ml-unit" data-i18n="mlUnit"></label><select id="ml-unit" data-testid="meals-unit"></select>
  <label for="ml-window" data-i18n="mlWindow"></label>
  <select id="ml-window" data-testid="meals-window">
    <option value="" data-i18n="mlAll"></option><option value="breakfast" data-i18n="mlW_breakfast"></option>
    <option value="lunch" data-i18n="mlW_lunch"></option><option value="dinner" data-i18n="mlW_dinner"></option>
  </select>
  <label for="ml-decision" data-i18n="mlDecision"></label><select id="ml-decision" data-testid="meals-decision"></select>
  <label for="ml-reason" data-i18n="mlReason"></label><select id="ml-reason" data-testid="meals-reason"></select>
  <label for="ml-q" data-i18n="mlQ"></label><input id="ml-q" data-testid="meals-q" maxlength="64" size="12">
  <button type="submit" class="primary" data-testid="meals-search" data-i18n="mlSearch"></button>
  <a href="#" id="ml-csv" class="download" data-testid="meals-csv" data-i18n="mlCSV"></a>
</form>
<p id="ml-note" class="status" data-testid="meals-note" aria-live="polite"></p>
<div class="scroll-x" data-testid="meals-scroll" tabindex="0" role="region" aria-labelledby="ml-title">
  <table class="report ml-table" data-testid="meals-list">
    <thead><tr>
      <th id="ml-th-time" data-testid="meals-th-time"></th><th data-i18n="mlSite"></th><th data-i18n="mlElder"></th><th data-i18n="mlWindow"></th>
      <th data-i18n="mlDecision"></th><th data-i18n="mlReason"></th><th data-i18n="mlPrice"></th><th data-i18n="mlSubsidy"></th>
      <th data-i18n="mlPay"></th><th data-i18n="mlDishes"></th>
    </tr></thead>
    <tbody id="ml-rows"></tbody>
  </table>
</div>
<div class="bar ml-pager">
  <button type="button" id="ml-prev" data-testid="meals-prev" data-i18n="mlPrev" disabled></button>
  <span id="ml-page" data-testid="meals-page"></span>
  <button type="button" id="ml-next" data-testid="meals-next" data-i18n="mlNext" disabled></button>
</div>
<p class="status" data-i18n="mlRules"></p>`,
    open() {
      wire();
      if (!S.loaded) search().catch(() => EG.say("ml-note", EG.t("mlNetError"), true));
      else render();
    },
    render() { if (S.words || S.loaded) render(); },
    reset() {
      S.words = null; S.rows = []; S.cursors = [""]; S.next = ""; S.zone = ""; S.query = ""; S.loaded = false;
      const tb = EG.$("ml-rows");
      if (tb) tb.replaceChildren();
    },
  });
})();
