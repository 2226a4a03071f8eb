"use strict";
// A gateway's page (#gateway/<id>, docs/fleet.md): its state and presence
// history, device health and outbox backlog from its latest heartbeat, its
// clock, desired and reported configuration with an editor that checks
// (the PUT's own rule, as a dry run) and shows the diff before pushing,
// its commands with their results, and re-enrollment with a new QR code.
(() => {
  const G = { id: "", d: null, presence: null, cfg: null, cmds: null, check: null, checked: "", enroll: null, timer: 0, ups: null, rels: null };
  const enc = encodeURIComponent;
  const zone = () => (G.d && G.d.time_zone) || "Asia/Shanghai";
  const at = (iso) => EG.when(iso, zone());
  const isOperator = () => { const m = EG.me(); return !!m && (m.role === "operator" || m.role === "admin"); };

  // dl adds a term and its value (text, or a node) to a <dl>.
  function dl(list, key, value, testid) {
    const dt = document.createElement("dt");
    dt.textContent = EG.t(key);
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    if (testid) dd.dataset.testid = testid;
    list.append(dt, dd);
    return dd;
  }

  function seconds(s) {
    if (s === undefined || s === null) return "—";
    if (s < 90) return EG.fmt("gwpSeconds", { n: s });
    if (s < 5400) return EG.fmt("gwpMinutes", { n: Math.round(s / 60) });
    if (s < 172800) return EG.fmt("gwpHours", { n: Math.round(s / 360) / 10 });
    return EG.fmt("gwpDays", { n: Math.round(s / 8640) / 10 });
  }

  function bytes(n) {
    if (n === undefined || n === null) return "—";
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
    return Math.round(n / (1 << 20)) + " MiB";
  }

  function drawState() {
    const d = G.d;
    const list = EG.$("gwp-state");
    list.replaceChildren();
    if (!d) return;
    const hb = (d.heartbeat && d.heartbeat.data) || {};
    const on = dl(list, "gwpOnline", d.online ? EG.t("gwpIsOnline") : EG.t("gwpIsOffline"), "gwp-online");
    on.className = d.online ? "online" : "offline";
    on.dataset.online = d.online ? "true" : "false";
    if (d.revoked_at) dl(list, "gwpRevoked", at(d.revoked_at)).className = "error";
    dl(list, "gwpLastSeen", at(d.last_seen), "gwp-last-seen");
    dl(list, "gwpVersion", d.version || hb.version || "—", "gwp-version");
    dl(list, "gwpBoot", String(d.boot || "—"));
    if (d.name) dl(list, "gwpName", d.name);
    // Where: district › street › community › site, by name.
    const places = (d.places || []).map((p) => p.name);
    dl(list, "gwpPlace", places.length ? places.join(" › ") : (d.site || "—"), "gwp-place");
    dl(list, "gwpZone", zone(), "gwp-zone");
    // The clock: the gateway's own word (synced or not) and the offset
    // the cloud saw on its last batch (receipt minus its time: transport
    // latency included; positive means its clock is behind).
    const clock = d.heartbeat ? EG.tk("gwpClock_", d.heartbeat.clock || hb.clock) : "—";
    const skew = d.clock_skew_ms === null || d.clock_skew_ms === undefined ? "" :
      " · " + EG.fmt("gwpOffset", { s: (d.clock_skew_ms / 1000).toFixed(1) });
    const c = dl(list, "gwpClock", clock + skew, "gwp-clock");
    if (d.heartbeat && (d.heartbeat.clock || hb.clock) === "unsynced") c.className = "cfg-pending";
    // The outbox backlog, from the latest heartbeat.
    const backlog = d.heartbeat ? EG.fmt("gwpBacklogN", { n: hb.outbox_depth || 0, age: seconds(hb.oldest_undelivered_s || 0) }) : "—";
    const b = dl(list, "gwpBacklog", backlog, "gwp-backlog");
    if (hb.outbox_depth > 0) b.className = "cfg-pending";
    dl(list, "gwpDeadLetters", d.heartbeat ? String(hb.dead_letters || 0) : "—");
    dl(list, "gwpSeqGaps", String(d.seq_gaps || 0));
    if (d.heartbeat) {
      dl(list, "gwpDisk", bytes(hb.disk_free_bytes) + (hb.disk_full ? " · " + EG.t("gwpDiskFull") : "")).className = hb.disk_full ? "error" : "";
      dl(list, "gwpUptime", seconds(hb.uptime_s));
      dl(list, "gwpHeartbeat", at(d.heartbeat.at), "gwp-heartbeat-at");
    }
    // Which roster it runs (the cloud's or its local seed), when the
    // gateway says so.
    const src = d.roster_source || hb.roster_source || (G.cfg && G.cfg.reported && G.cfg.reported.roster_source);
    if (src) dl(list, "gwpRosterSource", EG.tk("gwpRoster_", src), "gwp-roster-source");
  }

  function drawDevices() {
    const tb = EG.$("gwp-devices");
    tb.replaceChildren();
    const devs = (G.d && G.d.heartbeat && G.d.heartbeat.data && G.d.heartbeat.data.devices) || [];
    if (!devs.length) return EG.emptyRow(tb, 4);
    for (const v of devs) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "gwp-device";
      EG.cell(tr, v.name || v.driver || "—");
      EG.cell(tr, v.driver || "—");
      EG.cell(tr, v.connected ? EG.t("gwpDevOk") : EG.t("gwpDevDown"), v.connected ? "online" : "error", "gwp-device-state");
      EG.cell(tr, [v.error, v.last].filter(Boolean).join(" · ") || (v.since ? EG.fmt("gwpSince", { at: at(v.since) }) : ""));
      tb.appendChild(tr);
    }
  }

  function drawPresence() {
    const tb = EG.$("gwp-presence");
    tb.replaceChildren();
    const p = G.presence;
    if (!p) return;
    // The share online of the time the history knows (known_s).
    EG.$("gwp-uptime-note").textContent = EG.fmt("gwpUptimeNote", { from: at(p.from), to: at(p.to), pct: p.known_s > 0 ? Math.round(100 * p.online_s / p.known_s) : 0 });
    const list = (p.changes || []).slice().reverse(); // newest first
    if (!list.length) return EG.emptyRow(tb, 3);
    for (const c of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "gwp-presence-row";
      EG.cell(tr, at(c.at));
      EG.cell(tr, c.online ? EG.t("gwpIsOnline") : EG.t("gwpIsOffline"), c.online ? "online" : "offline");
      EG.cell(tr, EG.tk("gwpCause_", c.cause));
      tb.appendChild(tr);
    }
  }

  function drawConfig() {
    const v = G.cfg;
    if (!v) return;
    const st = EG.$("gwp-cfg-status");
    st.textContent = EG.tk("gwpCfg_", v.status) + (v.error ? " — " + v.error : "");
    st.className = "cfg-" + v.status;
    st.dataset.status = v.status;
    const des = v.desired;
    EG.$("gwp-desired-meta").textContent = des ? EG.fmt("gwpDesiredMeta", { v: des.version, by: des.set_by, at: at(des.set_at) }) : EG.t("gwpNoDesired");
    EG.$("gwp-desired").textContent = des ? des.body : "";
    const rep = v.reported;
    let meta = EG.t("gwpNoReported");
    if (rep) {
      meta = rep.version ? EG.fmt("gwpReportedMeta", { v: rep.version, at: at(rep.at) }) :
        rep.config_sha256 ? EG.fmt("gwpReportedUnknown", { sha: rep.config_sha256.slice(0, 12), at: at(rep.at) }) : EG.fmt("gwpReportedLocal", { at: at(rep.at) });
      meta += " · " + EG.fmt("gwpReportedVersions", { policy: rep.policy_version || "—", roster: rep.roster_version || 0 });
    }
    EG.$("gwp-reported-meta").textContent = meta;
    EG.$("gwp-reported").textContent = rep && rep.body ? rep.body : "";
    const ed = EG.$("gwp-edit");
    if (!ed.dataset.touched) ed.value = des ? des.body : rep && rep.body ? rep.body : "site: " + ((G.d && G.d.site) || "") + "\n";
  }

  function drawDiff() {
    const box = EG.$("gwp-diff");
    box.replaceChildren();
    box.hidden = !G.check;
    if (!G.check) return;
    for (const l of G.check.diff || []) {
      const line = document.createElement("div");
      line.className = l.op === "+" ? "add" : l.op === "-" ? "del" : "same";
      line.textContent = l.op + " " + l.text;
      box.appendChild(line);
    }
  }

  function drawCommands() {
    const tb = EG.$("gwp-commands");
    tb.replaceChildren();
    const list = G.cmds || [];
    if (!list.length) return EG.emptyRow(tb, 5);
    for (const c of list) { // newest first, as the API lists them
      const tr = document.createElement("tr");
      tr.dataset.testid = "gwp-command";
      tr.dataset.type = c.type;
      tr.dataset.state = c.state;
      EG.cell(tr, at(c.created_at));
      EG.cell(tr, EG.tk("gwpCmd_", c.type), "", "gwp-command-type");
      EG.cell(tr, EG.tk("gwpCmdState_", c.state), c.state === "failed" ? "error" : c.state === "succeeded" ? "online" : "", "gwp-command-state");
      const answer = c.error || (c.result ? JSON.stringify(c.result) : "");
      const td = EG.cell(tr, answer || "—", "mono gwp-answer", "gwp-command-answer");
      if (c.error) td.classList.add("error");
      EG.cell(tr, at(c.result_at));
      tb.appendChild(tr);
    }
  }

  function drawEnroll() {
    const box = EG.$("gwp-enroll");
    const e = G.enroll;
    box.hidden = !e;
    if (!e) return;
    EG.$("gwp-enroll-qr").src = e.qr_png || "";
    EG.$("gwp-enroll-link").textContent = e.enroll_url;
    EG.$("gwp-enroll-exp").textContent = EG.fmt("gwpEnrollExpires", { at: at(e.expires_at) });
  }

  // The over-the-air update section (docs/adr/0030-releases-in-the-cloud.md):
  // the platform and version the gateway reported, a release of its
  // platform to start (operators), and every update with its steps.
  const UPD_STATES = ["queued", "accepted", "deferred", "downloading", "verified", "installed", "checking", "committed", "rolled_back", "failed"];
  const updClass = (st) => (st === "committed" ? "online" : st === "rolled_back" || st === "failed" ? "error" : "cfg-pending");
  // A reason in words: the code in the user's language, the gateway's
  // English reason as the detail.
  function updReason(code, reason) {
    const words = code ? EG.tk("gwuCode_", code) : "";
    return [words && words !== code ? words : code, reason].filter(Boolean).join(" — ");
  }

  function drawUpdate() {
    const d = G.d;
    const list = EG.$("gwu-facts");
    list.replaceChildren();
    if (!d) return;
    dl(list, "gwuPlatform", d.platform || EG.t("gwuNoPlatform"), "gwu-platform");
    dl(list, "gwpVersion", d.version || "—", "gwu-version");
    const op = isOperator();
    EG.$("gwu-start-box").hidden = !op;
    const sel = EG.$("gwu-release");
    const keep = sel.value;
    sel.replaceChildren();
    const rels = (G.rels || []).filter((r) => r.artifact === "eldergate-gateway" && r.platform === d.platform && r.version !== d.version);
    for (const r of rels) {
      const o = document.createElement("option");
      o.value = r.id;
      o.textContent = r.release + " (" + r.version + ", " + r.platform + ")";
      sel.appendChild(o);
    }
    if (rels.some((r) => r.id === keep)) sel.value = keep;
    EG.$("gwu-start").disabled = !rels.length;
    EG.$("gwu-none").hidden = !!rels.length || !op;
    EG.$("gwu-none").textContent = d.platform ? EG.fmt("gwuNoRelease", { p: d.platform }) : EG.t("gwuNoPlatformHelp");
    const tb = EG.$("gwu-rows");
    tb.replaceChildren();
    const ups = G.ups || [];
    if (!ups.length) return EG.emptyRow(tb, 5);
    for (const u of ups) { // newest first, as the API lists them
      const tr = document.createElement("tr");
      tr.dataset.testid = "gwu-row";
      tr.dataset.state = u.state;
      EG.cell(tr, at(u.started_at));
      EG.cell(tr, u.release + " · " + (u.from_version || "?") + " → " + (u.to_version || "?"), "", "gwu-release");
      let st = EG.tk("gwuState_", u.state);
      if (u.state === "downloading" && u.size > 0) st += " " + Math.floor((100 * u.bytes) / u.size) + "%";
      EG.cell(tr, st, updClass(u.state), "gwu-state");
      EG.cell(tr, updReason(u.code, u.reason) || "—", u.state === "rolled_back" || u.state === "failed" ? "error" : "", "gwu-reason");
      const steps = document.createElement("details");
      const sum = document.createElement("summary");
      sum.textContent = EG.fmt("gwuSteps", { n: (u.steps || []).length });
      steps.appendChild(sum);
      const ol = document.createElement("ol");
      ol.className = "gwu-steps";
      for (const p of u.steps || []) {
        const li = document.createElement("li");
        li.dataset.testid = "gwu-step";
        li.textContent = at(p.at) + " · " + EG.tk("gwuState_", p.state) + (p.code || p.reason ? " — " + updReason(p.code, p.reason) : "");
        ol.appendChild(li);
      }
      steps.appendChild(ol);
      EG.cell(tr, "").appendChild(steps);
      tb.appendChild(tr);
    }
  }

  async function startUpdate() {
    const rel = EG.$("gwu-release").value;
    if (!rel) return;
    EG.$("gwu-start").disabled = true;
    const r = await EG.call("POST", "gateways/" + enc(G.id) + "/update", JSON.stringify({ release: rel }), "application/json");
    EG.$("gwu-start").disabled = false;
    if (!r.ok) return EG.say("gwu-msg", updReason(r.data.code, r.data.error) || "HTTP " + r.status, true);
    EG.say("gwu-msg", EG.t("gwuStarted"), false);
    await load(false);
  }

  function draw() {
    EG.$("gwp-id").textContent = G.id;
    const op = isOperator();
    EG.$("gwp-editor").hidden = !op;
    EG.$("gwp-reenroll-box").hidden = !op;
    drawState();
    drawDevices();
    drawPresence();
    drawConfig();
    drawDiff();
    drawCommands();
    drawUpdate();
    drawEnroll();
  }

  // load reads what the page shows; presence too when all.
  async function load(all) {
    const id = G.id;
    const p = enc(id);
    const reqs = [EG.call("GET", "gateways/" + p), EG.api("GET", "gateways/" + p + "/config"), EG.api("GET", "gateways/" + p + "/commands"),
      EG.api("GET", "gateways/" + p + "/updates")];
    if (all) reqs.push(EG.api("GET", "releases"), EG.api("GET", "gateways/" + p + "/presence"));
    const [d, cfg, cmds, ups, rels, presence] = await Promise.all(reqs);
    if (id !== G.id) return;
    if (!d.ok) {
      G.d = null;
      EG.say("gwp-msg", d.status === 404 ? EG.t("gwpNotFound") : d.data.error || "HTTP " + d.status, true);
      return;
    }
    EG.$("gwp-msg").textContent = "";
    G.d = d.data;
    G.cfg = cfg;
    G.cmds = cmds;
    G.ups = ups;
    if (rels) G.rels = rels;
    if (presence) G.presence = presence;
    draw();
  }

  function stop() { clearInterval(G.timer); G.timer = 0; }

  // A refused configuration in words: the rule's code in the user's
  // language, with the cloud's English message as the detail.
  function refusal(data) {
    const code = data.code || "";
    const words = code ? EG.tk("gwpCfgErr_", code) : "";
    return (words && words !== code ? words : EG.t("gwpCfgErr_other")) + (data.error ? " — " + data.error : "");
  }

  async function check() {
    const body = EG.$("gwp-edit").value;
    G.check = null;
    EG.$("gwp-push").disabled = true;
    const r = await EG.call("PUT", "gateways/" + enc(G.id) + "/config?dry_run=true", body, "application/yaml");
    if (!r.ok) {
      drawDiff();
      return EG.say("gwp-cfg-msg", refusal(r.data), true);
    }
    G.check = r.data;
    G.checked = body;
    drawDiff();
    if (r.data.same) return EG.say("gwp-cfg-msg", EG.t("gwpCfgSame"), false);
    EG.say("gwp-cfg-msg", r.data.against === "reported" ? EG.fmt("gwpCfgValid", { v: r.data.against_version }) : EG.t("gwpCfgValidLocal"), false);
    EG.$("gwp-push").disabled = false;
  }

  async function push() {
    const body = EG.$("gwp-edit").value;
    if (body !== G.checked) return check();
    EG.$("gwp-push").disabled = true;
    const r = await EG.call("PUT", "gateways/" + enc(G.id) + "/config", body, "application/yaml");
    if (!r.ok) return EG.say("gwp-cfg-msg", refusal(r.data), true);
    G.cfg = r.data;
    G.check = null;
    delete EG.$("gwp-edit").dataset.touched;
    EG.say("gwp-cfg-msg", EG.fmt("gwpCfgPushed", { v: r.data.desired.version }), false);
    drawConfig();
    drawDiff();
    await load(false);
  }

  async function reenroll() {
    EG.$("gwp-reenroll-confirm").hidden = true;
    const r = await EG.call("POST", "gateways/" + enc(G.id) + "/reenroll");
    if (!r.ok) return EG.say("gwp-reenroll-msg", r.data.error || "HTTP " + r.status, true);
    G.enroll = r.data;
    EG.say("gwp-reenroll-msg", EG.t("gwpReenrolled"), false);
    drawEnroll();
  }

  const guard = (msg, fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") EG.say(msg, EG.t("netError"), true); });
  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    EG.$("gwp-check").addEventListener("click", guard("gwp-cfg-msg", check));
    EG.$("gwp-push").addEventListener("click", guard("gwp-cfg-msg", push));
    EG.$("gwp-edit").addEventListener("input", () => {
      EG.$("gwp-edit").dataset.touched = "1";
      EG.$("gwp-push").disabled = true; // an edit is checked again before it is pushed
    });
    EG.$("gwp-reenroll").addEventListener("click", () => { EG.$("gwp-reenroll-confirm").hidden = false; });
    EG.$("gwp-reenroll-yes").addEventListener("click", guard("gwp-reenroll-msg", reenroll));
    EG.$("gwp-reenroll-cancel").addEventListener("click", () => { EG.$("gwp-reenroll-confirm").hidden = true; });
    EG.$("gwp-enroll-done").addEventListener("click", () => { G.enroll = null; drawEnroll(); });
    EG.$("gwu-start").addEventListener("click", guard("gwu-msg", startUpdate));
  }

  EG.page({
    id: "gateway",
    role: "viewer",
    strings: {
      "zh-CN": {
        gwpTitle: "网关", gwpBack: "← 返回总览", gwpNotFound: "没有这个网关，或它不在您的管辖范围内",
        gwpStateTitle: "状态", gwpOnline: "在线", gwpIsOnline: "在线", gwpIsOffline: "离线", gwpRevoked: "已吊销",
        gwpLastSeen: "最近通讯", gwpVersion: "版本", gwpBoot: "启动次数", gwpName: "名称", gwpPlace: "位置", gwpZone: "时区",
        gwpClock: "时钟", gwpClock_synced: "已校时", gwpClock_unsynced: "未校时", gwpOffset: "偏差 {s} 秒",
        gwpBacklog: "待上传", gwpBacklogN: "{n} 条，最早 {age} 前", gwpDeadLetters: "被拒事件", gwpSeqGaps: "缺失序号",
        gwpDisk: "剩余空间", gwpDiskFull: "磁盘已满", gwpUptime: "运行时长", gwpHeartbeat: "最近心跳",
        gwpRosterSource: "名单来源", gwpRoster_cloud: "云端名单", gwpRoster_local: "本地种子名单",
        gwpSeconds: "{n} 秒", gwpMinutes: "{n} 分钟", gwpHours: "{n} 小时", gwpDays: "{n} 天",
        gwpHealthTitle: "设备状况（来自心跳）", gwpDevice: "设备", gwpDriver: "驱动", gwpDevState: "状态", gwpDevDetail: "说明",
        gwpDevOk: "正常", gwpDevDown: "未连接", gwpSince: "自 {at}",
        gwpPresenceTitle: "在线记录", gwpUptimeNote: "{from} 至 {to}：在线 {pct}%", gwpWhen: "时间", gwpChange: "变化", gwpCause: "原因",
        gwpCause_birth: "网关上线", gwpCause_will: "网关断开", gwpCause_silent: "超时无通讯", gwpCause_batch: "收到数据后恢复",
        gwpConfigTitle: "配置", gwpDesired: "期望配置（云端）", gwpReported: "实际运行（网关报告）",
        gwpNoDesired: "尚未下发配置", gwpDesiredMeta: "第 {v} 版，{by}，{at}",
        gwpNoReported: "网关尚未报告", gwpReportedMeta: "运行第 {v} 版（{at} 报告）", gwpReportedLocal: "运行本地配置文件（{at} 报告），云端不知其内容",
        gwpReportedUnknown: "运行校验值 {sha}… 的配置（{at} 报告），不是云端下发的版本", gwpReportedVersions: "政策 {policy}，名单第 {roster} 版",
        gwpCfg_in_sync: "已同步", gwpCfg_pending: "待生效", gwpCfg_failed: "网关拒绝", gwpCfg_unknown: "未下发配置",
        gwpEdit: "编辑配置（YAML）", gwpCheck: "检查并显示差异", gwpPush: "下发到网关",
        gwpCfgValid: "检查通过。以下是相对网关正在运行的第 {v} 版的差异，确认后点“下发到网关”。",
        gwpCfgValidLocal: "检查通过。网关运行本地配置文件，云端不知其内容：以下全部为新增。",
        gwpCfgSame: "网关已在运行这份配置，无需下发。", gwpCfgPushed: "已下发第 {v} 版，等待网关应用。",
        gwpCfgErr_empty: "配置为空", gwpCfgErr_too_large: "配置太大", gwpCfgErr_not_text: "配置不是 UTF-8 文本",
        gwpCfgErr_not_json: "不是有效的 JSON 对象", gwpCfgErr_not_yaml: "不是有效的 YAML", gwpCfgErr_not_mapping: "配置必须是“键: 值”的映射",
        gwpCfgErr_empty_mapping: "配置没有任何设置", gwpCfgErr_multi_doc: "只能有一个 YAML 文档",
        gwpCfgErr_site_missing: "缺少 site（站点）", gwpCfgErr_site_wrong: "site（站点）与网关登记的站点不符",
        gwpCfgErr_gateway_id_wrong: "gateway_id 不是这个网关", gwpCfgErr_other: "配置被拒绝",
        gwpCommandsTitle: "命令记录", gwpCmdCreated: "下发时间", gwpCmdType: "类型", gwpCmdState: "状态", gwpCmdAnswer: "网关答复", gwpCmdAnswered: "答复时间",
        gwpCmd_config: "配置", gwpCmd_roster: "名单", gwpCmd_policy: "政策", gwpCmd_usage: "用量", gwpCmd_ping: "连通测试", gwpCmd_reboot: "重启", gwpCmd_menu: "菜单", gwpCmd_ota: "升级",
        gwpCmdState_queued: "排队中", gwpCmdState_sent: "已发送", gwpCmdState_succeeded: "成功", gwpCmdState_failed: "失败", gwpCmdState_expired: "已过期",
        gwpReenrollTitle: "重新注册", gwpReenrollHelp: "更换或重装网关时使用：旧的接入凭据立即作废，并生成一次性的新注册二维码。",
        gwpReenroll: "作废旧凭据并生成新二维码", gwpReenrollSure: "旧凭据将立即作废，网关会断开，直到用新二维码重新注册。确定吗？",
        gwpReenrollYes: "确定", gwpReenrollNo: "取消", gwpReenrolled: "旧凭据已作废。新二维码只显示这一次。",
        gwpEnrollExpires: "二维码 {at} 前有效", gwpEnrollDone: "已记下，关闭",
        gwuTitle: "远程升级", gwuPlatform: "平台", gwuNoPlatform: "未报告", gwuRelease: "升级到", gwuStart: "开始升级",
        gwuNoRelease: "没有适用于 {p} 的新版本（在“升级版本”页上传）。", gwuNoPlatformHelp: "网关尚未报告平台（版本较旧或从未上线），不能远程升级。",
        gwuStarted: "已发出升级命令，网关会在非就餐时段且无未处理报警时进行。",
        gwuStarted_h: "开始时间", gwuRelease_h: "版本", gwuState_h: "状态", gwuReason_h: "原因", gwuSteps_h: "步骤", gwuSteps: "{n} 步",
        gwuState_queued: "排队中", gwuState_accepted: "已接受", gwuState_deferred: "暂缓", gwuState_downloading: "下载中", gwuState_verified: "已校验",
        gwuState_installed: "已安装，重启中", gwuState_checking: "健康检查中", gwuState_committed: "升级成功", gwuState_rolled_back: "已回退到旧版本", gwuState_failed: "失败，旧版本照常运行",
        gwuCode_signature: "签名不可信或不符", gwuCode_hash: "下载内容的 SHA-256 不符", gwuCode_size: "下载大小不符", gwuCode_download: "下载失败",
        gwuCode_install: "安装失败", gwuCode_health_store: "健康检查：数据库异常", gwuCode_health_card: "健康检查：读卡器无响应", gwuCode_health_scale: "健康检查：电子秤无响应",
        gwuCode_health_uplink: "健康检查：连不上云端", gwuCode_health_heartbeat: "健康检查：心跳未发出", gwuCode_health_kiosk: "健康检查：自助屏异常",
        gwuCode_health_timeout: "健康检查超时", gwuCode_timeout: "这一批的时限已过，未完成的算作失败", gwuCode_crash: "新版本崩溃", gwuCode_meal_window: "就餐时段，稍后进行", gwuCode_alarm_open: "有未处理的报警，稍后进行",
        gwuCode_expired: "网关在命令过期前未接收", gwuCode_command_failed: "网关拒绝了升级命令",
        gwuCode_platform_mismatch: "版本的平台与网关不符", gwuCode_no_platform: "网关未报告平台", gwuCode_same_version: "网关已在运行这个版本",
        gwuCode_update_running: "这台网关还有一次升级未结束", gwuCode_no_release: "没有这个版本", gwuCode_no_gateway: "没有这个网关",
        gwuCode_revoked: "网关已吊销", gwuCode_not_a_gateway_release: "这不是网关程序", gwuCode_bad_health_timeout: "健康检查时限无效",
      },
      "zh-HK": {
        gwpTitle: "網關", gwpBack: "← 返回總覽", gwpNotFound: "沒有這個網關，或它不在您的管轄範圍內",
        gwpStateTitle: "狀態", gwpOnline: "在線", gwpIsOnline: "在線", gwpIsOffline: "離線", gwpRevoked: "已吊銷",
        gwpLastSeen: "最近通訊", gwpVersion: "版本", gwpBoot: "啟動次數", gwpName: "名稱", gwpPlace: "位置", gwpZone: "時區",
        gwpClock: "時鐘", gwpClock_synced: "已校時", gwpClock_unsynced: "未校時", gwpOffset: "偏差 {s} 秒",
        gwpBacklog: "待上傳", gwpBacklogN: "{n} 條，最早 {age} 前", gwpDeadLetters: "被拒事件", gwpSeqGaps: "缺失序號",
        gwpDisk: "剩餘空間", gwpDiskFull: "磁碟已滿", gwpUptime: "運行時長", gwpHeartbeat: "最近心跳",
        gwpRosterSource: "名單來源", gwpRoster_cloud: "雲端名單", gwpRoster_local: "本地種子名單",
        gwpSeconds: "{n} 秒", gwpMinutes: "{n} 分鐘", gwpHours: "{n} 小時", gwpDays: "{n} 天",
        gwpHealthTitle: "設備狀況（來自心跳）", gwpDevice: "設備", gwpDriver: "驅動", gwpDevState: "狀態", gwpDevDetail: "說明",
        gwpDevOk: "正常", gwpDevDown: "未連接", gwpSince: "自 {at}",
        gwpPresenceTitle: "在線記錄", gwpUptimeNote: "{from} 至 {to}：在線 {pct}%", gwpWhen: "時間", gwpChange: "變化", gwpCause: "原因",
        gwpCause_birth: "網關上線", gwpCause_will: "網關斷開", gwpCause_silent: "逾時無通訊", gwpCause_batch: "收到數據後恢復",
        gwpConfigTitle: "設定", gwpDesired: "期望設定（雲端）", gwpReported: "實際運行（網關報告）",
        gwpNoDesired: "尚未下發設定", gwpDesiredMeta: "第 {v} 版，{by}，{at}",
        gwpNoReported: "網關尚未報告", gwpReportedMeta: "運行第 {v} 版（{at} 報告）", gwpReportedLocal: "運行本地設定檔（{at} 報告），雲端不知其內容",
        gwpReportedUnknown: "運行校驗值 {sha}… 的設定（{at} 報告），不是雲端下發的版本", gwpReportedVersions: "政策 {policy}，名單第 {roster} 版",
        gwpCfg_in_sync: "已同步", gwpCfg_pending: "待生效", gwpCfg_failed: "網關拒絕", gwpCfg_unknown: "未下發設定",
        gwpEdit: "編輯設定（YAML）", gwpCheck: "檢查並顯示差異", gwpPush: "下發到網關",
        gwpCfgValid: "檢查通過。以下是相對網關正在運行的第 {v} 版的差異，確認後點「下發到網關」。",
        gwpCfgValidLocal: "檢查通過。網關運行本地設定檔，雲端不知其內容：以下全部為新增。",
        gwpCfgSame: "網關已在運行這份設定，無需下發。", gwpCfgPushed: "已下發第 {v} 版，等待網關套用。",
        gwpCfgErr_empty: "設定為空", gwpCfgErr_too_large: "設定太大", gwpCfgErr_not_text: "設定不是 UTF-8 文字",
        gwpCfgErr_not_json: "不是有效的 JSON 物件", gwpCfgErr_not_yaml: "不是有效的 YAML", gwpCfgErr_not_mapping: "設定必須是「鍵: 值」的映射",
        gwpCfgErr_empty_mapping: "設定沒有任何項目", gwpCfgErr_multi_doc: "只能有一個 YAML 文件",
        gwpCfgErr_site_missing: "缺少 site（站點）", gwpCfgErr_site_wrong: "site（站點）與網關登記的站點不符",
        gwpCfgErr_gateway_id_wrong: "gateway_id 不是這個網關", gwpCfgErr_other: "設定被拒絕",
        gwpCommandsTitle: "命令記錄", gwpCmdCreated: "下發時間", gwpCmdType: "類型", gwpCmdState: "狀態", gwpCmdAnswer: "網關答覆", gwpCmdAnswered: "答覆時間",
        gwpCmd_config: "設定", gwpCmd_roster: "名單", gwpCmd_policy: "政策", gwpCmd_usage: "用量", gwpCmd_ping: "連通測試", gwpCmd_reboot: "重啟", gwpCmd_menu: "餐單", gwpCmd_ota: "升級",
        gwpCmdState_queued: "排隊中", gwpCmdState_sent: "已發送", gwpCmdState_succeeded: "成功", gwpCmdState_failed: "失敗", gwpCmdState_expired: "已過期",
        gwpReenrollTitle: "重新註冊", gwpReenrollHelp: "更換或重裝網關時使用：舊的接入憑據立即作廢，並生成一次性的新註冊二維碼。",
        gwpReenroll: "作廢舊憑據並生成新二維碼", gwpReenrollSure: "舊憑據將立即作廢，網關會斷開，直到用新二維碼重新註冊。確定嗎？",
        gwpReenrollYes: "確定", gwpReenrollNo: "取消", gwpReenrolled: "舊憑據已作廢。新二維碼只顯示這一次。",
        gwpEnrollExpires: "二維碼 {at} 前有效", gwpEnrollDone: "已記下，關閉",
        gwuTitle: "遠程升級", gwuPlatform: "平台", gwuNoPlatform: "未報告", gwuRelease: "升級到", gwuStart: "開始升級",
        gwuNoRelease: "沒有適用於 {p} 的新版本（在「升級版本」頁上載）。", gwuNoPlatformHelp: "網關尚未報告平台（版本較舊或從未上線），不能遠程升級。",
        gwuStarted: "已發出升級命令，網關會在非用餐時段且無未處理警報時進行。",
        gwuStarted_h: "開始時間", gwuRelease_h: "版本", gwuState_h: "狀態", gwuReason_h: "原因", gwuSteps_h: "步驟", gwuSteps: "{n} 步",
        gwuState_queued: "排隊中", gwuState_accepted: "已接受", gwuState_deferred: "暫緩", gwuState_downloading: "下載中", gwuState_verified: "已校驗",
        gwuState_installed: "已安裝，重啟中", gwuState_checking: "健康檢查中", gwuState_committed: "升級成功", gwuState_rolled_back: "已回退到舊版本", gwuState_failed: "失敗，舊版本照常運行",
        gwuCode_signature: "簽署不可信或不符", gwuCode_hash: "下載內容的 SHA-256 不符", gwuCode_size: "下載大小不符", gwuCode_download: "下載失敗",
        gwuCode_install: "安裝失敗", gwuCode_health_store: "健康檢查：資料庫異常", gwuCode_health_card: "健康檢查：讀卡器無回應", gwuCode_health_scale: "健康檢查：電子秤無回應",
        gwuCode_health_uplink: "健康檢查：連不上雲端", gwuCode_health_heartbeat: "健康檢查：心跳未發出", gwuCode_health_kiosk: "健康檢查：自助屏異常",
        gwuCode_health_timeout: "健康檢查逾時", gwuCode_timeout: "這一批的時限已過，未完成的算作失敗", gwuCode_crash: "新版本崩潰", gwuCode_meal_window: "用餐時段，稍後進行", gwuCode_alarm_open: "有未處理的警報，稍後進行",
        gwuCode_expired: "網關在命令過期前未接收", gwuCode_command_failed: "網關拒絕了升級命令",
        gwuCode_platform_mismatch: "版本的平台與網關不符", gwuCode_no_platform: "網關未報告平台", gwuCode_same_version: "網關已在運行這個版本",
        gwuCode_update_running: "這台網關還有一次升級未結束", gwuCode_no_release: "沒有這個版本", gwuCode_no_gateway: "沒有這個網關",
        gwuCode_revoked: "網關已吊銷", gwuCode_not_a_gateway_release: "這不是網關程式", gwuCode_bad_health_timeout: "健康檢查時限無效",
      },
      en: {
        gwpTitle: "Gateway", gwpBack: "← Back to the overview", gwpNotFound: "No such gateway, or it is outside your scope",
        gwpStateTitle: "State", gwpOnline: "Online", gwpIsOnline: "online", gwpIsOffline: "offline", gwpRevoked: "Revoked",
        gwpLastSeen: "Last seen", gwpVersion: "Version", gwpBoot: "Boot", gwpName: "Name", gwpPlace: "Place", gwpZone: "Time zone",
        gwpClock: "Clock", gwpClock_synced: "synced", gwpClock_unsynced: "not synced", gwpOffset: "offset {s} s",
        gwpBacklog: "Outbox backlog", gwpBacklogN: "{n} events, oldest {age} old", gwpDeadLetters: "Refused events", gwpSeqGaps: "Missing sequence numbers",
        gwpDisk: "Disk free", gwpDiskFull: "disk full", gwpUptime: "Uptime", gwpHeartbeat: "Last heartbeat",
        gwpRosterSource: "Roster", gwpRoster_cloud: "the cloud's roster", gwpRoster_local: "its local seed roster",
        gwpSeconds: "{n} s", gwpMinutes: "{n} min", gwpHours: "{n} h", gwpDays: "{n} days",
        gwpHealthTitle: "Devices (from the heartbeat)", gwpDevice: "Device", gwpDriver: "Driver", gwpDevState: "State", gwpDevDetail: "Detail",
        gwpDevOk: "connected", gwpDevDown: "not connected", gwpSince: "since {at}",
        gwpPresenceTitle: "Online history", gwpUptimeNote: "{from} to {to}: online {pct}%", gwpWhen: "Time", gwpChange: "Change", gwpCause: "Cause",
        gwpCause_birth: "gateway connected", gwpCause_will: "gateway disconnected", gwpCause_silent: "silent too long", gwpCause_batch: "back with data",
        gwpConfigTitle: "Configuration", gwpDesired: "Desired (the cloud)", gwpReported: "Running (the gateway reports)",
        gwpNoDesired: "No configuration pushed yet", gwpDesiredMeta: "version {v}, {by}, {at}",
        gwpNoReported: "The gateway has not reported yet", gwpReportedMeta: "runs version {v} (reported {at})", gwpReportedLocal: "runs its local file (reported {at}), unknown to the cloud",
        gwpReportedUnknown: "runs a configuration of checksum {sha}… (reported {at}), not a version the cloud pushed", gwpReportedVersions: "policy {policy}, roster version {roster}",
        gwpCfg_in_sync: "in sync", gwpCfg_pending: "pending", gwpCfg_failed: "refused by the gateway", gwpCfg_unknown: "no configuration pushed",
        gwpEdit: "Edit the configuration (YAML)", gwpCheck: "Check and show the changes", gwpPush: "Push to the gateway",
        gwpCfgValid: "Valid. Below are the changes from version {v}, which the gateway runs; push when they are right.",
        gwpCfgValidLocal: "Valid. The gateway runs its local file, unknown to the cloud: every line below is new.",
        gwpCfgSame: "The gateway runs exactly this configuration already: nothing to push.", gwpCfgPushed: "Version {v} pushed; waiting for the gateway to apply it.",
        gwpCfgErr_empty: "The configuration is empty", gwpCfgErr_too_large: "The configuration is too large", gwpCfgErr_not_text: "The configuration is not UTF-8 text",
        gwpCfgErr_not_json: "Not a valid JSON object", gwpCfgErr_not_yaml: "Not valid YAML", gwpCfgErr_not_mapping: "The configuration must be a mapping of settings (key: value)",
        gwpCfgErr_empty_mapping: "The configuration has no settings", gwpCfgErr_multi_doc: "One YAML document only",
        gwpCfgErr_site_missing: "site is missing", gwpCfgErr_site_wrong: "site is not the site the gateway is registered at",
        gwpCfgErr_gateway_id_wrong: "gateway_id is not this gateway", gwpCfgErr_other: "The configuration was refused",
        gwpCommandsTitle: "Commands", gwpCmdCreated: "Queued", gwpCmdType: "Type", gwpCmdState: "State", gwpCmdAnswer: "The gateway's answer", gwpCmdAnswered: "Answered",
        gwpCmd_config: "configuration", gwpCmd_roster: "roster", gwpCmd_policy: "policy", gwpCmd_usage: "usage", gwpCmd_ping: "ping", gwpCmd_reboot: "reboot", gwpCmd_menu: "menu", gwpCmd_ota: "update",
        gwpCmdState_queued: "queued", gwpCmdState_sent: "sent", gwpCmdState_succeeded: "succeeded", gwpCmdState_failed: "failed", gwpCmdState_expired: "expired",
        gwpReenrollTitle: "Re-enrollment", gwpReenrollHelp: "For a replaced or re-installed gateway: its credentials are revoked at once and a new one-time enrollment QR code is made.",
        gwpReenroll: "Revoke the credentials and make a new QR code", gwpReenrollSure: "The credentials are revoked at once and the gateway is disconnected until it enrolls with the new QR code. Go ahead?",
        gwpReenrollYes: "Yes", gwpReenrollNo: "Cancel", gwpReenrolled: "The old credentials are revoked. The new QR code is shown this once only.",
        gwpEnrollExpires: "The QR code is valid until {at}", gwpEnrollDone: "Noted, close",
        gwuTitle: "Over-the-air update", gwuPlatform: "Platform", gwuNoPlatform: "not reported", gwuRelease: "Update to", gwuStart: "Start the update",
        gwuNoRelease: "No newer release for {p} (upload one on the Releases page).", gwuNoPlatformHelp: "The gateway has not reported its platform (an older version, or never online): it cannot be updated over the air.",
        gwuStarted: "Update command sent; the gateway proceeds outside meal times and with no open alarm.",
        gwuStarted_h: "Started", gwuRelease_h: "Release", gwuState_h: "State", gwuReason_h: "Reason", gwuSteps_h: "Steps", gwuSteps: "{n} steps",
        gwuState_queued: "queued", gwuState_accepted: "accepted", gwuState_deferred: "deferred", gwuState_downloading: "downloading", gwuState_verified: "verified",
        gwuState_installed: "installed, restarting", gwuState_checking: "health check", gwuState_committed: "updated", gwuState_rolled_back: "rolled back to the old version", gwuState_failed: "failed, the old version runs on",
        gwuCode_signature: "signature untrusted or wrong", gwuCode_hash: "the download's SHA-256 does not match", gwuCode_size: "the download's size does not match", gwuCode_download: "download failed",
        gwuCode_install: "install failed", gwuCode_health_store: "health check: the database failed", gwuCode_health_card: "health check: the card reader did not answer", gwuCode_health_scale: "health check: the scale did not answer",
        gwuCode_health_uplink: "health check: the cloud could not be reached", gwuCode_health_heartbeat: "health check: no heartbeat went out", gwuCode_health_kiosk: "health check: the kiosk failed",
        gwuCode_health_timeout: "health check timed out", gwuCode_timeout: "the wave's time ran out; unfinished gateways count as failed", gwuCode_crash: "the new version crashed", gwuCode_meal_window: "meal time: later", gwuCode_alarm_open: "an alarm is open: later",
        gwuCode_expired: "the gateway did not take the command before it expired", gwuCode_command_failed: "the gateway refused the update command",
        gwuCode_platform_mismatch: "the release is for another platform", gwuCode_no_platform: "the gateway has not reported its platform", gwuCode_same_version: "the gateway runs this version already",
        gwuCode_update_running: "an update of this gateway has not finished", gwuCode_no_release: "no such release", gwuCode_no_gateway: "no such gateway",
        gwuCode_revoked: "the gateway is revoked", gwuCode_not_a_gateway_release: "not a gateway program", gwuCode_bad_health_timeout: "invalid health check limit",
      },
    },
    html: `
      <p><a href="#dashboard" data-i18n="gwpBack"></a></p>
      <h2><span data-i18n="gwpTitle"></span> <span id="gwp-id" class="mono" data-testid="gwp-id"></span></h2>
      <p id="gwp-msg" class="status" role="status"></p>
      <div class="gwp-cols">
        <section class="gwp-card" aria-labelledby="gwp-h-state">
          <h3 id="gwp-h-state" data-i18n="gwpStateTitle"></h3>
          <dl id="gwp-state" class="gwp-dl" data-testid="gwp-state"></dl>
        </section>
        <section class="gwp-card" aria-labelledby="gwp-h-health">
          <h3 id="gwp-h-health" data-i18n="gwpHealthTitle"></h3>
          <table class="gwp-devices" data-testid="gwp-devices-table"><thead><tr>
            <th data-i18n="gwpDevice"></th><th data-i18n="gwpDriver"></th><th data-i18n="gwpDevState"></th><th data-i18n="gwpDevDetail"></th>
          </tr></thead><tbody id="gwp-devices"></tbody></table>
          <h3 data-i18n="gwpPresenceTitle"></h3>
          <p id="gwp-uptime-note" class="status" data-testid="gwp-uptime"></p>
          <div class="gwp-scroll" tabindex="0"><table data-testid="gwp-presence-table"><thead><tr>
            <th data-i18n="gwpWhen"></th><th data-i18n="gwpChange"></th><th data-i18n="gwpCause"></th>
          </tr></thead><tbody id="gwp-presence"></tbody></table></div>
        </section>
      </div>
      <h3 data-i18n="gwpConfigTitle"></h3>
      <p><strong id="gwp-cfg-status" data-testid="gwp-config-status"></strong></p>
      <div class="gwp-cols">
        <section class="gwp-card"><h4 data-i18n="gwpDesired"></h4><p id="gwp-desired-meta" class="status"></p>
          <pre id="gwp-desired" class="gwp-pre" tabindex="0" data-testid="gwp-desired"></pre></section>
        <section class="gwp-card"><h4 data-i18n="gwpReported"></h4><p id="gwp-reported-meta" class="status" data-testid="gwp-reported-meta"></p>
          <pre id="gwp-reported" class="gwp-pre" tabindex="0" data-testid="gwp-reported"></pre></section>
      </div>
      <div id="gwp-editor" hidden>
        <label for="gwp-edit" data-i18n="gwpEdit"></label>
        <textarea id="gwp-edit" class="gwp-edit mono" rows="10" spellcheck="false" data-testid="gwp-config-edit"></textarea>
        <div class="bar">
          <button type="button" id="gwp-check" data-i18n="gwpCheck" data-testid="gwp-config-check"></button>
          <button type="button" id="gwp-push" data-i18n="gwpPush" data-testid="gwp-config-push" disabled></button>
        </div>
        <p id="gwp-cfg-msg" role="status" data-testid="gwp-config-msg"></p>
        <div id="gwp-diff" class="gwp-diff mono" tabindex="0" data-testid="gwp-config-diff" hidden></div>
      </div>
      <h3 data-i18n="gwpCommandsTitle"></h3>
      <div class="scroll-x"><table data-testid="gwp-commands-table"><thead><tr>
        <th data-i18n="gwpCmdCreated"></th><th data-i18n="gwpCmdType"></th><th data-i18n="gwpCmdState"></th>
        <th data-i18n="gwpCmdAnswer"></th><th data-i18n="gwpCmdAnswered"></th>
      </tr></thead><tbody id="gwp-commands"></tbody></table></div>
      <section class="gwu" data-testid="gwu-section" aria-labelledby="gwu-h">
        <h3 id="gwu-h" data-i18n="gwuTitle"></h3>
        <dl id="gwu-facts" class="gwp-dl" data-testid="gwu-facts"></dl>
        <div id="gwu-start-box" class="bar" hidden>
          <label for="gwu-release" data-i18n="gwuRelease"></label>
          <select id="gwu-release" data-testid="gwu-release"></select>
          <button type="button" id="gwu-start" data-i18n="gwuStart" data-testid="gwu-start"></button>
        </div>
        <p id="gwu-none" class="status" data-testid="gwu-none" hidden></p>
        <p id="gwu-msg" role="status" data-testid="gwu-msg"></p>
        <div class="scroll-x"><table data-testid="gwu-table"><thead><tr>
          <th data-i18n="gwuStarted_h"></th><th data-i18n="gwuRelease_h"></th><th data-i18n="gwuState_h"></th>
          <th data-i18n="gwuReason_h"></th><th data-i18n="gwuSteps_h"></th>
        </tr></thead><tbody id="gwu-rows"></tbody></table></div>
      </section>
      <div id="gwp-reenroll-box" hidden>
        <h3 data-i18n="gwpReenrollTitle"></h3>
        <p data-i18n="gwpReenrollHelp"></p>
        <button type="button" id="gwp-reenroll" data-i18n="gwpReenroll" data-testid="gwp-reenroll"></button>
        <div id="gwp-reenroll-confirm" class="confirm bar" hidden>
          <span data-i18n="gwpReenrollSure"></span>
          <button type="button" id="gwp-reenroll-yes" class="danger" data-i18n="gwpReenrollYes" data-testid="gwp-reenroll-yes"></button>
          <button type="button" id="gwp-reenroll-cancel" data-i18n="gwpReenrollNo"></button>
        </div>
        <p id="gwp-reenroll-msg" role="status" data-testid="gwp-reenroll-msg"></p>
        <div id="gwp-enroll" class="enroll" data-testid="gwp-enroll" hidden>
          <img id="gwp-enroll-qr" alt="QR" width="288" height="288" data-testid="gwp-enroll-qr">
          <div><code id="gwp-enroll-link" data-testid="gwp-enroll-link"></code>
            <p id="gwp-enroll-exp" class="warn"></p>
            <button type="button" id="gwp-enroll-done" data-i18n="gwpEnrollDone"></button></div>
        </div>
      </div>`,
    open(arg) {
      wire();
      stop();
      if (arg !== G.id) {
        Object.assign(G, { id: arg, d: null, presence: null, cfg: null, cmds: null, check: null, checked: "", enroll: null, ups: null, rels: null });
        EG.$("gwu-msg").textContent = "";
        delete EG.$("gwp-edit").dataset.touched;
        EG.$("gwp-cfg-msg").textContent = "";
        EG.$("gwp-reenroll-msg").textContent = "";
      }
      draw();
      // While the page is shown, its state follows the gateway.
      G.timer = setInterval(() => {
        if (EG.$("gateway").hidden) return stop();
        load(false).catch(() => {});
      }, 3000);
      return load(true);
    },
    render() { if (G.id) draw(); },
    reset() {
      stop();
      Object.assign(G, { id: "", d: null, presence: null, cfg: null, cmds: null, check: null, checked: "", enroll: null, ups: null, rels: null });
    },
  });
})();
