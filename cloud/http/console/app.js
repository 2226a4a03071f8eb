"use strict";
(() => {
  const T = {
    "zh-CN": {
      title: "长者饭堂云平台", language: "语言", logout: "退出", token: "管理令牌", login: "登录",
      badToken: "令牌无效", netError: "无法连接服务器", alerts: "报警", meals: "用餐记录", gateways: "网关",
      opened: "时间", time: "时间", site: "站点", gateway: "网关", button: "按钮", type: "类型", presses: "次数",
      state: "状态", action: "操作", elder: "长者", window: "餐次", decision: "结果", price: "价格",
      subsidy: "补贴", pay: "自付", online: "在线", lastSeen: "最近通讯", version: "版本", ack: "确认",
      yes: "在线", no: "离线", updated: "更新于", none: "暂无",
      st_open: "待处理", st_acknowledged: "已确认", st_false_alarm: "误报", st_resolved: "已解决",
      d_approved: "补贴", d_full_pay: "全价", d_refused: "拒绝",
      w_breakfast: "早餐", w_lunch: "午餐", w_dinner: "晚餐",
      t_emergency: "紧急呼叫", t_supervision: "设备监测",
      config: "配置", cfg_in_sync: "已同步", cfg_pending: "待生效", cfg_failed: "下发失败", cfg_unknown: "—",
      org: "组织架构", name: "名称", unitId: "编号", level: "层级", lv_district: "区", lv_street: "街道", lv_community: "社区", lv_site: "站点",
    },
    "zh-HK": {
      title: "長者飯堂雲平台", language: "語言", logout: "登出", token: "管理令牌", login: "登入",
      badToken: "令牌無效", netError: "無法連接伺服器", alerts: "警報", meals: "用膳記錄", gateways: "網關",
      opened: "時間", time: "時間", site: "站點", gateway: "網關", button: "按鈕", type: "類型", presses: "次數",
      state: "狀態", action: "操作", elder: "長者", window: "餐次", decision: "結果", price: "價錢",
      subsidy: "資助", pay: "自付", online: "在線", lastSeen: "最近通訊", version: "版本", ack: "確認",
      yes: "在線", no: "離線", updated: "更新於", none: "暫無",
      st_open: "待處理", st_acknowledged: "已確認", st_false_alarm: "誤報", st_resolved: "已解決",
      d_approved: "資助", d_full_pay: "全費", d_refused: "拒絕",
      w_breakfast: "早餐", w_lunch: "午餐", w_dinner: "晚餐",
      t_emergency: "緊急呼叫", t_supervision: "設備監察",
      config: "設定", cfg_in_sync: "已同步", cfg_pending: "待生效", cfg_failed: "下發失敗", cfg_unknown: "—",
      org: "組織架構", name: "名稱", unitId: "編號", level: "層級", lv_district: "區", lv_street: "街道", lv_community: "社區", lv_site: "站點",
    },
    en: {
      title: "Eldergate cloud", language: "Language", logout: "Log out", token: "Admin token", login: "Log in",
      badToken: "Invalid token", netError: "Cannot reach the server", alerts: "Alerts", meals: "Meals", gateways: "Gateways",
      opened: "Time", time: "Time", site: "Site", gateway: "Gateway", button: "Button", type: "Type", presses: "Presses",
      state: "State", action: "Action", elder: "Elder", window: "Meal", decision: "Decision", price: "Price",
      subsidy: "Subsidy", pay: "Paid", online: "Online", lastSeen: "Last seen", version: "Version", ack: "Acknowledge",
      yes: "online", no: "offline", updated: "Updated", none: "None",
      st_open: "open", st_acknowledged: "acknowledged", st_false_alarm: "false alarm", st_resolved: "resolved",
      d_approved: "subsidised", d_full_pay: "full price", d_refused: "refused",
      w_breakfast: "breakfast", w_lunch: "lunch", w_dinner: "dinner",
      t_emergency: "emergency", t_supervision: "supervision",
      config: "Config", cfg_in_sync: "in sync", cfg_pending: "pending", cfg_failed: "failed", cfg_unknown: "—",
      org: "Organisation", name: "Name", unitId: "ID", level: "Level", lv_district: "district", lv_street: "street", lv_community: "community", lv_site: "site",
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem("eg.lang") || "zh-CN";
  if (!T[lang]) lang = "zh-CN";
  const t = (k) => (T[lang][k] !== undefined ? T[lang][k] : (T.en[k] !== undefined ? T.en[k] : k));
  const tk = (prefix, v) => { const k = prefix + v; return T[lang][k] !== undefined ? T[lang][k] : v; };
  let timer = null;
  const last = { alerts: "", meals: "", gateways: "", org: "" };

  // yuan formats integer fen without floating point.
  const yuan = (fen) => {
    const n = Math.trunc(Number(fen) || 0), s = n < 0 ? "-" : "", a = Math.abs(n);
    return s + "¥" + Math.floor(a / 100) + "." + String(a % 100).padStart(2, "0");
  };
  const when = (iso) => (iso ? new Date(iso).toLocaleString(lang) : "—");

  function applyLang() {
    document.documentElement.lang = lang;
    $("lang").value = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.title = t("title");
    last.alerts = last.meals = last.gateways = last.org = ""; // re-render with the new language
  }

  function cell(tr, text, cls, testid) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (testid) td.dataset.testid = testid;
    tr.appendChild(td);
    return td;
  }

  function emptyRow(tbody, cols) {
    const tr = document.createElement("tr");
    const td = cell(tr, t("none"));
    td.colSpan = cols;
    tbody.appendChild(tr);
  }

  function renderAlerts(list) {
    const tb = $("alerts");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 8);
    for (const a of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "alert-row";
      tr.dataset.alertId = a.id;
      tr.dataset.state = a.state;
      cell(tr, when(a.opened_at));
      cell(tr, a.site);
      cell(tr, a.gw);
      cell(tr, a.button || "—");
      cell(tr, tk("t_", a.type));
      cell(tr, String(a.presses), "num", "alert-presses");
      cell(tr, tk("st_", a.state), "", "alert-state");
      const td = cell(tr, "");
      if (a.state === "open") {
        const b = document.createElement("button");
        b.textContent = t("ack");
        b.dataset.testid = "ack-button";
        b.addEventListener("click", () => ack(a.id, b));
        td.appendChild(b);
      } else if (a.acked_by) {
        td.textContent = a.acked_by;
      }
      tb.appendChild(tr);
    }
  }

  function renderMeals(list) {
    const tb = $("meals");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 8);
    for (const m of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "meal-row";
      tr.dataset.eventId = m.event_id;
      cell(tr, when(m.at));
      cell(tr, m.site);
      cell(tr, m.elder_id, "", "meal-elder");
      cell(tr, tk("w_", m.window));
      cell(tr, tk("d_", m.decision), "", "meal-decision");
      cell(tr, yuan(m.price_fen), "num");
      cell(tr, yuan(m.subsidy_fen), "num");
      cell(tr, yuan(m.pay_fen), "num", "meal-pay");
      tb.appendChild(tr);
    }
  }

  function renderGateways(list) {
    const tb = $("gateways");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 6);
    for (const g of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "gateway-row";
      tr.dataset.gw = g.id;
      tr.dataset.online = g.online ? "true" : "false";
      cell(tr, g.id);
      cell(tr, g.site || "—");
      cell(tr, g.online ? t("yes") : t("no"), g.online ? "online" : "offline", "gateway-online");
      cell(tr, when(g.last_seen));
      cell(tr, g.version || "—");
      const cs = g.config_status || "unknown";
      cell(tr, tk("cfg_", cs), "cfg-" + cs, "gateway-config");
      tb.appendChild(tr);
    }
  }

  // renderOrg shows the organisation tree visible to the token, indented
  // by level (the list comes ordered by path).
  function renderOrg(list) {
    const tb = $("org");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 3);
    const depth = { district: 0, street: 1, community: 2, site: 3 };
    for (const u of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "org-row";
      tr.dataset.unit = u.id;
      const td = cell(tr, u.name);
      td.style.paddingLeft = (0.5 + 1.5 * (depth[u.level] || 0)) + "em";
      cell(tr, u.id);
      cell(tr, tk("lv_", u.level));
      tb.appendChild(tr);
    }
  }

  async function api(method, path, body) {
    const token = sessionStorage.getItem("eg.token") || "";
    const res = await fetch("/api/v1/" + path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (res.status === 401) { logout(t("badToken")); throw new Error("unauthorized"); }
    if (!res.ok) throw new Error(method + " " + path + ": " + res.status);
    return res.json();
  }

  async function ack(id, btn) {
    btn.disabled = true;
    try { await api("POST", "alerts/" + encodeURIComponent(id) + "/ack", { by: "console" }); }
    catch (e) { btn.disabled = false; }
    refresh();
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [alerts, meals, gateways, org] = await Promise.all([api("GET", "alerts"), api("GET", "meals"), api("GET", "gateways"), api("GET", "org")]);
      const parts = { alerts: [alerts, renderAlerts], meals: [meals, renderMeals], gateways: [gateways, renderGateways], org: [org, renderOrg] };
      for (const k in parts) {
        const s = JSON.stringify(parts[k][0]);
        if (s !== last[k]) { last[k] = s; parts[k][1](parts[k][0]); }
      }
      $("status").textContent = t("updated") + " " + new Date().toLocaleTimeString(lang);
    } catch (e) {
      if (e.message !== "unauthorized") $("status").textContent = t("netError");
    } finally {
      busy = false;
    }
  }

  function showDashboard() {
    $("login").hidden = true;
    $("dashboard").hidden = false;
    $("logout").hidden = false;
    refresh();
    if (!timer) timer = setInterval(refresh, 1000);
  }

  function logout(msg) {
    sessionStorage.removeItem("eg.token");
    if (timer) { clearInterval(timer); timer = null; }
    last.alerts = last.meals = last.gateways = last.org = "";
    $("dashboard").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    const err = $("login-error");
    err.hidden = !msg;
    err.textContent = msg || "";
  }

  document.addEventListener("DOMContentLoaded", () => {
    applyLang();
    $("lang").addEventListener("change", () => {
      lang = $("lang").value;
      localStorage.setItem("eg.lang", lang);
      applyLang();
      if (!$("dashboard").hidden) refresh();
    });
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      sessionStorage.setItem("eg.token", $("token").value.trim());
      $("token").value = "";
      try {
        await api("GET", "gateways");
        $("login-error").hidden = true;
        showDashboard();
      } catch (e) {
        if (e.message !== "unauthorized") logout(t("netError"));
      }
    });
    $("logout").addEventListener("click", () => logout(""));
    if (sessionStorage.getItem("eg.token")) showDashboard();
  });
})();
