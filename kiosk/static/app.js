// eldergate kiosk: idle screen, tap results and alerts over SSE, voice,
// three languages, and the demo panel in simulation mode. No build step.
"use strict";

const T = {
  "zh-CN": {
    please_tap: "请刷卡", please_tap_sub: "Please tap your card",
    approved: "成功", full_pay: "请全额付款", refused: "未通过",
    price: "餐费", subsidy: "补贴", to_pay: "应付",
    alert_raised: "紧急呼叫！工作人员马上就到", alert_cancelled: "呼叫已取消",
    sim_title: "模拟面板", weight_g: "重量(克)", stable: "稳定", set_weight: "称重", emergency: "紧急按钮",
    online: "已连接云端", offline: "离线（数据已保存）", yuan: "元",
    reasons: { ok: "", unknown_card: "卡片未登记", card_inactive: "卡片已停用", outside_meal_window: "不在用餐时间",
      already_served: "本餐已用过", subsidy_limit_reached: "补贴额度已用完", system_error: "系统故障，请联系工作人员" },
    say_approved: (r) => `${r.name}，刷卡成功，应付${r.pay}元`, say_refused: (r) => `刷卡未通过，${r.reason}`,
  },
  "zh-HK": {
    please_tap: "請拍卡", please_tap_sub: "Please tap your card",
    approved: "成功", full_pay: "請全額付款", refused: "未能通過",
    price: "餐費", subsidy: "資助", to_pay: "應付",
    alert_raised: "緊急呼叫！職員即將到達", alert_cancelled: "呼叫已取消",
    sim_title: "模擬面板", weight_g: "重量(克)", stable: "穩定", set_weight: "秤重", emergency: "緊急按鈕",
    online: "已連接雲端", offline: "離線（資料已儲存）", yuan: "元",
    reasons: { ok: "", unknown_card: "卡未登記", card_inactive: "卡已停用", outside_meal_window: "不在用膳時間",
      already_served: "此餐已用", subsidy_limit_reached: "資助額已用完", system_error: "系統故障，請聯絡職員" },
    say_approved: (r) => `${r.name}，拍卡成功，應付${r.pay}元`, say_refused: (r) => `拍卡未能通過，${r.reason}`,
  },
  en: {
    please_tap: "Please tap your card", please_tap_sub: "请刷卡",
    approved: "Approved", full_pay: "Please pay in full", refused: "Refused",
    price: "Price", subsidy: "Subsidy", to_pay: "To pay",
    alert_raised: "Emergency call! Staff are on their way", alert_cancelled: "Call cancelled",
    sim_title: "Simulation", weight_g: "Weight (g)", stable: "stable", set_weight: "Weigh", emergency: "Emergency button",
    online: "Cloud connected", offline: "Offline (data saved)", yuan: "yuan",
    reasons: { ok: "", unknown_card: "Card not registered", card_inactive: "Card inactive", outside_meal_window: "Not a meal time",
      already_served: "Already served this meal", subsidy_limit_reached: "Subsidy limit reached", system_error: "System error, please ask staff" },
    say_approved: (r) => `${r.name}, approved, please pay ${r.pay} yuan`, say_refused: (r) => `Refused: ${r.reason}`,
  },
};
const VOICE_LANG = { "zh-CN": "zh-CN", "zh-HK": "zh-HK", en: "en-US" };
const RESULT_MS = 5000;

const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("eg-lang") || "zh-CN";
if (!T[lang]) lang = "zh-CN";
let resultTimer = null;
let alertTimer = null;
let lastTap = null;
let status = null;

// yuan formats integer fen as yuan with two decimals, without floats.
function yuan(fen) {
  fen = Math.trunc(Number(fen) || 0);
  const sign = fen < 0 ? "-" : "";
  fen = Math.abs(fen);
  return `${sign}${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

function t(key) { return T[lang][key] ?? T["zh-CN"][key] ?? key; }
function reasonText(code) { return T[lang].reasons[code] ?? code; }

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("#lang button").forEach((b) => b.classList.toggle("active", b.dataset.lang === lang));
  if (lastTap && !$("result").hidden) renderTap(lastTap, false);
  renderStatus();
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

function speak(text) {
  try {
    if (!("speechSynthesis" in window) || !text) return;
    window.speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(text);
    u.lang = VOICE_LANG[lang];
    window.speechSynthesis.speak(u);
  } catch (e) { /* voice is best effort */ }
}

function renderTap(ev, withVoice) {
  const r = $("result");
  const decision = ev.decision || "refused";
  r.dataset.decision = decision;
  $("r-title").textContent = t(decision);
  $("r-name").textContent = ev.elder_name || ev.card || "";
  $("r-reason").textContent = reasonText(ev.reason);
  const served = decision !== "refused";
  $("r-money").hidden = !served;
  $("r-price").textContent = `${yuan(ev.price_fen)} ${t("yuan")}`;
  $("r-subsidy").textContent = `${yuan(ev.subsidy_fen)} ${t("yuan")}`;
  $("r-pay").textContent = `${yuan(ev.pay_fen)} ${t("yuan")}`;
  $("idle").hidden = true;
  r.hidden = false;
  if (withVoice) {
    const v = { name: ev.elder_name || "", pay: yuan(ev.pay_fen), reason: reasonText(ev.reason) };
    speak(served ? T[lang].say_approved(v) : T[lang].say_refused(v));
  }
}

function onTap(ev) {
  lastTap = ev;
  renderTap(ev, true);
  clearTimeout(resultTimer);
  resultTimer = setTimeout(() => { $("result").hidden = true; $("idle").hidden = false; }, RESULT_MS);
}

function onAlert(ev) {
  const b = $("alert-banner");
  b.dataset.alertId = ev.alert_id;
  b.dataset.action = ev.action;
  b.querySelector("[data-i18n]").dataset.i18n = ev.action === "cancelled" ? "alert_cancelled" : "alert_raised";
  b.querySelector("[data-i18n]").textContent = t(b.querySelector("[data-i18n]").dataset.i18n);
  $("alert-button").textContent = ev.button ? `(${ev.button})` : "";
  b.hidden = false;
  if (ev.action !== "cancelled") speak(t("alert_raised"));
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => { b.hidden = true; }, ev.action === "cancelled" ? 5000 : 60000);
}

function onWeight(ev) {
  $("weight").textContent = `${ev.grams} g (${ev.state})`;
}

function connect() {
  const es = new EventSource("/api/events");
  const parse = (fn) => (m) => { try { fn(JSON.parse(m.data)); } catch (e) { console.error(e); } };
  es.addEventListener("tap", parse(onTap));
  es.addEventListener("alert", parse(onAlert));
  es.addEventListener("weight", parse(onWeight));
  es.onopen = () => { document.body.dataset.sse = "open"; };
  es.onerror = () => { document.body.dataset.sse = "error"; }; // EventSource reconnects itself
}

function renderStatus() {
  if (!status) return;
  $("site").textContent = status.site;
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
    renderStatus();
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
  $("sim").hidden = false;
  document.body.dataset.sim = "ready";
}

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
