"use strict";
// The policies page (issue 13; docs/policies/README.md "In the console"):
// the versions with the sites each is assigned to and "assigned here" for
// the chosen site, upload and an editor that validates with the upload's
// parser (the error's line selected in the text), a line diff between two
// versions (computed by the cloud), assignment to the chosen site with a
// refusal told in words (ADR 0026: a policy needing a till or a scale the
// site's gateways lack), and "what would this elder get": the decision of
// the gateway's engine, shown in the kiosk's words (kiosk/static/results.js,
// served by the cloud at /kiosk/results.js), times in the site's zone.
(() => {
  const P = {
    site: "", sites: [], policies: null, views: {}, roster: null, roles: null,
    result: null, // {key, vars, bad, code}: the last upload or assignment, drawn again on a language change
    check: null, // the last validation answer
    diff: null, // the last diff answer
    preview: null, // the last preview answer
  };
  const $ = (id) => EG.$(id);

  // say keeps the page's last result so that a language change words it again.
  function say(key, vars, bad, extra) {
    P.result = key ? { key, vars: vars || {}, bad: !!bad, extra: extra || "" } : null;
    drawResult();
  }
  function drawResult() {
    const el = $("p-result");
    el.dataset.code = (P.result && P.result.refusal && P.result.refusal.code) || "";
    if (!P.result) { el.textContent = ""; el.dataset.state = ""; return; }
    EG.say("p-result", EG.fmt(P.result.key, P.result.vars) + P.result.extra, P.result.bad);
  }

  const tz = () => { const u = EG.org()[P.site]; return (u && u.time_zone) || "Asia/Shanghai"; };
  const siteName = (id) => EG.unitName(id) || id;
  const siteLabel = (id) => (siteName(id) === id ? id : siteName(id) + " (" + id + ")");
  const devName = (d) => EG.tk("polDev_", d);

  // The kiosk's words for a decision, loaded once from the cloud.
  let results = null;
  function loadResults() {
    if (results) return results;
    results = new Promise((resolve) => {
      const s = document.createElement("script");
      s.src = "/kiosk/results.js";
      s.onload = () => resolve(typeof EG_RESULTS !== "undefined" ? EG_RESULTS : null);
      s.onerror = () => resolve(null);
      document.head.appendChild(s);
    });
    return results;
  }
  let R = null; // EG_RESULTS once loaded

  async function loadSites() {
    try { await EG.loadOrg(); } catch (e) { /* the gateways' sites still come */ }
    const org = EG.org() || {};
    let sites = Object.values(org).filter((u) => u.level === "site").map((u) => u.id);
    try {
      const gws = await EG.api("GET", "gateways");
      sites = [...new Set(sites.concat(gws.map((g) => g.site).filter(Boolean)))];
    } catch (e) { /* the org tree's sites are enough */ }
    sites.sort();
    P.sites = sites;
    if (!P.site || !sites.includes(P.site)) P.site = sites[0] || "";
    drawSites();
  }
  function drawSites() {
    const sel = $("pol-site");
    sel.replaceChildren(...P.sites.map((id) => {
      const o = document.createElement("option");
      o.value = id;
      o.textContent = siteLabel(id);
      return o;
    }));
    sel.value = P.site;
    $("pol-zone").textContent = P.site ? EG.fmt("polZone", { tz: tz() }) : "";
  }

  async function loadPolicies() {
    const r = await EG.call("GET", "policies");
    if (!r.ok) return say("polFailed", { msg: errText(r) }, true);
    P.policies = Array.isArray(r.data) ? r.data : [];
    drawPolicies();
    drawVersionChoices();
  }
  const errText = (r) => (r.data && r.data.error) || "HTTP " + r.status;

  function drawPolicies() {
    const tb = $("p-list");
    tb.replaceChildren();
    if (!P.policies) return;
    if (!P.policies.length) return EG.emptyRow(tb, 6);
    for (const p of P.policies) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "policy-row";
      tr.dataset.version = p.version;
      const here = (p.sites || []).includes(P.site);
      tr.dataset.here = here ? "true" : "false";
      const v = EG.cell(tr, p.version, "mono");
      if (here) {
        const m = document.createElement("strong");
        m.className = "pol-here";
        m.dataset.testid = "policy-here";
        m.textContent = EG.t("polHere");
        v.append(" ", m);
      }
      EG.cell(tr, p.name || "—");
      EG.cell(tr, EG.when(p.created_at, tz()));
      EG.cell(tr, (p.sites || []).map(siteName).join("、") || "—", "", "policy-sites");
      const td = EG.cell(tr, "");
      td.className = "pol-actions";
      const btn = (key, testid, fn) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = EG.t(key);
        b.dataset.testid = testid;
        b.addEventListener("click", () => fn(b).catch(netError));
        td.appendChild(b);
      };
      btn("polAssign", "policy-assign", (b) => assignPolicy(p.version, b));
      btn("polOpen", "policy-open", () => openInEditor(p.version));
      tb.appendChild(tr);
    }
  }
  const netError = (e) => { if (e && e.message !== "unauthorized") say("polNet", {}, true); };

  // The version selects of the diff and the preview.
  function drawVersionChoices() {
    const vs = (P.policies || []).map((p) => p.version);
    for (const id of ["pol-diff-from", "pol-diff-to", "pol-pv-version"]) {
      const sel = $(id);
      const keep = sel.value;
      sel.replaceChildren(...vs.map((v) => { const o = document.createElement("option"); o.value = v; o.textContent = v; return o; }));
      if (vs.includes(keep)) sel.value = keep;
    }
    if (!$("pol-diff-from").dataset.touched && vs.length > 1) { $("pol-diff-to").value = vs[0]; $("pol-diff-from").value = vs[1]; }
    const assigned = (P.policies || []).find((p) => (p.sites || []).includes(P.site));
    if (!$("pol-pv-version").dataset.touched && assigned) $("pol-pv-version").value = assigned.version;
    previewVersionChanged().catch(netError);
  }

  async function policyView(v) {
    if (!P.views[v]) {
      const r = await EG.call("GET", "policies/" + encodeURIComponent(v));
      if (!r.ok) throw new Error(errText(r));
      P.views[v] = r.data;
    }
    return P.views[v];
  }

  async function uploadPolicy() {
    const f = $("p-file").files[0];
    if (!f) return say("polNoFile", {}, true);
    say("polWorking", {});
    const type = /\.json$/i.test(f.name) ? "application/json" : "application/yaml";
    const r = await EG.call("POST", "policies", await f.text(), type);
    if (!r.ok && r.data.line) return say("polInvalidLine", { line: r.data.line, msg: r.data.error }, true);
    if (!r.ok) return say("polUploadRefused", { msg: errText(r) }, true);
    say(r.status === 201 ? "polStored" : "polSame", { v: r.data.version });
    loadPolicies();
  }

  // The refusal of an assignment in words: the code and its parameters.
  function refusalText(d) {
    return (d.checks || []).filter((c) => (c.lacking || []).length).map((c) =>
      EG.fmt("polLacks", { dev: devName(c.device), gws: c.lacking.join("、") })).join(EG.t("polSep"));
  }
  function unknownText(list) {
    return (list || []).map((c) => EG.fmt("polUnknownDev", { dev: devName(c.device), gws: (c.unknown || []).join("、") })).join(EG.t("polSep"));
  }

  async function assignPolicy(version, b) {
    if (!P.site) return say("polNoSite", {}, true);
    b.disabled = true;
    const r = await EG.call("PUT", "sites/" + encodeURIComponent(P.site) + "/policy", JSON.stringify({ version }), "application/json")
      .finally(() => { b.disabled = false; });
    if (r.status === 409 && r.data.code === "price_device_missing") {
      P.result = { key: "polRefusedDevice", vars: { v: version, site: siteLabel(P.site) }, bad: true, extra: "", refusal: r.data };
      drawAssignRefusal();
      return;
    }
    if (!r.ok) return say("polFailed", { msg: errText(r) }, true);
    P.result = { key: "polAssigned", vars: { v: r.data.version, site: siteLabel(r.data.site), c: (r.data.commands || []).length }, bad: false, extra: "", unknown: r.data.unknown };
    drawAssignRefusal();
    loadPolicies();
  }
  function drawAssignRefusal() {
    const res = P.result;
    if (res.refusal) {
      res.extra = EG.t("polColon") + refusalText(res.refusal) + EG.t("polRefusedTail");
      drawResult();
    } else {
      res.extra = res.unknown && res.unknown.length ? EG.t("polSep") + unknownText(res.unknown) : "";
      drawResult();
    }
  }

  // ---- The editor.
  async function openInEditor(version) {
    const v = await policyView(version);
    $("pol-text").value = v.body;
    P.check = null;
    drawCheck();
    $("pol-text").focus();
  }

  async function validate() {
    const text = $("pol-text").value;
    if (!text.trim()) return;
    const r = await EG.call("POST", "policies/validate", text, "application/yaml");
    if (r.status !== 200 && r.status !== 422) { P.check = { failed: errText(r) }; return drawCheck(); }
    P.check = r.data;
    drawCheck();
    if (!r.data.valid && r.data.line) selectLine(r.data.line);
    return r.data;
  }
  function selectLine(n) {
    const ta = $("pol-text");
    const lines = ta.value.split("\n");
    let start = 0;
    for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
    ta.focus();
    ta.setSelectionRange(start, start + (lines[n - 1] || "").length);
  }
  function drawCheck() {
    const c = P.check;
    const el = $("pol-check");
    el.dataset.valid = c ? String(!!c.valid) : "";
    el.dataset.line = c && c.line ? String(c.line) : "";
    if (!c) { el.textContent = ""; el.classList.remove("error"); return; }
    if (c.failed) return EG.say("pol-check", EG.fmt("polFailed", { msg: c.failed }), true);
    if (!c.valid) {
      return EG.say("pol-check", c.line ? EG.fmt("polInvalidLine", { line: c.line, msg: c.error }) : EG.fmt("polInvalid", { msg: c.error }), true);
    }
    const needs = (c.needs || []).length ? (c.needs || []).map(devName).join("、") : EG.t("polNeedsNone");
    const state = c.stored ? (c.same ? EG.t("polStoredSame") : EG.t("polStoredOther")) : EG.t("polNew");
    EG.say("pol-check", EG.fmt("polValid", { v: c.version, needs, state }), c.stored && !c.same);
  }

  async function save() {
    const c = await validate();
    if (!c || !c.valid) return;
    if (c.stored && !c.same) return;
    const r = await EG.call("POST", "policies", $("pol-text").value, "application/yaml");
    if (!r.ok) return say("polUploadRefused", { msg: errText(r) }, true);
    say(r.status === 201 ? "polStored" : "polSame", { v: r.data.version });
    await loadPolicies();
  }

  // ---- The diff.
  async function showDiff() {
    const from = $("pol-diff-from").value, to = $("pol-diff-to").value;
    if (!from || !to) return;
    const r = await EG.call("GET", "policies/" + encodeURIComponent(to) + "/diff?against=" + encodeURIComponent(from));
    if (!r.ok) { P.diff = { failed: errText(r) }; return drawDiff(); }
    P.diff = r.data;
    drawDiff();
  }
  function drawDiff() {
    const box = $("pol-diff");
    const d = P.diff;
    box.replaceChildren();
    box.hidden = !d;
    if (!d) return;
    const head = document.createElement("p");
    head.className = "status";
    head.dataset.testid = "policy-diff-summary";
    if (d.failed) { head.textContent = EG.fmt("polFailed", { msg: d.failed }); head.classList.add("error"); box.appendChild(head); return; }
    const added = d.lines.filter((l) => l.op === "+").length, removed = d.lines.filter((l) => l.op === "-").length;
    head.textContent = d.changed ? EG.fmt("polDiffSummary", { from: d.against, to: d.version, a: added, r: removed }) : EG.fmt("polDiffSame", { from: d.against, to: d.version });
    box.appendChild(head);
    const pre = document.createElement("div");
    pre.className = "pol-diff-lines";
    for (const l of d.lines) {
      const row = document.createElement("div");
      row.className = "pol-dl op-" + (l.op === "+" ? "add" : l.op === "-" ? "del" : "same");
      row.dataset.testid = "diff-line";
      row.dataset.op = l.op;
      const num = document.createElement("span");
      num.className = "pol-ln";
      num.textContent = (l.a || "") + "\u2009/\u2009" + (l.b || "");
      const txt = document.createElement("span");
      txt.textContent = l.op + " " + l.text;
      row.append(num, txt);
      pre.appendChild(row);
    }
    box.appendChild(pre);
  }

  // ---- "What would this elder get".
  async function loadRoster() {
    P.roster = null;
    if (!P.site) return drawElders();
    const r = await EG.call("GET", "sites/" + encodeURIComponent(P.site) + "/roster");
    P.roster = r.ok ? r.data.elders || [] : [];
    drawElders();
  }
  function drawElders() {
    const sel = $("pol-pv-elder");
    const keep = sel.value;
    sel.replaceChildren(...(P.roster || []).map((e) => {
      const o = document.createElement("option");
      o.value = e.id;
      o.textContent = e.name + " · " + e.id;
      return o;
    }));
    if ((P.roster || []).some((e) => e.id === keep)) sel.value = keep;
  }

  async function previewVersionChanged() {
    const v = $("pol-pv-version").value;
    const win = $("pol-pv-window");
    const keep = win.value;
    const opts = [["", EG.t("polNow")]];
    let needs = [];
    if (v) {
      try {
        const view = await policyView(v);
        for (const w of view.windows || []) opts.push([w.name, EG.tk("w_", w.name) + " " + w.start + "–" + w.end]);
        needs = view.needs || [];
      } catch (e) { /* listed without windows */ }
    }
    win.replaceChildren(...opts.map(([val, text]) => { const o = document.createElement("option"); o.value = val; o.textContent = text; return o; }));
    if (opts.some(([val]) => val === keep)) win.value = keep;
    $("pol-pv-price-box").hidden = !needs.includes("till");
    $("pol-pv-weight-box").hidden = !needs.includes("scale");
    $("pol-pv-date").disabled = !win.value;
  }

  // yuanToFen reads "12.5" as 1250 fen from the text, never through a float.
  function yuanToFen(text) {
    const m = String(text).trim().match(/^(\d{1,5})(?:\.(\d{1,2}))?$/);
    return m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : null;
  }

  async function preview() {
    const v = $("pol-pv-version").value, elder = $("pol-pv-elder").value;
    if (!P.site) return sayPreview("polNoSite");
    if (!v || !elder) return sayPreview("polPvChoose");
    const body = { site: P.site, elder };
    const win = $("pol-pv-window").value;
    if (win) {
      body.window = win;
      const day = $("pol-pv-date").value; // the local day; noon UTC is that day in every zone of UTC-11 to UTC+11
      if (day) body.at = day + "T12:00:00Z";
    }
    if (!$("pol-pv-price-box").hidden && $("pol-pv-price").value.trim()) {
      const fen = yuanToFen($("pol-pv-price").value);
      if (fen === null) return sayPreview("polBadPrice");
      body.price_fen = fen;
    }
    if (!$("pol-pv-weight-box").hidden && $("pol-pv-weight").value.trim()) body.weight_g = Math.trunc(Number($("pol-pv-weight").value)) || 0;
    R = await loadResults();
    const r = await EG.call("POST", "policies/" + encodeURIComponent(v) + "/preview", JSON.stringify(body), "application/json");
    if (!r.ok) { P.preview = { failed: errText(r) }; return drawPreview(); }
    P.preview = r.data;
    drawPreview();
  }
  function sayPreview(key) { P.preview = { key }; drawPreview(); }

  function drawPreview() {
    const box = $("pol-pv-result");
    const p = P.preview;
    box.replaceChildren();
    box.hidden = !p;
    if (!p) return;
    if (p.key || p.failed) {
      const e = document.createElement("p");
      e.className = "error";
      e.textContent = p.key ? EG.t(p.key) : EG.fmt("polFailed", { msg: p.failed });
      box.appendChild(e);
      box.dataset.decision = "";
      return;
    }
    const d = p.decision;
    const words = (R && (R[EG.lang()] || R["zh-CN"])) || null;
    box.dataset.decision = d.decision;
    const h = document.createElement("h3");
    h.dataset.testid = "preview-word";
    h.className = "pol-word d-" + d.decision;
    h.textContent = (words && words[d.decision]) || EG.tk("polD_", d.decision);
    box.appendChild(h);
    const reason = (words && words.reasons && words.reasons[d.reason]) || "";
    if (reason) {
      const rp = document.createElement("p");
      rp.dataset.testid = "preview-reason";
      rp.textContent = reason + (d.limit ? " (" + d.limit + ")" : "");
      box.appendChild(rp);
    }
    const dl = document.createElement("dl");
    dl.className = "pol-figures";
    const row = (label, value, testid) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (testid) dd.dataset.testid = testid;
      dl.append(dt, dd);
    };
    row(EG.t("polPvWho"), p.elder_name + " · " + siteName(p.site), "preview-who");
    row(EG.t("polPvWhen"), p.local + " (" + p.time_zone + ")" + (d.window ? " · " + EG.tk("w_", d.window) : ""), "preview-when");
    row((words && words.price) || EG.t("polPrice"), EG.yuan(d.price_fen), "preview-price");
    row((words && words.subsidy) || EG.t("polSubsidy"), EG.yuan(d.subsidy_fen), "preview-subsidy");
    if (d.discount_fen) row(EG.t("polDiscount"), EG.yuan(d.discount_fen), "preview-discount");
    row((words && words.to_pay) || EG.t("polPay"), EG.yuan(d.pay_fen), "preview-pay");
    if (d.rule) row(EG.t("polRule"), d.rule, "preview-rule");
    for (const s of d.funding || []) row(EG.fmt("polLayer", { layer: EG.tk("ly_", s.layer) }), EG.yuan(s.fen) + (s.code ? " · " + s.code : ""), "preview-layer");
    if (d.operating_subsidy_fen) row(EG.t("polOperating"), EG.yuan(d.operating_subsidy_fen), "preview-operating");
    for (const q of d.remaining || []) {
      const parts = [];
      if (q.count !== undefined) parts.push(EG.fmt("polLeftMeals", { n: q.count }));
      if (q.fen !== undefined) parts.push(EG.yuan(q.fen));
      row(EG.fmt(q.period === "week" ? "polLeftWeek" : "polLeftMonth", { until: q.until }), parts.join(" · "), "preview-remaining");
    }
    const u = p.usage || {};
    row(EG.t("polUsed"), EG.fmt("polUsedText", { w: (u.window || {}).count || 0, d: (u.day || {}).count || 0, m: (u.month || {}).count || 0, mf: EG.yuan((u.month || {}).subsidy_fen || 0) }), "preview-usage");
    box.appendChild(dl);
    const note = document.createElement("p");
    note.className = "status";
    note.textContent = EG.fmt("polPvNote", { v: p.version });
    box.appendChild(note);
  }

  async function siteChanged() {
    P.site = $("pol-site").value;
    $("pol-zone").textContent = P.site ? EG.fmt("polZone", { tz: tz() }) : "";
    $("pol-pv-version").dataset.touched = "";
    P.preview = null;
    drawPreview();
    drawPolicies();
    drawVersionChoices();
    await loadRoster();
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    const on = (id, ev, fn) => $(id).addEventListener(ev, () => fn().catch(netError));
    on("pol-site", "change", siteChanged);
    on("p-upload", "click", uploadPolicy);
    on("pol-validate", "click", validate);
    on("pol-save", "click", save);
    on("pol-diff-show", "click", showDiff);
    on("pol-pv-version", "change", async () => { $("pol-pv-version").dataset.touched = "1"; await previewVersionChanged(); });
    on("pol-pv-window", "change", async () => { $("pol-pv-date").disabled = !$("pol-pv-window").value; });
    on("pol-pv-go", "click", preview);
    for (const id of ["pol-diff-from", "pol-diff-to"]) $(id).addEventListener("change", () => { $("pol-diff-from").dataset.touched = "1"; });
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    $("pol-pv-date").value = today;
  }

  EG.page({
    id: "policies",
    tab: "tabPolicies",
    role: "operator",
    strings: {
      "zh-CN": {
        tabPolicies: "补贴政策", polTitle: "补贴政策", polSite: "站点", polZone: "时区：{tz}",
        polFile: "政策文件（YAML 或 JSON）", polUpload: "上传", polVersions: "政策版本",
        polVersion: "版本", polName: "名称", polCreated: "上传时间", polSites: "已分配站点", polAction: "操作",
        polHere: "本站点使用中", polAssign: "分配给本站点", polOpen: "在编辑器中打开",
        polEditor: "编辑政策", polEditorHint: "在此粘贴或修改政策（YAML）；保存为新版本前请修改 version。",
        polValidate: "校验", polSave: "保存为新版本",
        polValid: "校验通过：版本 {v}，计价需要：{needs}；{state}", polNeedsNone: "无（固定价格）",
        polStoredSame: "该版本已保存且内容相同", polStoredOther: "该版本号已被另一内容占用，请修改 version", polNew: "尚未保存",
        polInvalid: "未通过校验：{msg}", polInvalidLine: "第 {line} 行未通过校验：{msg}",
        polDiff: "版本对比", polDiffFrom: "旧版本", polDiffTo: "新版本", polDiffShow: "对比",
        polDiffSummary: "{from} → {to}：新增 {a} 行，删除 {r} 行", polDiffSame: "{from} 与 {to} 内容相同",
        polPreview: "这位长者能得到什么", polPvVersion: "政策版本", polPvElder: "长者", polPvWindow: "餐次",
        polPvDate: "日期", polPvPrice: "收银金额（元）", polPvWeight: "重量（克）", polPvGo: "试算", polNow: "现在",
        polPvWho: "长者与站点", polPvWhen: "用餐时间", polPrice: "餐费", polSubsidy: "补贴", polPay: "应付",
        polDiscount: "优惠", polRule: "适用规则", polLayer: "{layer}承担", polOperating: "运营补贴（付给饭堂）",
        polLeftWeek: "本周剩余（至 {until}）", polLeftMonth: "本月剩余（至 {until}）", polLeftMeals: "{n} 餐",
        polUsed: "此前已用", polUsedText: "本餐次 {w} 次，今日 {d} 次，本月 {m} 次（补贴 {mf}）",
        polPvNote: "按政策 {v} 由网关同一引擎试算，不记录用餐。", polPvChoose: "请选择政策版本和长者",
        polBadPrice: "金额格式不对，例如 12.50", polNoSite: "请先选择站点", polNoFile: "请先选择文件",
        polWorking: "处理中…", polFailed: "失败：{msg}", polNet: "无法连接服务器",
        polStored: "已保存政策版本 {v}", polSame: "政策版本 {v} 已存在且内容相同", polUploadRefused: "政策未通过校验：{msg}",
        polAssigned: "政策 {v} 已分配给站点 {site}，已下发 {c} 条网关指令",
        polRefusedDevice: "未分配：政策 {v} 不能用于站点 {site}", polColon: "：", polSep: "；",
        polLacks: "该政策按{dev}计价，但网关 {gws} 没有{dev}", polRefusedTail: "。分配后每次刷卡都会被拒绝，站点仍使用原来的政策。",
        polUnknownDev: "网关 {gws} 尚未上报是否有{dev}，请确认", polDev_till: "收银机", polDev_scale: "电子秤",
        polD_approved: "补贴成功", polD_full_pay: "请付全价", polD_refused: "刷卡未通过", polD_discounted: "长者优惠价",
      },
      "zh-HK": {
        tabPolicies: "資助政策", polTitle: "資助政策", polSite: "站點", polZone: "時區：{tz}",
        polFile: "政策檔案（YAML 或 JSON）", polUpload: "上載", polVersions: "政策版本",
        polVersion: "版本", polName: "名稱", polCreated: "上載時間", polSites: "已指派站點", polAction: "操作",
        polHere: "本站點使用中", polAssign: "指派給本站點", polOpen: "在編輯器中開啟",
        polEditor: "編輯政策", polEditorHint: "在此貼上或修改政策（YAML）；儲存為新版本前請修改 version。",
        polValidate: "校驗", polSave: "儲存為新版本",
        polValid: "校驗通過：版本 {v}，計價需要：{needs}；{state}", polNeedsNone: "無（固定價格）",
        polStoredSame: "該版本已儲存且內容相同", polStoredOther: "該版本號已被另一內容使用，請修改 version", polNew: "尚未儲存",
        polInvalid: "未通過校驗：{msg}", polInvalidLine: "第 {line} 行未通過校驗：{msg}",
        polDiff: "版本比較", polDiffFrom: "舊版本", polDiffTo: "新版本", polDiffShow: "比較",
        polDiffSummary: "{from} → {to}：新增 {a} 行，刪除 {r} 行", polDiffSame: "{from} 與 {to} 內容相同",
        polPreview: "這位長者能得到甚麼", polPvVersion: "政策版本", polPvElder: "長者", polPvWindow: "餐次",
        polPvDate: "日期", polPvPrice: "收銀金額（元）", polPvWeight: "重量（克）", polPvGo: "試算", polNow: "現在",
        polPvWho: "長者與站點", polPvWhen: "用膳時間", polPrice: "餐費", polSubsidy: "資助", polPay: "應付",
        polDiscount: "優惠", polRule: "適用規則", polLayer: "{layer}承擔", polOperating: "營運資助（付給飯堂）",
        polLeftWeek: "本週剩餘（至 {until}）", polLeftMonth: "本月剩餘（至 {until}）", polLeftMeals: "{n} 餐",
        polUsed: "此前已用", polUsedText: "本餐次 {w} 次，今日 {d} 次，本月 {m} 次（資助 {mf}）",
        polPvNote: "按政策 {v} 由網關同一引擎試算，不記錄用膳。", polPvChoose: "請選擇政策版本和長者",
        polBadPrice: "金額格式不對，例如 12.50", polNoSite: "請先選擇站點", polNoFile: "請先選擇檔案",
        polWorking: "處理中…", polFailed: "失敗：{msg}", polNet: "無法連接伺服器",
        polStored: "已儲存政策版本 {v}", polSame: "政策版本 {v} 已存在且內容相同", polUploadRefused: "政策未通過校驗：{msg}",
        polAssigned: "政策 {v} 已指派給站點 {site}，已發出 {c} 條網關指令",
        polRefusedDevice: "未指派：政策 {v} 不能用於站點 {site}", polColon: "：", polSep: "；",
        polLacks: "該政策按{dev}計價，但網關 {gws} 沒有{dev}", polRefusedTail: "。指派後每次拍卡都會被拒絕，站點仍使用原來的政策。",
        polUnknownDev: "網關 {gws} 尚未上報是否有{dev}，請確認", polDev_till: "收銀機", polDev_scale: "電子磅",
        polD_approved: "資助成功", polD_full_pay: "請付全費", polD_refused: "拍卡未能通過", polD_discounted: "長者優惠價",
      },
      en: {
        tabPolicies: "Policies", polTitle: "Subsidy policies", polSite: "Site", polZone: "Time zone: {tz}",
        polFile: "Policy file (YAML or JSON)", polUpload: "Upload", polVersions: "Policy versions",
        polVersion: "Version", polName: "Name", polCreated: "Uploaded", polSites: "Assigned to", polAction: "Action",
        polHere: "assigned here", polAssign: "Assign to this site", polOpen: "Open in the editor",
        polEditor: "Edit a policy", polEditorHint: "Paste or edit a policy (YAML) here; change its version before saving it as a new one.",
        polValidate: "Validate", polSave: "Save as a new version",
        polValid: "Valid: version {v}, prices need: {needs}; {state}", polNeedsNone: "nothing (fixed prices)",
        polStoredSame: "this version is stored with the same text", polStoredOther: "this version is taken by another text: change version", polNew: "not saved yet",
        polInvalid: "Not valid: {msg}", polInvalidLine: "Line {line} is not valid: {msg}",
        polDiff: "Compare versions", polDiffFrom: "Older", polDiffTo: "Newer", polDiffShow: "Compare",
        polDiffSummary: "{from} → {to}: {a} lines added, {r} removed", polDiffSame: "{from} and {to} have the same text",
        polPreview: "What would this elder get", polPvVersion: "Policy version", polPvElder: "Elder", polPvWindow: "Meal",
        polPvDate: "Date", polPvPrice: "Amount rung up (yuan)", polPvWeight: "Weight (g)", polPvGo: "Work it out", polNow: "now",
        polPvWho: "Elder and site", polPvWhen: "Meal time", polPrice: "Price", polSubsidy: "Subsidy", polPay: "To pay",
        polDiscount: "Discount", polRule: "Rule", polLayer: "paid by {layer}", polOperating: "Operating subsidy (to the hall)",
        polLeftWeek: "Left this week (until {until})", polLeftMonth: "Left this month (until {until})", polLeftMeals: "{n} meals",
        polUsed: "Used before", polUsedText: "{w} this meal, {d} today, {m} this month (subsidy {mf})",
        polPvNote: "Worked out under policy {v} by the gateway's engine; no meal is recorded.", polPvChoose: "Choose a policy version and an elder",
        polBadPrice: "Not an amount, e.g. 12.50", polNoSite: "Choose a site first", polNoFile: "Choose a file first",
        polWorking: "Working…", polFailed: "Failed: {msg}", polNet: "Cannot reach the server",
        polStored: "Policy version {v} stored", polSame: "Policy version {v} is already stored with this text", polUploadRefused: "The policy is not valid: {msg}",
        polAssigned: "Policy {v} assigned to site {site}; {c} gateway commands queued",
        polRefusedDevice: "Not assigned: policy {v} cannot work at site {site}", polColon: ": ", polSep: "; ",
        polLacks: "it prices meals with a {dev}, which gateway {gws} does not have", polRefusedTail: ". Every tap would be refused; the site keeps its policy.",
        polUnknownDev: "gateway {gws} has not reported whether it has a {dev}: check it", polDev_till: "till", polDev_scale: "scale",
        polD_approved: "Subsidised", polD_full_pay: "Full price", polD_refused: "Not accepted", polD_discounted: "Senior discount",
      },
    },
    html: `
      <h2 data-i18n="polTitle"></h2>
      <div class="bar">
        <label for="pol-site" data-i18n="polSite"></label>
        <select id="pol-site" data-testid="policy-site"></select>
        <span id="pol-zone" class="status" data-testid="policy-zone"></span>
      </div>
      <div class="bar">
        <label for="p-file" data-i18n="polFile"></label>
        <input id="p-file" type="file" accept=".yaml,.yml,.json,application/yaml,application/json" data-testid="policy-file">
        <button type="button" id="p-upload" data-testid="policy-upload" data-i18n="polUpload"></button>
      </div>
      <p id="p-result" class="status" data-testid="policy-result" aria-live="polite"></p>
      <h3 data-i18n="polVersions"></h3>
      <div class="scroll-x">
        <table data-testid="policies-table">
          <thead><tr>
            <th data-i18n="polVersion"></th><th data-i18n="polName"></th><th data-i18n="polCreated"></th>
            <th data-i18n="polSites"></th><th data-i18n="polAction"></th>
          </tr></thead>
          <tbody id="p-list"></tbody>
        </table>
      </div>

      <section class="pol-panel" aria-labelledby="pol-pv-h">
        <h3 id="pol-pv-h" data-i18n="polPreview"></h3>
        <div class="pol-form">
          <label for="pol-pv-version" data-i18n="polPvVersion"></label>
          <select id="pol-pv-version" data-testid="preview-version"></select>
          <label for="pol-pv-elder" data-i18n="polPvElder"></label>
          <select id="pol-pv-elder" data-testid="preview-elder"></select>
          <label for="pol-pv-window" data-i18n="polPvWindow"></label>
          <select id="pol-pv-window" data-testid="preview-window"></select>
          <label for="pol-pv-date" data-i18n="polPvDate"></label>
          <input id="pol-pv-date" type="date" data-testid="preview-date">
          <span id="pol-pv-price-box" class="pol-opt" hidden><label for="pol-pv-price" data-i18n="polPvPrice"></label>
            <input id="pol-pv-price" inputmode="decimal" size="8" data-testid="preview-price-input"></span>
          <span id="pol-pv-weight-box" class="pol-opt" hidden><label for="pol-pv-weight" data-i18n="polPvWeight"></label>
            <input id="pol-pv-weight" inputmode="numeric" size="8" data-testid="preview-weight-input"></span>
          <button type="button" id="pol-pv-go" class="primary" data-testid="preview-go" data-i18n="polPvGo"></button>
        </div>
        <div id="pol-pv-result" class="pol-result" data-testid="preview-result" aria-live="polite" hidden></div>
      </section>

      <section class="pol-panel" aria-labelledby="pol-diff-h">
        <h3 id="pol-diff-h" data-i18n="polDiff"></h3>
        <div class="bar">
          <label for="pol-diff-from" data-i18n="polDiffFrom"></label>
          <select id="pol-diff-from" data-testid="diff-from"></select>
          <label for="pol-diff-to" data-i18n="polDiffTo"></label>
          <select id="pol-diff-to" data-testid="diff-to"></select>
          <button type="button" id="pol-diff-show" data-testid="diff-show" data-i18n="polDiffShow"></button>
        </div>
        <div id="pol-diff" data-testid="policy-diff" hidden></div>
      </section>

      <section class="pol-panel" aria-labelledby="pol-ed-h">
        <h3 id="pol-ed-h" data-i18n="polEditor"></h3>
        <p class="status" data-i18n="polEditorHint"></p>
        <textarea id="pol-text" rows="14" spellcheck="false" aria-labelledby="pol-ed-h" data-testid="policy-editor"></textarea>
        <div class="bar">
          <button type="button" id="pol-validate" data-testid="policy-validate" data-i18n="polValidate"></button>
          <button type="button" id="pol-save" class="primary" data-testid="policy-save" data-i18n="polSave"></button>
        </div>
        <p id="pol-check" class="status" data-testid="policy-check" aria-live="polite"></p>
      </section>`,
    open() {
      wire();
      loadResults().then((r) => { R = r; drawPreview(); });
      loadSites().then(() => Promise.all([loadPolicies(), loadRoster()])).catch(netError);
    },
    render() {
      drawSites();
      drawPolicies();
      if (P.result && (P.result.refusal || P.result.unknown)) drawAssignRefusal(); else drawResult();
      drawCheck();
      drawDiff();
      previewVersionChanged().catch(() => {});
      drawPreview();
    },
    reset() {
      Object.assign(P, { site: "", sites: [], policies: null, views: {}, roster: null, result: null, check: null, diff: null, preview: null });
      if ($("pol-text")) $("pol-text").value = "";
    },
  });
})();
