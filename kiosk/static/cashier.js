// eldergate cashier: the dish picker (the site's menu, priced by the
// gateway) used by the staff panel of the kiosk (index.html) and by the
// cashier's second screen (cashier.html), and that second screen: staff
// PIN, dish picker and keyed amount, and the decision of each tap shown
// live from the event stream while the elder's screen shows it to the
// elder. No build step; the kiosk's CSP forbids inline scripts and styles.
"use strict";
(function () {
  const CT = {
    "zh-CN": {
      dishes: "选菜", menu_none: "还没有菜单（由云端下发）", menu_closed: "现在不是用餐时间，没有菜品可选",
      less: (n) => `${n}减一份`, more: (n) => `${n}加一份`, qty: (n) => `${n}的份数`,
      off: "已售完", total: "合计", send: "确定菜品", clear: "清空", empty: "请先选菜",
      pending: (a) => `菜品合计 ${a} 元，请长者刷卡`, decided: "已结算",
      title: "收银台", pin: "工作人员密码", login: "登录", logout: "退出", amount: "或输入金额（元）", amount_send: "确定金额",
      amount_bad: "请输入金额，如 12.50", withdraw: "撤回金额",
      idle: "等待长者刷卡", waiting: (n) => `${n} 已刷卡，请选菜或输入金额`, expired: "等待超时，请重新操作", canceled: "金额已撤回",
      amount_pending: (a) => `金额 ${a} 元，请长者刷卡`,
      err: { 401: "密码错误或登录已过期", 429: "错误次数过多，请5分钟后再试", 409: "已有一个金额在等待刷卡，请先撤回" },
    },
    "zh-HK": {
      dishes: "選菜", menu_none: "未有菜單（由雲端下發）", menu_closed: "現在不是用膳時間，沒有菜式可選",
      less: (n) => `${n}減一份`, more: (n) => `${n}加一份`, qty: (n) => `${n}的份數`,
      off: "已售罄", total: "合共", send: "確定菜式", clear: "清除", empty: "請先選菜",
      pending: (a) => `菜式合共 ${a} 元，請長者拍卡`, decided: "已結算",
      title: "收銀台", pin: "職員密碼", login: "登入", logout: "登出", amount: "或輸入金額（元）", amount_send: "確定金額",
      amount_bad: "請輸入金額，如 12.50", withdraw: "撤回金額",
      idle: "等待長者拍卡", waiting: (n) => `${n} 已拍卡，請選菜或輸入金額`, expired: "等候逾時，請重新操作", canceled: "金額已撤回",
      amount_pending: (a) => `金額 ${a} 元，請長者拍卡`,
      err: { 401: "密碼錯誤或登入已過期", 429: "錯誤次數過多，請5分鐘後再試", 409: "已有一個金額在等候拍卡，請先撤回" },
    },
    en: {
      dishes: "Dishes", menu_none: "No menu yet (the cloud sends it)", menu_closed: "Not a meal time: no dishes now",
      less: (n) => `One ${n} less`, more: (n) => `One ${n} more`, qty: (n) => `How many ${n}`,
      off: "Sold out", total: "Total", send: "Send dishes", clear: "Clear", empty: "Pick a dish first",
      pending: (a) => `Dishes ¥${a}: the elder may tap now`, decided: "Settled",
      title: "Cashier", pin: "Staff PIN", login: "Log in", logout: "Log out", amount: "Or key an amount (yuan)", amount_send: "Set amount",
      amount_bad: "Enter an amount such as 12.50", withdraw: "Withdraw amount",
      idle: "Waiting for a card", waiting: (n) => `${n} tapped: pick dishes or key the amount`, expired: "Timed out: please start again", canceled: "Amount withdrawn",
      amount_pending: (a) => `Amount ¥${a}: the elder may tap now`,
      err: { 401: "Wrong PIN or session expired", 429: "Too many wrong attempts, try again in 5 minutes", 409: "An amount already waits for a tap: withdraw it first" },
    },
  };
  for (const l of Object.keys(CT)) Object.assign(CT[l], EG_RESULTS[l]); // results.js
  const ct = (lang, key) => (CT[lang] || CT["zh-CN"])[key] ?? CT["zh-CN"][key];

  function money(lang, fen) { return lang === "en" ? `¥${yuan(fen)}` : `${yuan(fen)} ${ct(lang, "yuan")}`; }
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "class") e.className = v; else e.setAttribute(k, v === true ? "" : v);
    }
    e.append(...children.filter((c) => c !== null && c !== undefined));
    return e;
  }

  // picker mounts a dish picker in box. o.lang() is the language, o.call
  // the staff API call (method, path, body) that throws an Error with
  // words, o.msg shows a message, o.pending(fen) an amount waiting for a
  // tap (0: none), o.heading the heading's tag (default h4). The gateway prices the dishes: only ids and
  // quantities are sent.
  function picker(box, o) {
    let menu = null; // GET /api/staff/menu
    const qty = new Map(); // dish id -> quantity
    const L = (k) => ct(o.lang(), k);
    const dishName = (d) => (d.name && (d.name[o.lang()] || d.name["zh-CN"])) || d.id;
    function total() {
      let t = 0;
      if (!menu) return 0;
      for (const d of menu.dishes) t += (qty.get(d.id) || 0) * d.price_fen;
      return t;
    }
    function render() {
      box.classList.add("dp");
      box.setAttribute("data-testid", box.getAttribute("data-testid") || "dish-picker");
      if (!menu) { box.replaceChildren(); return; }
      const head = h(o.heading || "h4", { class: "dp-head" }, L("dishes"));
      if (!menu.version || !menu.window || menu.dishes.length === 0) {
        box.replaceChildren(head, h("p", { class: "dp-note", "data-testid": "dish-none" }, menu.version ? L("menu_closed") : L("menu_none")));
        return;
      }
      const max = menu.max_qty || 20;
      const grid = h("ul", { class: "dp-grid" }, ...menu.dishes.map((d) => {
        const n = qty.get(d.id) || 0;
        const name = dishName(d);
        const li = h("li", { class: "dp-dish", "data-dish": d.id, "data-off": d.off ? "true" : "false", "data-qty": String(n) },
          h("button", { type: "button", class: "dp-add", "data-testid": "dish-add", "data-dish": d.id, disabled: d.off || n >= max },
            h("span", { class: "dp-name" }, name),
            h("span", { class: "dp-price" }, d.off ? L("off") : money(o.lang(), d.price_fen))),
          h("div", { class: "dp-qty" },
            h("button", { type: "button", class: "dp-step", "data-testid": "dish-minus", "data-dish": d.id, disabled: n === 0, "aria-label": L("less")(name) }, "−"),
            h("output", { class: "dp-n", "data-testid": "dish-qty", "data-dish": d.id, "aria-label": L("qty")(name) }, String(n)),
            h("button", { type: "button", class: "dp-step", "data-testid": "dish-plus", "data-dish": d.id, disabled: d.off || n >= max, "aria-label": L("more")(name) }, "+")));
        return li;
      }));
      const t = total();
      box.replaceChildren(head, grid,
        h("div", { class: "dp-foot" },
          h("p", { class: "dp-total", "data-testid": "dish-total", "data-fen": String(t) }, `${L("total")} `, h("strong", {}, money(o.lang(), t))),
          h("button", { type: "button", class: "dp-send", "data-testid": "dish-send", disabled: t === 0 }, L("send")),
          h("button", { type: "button", class: "dp-clear", "data-testid": "dish-clear", disabled: t === 0 }, L("clear"))));
    }
    box.addEventListener("click", async (e) => {
      const b = e.target.closest("button");
      if (!b || b.disabled || !box.contains(b)) return;
      const id = b.dataset.dish;
      const n = qty.get(id) || 0;
      if (b.classList.contains("dp-add") || b.dataset.testid === "dish-plus") qty.set(id, n + 1);
      else if (b.dataset.testid === "dish-minus") { if (n > 1) qty.set(id, n - 1); else qty.delete(id); }
      else if (b.classList.contains("dp-clear")) qty.clear();
      else if (b.classList.contains("dp-send")) { await send(); return; }
      render();
      const again = box.querySelector(`[data-testid="${b.dataset.testid}"]${id ? `[data-dish="${CSS.escape(id)}"]` : ""}`);
      if (again && !again.disabled) again.focus(); // keep the place after the re-render
    });
    async function send() {
      const items = [...qty.entries()].map(([dish, q]) => ({ dish, qty: q }));
      if (items.length === 0) { o.msg(L("empty")); return; }
      try {
        const r = await o.call("POST", "/api/staff/dishes", { items });
        const t = total();
        qty.clear();
        render();
        if (r.state === "pending") { o.pending(t); o.msg(L("pending")(yuan(t))); } else { o.pending(0); o.msg(L("decided")); }
      } catch (err) { o.msg(err.message); }
    }
    // load reads the menu of the window open now, and again every minute
    // while signed in (a new menu, the next meal window); picks of dishes
    // no longer sold are dropped.
    let reload = null;
    async function load() {
      clearTimeout(reload);
      try { menu = await o.call("GET", "/api/staff/menu"); } catch (err) { menu = null; o.msg(err.message); }
      if (menu) {
        const sold = new Set(menu.dishes.filter((d) => !d.off).map((d) => d.id));
        for (const id of [...qty.keys()]) if (!sold.has(id)) qty.delete(id);
        reload = setTimeout(load, 60000);
      }
      const focused = box.contains(document.activeElement) ? document.activeElement : null;
      const key = focused && [focused.dataset.testid, focused.dataset.dish];
      render();
      if (key) { // keep the cashier's place
        const again = box.querySelector(`[data-testid="${key[0]}"]${key[1] ? `[data-dish="${CSS.escape(key[1])}"]` : ""}`);
        if (again && !again.disabled) again.focus();
      }
    }
    function reset() { clearTimeout(reload); menu = null; qty.clear(); render(); }
    // name is a dish's name in the language, from the menu.
    function name(id) {
      const d = menu && menu.dishes.find((x) => x.id === id);
      return d ? dishName(d) : null;
    }
    return { load, render, reset, total, name };
  }

  window.EgCashier = { picker, yuan, yuanToFen };
  if (document.body.dataset.page === "cashier") cashierScreen();

  // cashierScreen runs cashier.html: the screen facing the cashier.
  function cashierScreen() {
    const $ = (id) => document.getElementById(id);
    let lang = localStorage.getItem("eg-cashier-lang") || localStorage.getItem("eg-lang") || "zh-CN";
    if (!CT[lang]) lang = "zh-CN";
    let token = null; // in memory only
    let last = null; // the last tap or till event shown
    let pendingFen = 0;
    const L = (k) => ct(lang, k);
    const msg = (text) => { $("c-msg").textContent = text || ""; };
    async function call(method, path, body) {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body) headers["Content-Type"] = "application/json";
      const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        if (res.status === 401) signOut();
        throw new Error(L("err")[res.status] || data.error || String(res.status));
      }
      return data;
    }
    const pick = picker($("c-dishes"), { lang: () => lang, call, msg, pending: (f) => setPending(f), heading: "h2" });
    function setPending(fen) {
      pendingFen = fen;
      $("c-withdraw").hidden = !fen;
      const shown = last && last.state === "pending" && last.amount_fen === fen; // the event came first, with its dishes
      if (fen && !shown) show({ state: "pending", amount_fen: fen });
    }
    function applyLang() {
      document.documentElement.lang = lang;
      document.querySelectorAll("[data-ct]").forEach((e) => { e.textContent = L(e.dataset.ct); });
      document.querySelectorAll("#c-lang button").forEach((b) => b.classList.toggle("active", b.dataset.lang === lang));
      pick.render();
      show(last);
    }
    // show renders the decision panel: a tap's decision (tap event) or
    // what waits (till event), or idle.
    function show(ev) {
      last = ev;
      const sec = $("c-decision");
      const isTap = ev && ev.decision;
      sec.dataset.decision = isTap ? ev.decision : "";
      $("c-result").hidden = !isTap;
      $("c-state").hidden = !!isTap;
      $("c-lines").hidden = true;
      if (!ev) { $("c-state").textContent = L("idle"); return; }
      if (!isTap) {
        const s = ev.state;
        $("c-state").textContent = s === "waiting" ? L("waiting")(ev.elder_name || ev.card || "")
          : s === "pending" ? L("amount_pending")(yuan(ev.amount_fen))
          : s === "expired" ? L("expired") : s === "canceled" ? L("canceled") : L("idle");
        $("c-state").dataset.state = s || "";
        // The dishes of an amount waiting for the tap, as the gateway priced them.
        const lines = s === "pending" && Array.isArray(ev.items) ? ev.items : [];
        $("c-lines").replaceChildren(...lines.map((l) => h("li", {}, `${pick.name(l.dish) || l.name} × ${l.qty}`)));
        $("c-lines").hidden = lines.length === 0;
        return;
      }
      $("c-word").textContent = L(ev.decision) || ev.decision;
      $("c-name").textContent = ev.elder_name || ev.card || "";
      $("c-reason").textContent = ev.decision === "approved" ? "" : (L("reasons")[ev.reason] ?? ev.reason ?? "");
      $("c-reason").hidden = ev.decision === "approved" || !ev.reason;
      $("c-money").hidden = ev.decision === "refused";
      $("c-price").textContent = money(lang, ev.price_fen);
      $("c-subsidy").textContent = money(lang, ev.subsidy_fen);
      $("c-pay").textContent = money(lang, ev.pay_fen);
    }
    function signIn(s) {
      token = s.token;
      $("c-login").hidden = true;
      $("c-work").hidden = false;
      $("c-who").textContent = s.name || s.staff_id || "";
      $("c-logout").hidden = false;
      document.body.dataset.staff = "in";
      msg("");
      pick.load();
    }
    function signOut() {
      token = null;
      pick.reset();
      $("c-login").hidden = false;
      $("c-work").hidden = true;
      $("c-who").textContent = "";
      $("c-logout").hidden = true;
      document.body.dataset.staff = "out";
    }
    $("c-login").addEventListener("submit", async (e) => {
      e.preventDefault();
      const pin = $("c-pin").value;
      $("c-pin").value = "";
      try { signIn(await call("POST", "/api/staff/login", { pin })); } catch (err) { msg(err.message); }
    });
    $("c-logout").addEventListener("click", () => { if (token) call("POST", "/api/staff/logout").catch(() => {}); signOut(); });
    $("c-amount").addEventListener("submit", async (e) => {
      e.preventDefault();
      const fen = yuanToFen($("c-yuan").value);
      if (!fen) { msg(L("amount_bad")); return; }
      try {
        const r = await call("POST", "/api/staff/amount", { amount_fen: fen });
        $("c-yuan").value = "";
        msg("");
        if (r.state === "pending") setPending(fen); else setPending(0);
      } catch (err) { msg(err.message); }
    });
    $("c-withdraw").addEventListener("click", async () => {
      try { await call("DELETE", "/api/staff/amount"); setPending(0); show({ state: "canceled" }); } catch (err) { msg(err.message); }
    });
    document.querySelectorAll("#c-lang button").forEach((b) => b.addEventListener("click", () => {
      lang = b.dataset.lang;
      localStorage.setItem("eg-cashier-lang", lang);
      applyLang();
    }));
    const es = new EventSource("/api/events");
    const parse = (fn) => (m) => { try { fn(JSON.parse(m.data)); } catch (err) { console.error(err); } };
    es.addEventListener("tap", parse((ev) => {
      if (ev.decision === "waiting") return;
      setPending(0);
      show(ev);
      document.body.dataset.taps = String(Number(document.body.dataset.taps || 0) + 1);
    }));
    es.addEventListener("till", parse((ev) => {
      if (ev.state === "pending") { pendingFen = ev.amount_fen; $("c-withdraw").hidden = false; }
      if (ev.state === "canceled" || ev.state === "expired") { pendingFen = 0; $("c-withdraw").hidden = true; }
      if (ev.state !== "decided") show(ev);
    }));
    es.onopen = () => { document.body.dataset.sse = "open"; };
    es.onerror = () => { document.body.dataset.sse = "error"; };
    fetch("/api/status").then((r) => r.json()).then((s) => { $("c-site").textContent = s.site_name || s.site; }).catch(() => {});
    applyLang();
    signOut();
  }
})();
