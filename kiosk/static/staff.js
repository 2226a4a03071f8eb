// eldergate kiosk: the staff screen's board, beside app.js's staff panel
// (login, cashier, alerts, meal by hand, void): today's meals with counts
// (GET /api/staff/today, the site's local day) and each device's state
// in words with an icon (never colour alone). Loaded after app.js and
// shares its globals (T, t, lang, staff, staffCall, el, $, money).
"use strict";

Object.assign(T["zh-CN"], {
  board_today: "今日用餐", board_devices: "设备状态", board_window: "餐次", board_total: "合计",
  counts: { served: "已用餐", subsidised: "补贴", discounted: "优惠价", full_pay: "全价", refused: "未通过", manual: "手工", voided: "已撤销", subsidy_fen: "补贴金额", pay_fen: "应付金额" },
  windows: { breakfast: "早餐", lunch: "午餐", dinner: "晚餐", none: "非用餐时间" },
  device_kinds: { card: "读卡器", scale: "电子秤", button: "紧急按钮接收器", alarm_button: "紧急按钮", buzzer: "蜂鸣器", led: "指示灯", siren: "警报器", printer: "小票打印机", voice: "语音", uplink: "云端连接" },
  device_states: { ok: "正常", disconnected: "未连接", paper_out: "缺纸", fault: "故障", alert: "警报" },
  operator_open: "运维界面",
});
Object.assign(T["zh-HK"], {
  board_today: "今日膳食", board_devices: "設備狀態", board_window: "餐次", board_total: "合計",
  counts: { served: "已用膳", subsidised: "資助", discounted: "優惠價", full_pay: "全費", refused: "未能通過", manual: "人手", voided: "已撤銷", subsidy_fen: "資助金額", pay_fen: "應付金額" },
  windows: { breakfast: "早餐", lunch: "午餐", dinner: "晚餐", none: "非用膳時間" },
  device_kinds: { card: "讀卡器", scale: "電子磅", button: "緊急按鈕接收器", alarm_button: "緊急按鈕", buzzer: "蜂鳴器", led: "指示燈", siren: "警報器", printer: "收據打印機", voice: "語音", uplink: "雲端連線" },
  device_states: { ok: "正常", disconnected: "未連接", paper_out: "缺紙", fault: "故障", alert: "警報" },
  operator_open: "運維畫面",
});
Object.assign(T.en, {
  board_today: "Today's meals", board_devices: "Devices", board_window: "Meal", board_total: "Total",
  counts: { served: "Served", subsidised: "Subsidised", discounted: "Discounted", full_pay: "Full price", refused: "Refused", manual: "By hand", voided: "Voided", subsidy_fen: "Subsidy", pay_fen: "To pay" },
  windows: { breakfast: "Breakfast", lunch: "Lunch", dinner: "Dinner", none: "Outside meal times" },
  device_kinds: { card: "Card reader", scale: "Scale", button: "Emergency button receiver", alarm_button: "Emergency button", buzzer: "Buzzer", led: "Light", siren: "Siren", printer: "Ticket printer", voice: "Voice", uplink: "Cloud link" },
  device_states: { ok: "Working", disconnected: "Not connected", paper_out: "Out of paper", fault: "Fault", alert: "Alert" },
  operator_open: "Operator screen",
});
T["zh-CN"].supervision.printer_paper_out = "打印机缺纸";
T["zh-HK"].supervision.printer_paper_out = "打印機缺紙";
T.en.supervision.printer_paper_out = "Printer out of paper";

const COUNT_KEYS = ["served", "subsidised", "discounted", "full_pay", "refused", "manual", "voided"];
const SVG_NS = "http://www.w3.org/2000/svg";

// stateIcon is a small embedded icon per device state (no font needed):
// a tick for working, a cross for not connected, "!" for the rest.
function stateIcon(state) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "dev-icon");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("fill", "none");
  p.setAttribute("stroke", "currentColor");
  p.setAttribute("stroke-width", "3");
  p.setAttribute("stroke-linecap", "round");
  p.setAttribute("d", state === "ok" ? "M4 10 L8 14 L16 5" : state === "disconnected" ? "M5 5 L15 15 M15 5 L5 15" : "M10 3 V12 M10 16 V17");
  svg.append(p);
  return svg;
}

// deviceWords is a device's kind, name and state in words.
function deviceWords(d) {
  const kind = (T[lang].device_kinds || {})[d.kind] || d.kind;
  let state = (T[lang].device_states || {})[d.state] || d.state;
  if (d.state === "alert" && d.reason) state = (T[lang].supervision || {})[d.reason] || d.reason;
  const name = d.name && d.name !== d.kind ? d.name : "";
  return { kind, name, state };
}

// deviceItem renders one device: icon and word, never colour alone.
function deviceItem(d, extra) {
  const w = deviceWords(d);
  return el("li", { class: "dev", "data-testid": "device", "data-kind": d.kind, "data-state": d.state },
    el("span", { class: "dev-state", "data-state": d.state }, stateIcon(d.state), " ", el("span", { "data-testid": "device-state" }, w.state)),
    el("span", { class: "dev-name" }, el("strong", {}, w.kind), w.name ? " " + w.name : ""),
    ...(extra || []));
}

function windowName(w) { return (T[lang].windows || {})[w] || w; }

let board = null; // the last GET /api/staff/today
let boardTimer = null;

function renderBoard() {
  const box = $("staff-board");
  if (!box) return;
  if (!staff || !board) { box.replaceChildren(); return; }
  const c = board.counts || { total: {}, windows: [] };
  const C = T[lang].counts;
  // One column per window and the total, one row per count: narrow
  // enough to sit beside the staff actions.
  const cols = [...(c.windows || []).map((w) => ({ label: windowName(w.window), key: w.window, r: w })), { label: t("board_total"), key: "total", r: c.total || {} }];
  const row = (k, fmt) => el("tr", { "data-row": k }, el("th", { scope: "row" }, C[k]),
    ...cols.map((col) => el("td", { "data-count": k, "data-window": col.key }, fmt(col.r[k] || 0))));
  const table = el("table", { class: "counts", "data-testid": "staff-counts" },
    el("caption", {}, `${t("board_today")} ${board.day}`),
    el("thead", {}, el("tr", {}, el("td", {}), ...cols.map((col) => el("th", { scope: "col", "data-window": col.key }, col.label)))),
    el("tbody", {}, ...COUNT_KEYS.map((k) => row(k, String)), row("subsidy_fen", money), row("pay_fen", money)));
  const devs = el("ul", { class: "devs", "data-testid": "staff-devices" }, ...(board.devices || []).map((d) => deviceItem(d)));
  const parts = [el("div", { class: "counts-wrap" }, table), el("h3", {}, t("board_devices")), devs];
  if (staff.role === "operator") {
    const b = el("button", { type: "button", "data-testid": "operator-open", class: "primary" }, t("operator_open"));
    b.addEventListener("click", () => { if (window.openOperator) window.openOperator(); });
    parts.unshift(b);
  }
  box.replaceChildren(...parts);
}

async function loadBoard() {
  if (!staff) return;
  try {
    board = await staffCall("GET", "/api/staff/today");
    renderBoard();
  } catch (e) { staffMsg(e.message); }
}

// The board sits at the top of the staff actions.
(function setupBoard() {
  const box = el("section", { id: "staff-board", "data-testid": "staff-board" });
  $("staff-actions").prepend(box);
})();

document.addEventListener("eg:staff", (e) => {
  clearInterval(boardTimer);
  board = null;
  if (e.detail) {
    loadBoard();
    boardTimer = setInterval(() => { if (!$("staff").hidden) loadBoard(); }, 10000);
  }
  renderBoard();
});
document.addEventListener("eg:lang", renderBoard);
// A tap, a meal by hand or a void changes the counts.
new MutationObserver(() => { if (staff) setTimeout(loadBoard, 300); }).observe(document.body, { attributes: true, attributeFilter: ["data-taps"] });
$("staff-meals").addEventListener("click", (e) => { if (e.target.closest("button")) setTimeout(loadBoard, 500); });
