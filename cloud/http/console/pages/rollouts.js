"use strict";
// Updates (docs/adr/0031-rollouts-in-waves.md): start a rollout of a
// release to a gateway, a site, a street, a district or the fleet in
// waves (a canary first), with a preview of how many gateways each wave
// takes, and follow it: its waves, each gateway's state, why a gateway
// waits (a meal window until its end, shown in the site's zone with the
// zone named; an open alarm; offline) and why a rollout halted. Operators
// start, halt, resume and cancel; viewers read.
(() => {
  const STATES = ["waiting", "sent", "queued", "accepted", "deferred", "downloading", "verified", "installed", "checking",
    "committed", "rolled_back", "failed", "timed_out", "skipped", "held"];
  const stateWords = {
    "zh-CN": ["等待", "已发送", "已排队", "已接受", "网关推迟", "下载中", "已校验", "已安装", "自检中",
      "已完成", "已回滚", "失败", "超时", "跳过", "未发送"],
    "zh-HK": ["等候", "已發送", "已排隊", "已接受", "網關推遲", "下載中", "已校驗", "已安裝", "自檢中",
      "已完成", "已回滾", "失敗", "逾時", "略過", "未發送"],
    en: ["Waiting", "Sent", "Queued", "Accepted", "Deferred by gateway", "Downloading", "Verified", "Installed", "Checking",
      "Committed", "Rolled back", "Failed", "Timed out", "Skipped", "Held"],
  };
  const strings = {
    "zh-CN": {
      tabRollouts: "分批升级", roTitle: "网关软件分批升级", roNew: "发起更新", roRelease: "版本", roKind: "范围", roTarget: "对象",
      roK_gateway: "单个网关", roK_site: "站点", roK_street: "街道", roK_district: "区", roK_fleet: "全部网关",
      roWaves: "分批", roWavesHint: "例：1, 25%, 其余", roThreshold: "失败率上限（%）", roPreview: "预览", roStart: "开始更新",
      roPlan: "第 {w} 批：{n} 台", roSkipped: "跳过 {n} 台（平台不符）", roPlatform: "平台 {p}",
      roList: "更新记录", roColRelease: "版本", roColTarget: "对象", roColState: "状态", roColWave: "当前批次", roColCreated: "开始时间",
      roColBy: "发起人", roRS_running: "进行中", roRS_halted: "已暂停", roRS_completed: "已完成", roRS_cancelled: "已取消",
      roBack: "返回列表", roHalt: "暂停", roResume: "继续", roCancel: "取消更新", roWave: "第 {w} 批", roWaveNow: "（当前）",
      roFailed: "失败 {f} / {n} 台", roColGW: "网关", roColSite: "站点", roColGWState: "状态", roColWait: "等待原因", roColReason: "说明",
      roW_meal_window: "用餐时段，{t} 后开始", roW_alarm_open: "站点有未结束的报警", roW_offline: "网关离线",
      roReason: "原因：{r}", roThresholdIs: "失败率超过 {p}% 即暂停",
      roWhyWaveHalt: "第 {w} 批：{n} 台中 {f} 台失败（{p}% > {t}%），已暂停", roWhyWaveOK: "第 {w} 批：{n} 台中 {f} 台失败（{p}% ≤ {t}%）",
      roWhyHaltedBy: "由 {by} 暂停", roWhyCancelledBy: "由 {by} 取消", roWhyResumedDone: "{by} 继续后，最后一批已完成", roSkippedList: "跳过的网关", roFleet: "全部网关",
      roEmptyWave: "本批没有网关", roNone: "暂无更新", roFailedMsg: "失败：{msg}", roNet: "网络错误，请重试。", roStarted: "已开始：{id}",
      roZoneNote: "时间按各站点的时区显示（时区名称见括号）。",
    },
    "zh-HK": {
      tabRollouts: "分批升級", roTitle: "網關軟件分批升級", roNew: "發起更新", roRelease: "版本", roKind: "範圍", roTarget: "對象",
      roK_gateway: "單個網關", roK_site: "站點", roK_street: "街道", roK_district: "區", roK_fleet: "全部網關",
      roWaves: "分批", roWavesHint: "例：1, 25%, 其餘", roThreshold: "失敗率上限（%）", roPreview: "預覽", roStart: "開始更新",
      roPlan: "第 {w} 批：{n} 部", roSkipped: "略過 {n} 部（平台不符）", roPlatform: "平台 {p}",
      roList: "更新記錄", roColRelease: "版本", roColTarget: "對象", roColState: "狀態", roColWave: "當前批次", roColCreated: "開始時間",
      roColBy: "發起人", roRS_running: "進行中", roRS_halted: "已暫停", roRS_completed: "已完成", roRS_cancelled: "已取消",
      roBack: "返回列表", roHalt: "暫停", roResume: "繼續", roCancel: "取消更新", roWave: "第 {w} 批", roWaveNow: "（當前）",
      roFailed: "失敗 {f} / {n} 部", roColGW: "網關", roColSite: "站點", roColGWState: "狀態", roColWait: "等候原因", roColReason: "說明",
      roW_meal_window: "用膳時段，{t} 後開始", roW_alarm_open: "站點有未完結的警報", roW_offline: "網關離線",
      roReason: "原因：{r}", roThresholdIs: "失敗率超過 {p}% 即暫停",
      roWhyWaveHalt: "第 {w} 批：{n} 台中 {f} 台失敗（{p}% > {t}%），已暫停", roWhyWaveOK: "第 {w} 批：{n} 台中 {f} 台失敗（{p}% ≤ {t}%）",
      roWhyHaltedBy: "由 {by} 暫停", roWhyCancelledBy: "由 {by} 取消", roWhyResumedDone: "{by} 繼續後，最後一批已完成", roSkippedList: "略過的網關", roFleet: "全部網關",
      roEmptyWave: "本批沒有網關", roNone: "暫無更新", roFailedMsg: "失敗：{msg}", roNet: "網絡錯誤，請重試。", roStarted: "已開始：{id}",
      roZoneNote: "時間按各站點的時區顯示（時區名稱見括號）。",
    },
    en: {
      tabRollouts: "Rollouts", roTitle: "Gateway software rollouts", roNew: "Start an update", roRelease: "Release", roKind: "Scope", roTarget: "Target",
      roK_gateway: "One gateway", roK_site: "Site", roK_street: "Street", roK_district: "District", roK_fleet: "Whole fleet",
      roWaves: "Waves", roWavesHint: "e.g. 1, 25%, rest", roThreshold: "Failure threshold (%)", roPreview: "Preview", roStart: "Start update",
      roPlan: "Wave {w}: {n} gateways", roSkipped: "{n} skipped (other platform)", roPlatform: "platform {p}",
      roList: "Rollouts", roColRelease: "Release", roColTarget: "Target", roColState: "State", roColWave: "Wave", roColCreated: "Started",
      roColBy: "By", roRS_running: "Running", roRS_halted: "Halted", roRS_completed: "Completed", roRS_cancelled: "Cancelled",
      roBack: "Back to the list", roHalt: "Halt", roResume: "Resume", roCancel: "Cancel rollout", roWave: "Wave {w}", roWaveNow: " (current)",
      roFailed: "{f} of {n} failed", roColGW: "Gateway", roColSite: "Site", roColGWState: "State", roColWait: "Waiting for", roColReason: "Details",
      roW_meal_window: "meal window, goes after {t}", roW_alarm_open: "an open alarm at the site", roW_offline: "the gateway is offline",
      roReason: "Reason: {r}", roThresholdIs: "Halts when more than {p}% of a wave fail",
      roWhyWaveHalt: "wave {w}: {f} of {n} gateways failed ({p}% > {t}%), halted", roWhyWaveOK: "wave {w}: {f} of {n} gateways failed ({p}% ≤ {t}%)",
      roWhyHaltedBy: "halted by {by}", roWhyCancelledBy: "cancelled by {by}", roWhyResumedDone: "completed when {by} resumed it after its last wave", roSkippedList: "Skipped gateways", roFleet: "the whole fleet",
      roEmptyWave: "No gateway in this wave", roNone: "No rollouts yet", roFailedMsg: "Failed: {msg}", roNet: "Network error, please try again.", roStarted: "Started: {id}",
      roZoneNote: "Times are shown in each site's time zone (named in brackets).",
    },
  };
  for (const l of Object.keys(strings)) STATES.forEach((k, i) => { strings[l]["roS_" + k] = stateWords[l][i]; });

  const $ = (id) => EG.$(id);
  const canSteer = () => { const me = EG.me(); return !!me && (me.role === "operator" || me.role === "admin"); };
  let list = [];
  let detail = null;  // GET rollouts/{id}
  let shownID = "";
  let timer = 0;
  let relNames = {};  // release id -> "name (version)"
  const relName = (id) => relNames[id] || id;

  // waves reads "1, 25%, rest" into [{count:1},{percent:25},{}].
  function waves(text) {
    const out = [];
    for (const part of text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\d+)\s*%$/.exec(part);
      if (m) out.push({ percent: Number(m[1]) });
      else if (/^\d+$/.test(part)) out.push({ count: Number(part) });
      else out.push({});
    }
    return out;
  }

  function request() {
    const kind = $("ro-kind").value;
    const body = { release: $("ro-release").value.trim(), target: { kind, id: kind === "fleet" ? "" : $("ro-target").value.trim() } };
    const w = waves($("ro-waves").value);
    if (w.length) body.waves = w;
    const th = $("ro-threshold").value.trim();
    if (th !== "") body.failure_threshold_pct = Number(th);
    return JSON.stringify(body);
  }

  function targetName(r) {
    if (r.target_kind === "fleet") return EG.t("roFleet");
    return EG.tk("roK_", r.target_kind) + " · " + (r.target_kind === "gateway" ? r.target_id : EG.unitName(r.target_id));
  }

  // loadReleases reads the releases' names and fills the form's choice.
  async function loadReleases() {
    const r = await EG.call("GET", "releases");
    const sel = $("ro-release");
    const keep = sel.value;
    sel.textContent = "";
    for (const rel of (r.ok && Array.isArray(r.data) ? r.data : [])) {
      relNames[rel.id] = (rel.release || rel.id) + (rel.version && rel.version !== rel.release ? " (" + rel.version + ")" : "");
      if (rel.artifact && rel.artifact !== "eldergate-gateway") continue;
      const o = document.createElement("option");
      o.value = rel.id;
      o.textContent = (rel.release || rel.id) + " · " + (rel.version || "") + " · " + (rel.platform || "");
      sel.appendChild(o);
    }
    if (keep) sel.value = keep;
  }

  function fillTargets() {
    const kind = $("ro-kind").value;
    const dl = $("ro-targets");
    dl.textContent = "";
    $("ro-target").disabled = kind === "fleet";
    for (const u of Object.values(EG.org())) {
      if (u.level !== kind) continue;
      const o = document.createElement("option");
      o.value = u.id;
      o.textContent = u.name;
      dl.appendChild(o);
    }
  }

  async function preview() {
    const r = await EG.call("POST", "rollouts/preview", request(), "application/json");
    const box = $("ro-plan");
    box.textContent = "";
    if (!r.ok) return EG.say("ro-msg", EG.fmt("roFailedMsg", { msg: r.data.error || "HTTP " + r.status }), true);
    EG.say("ro-msg", "");
    (r.data.wave_sizes || []).forEach((n, i) => {
      const li = document.createElement("li");
      li.dataset.testid = "ro-plan-wave";
      li.textContent = EG.fmt("roPlan", { w: i + 1, n });
      box.appendChild(li);
    });
    const li = document.createElement("li");
    li.textContent = EG.fmt("roPlatform", { p: r.data.platform }) + (r.data.skipped ? " · " + EG.fmt("roSkipped", { n: r.data.skipped }) : "");
    box.appendChild(li);
  }

  async function start() {
    const r = await EG.call("POST", "rollouts", request(), "application/json");
    if (!r.ok) return EG.say("ro-msg", EG.fmt("roFailedMsg", { msg: r.data.error || "HTTP " + r.status }), true);
    EG.say("ro-msg", EG.fmt("roStarted", { id: r.data.id }));
    EG.go("rollouts", r.data.id);
  }

  async function loadList() {
    const r = await EG.call("GET", "rollouts");
    if (!r.ok) return EG.say("ro-msg", EG.fmt("roFailedMsg", { msg: r.data.error || "HTTP " + r.status }), true);
    list = Array.isArray(r.data) ? r.data : [];
    renderList();
  }

  function renderList() {
    const tb = $("ro-rows");
    tb.textContent = "";
    if (!list.length) EG.emptyRow(tb, 6);
    for (const ro of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "ro-row";
      tr.dataset.id = ro.id;
      tr.tabIndex = 0;
      tr.className = "ro-row";
      EG.cell(tr, relName(ro.release), "", "ro-c-release");
      EG.cell(tr, targetName(ro), "", "ro-c-target");
      EG.cell(tr, EG.tk("roRS_", ro.state), "ro-state ro-" + ro.state, "ro-c-state");
      EG.cell(tr, ro.wave + " / " + (ro.waves || []).length, "", "ro-c-wave");
      EG.cell(tr, EG.when(ro.created_at), "", "ro-c-created");
      EG.cell(tr, ro.created_by, "", "ro-c-by");
      tr.addEventListener("click", () => EG.go("rollouts", ro.id));
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") EG.go("rollouts", ro.id); });
      tb.appendChild(tr);
    }
  }

  let asked = 0; // the latest detail request: an older answer arriving later is dropped
  async function loadDetail(id) {
    const n = ++asked;
    const r = await EG.call("GET", "rollouts/" + encodeURIComponent(id));
    if (n !== asked) return;
    if (!r.ok) return EG.say("ro-msg", EG.fmt("roFailedMsg", { msg: r.data.error || "HTTP " + r.status }), true);
    detail = r.data;
    renderDetail();
    clearTimeout(timer);
    if (detail.state === "running" && shownID === id) timer = setTimeout(() => loadDetail(id).catch(() => {}), 5000);
  }

  function waitText(g) {
    if (!g.wait) return "";
    if (g.wait === "meal_window") return EG.fmt("roW_meal_window", { t: EG.when(g.wait_until, g.time_zone) });
    return EG.tk("roW_", g.wait);
  }

  // A gateway's reason: its code in the reader's language (the gateway
  // page's words for update codes), then the words the gateway or the
  // cloud gave, which may name a device or a version.
  function gwWhy(g) {
    const words = g.code ? EG.tk("gwuCode_", g.code) : "";
    if (!words || words === g.code) return g.reason || g.code || "";
    return [words, g.reason].filter(Boolean).join(" — ");
  }

  // Why a rollout stopped, in the reader's language: a wave's verdict is
  // rebuilt from the wave's own counts; an operator's halt, cancel or
  // resume names the person.
  function rolloutWhy(d) {
    const r = d.reason || "";
    let m;
    if ((m = /^wave (\d+): /.exec(r))) {
      const w = (d.wave_list || [])[Number(m[1]) - 1];
      if (w) {
        const n = w.gateways.length;
        const k = d.state === "halted" ? "roWhyWaveHalt" : "roWhyWaveOK";
        return EG.fmt(k, { w: m[1], f: w.failed, n, p: n ? Math.floor(w.failed * 100 / n) : 0, t: d.failure_threshold_pct });
      }
    }
    if ((m = /^halted by (.+)$/.exec(r))) return EG.fmt("roWhyHaltedBy", { by: m[1] });
    if ((m = /^cancelled by (.+)$/.exec(r))) return EG.fmt("roWhyCancelledBy", { by: m[1] });
    if ((m = /^completed when resumed by (.+) after its last wave$/.exec(r))) return EG.fmt("roWhyResumedDone", { by: m[1] });
    return r;
  }

  function gwTable(rows, testid) {
    const wrap = document.createElement("div");
    wrap.className = "scroll-x";
    const table = document.createElement("table");
    table.className = "report ro-gws";
    table.dataset.testid = testid;
    const head = document.createElement("tr");
    for (const k of ["roColGW", "roColSite", "roColGWState", "roColWait", "roColReason"]) {
      const th = document.createElement("th");
      th.textContent = EG.t(k);
      head.appendChild(th);
    }
    const thead = document.createElement("thead");
    thead.appendChild(head);
    const tb = document.createElement("tbody");
    for (const g of rows) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "ro-gw";
      tr.dataset.gw = g.gw;
      tr.dataset.state = g.state;
      tr.dataset.wait = g.wait || "";
      EG.cell(tr, g.gw, "ro-gwid", "ro-c-gw");
      EG.cell(tr, EG.unitName(g.site), "", "ro-c-site");
      EG.cell(tr, EG.tk("roS_", g.state), "ro-gstate ro-g-" + g.state, "ro-c-gstate");
      EG.cell(tr, waitText(g), "", "ro-c-wait");
      EG.cell(tr, gwWhy(g), "ro-why", "ro-c-reason");
      tb.appendChild(tr);
    }
    if (!rows.length) EG.emptyRow(tb, 5);
    table.append(thead, tb);
    wrap.appendChild(table);
    return wrap;
  }

  function renderDetail() {
    const d = detail;
    $("ro-detail").hidden = !d;
    $("ro-home").hidden = !!d;
    if (!d) return;
    $("ro-d-title").textContent = relName(d.release) + " → " + targetName(d);
    const st = $("ro-d-state");
    st.textContent = EG.tk("roRS_", d.state) + " · " + EG.fmt("roWave", { w: d.wave }) + " / " + (d.waves || []).length +
      " · " + EG.fmt("roThresholdIs", { p: d.failure_threshold_pct });
    st.dataset.state = d.state;
    const why = $("ro-d-reason");
    why.hidden = !d.reason;
    why.textContent = d.reason ? EG.fmt("roReason", { r: rolloutWhy(d) }) : "";
    why.classList.toggle("error", d.state === "halted");
    $("ro-halt").hidden = !canSteer() || d.state !== "running";
    $("ro-resume").hidden = !canSteer() || d.state !== "halted";
    $("ro-cancel").hidden = !canSteer() || (d.state !== "running" && d.state !== "halted");
    const box = $("ro-waves-box");
    box.textContent = "";
    for (const w of d.wave_list || []) {
      const h = document.createElement("h3");
      h.dataset.testid = "ro-wave";
      h.dataset.wave = String(w.wave);
      h.textContent = EG.fmt("roWave", { w: w.wave }) + (w.wave === d.wave && d.state === "running" ? EG.t("roWaveNow") : "") +
        " · " + EG.fmt("roFailed", { f: w.failed, n: w.gateways.length });
      box.append(h, gwTable(w.gateways, "ro-wave-table"));
    }
    if ((d.skipped || []).length) {
      const h = document.createElement("h3");
      h.textContent = EG.t("roSkippedList");
      box.append(h, gwTable(d.skipped, "ro-skipped-table"));
    }
  }

  async function steer(what) {
    if (!detail) return;
    const r = await EG.call("POST", "rollouts/" + encodeURIComponent(detail.id) + "/" + what, "{}", "application/json");
    if (!r.ok) return EG.say("ro-msg", EG.fmt("roFailedMsg", { msg: r.data.error || "HTTP " + r.status }), true);
    EG.say("ro-msg", "");
    await loadDetail(detail.id);
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    const guard = (f) => () => f().catch((e) => { if (e.message !== "unauthorized") EG.say("ro-msg", EG.t("roNet"), true); });
    $("ro-form").addEventListener("submit", (ev) => { ev.preventDefault(); guard(start)(); });
    $("ro-preview").addEventListener("click", guard(preview));
    $("ro-kind").addEventListener("change", fillTargets);
    $("ro-back").addEventListener("click", () => EG.go("rollouts", ""));
    $("ro-halt").addEventListener("click", guard(() => steer("halt")));
    $("ro-resume").addEventListener("click", guard(() => steer("resume")));
    $("ro-cancel").addEventListener("click", guard(() => steer("cancel")));
  }

  EG.page({
    id: "rollouts",
    tab: "tabRollouts",
    role: "viewer",
    strings,
    html: `
      <h2 data-i18n="roTitle"></h2>
      <p id="ro-msg" class="status" data-testid="ro-msg" aria-live="polite"></p>
      <div id="ro-home">
        <form id="ro-form" class="bar ro-form" data-testid="ro-form">
          <label for="ro-release" data-i18n="roRelease"></label><select id="ro-release" data-testid="ro-release"></select>
          <label for="ro-kind" data-i18n="roKind"></label>
          <select id="ro-kind" data-testid="ro-kind">
            <option value="site" data-i18n="roK_site"></option><option value="street" data-i18n="roK_street"></option>
            <option value="district" data-i18n="roK_district"></option><option value="gateway" data-i18n="roK_gateway"></option>
            <option value="fleet" data-i18n="roK_fleet"></option>
          </select>
          <label for="ro-target" data-i18n="roTarget"></label><input id="ro-target" list="ro-targets" size="12" data-testid="ro-target">
          <datalist id="ro-targets"></datalist>
          <label for="ro-waves" data-i18n="roWaves"></label><input id="ro-waves" size="12" value="1, 25%, rest" data-testid="ro-waves">
          <label for="ro-threshold" data-i18n="roThreshold"></label><input id="ro-threshold" type="number" min="0" max="100" value="20" size="4" data-testid="ro-threshold">
          <button type="button" id="ro-preview" data-testid="ro-preview" data-i18n="roPreview"></button>
          <button type="submit" class="primary" data-testid="ro-start" data-i18n="roStart"></button>
        </form>
        <p class="status" data-i18n="roWavesHint"></p>
        <ul id="ro-plan" class="ro-plan" data-testid="ro-plan"></ul>
        <h3 data-i18n="roList"></h3>
        <div class="scroll-x"><table class="report ro-list" data-testid="ro-table">
          <thead><tr><th data-i18n="roColRelease"></th><th data-i18n="roColTarget"></th><th data-i18n="roColState"></th>
            <th data-i18n="roColWave"></th><th data-i18n="roColCreated"></th><th data-i18n="roColBy"></th></tr></thead>
          <tbody id="ro-rows"></tbody>
        </table></div>
      </div>
      <div id="ro-detail" class="ro-detail" data-testid="ro-detail" hidden>
        <div class="bar"><h3 id="ro-d-title" data-testid="ro-d-title"></h3>
          <button type="button" id="ro-back" data-testid="ro-back" data-i18n="roBack"></button>
          <button type="button" id="ro-halt" data-testid="ro-halt" data-i18n="roHalt" hidden></button>
          <button type="button" id="ro-resume" data-testid="ro-resume" data-i18n="roResume" hidden></button>
          <button type="button" id="ro-cancel" data-testid="ro-cancel" data-i18n="roCancel" hidden></button></div>
        <p id="ro-d-state" class="status" data-testid="ro-d-state"></p>
        <p id="ro-d-reason" class="status" data-testid="ro-d-reason" hidden></p>
        <div id="ro-waves-box"></div>
      </div>
      <p class="status" data-i18n="roZoneNote"></p>`,
    open(arg) {
      wire();
      shownID = arg || "";
      clearTimeout(timer);
      $("ro-form").hidden = !canSteer();
      $("ro-plan").hidden = !canSteer();
      const names = loadReleases();
      if (shownID) return names.then(() => loadDetail(shownID));
      detail = null;
      renderDetail();
      fillTargets();
      return names.then(loadList);
    },
    render() {
      document.querySelectorAll("#rollouts [data-i18n]").forEach((el) => { el.textContent = EG.t(el.dataset.i18n); });
      if (detail) renderDetail(); else renderList();
    },
    reset() {
      list = []; detail = null; shownID = ""; clearTimeout(timer);
      if (wired) { $("ro-rows").textContent = ""; $("ro-detail").hidden = true; $("ro-home").hidden = false; }
    },
  });
})();
