// eldergate kiosk: the operator screen, for a staff session with the
// operator role (GET /api/operator/status; the gateway answers 403 to any
// other role): devices with state and driver, outbox backlog, clock,
// network, version and boot, enrollment, roster and policy, and a test
// per device (beep, test ticket, read the scale, read a card), each
// result in words. Opened from the staff board (staff.js); shares
// app.js's and staff.js's globals.
"use strict";

Object.assign(T["zh-CN"], {
  op_title: "运维界面", op_refresh: "刷新", op_devices: "设备与测试", op_outbox: "待上传数据", op_clock: "时钟", op_network: "网络",
  op_version: "版本与启动", op_enroll: "注册", op_data: "名单与政策",
  op_pending: "待上传", op_dead: "被云端拒收", op_oldest: "最早一条已等待", op_none: "无",
  op_clock_state: { synced: "已同步", unsynced: "未同步" }, op_clock_now: "网关时间",
  op_clock_reason: { kernel_unsynced: "系统时间未与网络时间同步", before_build_time: "系统时间早于软件的构建时间", behind_floor: "系统时间比已用过的时间还早（时钟被调回）" },
  op_uplink: "云端连接", op_connected: "已连接", op_disconnected: "未连接", op_broker: "服务器", op_last_ack: "云端最近确认", op_never: "启动后还没有", op_addresses: "本机地址",
  op_version_v: "软件版本", op_boot: "启动次数", op_started: "启动时间", op_uptime: "已运行",
  op_gateway: "网关编号", op_site: "站点", op_credentials: "连接凭据", op_cred_yes: "已配置（不显示）", op_cred_no: "未配置",
  op_roster: "长者名单版本", op_roster_never: "未从云端同步", op_elders: "名单人数", op_policy: "政策版本", op_driver: "驱动",
  op_test: { beep: "响铃测试", ticket: "打印测试小票", scale: "读取电子秤", card: "读一张卡" },
  op_running: "测试中…", op_wait_card: "请在 15 秒内刷卡（这次刷卡不记餐）…",
  op_res: {
    beeped: (p) => `已响铃、亮灯（${p}）`, printed: "测试小票已打印", paper_out: "打印机缺纸，没有打印", no_reading: "电子秤还没有读数",
    weight: (g, s) => `当前重量 ${g} 克，${s ? "稳定" : "不稳定"}`, card: (c) => `读到卡 ${c}（没有记餐）`, no_card: "15 秒内没有刷卡",
    no_device: "没有配置这个设备", failed: "测试失败",
  },
  op_parts: { buzzer: "蜂鸣器", led: "指示灯" },
  op_min: "分", op_sec: "秒", op_hour: "小时", op_day: "天",
});
Object.assign(T["zh-HK"], {
  op_title: "運維畫面", op_refresh: "重新整理", op_devices: "設備與測試", op_outbox: "待上載資料", op_clock: "時鐘", op_network: "網絡",
  op_version: "版本與啟動", op_enroll: "登記", op_data: "名單與政策",
  op_pending: "待上載", op_dead: "被雲端拒收", op_oldest: "最早一筆已等候", op_none: "無",
  op_clock_state: { synced: "已同步", unsynced: "未同步" }, op_clock_now: "網關時間",
  op_clock_reason: { kernel_unsynced: "系統時間未與網絡時間同步", before_build_time: "系統時間早於軟件的建置時間", behind_floor: "系統時間比已用過的時間還早（時鐘被調回）" },
  op_uplink: "雲端連線", op_connected: "已連線", op_disconnected: "未連線", op_broker: "伺服器", op_last_ack: "雲端最近確認", op_never: "啟動後仍未有", op_addresses: "本機地址",
  op_version_v: "軟件版本", op_boot: "啟動次數", op_started: "啟動時間", op_uptime: "已運行",
  op_gateway: "網關編號", op_site: "站點", op_credentials: "連線憑證", op_cred_yes: "已設定（不顯示）", op_cred_no: "未設定",
  op_roster: "長者名單版本", op_roster_never: "未從雲端同步", op_elders: "名單人數", op_policy: "政策版本", op_driver: "驅動程式",
  op_test: { beep: "響鈴測試", ticket: "列印測試收據", scale: "讀取電子磅", card: "讀一張卡" },
  op_running: "測試中…", op_wait_card: "請在 15 秒內拍卡（這次拍卡不記錄膳食）…",
  op_res: {
    beeped: (p) => `已響鈴、亮燈（${p}）`, printed: "測試收據已列印", paper_out: "打印機缺紙，沒有列印", no_reading: "電子磅仍未有讀數",
    weight: (g, s) => `現時重量 ${g} 克，${s ? "穩定" : "不穩定"}`, card: (c) => `讀到卡 ${c}（沒有記錄膳食）`, no_card: "15 秒內沒有拍卡",
    no_device: "沒有設定這個設備", failed: "測試失敗",
  },
  op_parts: { buzzer: "蜂鳴器", led: "指示燈" },
  op_min: "分", op_sec: "秒", op_hour: "小時", op_day: "日",
});
Object.assign(T.en, {
  op_title: "Operator screen", op_refresh: "Refresh", op_devices: "Devices and tests", op_outbox: "Events to upload", op_clock: "Clock", op_network: "Network",
  op_version: "Version and boot", op_enroll: "Enrollment", op_data: "Roster and policy",
  op_pending: "Waiting", op_dead: "Rejected by the cloud", op_oldest: "Oldest waiting for", op_none: "none",
  op_clock_state: { synced: "Synchronised", unsynced: "Not synchronised" }, op_clock_now: "Gateway time",
  op_clock_reason: { kernel_unsynced: "The system clock is not synchronised with network time", before_build_time: "The system clock is earlier than the software's build", behind_floor: "The system clock is earlier than a time already used (set back)" },
  op_uplink: "Cloud link", op_connected: "Connected", op_disconnected: "Not connected", op_broker: "Server", op_last_ack: "Last cloud receipt", op_never: "none since start", op_addresses: "This host's addresses",
  op_version_v: "Software version", op_boot: "Boot number", op_started: "Started", op_uptime: "Running for",
  op_gateway: "Gateway id", op_site: "Site", op_credentials: "Credentials", op_cred_yes: "Present (not shown)", op_cred_no: "Missing",
  op_roster: "Roster version", op_roster_never: "Never synced from the cloud", op_elders: "Elders on the roster", op_policy: "Policy version", op_driver: "driver",
  op_test: { beep: "Test beep", ticket: "Print test ticket", scale: "Read the scale", card: "Read a card" },
  op_running: "Testing…", op_wait_card: "Tap a card within 15 seconds (this tap records no meal)…",
  op_res: {
    beeped: (p) => `Beeped and lit (${p})`, printed: "Test ticket printed", paper_out: "Printer out of paper: not printed", no_reading: "The scale has sent no reading yet",
    weight: (g, s) => `Weight now ${g} g, ${s ? "stable" : "not stable"}`, card: (c) => `Card ${c} read (no meal recorded)`, no_card: "No card tapped within 15 seconds",
    no_device: "No such device configured", failed: "Test failed",
  },
  op_parts: { buzzer: "buzzer", led: "light" },
  op_min: "min", op_sec: "s", op_hour: "h", op_day: "d",
});

// The test of each device kind (the beep plays the buzzer and the light).
const OP_TESTS = { buzzer: "beep", led: "beep", printer: "ticket", scale: "scale", card: "card" };

let opStatus = null;
const opResults = {}; // test -> { result, text } shown under its device
let opTimer = null;

function opDuration(sec) {
  sec = Math.max(0, Math.trunc(sec || 0));
  const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
  const sp = lang === "en" ? " " : "";
  const parts = [];
  if (d) parts.push(`${d}${sp}${t("op_day")}`);
  if (h) parts.push(`${h}${sp}${t("op_hour")}`);
  if (m && !d) parts.push(`${m}${sp}${t("op_min")}`);
  if (!d && !h) parts.push(`${s}${sp}${t("op_sec")}`);
  return parts.join(" ");
}

function opTime(iso) {
  if (!iso) return "";
  // In the site's zone, 24-hour, with the zone named (an operator may be
  // comparing it with a log in UTC).
  const opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  const zone = status && status.time_zone;
  if (zone) opts.timeZone = zone;
  try { return new Date(iso).toLocaleString(lang, opts) + (zone ? ` (${zone})` : ""); } catch (e) { return iso; }
}

// opResultText says a test's result in words.
function opResultText(r) {
  const R = T[lang].op_res;
  switch (r.result) {
    case "beeped": return R.beeped((r.played || []).map((p) => T[lang].op_parts[p] || p).join(lang === "en" ? ", " : "、"));
    case "weight": return R.weight(r.grams, r.stable);
    case "card": return R.card(r.card);
    default: return (typeof R[r.result] === "string" ? R[r.result] : r.result) + (r.result === "failed" && r.error ? `: ${r.error}` : "");
  }
}

function dl(testid, ...pairs) {
  const d = el("dl", { "data-testid": testid });
  for (const [k, v] of pairs) d.append(el("dt", {}, k), el("dd", {}, v));
  return d;
}

function card(id, title, ...body) {
  return el("section", { class: "op-card", "data-testid": id, "aria-labelledby": id + "-h" }, el("h3", { id: id + "-h" }, title), ...body);
}

function renderOperator() {
  const box = $("op-body");
  if (!box || !opStatus) return;
  const s = opStatus;
  const shown = new Set();
  const devs = el("ul", { class: "devs", "data-testid": "op-devices" }, ...s.devices.map((d) => {
    const extra = [];
    if (d.driver) extra.push(el("span", { class: "muted dev-driver" }, `${t("op_driver")}: ${d.driver}`));
    const test = OP_TESTS[d.kind];
    if (test && !shown.has(test)) {
      shown.add(test);
      const b = el("button", { type: "button", class: "op-test", "data-testid": "op-test-" + test, "data-test": test }, T[lang].op_test[test]);
      const r = opResults[test];
      const out = el("p", { class: "op-result", role: "status", "data-testid": "op-result-" + test, "data-result": r ? r.result : "" }, r ? r.text : "");
      extra.push(b, out); // the button on the device's line, the result under it
    }
    return deviceItem(d, extra);
  }));
  const ob = s.outbox, ck = s.clock, nw = s.network, en = s.enrollment;
  const clockWords = (T[lang].op_clock_state[ck.state] || ck.state) + (ck.reason ? ` — ${T[lang].op_clock_reason[ck.reason] || ck.reason}` : "");
  box.replaceChildren(
    card("op-devices-card", t("op_devices"), devs),
    el("div", { class: "op-side" },
      card("op-outbox", t("op_outbox"), dl("op-outbox-dl", [t("op_pending"), String(ob.pending)], [t("op_dead"), String(ob.dead_letters)],
        [t("op_oldest"), ob.pending ? opDuration(ob.oldest_age_seconds) : t("op_none")])),
      card("op-clock", t("op_clock"), el("p", { "data-testid": "op-clock-state", "data-state": ck.state, class: "op-clock-" + ck.state },
        stateIcon(ck.state === "synced" ? "ok" : "alert"), " ", clockWords), dl("op-clock-dl", [t("op_clock_now"), opTime(ck.now)])),
      card("op-network", t("op_network"), dl("op-network-dl",
        [t("op_uplink"), el("span", { "data-testid": "op-uplink" }, stateIcon(nw.uplink_connected ? "ok" : "disconnected"), " ", nw.uplink_connected ? t("op_connected") : t("op_disconnected"))],
        [t("op_broker"), nw.broker || t("op_none")], [t("op_last_ack"), nw.last_ack ? opTime(nw.last_ack) : t("op_never")],
        [t("op_addresses"), (nw.addresses || []).length ? el("span", { class: "op-addrs" }, ...nw.addresses.map((a) => el("span", {}, a))) : t("op_none")])),
      card("op-version", t("op_version"), dl("op-version-dl", [t("op_version_v"), s.version], [t("op_boot"), String(s.boot)],
        [t("op_started"), opTime(s.started_at)], [t("op_uptime"), opDuration(s.uptime_seconds)])),
      card("op-enroll", t("op_enroll"), dl("op-enroll-dl", [t("op_gateway"), en.gateway_id], [t("op_site"), en.site_name ? `${en.site_name} (${en.site})` : en.site],
        [t("op_credentials"), el("span", { "data-testid": "op-credentials" }, stateIcon(en.credentials ? "ok" : "alert"), " ", en.credentials ? t("op_cred_yes") : t("op_cred_no"))])),
      card("op-data", t("op_data"), dl("op-data-dl", [t("op_roster"), s.roster.version ? String(s.roster.version) : t("op_roster_never")],
        [t("op_elders"), String(s.roster.elders)], [t("op_policy"), s.policy.version]))));
}

async function loadOperator() {
  try {
    opStatus = await staffCall("GET", "/api/operator/status");
    $("op-msg").textContent = "";
    renderOperator();
  } catch (e) { $("op-msg").textContent = e.message; }
}

async function runTest(test) {
  opResults[test] = { result: "running", text: test === "card" ? t("op_wait_card") : t("op_running") };
  renderOperator();
  try {
    const r = await staffCall("POST", "/api/operator/test/" + test);
    opResults[test] = { result: r.result, text: opResultText(r), raw: r };
  } catch (e) {
    opResults[test] = { result: "failed", text: `${T[lang].op_res.failed}: ${e.message}` };
  }
  renderOperator();
  const out = document.querySelector(`[data-testid="op-result-${test}"]`);
  if (out) out.scrollIntoView({ block: "nearest" }); // the result in sight
  loadOperator(); // a test can change a device's state (paper out)
}

function closeOperator() {
  $("operator").hidden = true;
  clearInterval(opTimer);
  document.body.dataset.operator = "";
}

window.openOperator = function openOperator() {
  if (!staff || staff.role !== "operator") return;
  $("operator").hidden = false;
  $("op-who").textContent = staff.name || staff.staff_id || "";
  document.body.dataset.operator = "open";
  loadOperator();
  clearInterval(opTimer);
  opTimer = setInterval(loadOperator, 5000);
  $("op-close").focus();
};

(function setupOperator() {
  const head = el("div", { class: "op-head" },
    el("h2", { id: "op-title" }, el("span", { "data-i18n": "op_title" }, t("op_title")), " ", el("span", { id: "op-who" })),
    el("button", { type: "button", id: "op-refresh", "data-testid": "op-refresh", "data-i18n": "op_refresh" }, t("op_refresh")),
    el("button", { type: "button", id: "op-close", "data-testid": "op-close", "data-i18n": "close" }, t("close")));
  const aside = el("div", { id: "operator", "data-testid": "operator-screen", role: "dialog", "aria-labelledby": "op-title" },
    head, el("p", { id: "op-msg", role: "status" }), el("div", { id: "op-body" }));
  aside.hidden = true;
  document.body.append(aside);
  $("op-close").addEventListener("click", closeOperator);
  $("op-refresh").addEventListener("click", loadOperator);
  $("op-body").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-test]");
    if (b && !(opResults[b.dataset.test] || {}).result?.startsWith("running")) runTest(b.dataset.test);
  });
})();

document.addEventListener("eg:staff", (e) => { if (!e.detail || e.detail.role !== "operator") closeOperator(); });
document.addEventListener("eg:lang", () => {
  for (const r of Object.values(opResults)) if (r.raw) r.text = opResultText(r.raw);
  renderOperator();
});
