"use strict";
// The fleet (#fleet, docs/fleet.md): every gateway in the caller's scope
// by name, each linked to its page, and (operators) the bulk creation of a
// new street's gateways from a CSV: every row checked first, nothing
// created when one is bad; the one-time enrollment tokens come back once,
// as a printable sheet of QR codes and a CSV of links.
(() => {
  const F = { list: null, created: null, problems: null };
  const isOperator = () => { const m = EG.me(); return !!m && (m.role === "operator" || m.role === "admin"); };
  const siteName = (id) => EG.unitName(id);

  function drawList() {
    const tb = EG.$("fl-gateways");
    tb.replaceChildren();
    const list = F.list || [];
    if (!list.length) return EG.emptyRow(tb, 7);
    for (const g of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "fl-row";
      tr.dataset.gw = g.id;
      const a = document.createElement("a");
      a.href = "#gateway/" + encodeURIComponent(g.id);
      a.textContent = g.id;
      EG.cell(tr, "").appendChild(a);
      EG.cell(tr, g.name || "");
      EG.cell(tr, g.site ? siteName(g.site) : "—");
      EG.cell(tr, g.online ? EG.t("flOnline") : EG.t("flOffline"), g.online ? "online" : "offline");
      EG.cell(tr, EG.when(g.last_seen));
      EG.cell(tr, (g.version || "—") + (g.platform ? " · " + g.platform : ""), "mono", "fl-version"); // the birth's version and platform
      EG.cell(tr, EG.tk("flCfg_", g.config_status || "unknown"), "cfg-" + (g.config_status || "unknown"));
      tb.appendChild(tr);
    }
  }

  function drawBulk() {
    EG.$("fl-bulk").hidden = !isOperator();
    const pb = EG.$("fl-problems");
    pb.replaceChildren();
    EG.$("fl-problems-table").hidden = !F.problems;
    for (const p of F.problems || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "fl-problem";
      EG.cell(tr, String(p.row), "num");
      EG.cell(tr, p.column || "");
      const words = EG.tk("flErr_", p.code);
      EG.cell(tr, (words !== p.code ? words : p.message) + (p.value ? " (" + p.value + ")" : ""));
      pb.appendChild(tr);
    }
    const box = EG.$("fl-created");
    box.hidden = !F.created;
    const tb = EG.$("fl-created-rows");
    tb.replaceChildren();
    if (!F.created) return;
    EG.$("fl-created-note").textContent = EG.fmt("flCreatedNote", { n: F.created.created, at: EG.when(F.created.expires_at) });
    for (const g of F.created.gateways) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "fl-created-row";
      EG.cell(tr, g.id);
      EG.cell(tr, g.name || "");
      EG.cell(tr, siteName(g.site));
      EG.cell(tr, g.enroll_url, "mono fl-link");
      tb.appendChild(tr);
    }
  }

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // sheet is the printable page: one QR code per gateway with its id,
  // name, site and the token's expiry.
  function sheet(res) {
    const cards = res.gateways.map((g) => `<figure><img src="${esc(g.qr_png)}" alt="QR ${esc(g.id)}" width="200" height="200">
<figcaption><b>${esc(g.id)}</b>${g.name ? " · " + esc(g.name) : ""}<br>${esc(siteName(g.site))}</figcaption></figure>`).join("\n");
    return `<!doctype html><html lang="${esc(EG.lang())}"><head><meta charset="utf-8"><title>${esc(EG.t("flSheetTitle"))}</title>
<style>body{font-family:system-ui,sans-serif;margin:1cm}figure{display:inline-block;width:6cm;margin:.3cm;text-align:center;break-inside:avoid}
img{width:5cm;height:5cm;image-rendering:pixelated}figcaption{font-size:11pt;word-break:break-all}</style></head><body>
<h1>${esc(EG.t("flSheetTitle"))}</h1><p>${esc(EG.fmt("flSheetNote", { at: EG.when(res.expires_at) }))}</p>
${cards}
</body></html>`;
  }

  // links is the CSV of the enrollment links.
  function links(res) {
    const q = (s) => '"' + String(s || "").replace(/"/g, '""') + '"';
    return "\ufeffid,site,name,enroll_url,expires_at\r\n" +
      res.gateways.map((g) => [g.id, g.site, g.name, g.enroll_url, g.expires_at].map(q).join(",")).join("\r\n") + "\r\n";
  }

  const download = (name, type, text) => EG.saveBlob(new Blob([text], { type }), name);

  async function create() {
    const file = EG.$("fl-file").files[0];
    const text = file ? await file.text() : EG.$("fl-csv").value;
    F.created = null;
    F.problems = null;
    const r = await EG.call("POST", "gateways/bulk", text, "text/csv");
    if (r.status === 422) {
      F.problems = r.data.problems || [];
      EG.say("fl-msg", EG.fmt("flRefused", { n: F.problems.length }), true);
    } else if (!r.ok) {
      EG.say("fl-msg", r.data.error || "HTTP " + r.status, true);
    } else {
      F.created = r.data;
      EG.say("fl-msg", EG.fmt("flCreated", { n: r.data.created }), false);
      EG.$("fl-csv").value = "";
      EG.$("fl-file").value = "";
      await load();
    }
    drawBulk();
  }

  async function load() {
    await EG.loadOrg();
    F.list = await EG.api("GET", "gateways");
    drawList();
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    EG.$("fl-create").addEventListener("click", () => create().catch((e) => { if (e.message !== "unauthorized") EG.say("fl-msg", EG.t("netError"), true); }));
    EG.$("fl-sheet").addEventListener("click", () => { if (F.created) download("gateways-qr.html", "text/html", sheet(F.created)); });
    EG.$("fl-links").addEventListener("click", () => { if (F.created) download("gateways-links.csv", "text/csv", links(F.created)); });
    EG.$("fl-done").addEventListener("click", () => { F.created = null; drawBulk(); });
  }

  EG.page({
    id: "fleet",
    tab: "tabFleet",
    role: "viewer",
    strings: {
      "zh-CN": {
        tabFleet: "设备", flTitle: "网关", flId: "网关", flName: "名称", flSite: "站点", flOnlineH: "在线", flLastSeen: "最近通讯", flVersion: "版本 · 平台", flConfig: "配置",
        flOnline: "在线", flOffline: "离线",
        flCfg_in_sync: "已同步", flCfg_pending: "待生效", flCfg_failed: "下发失败", flCfg_unknown: "未下发",
        flBulkTitle: "批量新建（新街道）", flBulkHelp: "CSV 第一行为表头：id,site,name（名称可省略）。每行一台网关；站点须在您的管辖范围内。任何一行有问题，整批都不会建立。",
        flFile: "CSV 文件", flPaste: "或粘贴 CSV", flCreate: "检查并新建", flRefused: "文件有 {n} 处问题，未建立任何网关：",
        flCreated: "已建立 {n} 台网关。注册二维码只显示这一次，请立即下载打印。",
        flCreatedNote: "{n} 台网关，二维码 {at} 前有效。", flSheet: "下载打印页（二维码）", flLinks: "下载链接（CSV）", flDone: "已下载，关闭",
        flRow: "行", flColumn: "列", flProblem: "问题", flLink: "注册链接",
        flSheetTitle: "网关注册二维码", flSheetNote: "每个二维码只能用一次，{at} 前有效。",
        flErr_csv: "不是有效的 CSV", flErr_missing_column: "表头缺少这一列", flErr_too_many_rows: "行数超过上限", flErr_no_rows: "没有网关",
        flErr_bad_id: "网关编号无效（只能用字母、数字、- _ .）", flErr_duplicate_id: "网关编号在文件中重复", flErr_exists: "网关已存在",
        flErr_bad_site: "站点编号无效", flErr_site_unknown: "站点不存在或不在您的管辖范围内", flErr_bad_name: "名称过长或含控制字符",
      },
      "zh-HK": {
        tabFleet: "設備", flTitle: "網關", flId: "網關", flName: "名稱", flSite: "站點", flOnlineH: "在線", flLastSeen: "最近通訊", flVersion: "版本 · 平台", flConfig: "設定",
        flOnline: "在線", flOffline: "離線",
        flCfg_in_sync: "已同步", flCfg_pending: "待生效", flCfg_failed: "下發失敗", flCfg_unknown: "未下發",
        flBulkTitle: "批量新建（新街道）", flBulkHelp: "CSV 第一行為表頭：id,site,name（名稱可省略）。每行一台網關；站點須在您的管轄範圍內。任何一行有問題，整批都不會建立。",
        flFile: "CSV 檔案", flPaste: "或貼上 CSV", flCreate: "檢查並新建", flRefused: "檔案有 {n} 處問題，未建立任何網關：",
        flCreated: "已建立 {n} 台網關。註冊二維碼只顯示這一次，請立即下載列印。",
        flCreatedNote: "{n} 台網關，二維碼 {at} 前有效。", flSheet: "下載列印頁（二維碼）", flLinks: "下載連結（CSV）", flDone: "已下載，關閉",
        flRow: "行", flColumn: "欄", flProblem: "問題", flLink: "註冊連結",
        flSheetTitle: "網關註冊二維碼", flSheetNote: "每個二維碼只能用一次，{at} 前有效。",
        flErr_csv: "不是有效的 CSV", flErr_missing_column: "表頭缺少這一欄", flErr_too_many_rows: "行數超過上限", flErr_no_rows: "沒有網關",
        flErr_bad_id: "網關編號無效（只能用字母、數字、- _ .）", flErr_duplicate_id: "網關編號在檔案中重複", flErr_exists: "網關已存在",
        flErr_bad_site: "站點編號無效", flErr_site_unknown: "站點不存在或不在您的管轄範圍內", flErr_bad_name: "名稱過長或含控制字元",
      },
      en: {
        tabFleet: "Fleet", flTitle: "Gateways", flId: "Gateway", flName: "Name", flSite: "Site", flOnlineH: "Online", flLastSeen: "Last seen", flVersion: "Version · platform", flConfig: "Config",
        flOnline: "online", flOffline: "offline",
        flCfg_in_sync: "in sync", flCfg_pending: "pending", flCfg_failed: "failed", flCfg_unknown: "not pushed",
        flBulkTitle: "Create in bulk (a new street)", flBulkHelp: "The CSV's first row is the header: id,site,name (name may be left out). One gateway per row; the sites must be in your scope. If any row is wrong, none is created.",
        flFile: "CSV file", flPaste: "or paste the CSV", flCreate: "Check and create", flRefused: "{n} problems in the file; no gateway was created:",
        flCreated: "{n} gateways created. Their enrollment QR codes are shown this once only: download and print them now.",
        flCreatedNote: "{n} gateways; the QR codes are valid until {at}.", flSheet: "Download the printable sheet (QR codes)", flLinks: "Download the links (CSV)", flDone: "Downloaded, close",
        flRow: "Row", flColumn: "Column", flProblem: "Problem", flLink: "Enrollment link",
        flSheetTitle: "Gateway enrollment QR codes", flSheetNote: "Each QR code works once, until {at}.",
        flErr_csv: "not valid CSV", flErr_missing_column: "the header lacks this column", flErr_too_many_rows: "too many rows", flErr_no_rows: "no gateway",
        flErr_bad_id: "invalid gateway id (letters, digits, - _ . only)", flErr_duplicate_id: "the id is repeated in the file", flErr_exists: "the gateway exists already",
        flErr_bad_site: "invalid site id", flErr_site_unknown: "no such site in your scope", flErr_bad_name: "the name is too long or has control characters",
      },
    },
    html: `
      <h2 data-i18n="flTitle"></h2>
      <div class="scroll-x"><table data-testid="fl-table"><thead><tr>
        <th data-i18n="flId"></th><th data-i18n="flName"></th><th data-i18n="flSite"></th><th data-i18n="flOnlineH"></th>
        <th data-i18n="flLastSeen"></th><th data-i18n="flVersion"></th><th data-i18n="flConfig"></th>
      </tr></thead><tbody id="fl-gateways"></tbody></table></div>
      <section id="fl-bulk" hidden>
        <h3 data-i18n="flBulkTitle"></h3>
        <p data-i18n="flBulkHelp"></p>
        <div class="bar"><label for="fl-file" data-i18n="flFile"></label>
          <input type="file" id="fl-file" accept=".csv,text/csv" data-testid="fl-file"></div>
        <label for="fl-csv" data-i18n="flPaste"></label>
        <textarea id="fl-csv" class="gwp-edit mono" rows="5" spellcheck="false" placeholder="id,site,name" data-testid="fl-csv"></textarea>
        <div class="bar"><button type="button" id="fl-create" data-i18n="flCreate" data-testid="fl-create"></button></div>
        <p id="fl-msg" role="status" data-testid="fl-msg"></p>
        <table id="fl-problems-table" data-testid="fl-problems" hidden><thead><tr>
          <th data-i18n="flRow"></th><th data-i18n="flColumn"></th><th data-i18n="flProblem"></th>
        </tr></thead><tbody id="fl-problems"></tbody></table>
        <div id="fl-created" data-testid="fl-created" hidden>
          <p id="fl-created-note" class="warn"></p>
          <div class="bar">
            <button type="button" id="fl-sheet" data-i18n="flSheet" data-testid="fl-sheet"></button>
            <button type="button" id="fl-links" data-i18n="flLinks" data-testid="fl-links"></button>
            <button type="button" id="fl-done" data-i18n="flDone"></button>
          </div>
          <div class="scroll-x"><table><thead><tr>
            <th data-i18n="flId"></th><th data-i18n="flName"></th><th data-i18n="flSite"></th><th data-i18n="flLink"></th>
          </tr></thead><tbody id="fl-created-rows"></tbody></table></div>
        </div>
      </section>`,
    open() {
      wire();
      drawBulk();
      return load();
    },
    render() { drawList(); drawBulk(); },
    reset() { F.list = null; F.created = null; F.problems = null; },
  });
})();
