// eldergate kiosk: idle screen, tap results and alerts over SSE, voice,
// three languages, and the demo panel in simulation mode. No build step.
"use strict";

const T = {
  "zh-CN": {
    please_tap: "请刷卡", please_tap_sub: "Please tap your card",
    waiting: "请稍候",
    alert_calling: "正在呼叫工作人员…", alert_calling_sub: "请留在原地。工作人员收到后，这里会显示",
    alert_acked: (n) => `${n} 已收到，马上就到`, alert_acked_anon: "工作人员已收到，马上就到",
    alert_again: "您又按了一次，已再次通知工作人员", alert_done: "已处理", alert_cancelled: "呼叫已取消",
    alert_more: (n) => `另有 ${n} 个呼叫`, alert_emergency: "紧急呼叫",
    cashier: "收银", cashier_amount: "这一餐的金额（元）", cashier_send: "确定金额", cashier_cancel: "撤回金额", cashier_bad: "请输入金额，如 12.50",
    cashier_pending: "金额 {a} 元，请长者刷卡",
    staff_alerts: "警报", staff_meals: "用餐", no_alerts: "暂无警报", alert_ack: "确认收到", alert_resolve: "处理完毕",
    alert_outcome: "处理结果", alert_note: "备注（可选）", alert_submit: "提交", cancel: "取消",
    alert_presses: (n) => `按了 ${n} 次`, alert_acked_by: (n) => `${n} 已确认`, alert_pressed_again: "再次按下",
    outcomes: { helped_on_site: "已现场协助", sent_to_hospital: "已送医", family_contacted: "已联系家属", false_alarm: "误报", test: "测试" },
    alert_states: { open: "待处理", acknowledged: "已确认", resolved: "已处理", false_alarm: "误报", cleared: "已恢复" },
    supervision: { button_silent: "按钮无信号", battery_low: "按钮电量低", button_stuck: "按钮卡住", kiosk_disconnected: "屏幕已断开", gateway_silent: "网关离线" },
    staff_done_ack: "已确认收到", staff_done_resolve: "已处理",
    alert_err: { 404: "此警报已不存在", 409: "此警报已被确认或已处理" },
    sim_title: "模拟面板", weight_g: "重量(克)", stable: "稳定", set_weight: "称重", emergency: "紧急按钮",
    online: "已连接云端", offline: "离线（数据已保存）",
    next: { unknown_card: "请找工作人员登记", card_inactive: "请找工作人员", card_lost: "请找工作人员补办新卡", card_cancelled: "请找工作人员", outside_meal_window: "请在用餐时间再来",
      awaiting_amount: "请稍等，不用再刷卡", already_served: "如有疑问，请找工作人员", subsidy_limit_reached: "请找工作人员", not_eligible: "请按原价付款", price_unknown: "请先把饭菜放上秤，再刷卡", invalid_input: "请找工作人员", system_error: "请找工作人员", disk_full: "请找工作人员", _: "请找工作人员" },
    limits: { window: "这一餐的补贴已用过", day: "今天的补贴额度已用完", week: "本周的补贴额度已用完", month: "本月的补贴额度已用完" },
    quota: { week: "本周", month: "本月", count: (p, n) => `${p}还可享受补贴 ${n} 次`, fen: (p, m) => `${p}补贴余额 ${m}`, both: (p, n, m) => `${p}还可享受补贴 ${n} 次，余额 ${m}` },
    staff: "工作人员", staff_title: "工作人员操作", staff_pin: "工作人员密码", staff_login: "登录", staff_logout: "退出",
    staff_card_hint: "或刷工作人员卡", staff_search: "长者编号或姓名", search: "查找", staff_recent: "最近用餐（可撤销）",
    record_meal: "手工记餐", void_meal: "撤销", close: "关闭", manual: "手工",
    staff_err: { 401: "密码错误或登录已过期", 429: "错误次数过多，请5分钟后再试", 404: "未找到", 409: "无法撤销：只能撤销该长者最近一餐，且须在规定时间内", 503: "存储空间已满" },
    staff_done_meal: "已记餐", staff_done_void: "已撤销",
  },
  "zh-HK": {
    please_tap: "請拍卡", please_tap_sub: "Please tap your card",
    waiting: "請稍候",
    alert_calling: "正在呼叫職員…", alert_calling_sub: "請留在原位。職員收到後，這裏會顯示",
    alert_acked: (n) => `${n} 已收到，即將到達`, alert_acked_anon: "職員已收到，即將到達",
    alert_again: "您再按了一次，已再次通知職員", alert_done: "已處理", alert_cancelled: "呼叫已取消",
    alert_more: (n) => `另有 ${n} 個呼叫`, alert_emergency: "緊急呼叫",
    cashier: "收銀", cashier_amount: "這一餐的金額（元）", cashier_send: "確定金額", cashier_cancel: "撤回金額", cashier_bad: "請輸入金額，如 12.50",
    cashier_pending: "金額 {a} 元，請長者拍卡",
    staff_alerts: "警報", staff_meals: "膳食", no_alerts: "暫無警報", alert_ack: "確認收到", alert_resolve: "處理完畢",
    alert_outcome: "處理結果", alert_note: "備註（可選）", alert_submit: "提交", cancel: "取消",
    alert_presses: (n) => `按了 ${n} 次`, alert_acked_by: (n) => `${n} 已確認`, alert_pressed_again: "再次按下",
    outcomes: { helped_on_site: "已在現場協助", sent_to_hospital: "已送院", family_contacted: "已聯絡家人", false_alarm: "誤報", test: "測試" },
    alert_states: { open: "待處理", acknowledged: "已確認", resolved: "已處理", false_alarm: "誤報", cleared: "已恢復" },
    supervision: { button_silent: "按鈕無訊號", battery_low: "按鈕電量低", button_stuck: "按鈕卡住", kiosk_disconnected: "螢幕已斷線", gateway_silent: "網關離線" },
    staff_done_ack: "已確認收到", staff_done_resolve: "已處理",
    alert_err: { 404: "此警報已不存在", 409: "此警報已被確認或已處理" },
    sim_title: "模擬面板", weight_g: "重量(克)", stable: "穩定", set_weight: "秤重", emergency: "緊急按鈕",
    online: "已連接雲端", offline: "離線（資料已儲存）",
    next: { unknown_card: "請找職員登記", card_inactive: "請找職員", card_lost: "請找職員補領新卡", card_cancelled: "請找職員", outside_meal_window: "請在用膳時間再來",
      awaiting_amount: "請稍等，不用再拍卡", already_served: "如有疑問，請找職員", subsidy_limit_reached: "請找職員", not_eligible: "請按原價付款", price_unknown: "請先把飯菜放上秤，再拍卡", invalid_input: "請找職員", system_error: "請找職員", disk_full: "請找職員", _: "請找職員" },
    limits: { window: "這一餐的資助已用過", day: "今日的資助額已用完", week: "本週的資助額已用完", month: "本月的資助額已用完" },
    quota: { week: "本週", month: "本月", count: (p, n) => `${p}還可享受資助 ${n} 次`, fen: (p, m) => `${p}資助餘額 ${m}`, both: (p, n, m) => `${p}還可享受資助 ${n} 次，餘額 ${m}` },
    staff: "職員", staff_title: "職員操作", staff_pin: "職員密碼", staff_login: "登入", staff_logout: "登出",
    staff_card_hint: "或拍職員卡", staff_search: "長者編號或姓名", search: "搜尋", staff_recent: "最近膳食（可撤銷）",
    record_meal: "人手記錄膳食", void_meal: "撤銷", close: "關閉", manual: "人手",
    staff_err: { 401: "密碼錯誤或登入已過期", 429: "錯誤次數過多，請5分鐘後再試", 404: "找不到", 409: "無法撤銷：只可撤銷該長者最近一餐，並須在限定時間內", 503: "儲存空間已滿" },
    staff_done_meal: "已記錄", staff_done_void: "已撤銷",
  },
  en: {
    please_tap: "Please tap your card", please_tap_sub: "请刷卡",
    waiting: "Please wait",
    alert_calling: "Calling staff…", alert_calling_sub: "Please stay where you are. You will see here when staff have received your call",
    alert_acked: (n) => `${n} has received your call and is on the way`, alert_acked_anon: "Staff have received your call and are on the way",
    alert_again: "You pressed again: staff have been told again", alert_done: "Taken care of", alert_cancelled: "Call cancelled",
    alert_more: (n) => `${n} more ${n === 1 ? "call" : "calls"}`, alert_emergency: "Emergency call",
    cashier: "Cashier", cashier_amount: "This meal's amount (yuan)", cashier_send: "Set amount", cashier_cancel: "Withdraw amount", cashier_bad: "Enter an amount such as 12.50",
    cashier_pending: "Amount ¥{a}: the elder may tap now",
    staff_alerts: "Alerts", staff_meals: "Meals", no_alerts: "No alerts", alert_ack: "Acknowledge", alert_resolve: "Resolve",
    alert_outcome: "Outcome", alert_note: "Note (optional)", alert_submit: "Submit", cancel: "Cancel",
    alert_presses: (n) => `${n} ${n === 1 ? "press" : "presses"}`, alert_acked_by: (n) => `acknowledged by ${n}`, alert_pressed_again: "pressed again",
    outcomes: { helped_on_site: "Helped on site", sent_to_hospital: "Sent to hospital", family_contacted: "Family contacted", false_alarm: "False alarm", test: "Test" },
    alert_states: { open: "Open", acknowledged: "Acknowledged", resolved: "Resolved", false_alarm: "False alarm", cleared: "Cleared" },
    supervision: { button_silent: "Button not heard", battery_low: "Button battery low", button_stuck: "Button stuck", kiosk_disconnected: "Kiosk screen disconnected", gateway_silent: "Gateway offline" },
    staff_done_ack: "Acknowledged", staff_done_resolve: "Resolved",
    alert_err: { 404: "This alert no longer exists", 409: "This alert was already acknowledged or closed" },
    sim_title: "Simulation", weight_g: "Weight (g)", stable: "stable", set_weight: "Weigh", emergency: "Emergency button",
    online: "Cloud connected", offline: "Offline (data saved)",
    next: { unknown_card: "Please ask staff to register it", card_inactive: "Please ask staff", card_lost: "Please ask staff for a new card", card_cancelled: "Please ask staff", outside_meal_window: "Please come back at meal time",
      awaiting_amount: "Please wait, no need to tap again", already_served: "Any question? Please ask staff", subsidy_limit_reached: "Please ask staff", not_eligible: "Please pay the full price", price_unknown: "Put the meal on the scale, then tap again", invalid_input: "Please ask staff", system_error: "Please ask staff", disk_full: "Please ask staff", _: "Please ask staff" },
    limits: { window: "This meal's subsidy is used", day: "Today's subsidy is used up", week: "This week's subsidy is used up", month: "This month's subsidy is used up" },
    quota: { week: "this week", month: "this month", count: (p, n) => `${n} subsidised ${n === 1 ? "meal" : "meals"} left ${p}`, fen: (p, m) => `Subsidy left ${p}: ${m}`, both: (p, n, m) => `Left ${p}: ${n} ${n === 1 ? "meal" : "meals"}, ${m}` },
    staff: "Staff", staff_title: "Staff actions", staff_pin: "Staff PIN", staff_login: "Log in", staff_logout: "Log out",
    staff_card_hint: "or tap a staff card", staff_search: "Elder id or name", search: "Search", staff_recent: "Recent meals (can be voided)",
    record_meal: "Record meal by hand", void_meal: "Void", close: "Close", manual: "manual",
    staff_err: { 401: "Wrong PIN or session expired", 429: "Too many wrong attempts, try again in 5 minutes", 404: "Not found", 409: "Cannot void: only the elder's last meal, within the allowed time", 503: "Storage full" },
    staff_done_meal: "Meal recorded", staff_done_void: "Meal voided",
  },
};
for (const l of Object.keys(T)) Object.assign(T[l], EG_RESULTS[l]); // results.js
let RESULT_MS = 8000; // kiosk.result_seconds from /api/status
const ALERT_DONE_MS = 5000; // "taken care of" shown this long, then idle
const OUTCOMES = ["helped_on_site", "sent_to_hospital", "family_contacted", "false_alarm", "test"];

const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("eg-lang") || "zh-CN";
if (!T[lang]) lang = "zh-CN";
let resultTimer = null;
let lastTap = null;
let status = null;

// yuan formats integer fen as yuan with two decimals, without floats.

function t(key) { return T[lang][key] ?? T["zh-CN"][key] ?? key; }
// why says why a tap was refused or pays in full (the limit reached when
// the gateway says which); next what to do next, for a refusal.
function why(ev) {
  const lim = String(ev.limit || "").split(".")[0];
  if (ev.reason === "subsidy_limit_reached" && T[lang].limits[lim]) return T[lang].limits[lim];
  return T[lang].reasons[ev.reason] ?? ev.reason ?? "";
}
function next(ev) {
  if (ev.decision !== "refused" && ev.decision !== "waiting" && ev.decision) return ""; // a result to pay says it by its figures
  return T[lang].next[ev.reason] ?? T[lang].next._;
}
// quota says what remains of the elder's week or month limits after the
// meal (the gateway's remaining, week first): "本月补贴余额 450.00 元".
// Shown with a subsidised meal and with a refusal that is not about the
// week or month (a second tap in the window, say); a meal at full price
// or discounted shows its reason instead, and a week or month limit
// reached says so in the reason.
function quota(ev) {
  const r = (ev.remaining || [])[0];
  const lim = String(ev.limit || "").split(".")[0];
  if (!r || !(ev.decision === "approved" || ev.decision === "refused") || lim === "week" || lim === "month") return "";
  const q = T[lang].quota;
  const p = q[r.period];
  if (!p) return "";
  if (r.count != null && r.fen != null) return q.both(p, r.count, money(r.fen));
  if (r.count != null) return q.count(p, r.count);
  if (r.fen != null) return q.fen(p, money(r.fen));
  return "";
}
function reasonText(code) { return T[lang].reasons[code] ?? code; }
// money is what the screen shows: "15.00 元", "¥15.00".
function money(fen) { return lang === "en" ? `¥${yuan(fen)}` : `${yuan(fen)} ${t("yuan")}`; }

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("#lang button").forEach((b) => b.classList.toggle("active", b.dataset.lang === lang));
  if (lastTap && !$("result").hidden) renderTap(lastTap, false);
  renderStatus();
  renderAlert();
  renderStaffAlerts();
  document.dispatchEvent(new Event("eg:lang")); // staff.js, operator.js
  dishes.render();
}

function tick() {
  const d = new Date();
  // The site's time zone, not the browser's: the kiosk's clock must match
  // the meal windows the gateway decides with.
  const opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", month: "short", day: "numeric", weekday: "short" };
  if (status && status.time_zone) opts.timeZone = status.time_zone;
  try {
    $("clock").textContent = d.toLocaleString(lang, opts);
  } catch (e) {
    delete opts.timeZone;
    $("clock").textContent = d.toLocaleString(lang, opts);
  }
}

// speak plays the gateway's recording of a result or call state
// (GET /api/voice: espeak-ng on the gateway, offline, cached), in the
// kiosk's language. Without it (no espeak-ng) the kiosk stays silent.
let voice = null;
function speak(kind, pay, reason, left) {
  try {
    if (voice) voice.pause();
    const q = new URLSearchParams({ lang, kind });
    if (pay !== undefined) q.set("pay", String(Math.max(0, Math.trunc(Number(pay) || 0))));
    if (reason) q.set("reason", reason);
    if (left) { // the quota line of the screen, read after the result
      q.set("left", left.period);
      if (left.count != null) q.set("left_count", String(left.count));
      if (left.fen != null) q.set("left_fen", String(left.fen));
    }
    voice = new Audio("/api/voice?" + q);
    voice.play().catch(() => { /* voice is best effort */ });
  } catch (e) { /* voice is best effort */ }
}

function renderTap(ev, withVoice) {
  const r = $("result");
  const decision = ev.decision || "refused";
  r.dataset.decision = decision;
  $("r-title").textContent = t(decision);
  $("r-name").textContent = ev.elder_name || ev.card || "";
  const because = decision === "approved" ? "" : why(ev);
  $("r-reason").textContent = because;
  $("r-reason").hidden = !because;
  $("r-next").textContent = next(ev);
  $("r-next").hidden = !next(ev);
  $("r-quota").textContent = quota(ev);
  $("r-quota").hidden = !quota(ev);
  const served = decision !== "refused";
  $("r-money").hidden = !served;
  $("r-price").textContent = money(ev.price_fen);
  $("r-subsidy").textContent = money(ev.subsidy_fen);
  $("r-pay").textContent = money(ev.pay_fen);
  $("idle").hidden = true;
  r.hidden = false;
  document.body.dataset.result = "on"; // a call stays up, as a strip above the result
  renderAlert();
  if (withVoice) {
    // A discount with no subsidy is read as a result to pay, like approved.
    speak(ev.manual ? "manual" : decision === "discounted" ? "approved" : decision, ev.pay_fen, ev.reason,
      quota(ev) && !ev.manual ? ev.remaining[0] : null);
  }
}

let taps = 0;
function onTap(ev) {
  lastTap = ev;
  if (staff) cashierState(0); // an amount pays for exactly one tap
  renderTap(ev, true); // the staff panel steps aside while it shows (staff.css)
  document.body.dataset.taps = String(++taps);
  clearTimeout(resultTimer);
  resultTimer = setTimeout(hideResult, RESULT_MS);
}

// onTill shows a tap on a till-priced window waiting for the cashier's
// amount (SSE "till", state waiting); the decision follows as a "tap"
// event once the amount is keyed. An expired wait goes back to idle.
function onTill(ev) {
  if (ev.state === "waiting") {
    renderTap({ decision: "waiting", reason: ev.reason, elder_name: ev.elder_name, card: ev.card }, false);
    $("r-money").hidden = true;
    clearTimeout(resultTimer);
    // Until the gateway's till.timeout (the event's expires), then idle.
    const left = new Date(ev.expires).getTime() - Date.now();
    resultTimer = setTimeout(hideResult, Number.isFinite(left) ? Math.max(left, 1000) : RESULT_MS);
  } else if (ev.state === "expired" && $("result").dataset.decision === "waiting") {
    hideResult();
  }
}

// hideResult goes back to the call, if any, else idle: after RESULT_MS or
// when the elder touches the result.
function hideResult() {
  clearTimeout(resultTimer);
  $("result").hidden = true;
  document.body.dataset.result = "";
  renderAlert();
}
$("result").addEventListener("click", hideResult);

// Alerts: every live alert the gateway told us (SSE "alert" events carry
// the whole alert; GET /api/alerts and /api/staff/alerts list them). The
// main screen shows emergency calls only: "calling staff" until someone
// has acknowledged, then who is coming; supervision alerts are for the
// staff screen.
const alerts = new Map(); // id -> alert, live ones only
let focusId = null;       // the call the main screen shows
let doneAlert = null;     // a closed call shown for ALERT_DONE_MS
let doneTimer = null;

const isLive = (a) => a.state === "open" || a.state === "acknowledged";
const isCall = (a) => a.type !== "supervision";
const calls = () => [...alerts.values()].filter(isCall);
const byRecent = (a, b) => String(b.at || b.opened_at).localeCompare(String(a.at || a.opened_at));

// where names the button as configured, never its raw id.
function where(a) {
  const parts = [a.button_name, a.place].filter(Boolean);
  return parts.length ? parts.join(" · ") : t("alert_emergency");
}

function onAlert(ev) {
  const before = alerts.get(ev.id);
  if (isLive(ev)) alerts.set(ev.id, ev); else alerts.delete(ev.id);
  if (isCall(ev)) {
    if (isLive(ev)) {
      focusId = ev.id;
      if (doneAlert && doneAlert.id === ev.id) doneAlert = null;
      if (!before || ev.action === "raised") speak("calling");
      else if (ev.state === "acknowledged" && before.state !== "acknowledged") speak("coming");
      else if (ev.pressed_again && !before.pressed_again) speak("again");
    } else if (focusId === ev.id || calls().length === 0) {
      focusId = null;
      doneAlert = ev;
      speak(ev.state === "false_alarm" && ev.action === "cancelled" ? "cancelled" : "done");
      clearTimeout(doneTimer);
      doneTimer = setTimeout(() => { doneAlert = null; renderAlert(); }, ALERT_DONE_MS);
    }
  }
  renderAlert();
  renderStaffAlerts();
}

function renderAlert() {
  const sec = $("alert");
  const live = calls().sort(byRecent);
  let a = (focusId && alerts.get(focusId)) || live[0] || null;
  if (!a && doneAlert) a = doneAlert;
  const count = alerts.size;
  $("staff-alert-count").hidden = count === 0;
  $("staff-alert-count").textContent = count ? `(${count})` : "";
  if (!a) {
    sec.hidden = true;
    sec.dataset.state = "";
    sec.dataset.alertId = "";
    $("idle").hidden = !$("result").hidden;
    return;
  }
  sec.dataset.alertId = a.id;
  sec.dataset.state = a.state;
  $("alert-where").textContent = where(a);
  const state = $("alert-state");
  if (a.state === "open") {
    state.textContent = t("alert_calling");
    $("alert-sub").textContent = t("alert_calling_sub");
  } else if (a.state === "acknowledged") {
    if (a.acked_by) { // "<name> 已收到，马上就到", the name in #alert-by
      const [before, after] = T[lang].alert_acked("\u0000").split("\u0000");
      const by = el("span", { id: "alert-by", "data-testid": "alert-by" }, a.acked_by);
      state.replaceChildren(before, by, after);
    } else {
      state.textContent = t("alert_acked_anon");
    }
    $("alert-sub").textContent = "";
  } else {
    state.textContent = a.action === "cancelled" ? t("alert_cancelled") : t("alert_done");
    $("alert-sub").textContent = "";
  }
  $("alert-again").hidden = !(isLive(a) && a.pressed_again);
  $("alert-again").textContent = t("alert_again");
  const others = live.filter((x) => x.id !== a.id).length;
  $("alert-more").hidden = others === 0;
  $("alert-more").textContent = others ? T[lang].alert_more(others) : "";
  $("idle").hidden = true;
  sec.hidden = false; // with a result up, a strip above it (style.css)
}

// loadAlerts fills the alerts from the gateway (at start and after the
// event stream reconnects): the calls, and with a staff session every
// live alert.
async function loadAlerts() {
  try {
    const list = staff ? await staffCall("GET", "/api/staff/alerts") : await (await fetch("/api/alerts")).json();
    for (const id of [...alerts.keys()]) {
      if (staff || isCall(alerts.get(id))) alerts.delete(id);
    }
    for (const a of list) alerts.set(a.id, a);
    if (focusId && !alerts.has(focusId)) focusId = null;
    renderAlert();
    renderStaffAlerts();
  } catch (e) { /* retried at the next reconnect */ }
}

function onWeight(ev) {
  $("weight").textContent = `${ev.grams} g (${ev.state})`;
}

function connect() {
  const es = new EventSource("/api/events");
  const parse = (fn) => (m) => { try { fn(JSON.parse(m.data)); } catch (e) { console.error(e); } };
  es.addEventListener("tap", parse(onTap));
  es.addEventListener("till", parse(onTill));
  es.addEventListener("alert", parse(onAlert));
  es.addEventListener("weight", parse(onWeight));
  es.addEventListener("staff", parse(onStaffSession));
  es.onopen = () => { document.body.dataset.sse = "open"; loadAlerts(); };
  es.onerror = () => { document.body.dataset.sse = "error"; }; // EventSource reconnects itself
}

function renderStatus() {
  if (!status) return;
  $("site").textContent = status.site_name || status.site;
  $("conn").textContent = `${status.gateway_id} · ${status.uplink_connected ? t("online") : t("offline")}`;
}

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) console.error(path, res.status, await res.text());
}

async function loadStatus() {
  try {
    const res = await fetch("/api/status");
    if (!res.ok) return;
    const first = status === null;
    status = await res.json();
    if (status.result_seconds > 0) RESULT_MS = status.result_seconds * 1000;
    renderStatus();
    tick(); // the clock follows the site's time zone from now on
    if (first && status.simulation) await setupSim();
  } catch (e) { /* retried */ }
}

async function setupSim() {
  const res = await fetch("/api/sim/roster");
  if (!res.ok) return;
  const cards = await res.json();
  const box = $("sim-cards");
  box.replaceChildren();
  for (const c of cards) {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("data-testid", "sim-tap");
    b.dataset.card = c.card;
    b.textContent = `${c.name} ${c.card.slice(-4)}`;
    b.addEventListener("click", () => post("/api/sim/tap", { card: c.card }));
    box.appendChild(b);
  }
  $("sim-weight-form").addEventListener("submit", (e) => {
    e.preventDefault();
    post("/api/sim/weight", { grams: parseInt($("sim-weight").value, 10) || 0, stable: $("sim-stable").checked });
  });
  $("sim-button").addEventListener("click", () => post("/api/sim/button", { button: "kiosk" }));
  $("sim-toggle").addEventListener("click", () => {
    const open = $("sim-toggle").getAttribute("aria-expanded") !== "true";
    $("sim-toggle").setAttribute("aria-expanded", String(open));
    $("sim-body").hidden = !open;
  });
  $("sim").hidden = false;
  document.body.dataset.sim = "ready";
}

// Staff panel: PIN or staff card login, manual meal, void of the last
// meal. The session token lives in memory only.
let staff = null; // { token, name, expires }
let staffTimer = null;

function staffMsg(text) { $("staff-msg").textContent = text || ""; }

async function staffCall(method, path, body, errs) {
  const headers = {};
  if (staff) headers.Authorization = `Bearer ${staff.token}`;
  if (body) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401) staffLogout(false);
    throw new Error((errs || {})[res.status] || (T[lang].staff_err || {})[res.status] || data.error || String(res.status));
  }
  return data;
}

function onStaffSession(s) {
  staff = s;
  $("staff").hidden = false;
  $("staff-login").hidden = true;
  $("staff-actions").hidden = false;
  $("staff-who").textContent = s.name || s.staff_id || "";
  document.body.dataset.staff = "in";
  clearTimeout(staffTimer);
  const ms = Math.max(0, new Date(s.expires).getTime() - Date.now());
  staffTimer = setTimeout(() => staffLogout(false), Math.min(ms, 30 * 60 * 1000));
  staffMsg("");
  loadStaffMeals();
  loadAlerts(); // supervision alerts too
  document.dispatchEvent(new CustomEvent("eg:staff", { detail: s })); // the board (staff.js)
  dishes.load();
}

function staffLogout(callServer) {
  if (callServer && staff) staffCall("POST", "/api/staff/logout").catch(() => {});
  staff = null;
  clearTimeout(staffTimer);
  $("staff-login").hidden = false;
  $("staff-actions").hidden = true;
  $("staff-who").textContent = "";
  $("staff-elders").replaceChildren();
  $("staff-meals").replaceChildren();
  for (const [id, a] of alerts) if (!isCall(a)) alerts.delete(id); // supervision alerts are for staff only
  resolving = null;
  renderStaffAlerts();
  dishes.reset();
  document.body.dataset.staff = "out";
  document.dispatchEvent(new CustomEvent("eg:staff", { detail: null }));
}

// The staff screen's alerts: every live alert with Acknowledge (in the
// signed-in staff member's name) and Resolve (outcome, optional note).
let resolving = null; // { id, outcome, note } of the open resolve form

function alertTitle(a) {
  if (a.type === "supervision") return (T[lang].supervision || {})[a.reason] || a.reason || t("alert_emergency");
  return t("alert_emergency");
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

function renderStaffAlerts() {
  const ul = $("staff-alerts");
  if (!staff) { ul.replaceChildren(); return; }
  const list = [...alerts.values()].sort((a, b) => String(a.opened_at).localeCompare(String(b.opened_at)));
  if (resolving && !alerts.has(resolving.id)) resolving = null;
  if (list.length === 0) {
    ul.replaceChildren(el("li", { "data-testid": "staff-no-alerts", class: "muted" }, t("no_alerts")));
    return;
  }
  const opts = status && status.time_zone ? { timeZone: status.time_zone, hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
  ul.replaceChildren(...list.map((a) => {
    const facts = [T[lang].alert_states[a.state] || a.state];
    if (a.type !== "supervision") facts.push(T[lang].alert_presses(a.presses || 1));
    if (a.acked_by) facts.push(T[lang].alert_acked_by(a.acked_by));
    const li = el("li", { "data-testid": "staff-alert", "data-alert-id": a.id, "data-state": a.state, "data-type": a.type, class: "alert-item " + a.type },
      el("div", { class: "alert-head" },
        el("strong", {}, alertTitle(a)), " ",
        el("span", { "data-testid": "staff-alert-where" }, where(a)), " ",
        el("span", { class: "muted" }, new Date(a.opened_at).toLocaleTimeString(lang, opts))),
      el("div", { "data-testid": "staff-alert-facts" }, facts.join(" · "),
        a.pressed_again ? el("span", { class: "again", "data-testid": "staff-alert-pressed-again" }, " · " + t("alert_pressed_again")) : null));
    const buttons = el("div", { class: "alert-buttons" });
    if (a.state === "open") {
      buttons.append(el("button", { type: "button", "data-testid": "staff-alert-ack", "data-alert-id": a.id, class: "primary" }, t("alert_ack")));
    }
    if (!resolving || resolving.id !== a.id) {
      buttons.append(el("button", { type: "button", "data-testid": "staff-alert-resolve", "data-alert-id": a.id }, t("alert_resolve")));
    }
    li.append(buttons);
    if (resolving && resolving.id === a.id) li.append(resolveForm(a));
    return li;
  }));
}

function resolveForm(a) {
  const select = el("select", { "data-testid": "staff-alert-outcome", "data-alert-id": a.id, id: "resolve-outcome" },
    ...OUTCOMES.map((o) => el("option", { value: o }, T[lang].outcomes[o])));
  select.value = resolving.outcome;
  select.addEventListener("change", () => { resolving.outcome = select.value; });
  const note = el("input", { type: "text", maxlength: "1000", "data-testid": "staff-alert-note", "data-alert-id": a.id, id: "resolve-note" });
  note.value = resolving.note;
  note.addEventListener("input", () => { resolving.note = note.value; });
  const form = el("form", { class: "resolve-form", "data-testid": "staff-alert-resolve-form", "data-alert-id": a.id },
    el("label", {}, t("alert_outcome"), " ", select),
    el("label", {}, t("alert_note"), " ", note),
    el("div", {},
      el("button", { type: "submit", class: "primary", "data-testid": "staff-alert-resolve-submit", "data-alert-id": a.id }, t("alert_submit")),
      el("button", { type: "button", "data-testid": "staff-alert-resolve-cancel" }, t("cancel"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = resolving;
    try {
      onAlert(await staffCall("POST", "/api/staff/alerts/resolve", { id: r.id, outcome: r.outcome, note: r.note }, T[lang].alert_err));
      resolving = null;
      staffMsg(t("staff_done_resolve"));
      renderStaffAlerts();
    } catch (err) { staffMsg(err.message); loadAlerts(); }
  });
  form.querySelector('[data-testid="staff-alert-resolve-cancel"]').addEventListener("click", () => { resolving = null; renderStaffAlerts(); });
  return form;
}

$("staff-alerts").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-alert-id]");
  if (!b || b.type === "submit") return;
  const id = b.dataset.alertId;
  if (b.dataset.testid === "staff-alert-ack") {
    try {
      onAlert(await staffCall("POST", "/api/staff/alerts/ack", { id }, T[lang].alert_err));
      staffMsg(t("staff_done_ack"));
    } catch (err) { staffMsg(err.message); loadAlerts(); }
  } else if (b.dataset.testid === "staff-alert-resolve") {
    resolving = { id, outcome: OUTCOMES[0], note: "" };
    renderStaffAlerts();
  }
});

function staffItem(text, buttonKey, testid, onClick) {
  const item = document.createElement("li");
  item.append(document.createTextNode(text + " "));
  const b = document.createElement("button");
  b.type = "button";
  b.setAttribute("data-testid", testid);
  b.dataset.i18n = buttonKey;
  b.textContent = t(buttonKey);
  b.addEventListener("click", onClick);
  item.append(b);
  return item;
}

async function loadStaffMeals() {
  try {
    const meals = await staffCall("GET", "/api/staff/meals");
    $("staff-meals").replaceChildren(...meals.map((m) => {
      const opts = status && status.time_zone ? { timeZone: status.time_zone } : {};
      const text = `${new Date(m.at).toLocaleTimeString(lang, opts)} ${m.name} (${m.elder_id}) ${yuan(m.pay_fen)} ${t("yuan")}${m.manual ? " · " + t("manual") : ""}`;
      return staffItem(text, "void_meal", "staff-void", async () => {
        try {
          await staffCall("POST", "/api/staff/void", { event_id: m.event_id });
          staffMsg(t("staff_done_void"));
          loadStaffMeals();
        } catch (e) { staffMsg(e.message); }
      });
    }));
  } catch (e) { staffMsg(e.message); }
}

$("staff-open").addEventListener("click", () => { $("staff").hidden = false; $("staff-pin").focus(); });
$("staff-close").addEventListener("click", () => { $("staff").hidden = true; staffMsg(""); });
$("staff-logout").addEventListener("click", () => staffLogout(true));
$("staff-login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const pin = $("staff-pin").value;
  $("staff-pin").value = "";
  try { onStaffSession(await staffCall("POST", "/api/staff/login", { pin })); } catch (err) { staffMsg(err.message); }
});
// The cashier's keyed amount for a till-priced window (POST
// /api/staff/amount): it waits for the elder's tap, or decides a tap that
// waits for it. Yuan are turned into integer fen from the text, never
// through a float.
function cashierState(pending) {
  $("cashier-state").textContent = pending ? t("cashier_pending").replace("{a}", yuan(pending)) : "";
  $("cashier-cancel").hidden = !pending;
}
$("cashier").addEventListener("submit", async (e) => {
  e.preventDefault();
  const fen = yuanToFen($("cashier-yuan").value);
  if (!fen) { staffMsg(t("cashier_bad")); return; }
  try {
    const r = await staffCall("POST", "/api/staff/amount", { amount_fen: fen });
    $("cashier-yuan").value = "";
    cashierState(r.state === "pending" ? fen : 0);
    staffMsg("");
  } catch (err) { staffMsg(err.message); }
});
$("cashier-cancel").addEventListener("click", async () => {
  try { await staffCall("DELETE", "/api/staff/amount"); cashierState(0); } catch (err) { staffMsg(err.message); }
});

// The dish picker (cashier.js): dishes of the site's menu, priced by the
// gateway (POST /api/staff/dishes), waiting for the tap like a keyed amount.
const dishes = window.EgCashier.picker($("dish-picker"), { lang: () => lang, call: staffCall, msg: staffMsg, pending: cashierState });
$("staff-search").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const elders = await staffCall("GET", `/api/staff/elders?q=${encodeURIComponent($("staff-q").value.trim())}`);
    $("staff-elders").replaceChildren(...elders.map((el) => staffItem(`${el.id} ${el.name} ${el.card}`, "record_meal", "staff-meal", async () => {
      try {
        await staffCall("POST", "/api/staff/meal", { elder_id: el.id });
        staffMsg(t("staff_done_meal"));
        loadStaffMeals();
      } catch (err) { staffMsg(err.message); }
    })));
  } catch (err) { staffMsg(err.message); }
});

document.querySelectorAll("#lang button").forEach((b) => b.addEventListener("click", () => {
  lang = b.dataset.lang;
  localStorage.setItem("eg-lang", lang);
  applyLang();
  tick();
}));

applyLang();
tick();
setInterval(tick, 1000);
connect();
loadStatus();
setInterval(loadStatus, 10000);
