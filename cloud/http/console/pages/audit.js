"use strict";
// The audit log (docs/audit.md): every change made through the API, who
// made it, from where, what it changed (before and after, secrets
// redacted), searchable, downloadable, and the hash chain verified on
// demand. For the auditor and the administrator.
(() => {
  const TARGETS = ["org_unit", "api_token", "alarm_settings", "care_rule", "gateway_config", "menu", "roster", "credential",
    "policy", "site_policy", "alert", "gateway", "command", "care_visit", "charity_fund", "charity_publication", "statement"];
  const targetWords = {
    "zh-CN": ["组织单位", "API 令牌", "报警设置", "关怀规则", "网关配置", "菜单", "老人名单", "卡片状态",
      "补贴政策", "站点政策", "报警", "网关", "网关指令", "关怀探访", "慈善基金", "慈善公示", "结算单"],
    "zh-HK": ["組織單位", "API 令牌", "警報設定", "關懷規則", "網關配置", "菜單", "長者名單", "卡片狀態",
      "資助政策", "站點政策", "警報", "網關", "網關指令", "關懷探訪", "慈善基金", "慈善公示", "結算單"],
    en: ["Org unit", "API token", "Alarm settings", "Care rule", "Gateway config", "Menu", "Roster", "Credential state",
      "Policy", "Site policy", "Alert", "Gateway", "Gateway command", "Care visit", "Charity fund", "Charity publication", "Statement"],
  };
  const strings = {
    "zh-CN": {
      tabAudit: "审计日志", auTitle: "操作审计日志", auFrom: "从", auTo: "到", auActor: "操作者", auRoute: "操作",
      auTarget: "对象", auStatus: "结果", auAll: "全部", auS2: "成功（2xx）", auS4: "被拒绝（4xx）", auS5: "出错（5xx）",
      auQ: "搜索", auSearch: "查询", auCSV: "下载 CSV", auVerify: "校验哈希链",
      auVerifyOK: "哈希链完整：已核对 {n} 条（至第 {last} 条），无改动、无删除。",
      auVerifyBroken: "哈希链在第 {id} 条断开：{reason}（已核对 {n} 条）",
      auColTime: "时间", auColWho: "操作者", auColFrom: "来源", auColAction: "操作", auColTarget: "对象", auColUnit: "所属单位",
      auColStatus: "结果", auMore: "更早的记录", auShown: "显示 {n} 条", auEnd: "已到最早一条",
      auDetail: "第 {id} 条：{action}", auField: "字段", auBefore: "修改前", auAfter: "修改后", auChanged: "{n} 个字段有改动（已标出）",
      auNoBody: "此操作没有记录内容。", auClose: "关闭", auHash: "哈希", auPrev: "前一条哈希",
      auUser: "用户", auToken: "令牌", auAnon: "未登录", auFailed: "失败：{msg}", auZoneNote: "时间按所属单位的时区显示。", auNet: "网络错误，请重试。",
    },
    "zh-HK": {
      tabAudit: "審計日誌", auTitle: "操作審計日誌", auFrom: "由", auTo: "至", auActor: "操作者", auRoute: "操作",
      auTarget: "對象", auStatus: "結果", auAll: "全部", auS2: "成功（2xx）", auS4: "被拒絕（4xx）", auS5: "出錯（5xx）",
      auQ: "搜尋", auSearch: "查詢", auCSV: "下載 CSV", auVerify: "校驗雜湊鏈",
      auVerifyOK: "雜湊鏈完整：已核對 {n} 條（至第 {last} 條），無改動、無刪除。",
      auVerifyBroken: "雜湊鏈在第 {id} 條斷開：{reason}（已核對 {n} 條）",
      auColTime: "時間", auColWho: "操作者", auColFrom: "來源", auColAction: "操作", auColTarget: "對象", auColUnit: "所屬單位",
      auColStatus: "結果", auMore: "更早的記錄", auShown: "顯示 {n} 條", auEnd: "已到最早一條",
      auDetail: "第 {id} 條：{action}", auField: "欄位", auBefore: "修改前", auAfter: "修改後", auChanged: "{n} 個欄位有改動（已標示）",
      auNoBody: "此操作沒有記錄內容。", auClose: "關閉", auHash: "雜湊", auPrev: "前一條雜湊",
      auUser: "用戶", auToken: "令牌", auAnon: "未登入", auFailed: "失敗：{msg}", auZoneNote: "時間按所屬單位的時區顯示。", auNet: "網絡錯誤，請重試。",
    },
    en: {
      tabAudit: "Audit log", auTitle: "Audit log", auFrom: "From", auTo: "To", auActor: "Actor", auRoute: "Action",
      auTarget: "Target", auStatus: "Result", auAll: "All", auS2: "Succeeded (2xx)", auS4: "Refused (4xx)", auS5: "Failed (5xx)",
      auQ: "Search", auSearch: "Search", auCSV: "Download CSV", auVerify: "Verify the hash chain",
      auVerifyOK: "Hash chain intact: {n} rows checked (up to #{last}), none changed or removed.",
      auVerifyBroken: "Hash chain broken at #{id}: {reason} ({n} rows checked)",
      auColTime: "Time", auColWho: "Actor", auColFrom: "From", auColAction: "Action", auColTarget: "Target", auColUnit: "Unit",
      auColStatus: "Result", auMore: "Older entries", auShown: "{n} entries shown", auEnd: "This is the oldest entry",
      auDetail: "Entry #{id}: {action}", auField: "Field", auBefore: "Before", auAfter: "After", auChanged: "Fields changed: {n} (marked)",
      auNoBody: "Nothing was recorded for this action.", auClose: "Close", auHash: "Hash", auPrev: "Previous hash",
      auUser: "user", auToken: "token", auAnon: "not signed in", auFailed: "Failed: {msg}", auZoneNote: "Times are shown in the time zone of the entry's unit.", auNet: "Network error, please try again.",
    },
  };
  for (const l of Object.keys(strings)) TARGETS.forEach((k, i) => { strings[l]["auT_" + k] = targetWords[l][i]; });

  let rows = [];       // entries loaded, newest first
  let next = 0;        // before= of the next page (0: none)
  let open = null;     // the entry shown in detail
  let verified = null; // the last verification

  const $ = (id) => EG.$(id);

  // zoneOf is the time zone of unit: its own, else its nearest ancestor's.
  function zoneOf(unit) {
    const org = EG.org();
    for (let u = org[unit], n = 0; u && n < 8; u = org[u.parent], n++) {
      if (u.time_zone) return u.time_zone;
    }
    return EG.DefaultZone;
  }

  function query() {
    const q = new URLSearchParams();
    for (const [k, id] of [["from", "au-from"], ["to", "au-to"], ["actor", "au-actor"], ["route", "au-route"],
      ["target", "au-target"], ["status", "au-status"], ["q", "au-q"]]) {
      const v = $(id).value.trim();
      if (v) q.set(k, v);
    }
    return q;
  }

  async function load(more) {
    const q = query();
    q.set("limit", "50");
    if (more && next) q.set("before", String(next));
    const r = await EG.call("GET", "audit?" + q.toString());
    if (!r.ok) return EG.say("au-msg", EG.fmt("auFailed", { msg: r.data.error || "HTTP " + r.status }), true);
    rows = more ? rows.concat(r.data.entries || []) : (r.data.entries || []);
    next = r.data.next_before || 0;
    if (!more) open = null;
    render();
  }

  function who(e) {
    const kind = e.actor_kind === "user" ? EG.t("auUser") : e.actor_kind === "token" ? EG.t("auToken") : EG.t("auAnon");
    return (e.actor_name || e.actor_id || "—") + " (" + kind + (e.role ? ", " + e.role : "") + ")";
  }

  function targetName(e) {
    const type = e.target_type ? EG.tk("auT_", e.target_type) : "";
    const u = EG.org()[e.target_id];
    const id = u ? u.name + " (" + e.target_id + ")" : e.target_id;
    return [type, id].filter(Boolean).join(" · ") || "—";
  }

  function render() {
    const tb = $("au-rows");
    tb.textContent = "";
    if (!rows.length) EG.emptyRow(tb, 7);
    for (const e of rows) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "au-row";
      tr.dataset.id = String(e.id);
      tr.tabIndex = 0;
      tr.className = "au-row" + (open && open.id === e.id ? " au-open" : "");
      EG.cell(tr, EG.when(e.at, zoneOf(e.unit)), "", "au-c-time");
      EG.cell(tr, who(e), "", "au-c-who");
      EG.cell(tr, e.remote || "—", "", "au-c-from");
      EG.cell(tr, e.route, "au-route", "au-c-action");
      EG.cell(tr, targetName(e), "", "au-c-target");
      EG.cell(tr, EG.unitName(e.unit), "", "au-c-unit");
      EG.cell(tr, String(e.status), e.status >= 400 ? "au-bad" : "au-ok", "au-c-status");
      tr.addEventListener("click", () => { open = e; render(); });
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { open = e; render(); } });
      tb.appendChild(tr);
    }
    $("au-more").hidden = !next;
    EG.say("au-msg", EG.fmt("auShown", { n: rows.length }) + (rows.length && !next ? " · " + EG.t("auEnd") : ""));
    renderVerify();
    renderDetail();
  }

  // flat turns a JSON value into path → leaf text ("channels[0].url").
  function flat(v, path, out) {
    if (v !== null && typeof v === "object") {
      const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
      if (!keys.length) out[path || "·"] = Array.isArray(v) ? "[]" : "{}";
      for (const k of keys) flat(v[k], Array.isArray(v) ? path + "[" + k + "]" : (path ? path + "." : "") + k, out);
    } else if (v !== undefined) {
      out[path || "·"] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
  }

  function renderDetail() {
    const box = $("au-detail");
    box.hidden = !open;
    if (!open) return;
    const e = open;
    $("au-detail-title").textContent = EG.fmt("auDetail", { id: e.id, action: e.route });
    $("au-detail-meta").textContent = [EG.when(e.at, zoneOf(e.unit)), who(e), e.remote, e.path, targetName(e), EG.unitName(e.unit), String(e.status)].join(" · ");
    const b = e.before === undefined ? {} : flat(e.before, "", {});
    const a = e.after === undefined ? {} : flat(e.after, "", {});
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    const tb = $("au-diff-rows");
    tb.textContent = "";
    let changed = 0;
    for (const k of keys) {
      const tr = document.createElement("tr");
      const diff = e.before !== undefined && b[k] !== a[k];
      if (diff) { changed++; tr.className = "au-changed"; tr.dataset.testid = "au-changed"; }
      tr.dataset.field = k;
      EG.cell(tr, k, "au-field", "au-field");
      EG.cell(tr, b[k] === undefined ? "—" : b[k], "au-val", "au-before");
      EG.cell(tr, a[k] === undefined ? "—" : a[k], "au-val", "au-after");
      tb.appendChild(tr);
    }
    if (!keys.length) EG.emptyRow(tb, 3);
    EG.say("au-detail-note", keys.length ? (e.before !== undefined ? EG.fmt("auChanged", { n: changed }) : "") : EG.t("auNoBody"));
    $("au-detail-hash").textContent = EG.t("auHash") + " " + e.hash + " · " + EG.t("auPrev") + " " + e.prev_hash;
  }

  function renderVerify() {
    const v = verified;
    if (!v) { $("au-verify-msg").textContent = ""; return; }
    EG.say("au-verify-msg", v.ok ? EG.fmt("auVerifyOK", { n: v.checked, last: v.last_id })
      : EG.fmt("auVerifyBroken", { id: v.broken_id, reason: v.reason, n: v.checked }), !v.ok);
    $("au-verify-msg").dataset.state = v.ok ? "ok" : "broken";
  }

  async function verify() {
    const r = await EG.call("GET", "audit/verify");
    if (!r.ok) return EG.say("au-verify-msg", EG.fmt("auFailed", { msg: r.data.error || "HTTP " + r.status }), true);
    verified = r.data;
    renderVerify();
  }

  // download fetches the CSV of what the filters select and saves it
  // under the server's file name.
  async function download() {
    const q = query();
    q.set("format", "csv");
    q.set("lang", EG.lang());
    const msg = await EG.fetchFile("audit?" + q.toString(), "audit.csv");
    if (msg) EG.say("au-msg", EG.fmt("auFailed", { msg }), true);
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    const guard = (f) => () => f().catch((e) => { if (e.message !== "unauthorized") EG.say("au-msg", EG.t("auNet"), true); });
    $("au-form").addEventListener("submit", (ev) => { ev.preventDefault(); guard(() => load(false))(); });
    $("au-more").addEventListener("click", guard(() => load(true)));
    $("au-csv").addEventListener("click", guard(download));
    $("au-verify").addEventListener("click", guard(verify));
    $("au-close").addEventListener("click", () => { open = null; render(); });
  }

  EG.page({
    id: "audit",
    tab: "tabAudit",
    roles: ["auditor", "admin"],
    strings,
    html: `
      <h2 data-i18n="auTitle"></h2>
      <form id="au-form" class="bar au-filters" data-testid="au-form">
        <label for="au-from" data-i18n="auFrom"></label><input id="au-from" type="date" data-testid="au-from">
        <label for="au-to" data-i18n="auTo"></label><input id="au-to" type="date" data-testid="au-to">
        <label for="au-actor" data-i18n="auActor"></label><input id="au-actor" size="10" data-testid="au-actor">
        <label for="au-route" data-i18n="auRoute"></label><input id="au-route" size="12" placeholder="PATCH /org/" data-testid="au-route">
        <label for="au-target" data-i18n="auTarget"></label><input id="au-target" size="10" data-testid="au-target">
        <label for="au-status" data-i18n="auStatus"></label>
        <select id="au-status" data-testid="au-status">
          <option value="" data-i18n="auAll"></option><option value="2xx" data-i18n="auS2"></option>
          <option value="4xx" data-i18n="auS4"></option><option value="5xx" data-i18n="auS5"></option>
        </select>
        <label for="au-q" data-i18n="auQ"></label><input id="au-q" type="search" size="12" data-testid="au-q">
        <button type="submit" class="primary" data-testid="au-search" data-i18n="auSearch"></button>
        <button type="button" id="au-csv" data-testid="au-csv" data-i18n="auCSV"></button>
        <button type="button" id="au-verify" data-testid="au-verify" data-i18n="auVerify"></button>
      </form>
      <p id="au-verify-msg" class="status" data-testid="au-verify-msg" aria-live="polite"></p>
      <p id="au-msg" class="status" data-testid="au-msg" aria-live="polite"></p>
      <div id="au-detail" class="au-detail" data-testid="au-detail" hidden>
        <div class="bar"><h3 id="au-detail-title" data-testid="au-detail-title"></h3>
          <button type="button" id="au-close" data-testid="au-close" data-i18n="auClose"></button></div>
        <p id="au-detail-meta" class="status" data-testid="au-detail-meta"></p>
        <p id="au-detail-note" class="status" data-testid="au-detail-note"></p>
        <div class="scroll-x"><table class="report au-diff" data-testid="au-diff">
          <thead><tr><th data-i18n="auField"></th><th data-i18n="auBefore"></th><th data-i18n="auAfter"></th></tr></thead>
          <tbody id="au-diff-rows"></tbody>
        </table></div>
        <p id="au-detail-hash" class="status au-hash" data-testid="au-detail-hash"></p>
      </div>
      <div class="scroll-x"><table class="report au-list" data-testid="au-table">
        <thead><tr><th data-i18n="auColTime"></th><th data-i18n="auColWho"></th><th data-i18n="auColFrom"></th>
          <th data-i18n="auColAction"></th><th data-i18n="auColTarget"></th><th data-i18n="auColUnit"></th><th data-i18n="auColStatus"></th></tr></thead>
        <tbody id="au-rows"></tbody>
      </table></div>
      <button type="button" id="au-more" data-testid="au-more" data-i18n="auMore" hidden></button>
      <p class="status" data-i18n="auZoneNote"></p>`,
    open() {
      wire();
      return load(false);
    },
    render() {
      document.querySelectorAll("#audit [data-i18n]").forEach((el) => { el.textContent = EG.t(el.dataset.i18n); });
      render();
    },
    reset() {
      rows = []; next = 0; open = null; verified = null;
      if (wired) { $("au-rows").textContent = ""; $("au-detail").hidden = true; $("au-verify-msg").textContent = ""; }
    },
  });
})();
