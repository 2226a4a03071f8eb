"use strict";
// The people who sign in (docs/console.md "People"): an admin lists the
// users of its scope, creates one with a role bound to an org unit picked
// by name, resets a password (the temporary one shows once), unlocks and
// disables. The auditor reads the list only.
(() => {
  const U = { users: null, made: null }; // made: {login, password} shown once
  const ROLES = ["viewer", "staff", "operator", "admin", "auditor"];
  const roleKey = { viewer: "usRoleViewer", staff: "usRoleStaff", operator: "usRoleOperator", admin: "usRoleAdmin", auditor: "usRoleAuditor" };
  const isAdmin = () => (EG.me() || {}).role === "admin";

  function errText(r) { return (r.data && r.data.error) || String(r.status); }

  function state(u) {
    if (u.disabled) return { key: "disabled", text: EG.t("usDisabled") };
    if (u.locked_until && new Date(u.locked_until) > new Date()) return { key: "locked", text: EG.fmt("usLockedUntil", { time: EG.when(u.locked_until) }) };
    if (u.must_change_password) return { key: "must-change", text: EG.t("usMustChange") };
    return { key: "active", text: EG.t("usActive") };
  }

  // unitOptions fills the org unit picker: the units the admin sees, by
  // name, indented by level; "everything" only for an unscoped admin.
  function unitOptions() {
    const sel = EG.$("us-scope"), keep = sel.value;
    sel.textContent = "";
    const levels = { district: 0, street: 1, community: 2, site: 3 };
    if (!(EG.me() || {}).scope) {
      const o = document.createElement("option");
      o.value = "";
      o.textContent = EG.t("usAllUnits");
      sel.appendChild(o);
    }
    const units = Object.values(EG.org()).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const u of units) {
      const o = document.createElement("option");
      o.value = u.id;
      o.textContent = "\u00a0\u00a0".repeat(levels[u.level] || 0) + u.name;
      sel.appendChild(o);
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }

  function roleOptions() {
    const sel = EG.$("us-role"), keep = sel.value || "viewer";
    sel.textContent = "";
    for (const r of ROLES) {
      const o = document.createElement("option");
      o.value = r;
      o.textContent = EG.t(roleKey[r]);
      sel.appendChild(o);
    }
    sel.value = keep;
  }

  function button(td, key, testid, fn) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = EG.t(key);
    b.dataset.testid = testid;
    b.addEventListener("click", () => fn().catch((e) => { if (e.message !== "unauthorized") EG.say("us-msg", EG.t("netError"), true); }));
    td.appendChild(b);
  }

  function render() {
    EG.$("us-form").hidden = !isAdmin();
    roleOptions();
    unitOptions();
    const secret = EG.$("us-secret");
    secret.hidden = !U.made;
    EG.$("us-secret-text").textContent = U.made ? EG.fmt("usTempPassword", { login: U.made.login }) : "";
    EG.$("us-secret-pw").textContent = U.made ? U.made.password : ""; // gone from the page once noted
    const tb = EG.$("us-rows");
    tb.textContent = "";
    if (!U.users) return;
    if (!U.users.length) { EG.emptyRow(tb, 6); return; }
    for (const u of U.users) {
      const tr = document.createElement("tr");
      const st = state(u);
      tr.dataset.testid = "user-row-" + u.login;
      tr.dataset.state = st.key;
      EG.cell(tr, u.login, "mono");
      EG.cell(tr, u.name);
      EG.cell(tr, EG.t(roleKey[u.role] || u.role));
      EG.cell(tr, u.scope ? EG.unitName(u.scope) : EG.t("usAllUnits"));
      EG.cell(tr, st.text, "us-" + st.key, "user-state-" + u.login);
      const td = EG.cell(tr, "");
      if (isAdmin()) {
        button(td, "usReset", "user-reset-" + u.login, () => resetPassword(u));
        if (st.key === "locked" || u.failed_attempts > 0) button(td, "usUnlock", "user-unlock-" + u.login, () => unlock(u));
        if (u.login !== (EG.me() || {}).login) {
          button(td, u.disabled ? "usEnable" : "usDisable", "user-disable-" + u.login, () => setDisabled(u, !u.disabled));
        }
      }
      tb.appendChild(tr);
    }
  }

  async function load() {
    U.users = await EG.api("GET", "users");
    render();
  }

  async function create(ev) {
    ev.preventDefault();
    const body = { login: EG.$("us-login").value.trim(), name: EG.$("us-name").value.trim(), role: EG.$("us-role").value, scope: EG.$("us-scope").value };
    const r = await EG.call("POST", "users", JSON.stringify(body), "application/json");
    if (!r.ok) { EG.say("us-msg", EG.fmt("usFailed", { msg: errText(r) }), true); return; }
    U.made = { login: r.data.login, password: r.data.password };
    EG.$("us-login").value = "";
    EG.$("us-name").value = "";
    EG.say("us-msg", EG.fmt("usCreated", { login: r.data.login }), false);
    await load();
  }

  async function resetPassword(u) {
    const r = await EG.call("POST", "users/" + encodeURIComponent(u.id) + "/password");
    if (!r.ok) { EG.say("us-msg", EG.fmt("usFailed", { msg: errText(r) }), true); return; }
    U.made = { login: u.login, password: r.data.password };
    EG.say("us-msg", "", false);
    await load();
  }

  async function unlock(u) {
    const r = await EG.call("POST", "users/" + encodeURIComponent(u.id) + "/unlock");
    if (!r.ok) { EG.say("us-msg", EG.fmt("usFailed", { msg: errText(r) }), true); return; }
    EG.say("us-msg", EG.fmt("usUnlocked", { login: u.login }), false);
    await load();
  }

  async function setDisabled(u, disabled) {
    const r = await EG.call("PATCH", "users/" + encodeURIComponent(u.id), JSON.stringify({ disabled }), "application/json");
    if (!r.ok) { EG.say("us-msg", EG.fmt("usFailed", { msg: errText(r) }), true); return; }
    await load();
  }

  let wired = false;
  EG.page({
    id: "users",
    tab: "tabUsers",
    role: "admin",
    strings: {
      "zh-CN": {
        tabUsers: "用户", usTitle: "用户与角色", usLogin: "用户名", usName: "姓名", usRole: "角色", usScope: "管辖范围", usState: "状态",
        usAction: "操作", usCreate: "新建用户", usCreateBtn: "创建并生成临时密码", usAllUnits: "全部（不限）",
        usRoleViewer: "查看", usRoleStaff: "工作人员", usRoleOperator: "运维", usRoleAdmin: "管理员", usRoleAuditor: "审计",
        usActive: "正常", usDisabled: "已停用", usMustChange: "待修改密码", usLockedUntil: "已锁定，至 {time}",
        usReset: "重置密码", usUnlock: "解锁", usDisable: "停用", usEnable: "启用",
        usTempPassword: "{login} 的临时密码（只显示这一次，首次登录时须修改）：", usDone: "已记下，隐藏密码",
        usCreated: "已创建用户 {login}", usUnlocked: "已解锁 {login}", usFailed: "操作失败：{msg}",
      },
      "zh-HK": {
        tabUsers: "用戶", usTitle: "用戶與角色", usLogin: "用戶名稱", usName: "姓名", usRole: "角色", usScope: "管轄範圍", usState: "狀態",
        usAction: "操作", usCreate: "新增用戶", usCreateBtn: "建立並產生臨時密碼", usAllUnits: "全部（不限）",
        usRoleViewer: "檢視", usRoleStaff: "職員", usRoleOperator: "運維", usRoleAdmin: "管理員", usRoleAuditor: "審計",
        usActive: "正常", usDisabled: "已停用", usMustChange: "待更改密碼", usLockedUntil: "已鎖定，至 {time}",
        usReset: "重設密碼", usUnlock: "解鎖", usDisable: "停用", usEnable: "啟用",
        usTempPassword: "{login} 的臨時密碼（只顯示這一次，首次登入時須更改）：", usDone: "已記下，隱藏密碼",
        usCreated: "已建立用戶 {login}", usUnlocked: "已解鎖 {login}", usFailed: "操作失敗：{msg}",
      },
      en: {
        tabUsers: "Users", usTitle: "Users and roles", usLogin: "User name", usName: "Name", usRole: "Role", usScope: "Scope", usState: "State",
        usAction: "Action", usCreate: "New user", usCreateBtn: "Create with a temporary password", usAllUnits: "Everything",
        usRoleViewer: "Viewer", usRoleStaff: "Staff", usRoleOperator: "Operator", usRoleAdmin: "Administrator", usRoleAuditor: "Auditor",
        usActive: "Active", usDisabled: "Disabled", usMustChange: "Must change password", usLockedUntil: "Locked until {time}",
        usReset: "Reset password", usUnlock: "Unlock", usDisable: "Disable", usEnable: "Enable",
        usTempPassword: "Temporary password of {login} (shown only this once; to be changed at the first sign-in):", usDone: "Noted, hide the password",
        usCreated: "User {login} created", usUnlocked: "{login} unlocked", usFailed: "Failed: {msg}",
      },
    },
    html: `
      <h2 data-i18n="usTitle"></h2>
      <div id="us-secret" class="enroll" data-testid="users-secret" hidden>
        <p><span id="us-secret-text"></span> <code id="us-secret-pw" class="mono" data-testid="users-secret-password"></code></p>
        <button type="button" id="us-done" data-testid="users-secret-done" data-i18n="usDone"></button>
      </div>
      <p id="us-msg" data-testid="users-msg" role="status"></p>
      <div class="scroll-x">
        <table data-testid="users-table">
          <thead><tr>
            <th data-i18n="usLogin"></th><th data-i18n="usName"></th><th data-i18n="usRole"></th>
            <th data-i18n="usScope"></th><th data-i18n="usState"></th><th data-i18n="usAction"></th>
          </tr></thead>
          <tbody id="us-rows"></tbody>
        </table>
      </div>
      <form id="us-form" class="us-form" data-testid="users-create-form" autocomplete="off">
        <h3 data-i18n="usCreate"></h3>
        <label for="us-login" data-i18n="usLogin"></label>
        <input id="us-login" data-testid="users-login" required minlength="2" maxlength="64" pattern="[A-Za-z0-9._\\-]+">
        <label for="us-name" data-i18n="usName"></label>
        <input id="us-name" data-testid="users-name" required maxlength="64">
        <label for="us-role" data-i18n="usRole"></label>
        <select id="us-role" data-testid="users-role"></select>
        <label for="us-scope" data-i18n="usScope"></label>
        <select id="us-scope" data-testid="users-scope"></select>
        <button type="submit" data-testid="users-create" data-i18n="usCreateBtn"></button>
      </form>`,
    async open() {
      if (!wired) {
        wired = true;
        EG.$("us-form").addEventListener("submit", (ev) => create(ev).catch((e) => { if (e.message !== "unauthorized") EG.say("us-msg", EG.t("netError"), true); }));
        EG.$("us-done").addEventListener("click", () => { U.made = null; render(); });
      }
      render();
      await load();
    },
    render,
    reset() {
      U.users = null;
      U.made = null;
      render();
    },
  });
})();
