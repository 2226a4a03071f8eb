"use strict";
// Releases (#releases, docs/adr/0030-releases-in-the-cloud.md): the signed
// releases uploaded to the cloud, newest first, and (operators) the upload
// of a release: the bundle `eldergate-cloud release sign` wrote beside the
// artifact, and the artifact. The cloud checks the signature against its
// release keys and the artifact's size and SHA-256 against the signed
// manifest; a refusal is shown in words. Updates start from a gateway's
// page (pages/gateway.js).
(() => {
  const R = { list: null, busy: false };
  const isOperator = () => { const m = EG.me(); return !!m && (m.role === "operator" || m.role === "admin"); };

  function size(n) {
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
    if (n >= 1 << 10) return Math.round(n / (1 << 10)) + " KiB";
    return n + " B";
  }

  function draw() {
    EG.$("rel-upload").hidden = !isOperator();
    const tb = EG.$("rel-rows");
    tb.replaceChildren();
    const list = R.list || [];
    if (!list.length) return EG.emptyRow(tb, 7);
    for (const r of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "rel-row";
      tr.dataset.release = r.id;
      EG.cell(tr, r.release, "", "rel-name");
      EG.cell(tr, r.version, "mono");
      EG.cell(tr, r.platform, "mono", "rel-platform");
      EG.cell(tr, EG.tk("relArtifact_", r.artifact.replace(/-/g, "_")));
      EG.cell(tr, size(r.size), "num");
      const sum = EG.cell(tr, r.sha256.slice(0, 12) + "…", "mono");
      sum.title = r.sha256 + " · " + EG.fmt("relKey", { k: r.key_id });
      EG.cell(tr, EG.when(r.uploaded_at) + " · " + r.uploaded_by);
      tb.appendChild(tr);
    }
  }

  async function load() {
    R.list = await EG.api("GET", "releases");
    draw();
  }

  async function upload(ev) {
    ev.preventDefault();
    const bundle = EG.$("rel-bundle").files[0], artifact = EG.$("rel-artifact").files[0];
    if (!bundle || !artifact) return EG.say("rel-msg", EG.t("relPick"), true);
    if (R.busy) return;
    R.busy = true;
    EG.$("rel-submit").disabled = true;
    EG.say("rel-msg", EG.t("relUploading"), false);
    try {
      const fd = new FormData();
      fd.append("bundle", bundle);
      fd.append("artifact", artifact);
      const r = await EG.call("POST", "releases", fd);
      if (!r.ok) return EG.say("rel-msg", EG.t("relRefused") + " — " + (r.data.error || "HTTP " + r.status), true);
      EG.say("rel-msg", EG.fmt("relUploaded", { name: r.data.release, platform: r.data.platform }), false);
      EG.$("rel-form").reset();
      await load();
    } finally {
      R.busy = false;
      EG.$("rel-submit").disabled = false;
    }
  }

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    EG.$("rel-form").addEventListener("submit", (ev) => upload(ev).catch((e) => { if (e.message !== "unauthorized") EG.say("rel-msg", EG.t("netError"), true); }));
  }

  EG.page({
    id: "releases",
    tab: "tabReleases",
    role: "viewer",
    strings: {
      "zh-CN": {
        tabReleases: "软件版本", relTitle: "升级版本（已签名）",
        relHelp: "版本由离线保存的私钥签名（eldergate-cloud release sign）。云端只保存公钥，上传时核对签名、大小和 SHA-256。在网关页面对单台网关发起升级。",
        relName: "版本名", relVersion: "版本号", relPlatform: "平台", relArtifactH: "程序", relSize: "大小", relSHA: "SHA-256", relUploadedH: "上传",
        relArtifact_eldergate_gateway: "网关程序", relArtifact_eldergate_cloud: "云端程序",
        relUploadTitle: "上传版本", relBundle: "签名文件（.release.json）", relArtifact: "程序文件", relSubmit: "核对并上传",
        relPick: "请选择签名文件和程序文件。", relUploading: "正在上传并核对…", relRefused: "上传被拒绝",
        relUploaded: "已上传 {name}（{platform}），签名、大小和 SHA-256 均核对无误。", relKey: "签名密钥 {k}",
      },
      "zh-HK": {
        tabReleases: "軟件版本", relTitle: "升級版本（已簽署）",
        relHelp: "版本由離線保存的私鑰簽署（eldergate-cloud release sign）。雲端只保存公鑰，上載時核對簽署、大小和 SHA-256。在網關頁面對單台網關發起升級。",
        relName: "版本名", relVersion: "版本號", relPlatform: "平台", relArtifactH: "程式", relSize: "大小", relSHA: "SHA-256", relUploadedH: "上載",
        relArtifact_eldergate_gateway: "網關程式", relArtifact_eldergate_cloud: "雲端程式",
        relUploadTitle: "上載版本", relBundle: "簽署檔（.release.json）", relArtifact: "程式檔", relSubmit: "核對並上載",
        relPick: "請選擇簽署檔和程式檔。", relUploading: "正在上載並核對…", relRefused: "上載被拒絕",
        relUploaded: "已上載 {name}（{platform}），簽署、大小和 SHA-256 均核對無誤。", relKey: "簽署密鑰 {k}",
      },
      en: {
        tabReleases: "Releases", relTitle: "Releases (signed)",
        relHelp: "Releases are signed with a private key kept offline (eldergate-cloud release sign). The cloud holds the public keys only and checks the signature, size and SHA-256 at upload. Start an update from a gateway's page.",
        relName: "Release", relVersion: "Version", relPlatform: "Platform", relArtifactH: "Program", relSize: "Size", relSHA: "SHA-256", relUploadedH: "Uploaded",
        relArtifact_eldergate_gateway: "gateway", relArtifact_eldergate_cloud: "cloud",
        relUploadTitle: "Upload a release", relBundle: "Signature bundle (.release.json)", relArtifact: "Program file", relSubmit: "Check and upload",
        relPick: "Choose the signature bundle and the program file.", relUploading: "Uploading and checking…", relRefused: "Upload refused",
        relUploaded: "{name} ({platform}) uploaded: signature, size and SHA-256 checked.", relKey: "signing key {k}",
      },
    },
    html: `
      <h2 data-i18n="relTitle"></h2>
      <p class="status" data-i18n="relHelp"></p>
      <section id="rel-upload" hidden>
        <h3 data-i18n="relUploadTitle"></h3>
        <form id="rel-form" class="rel-form" data-testid="rel-form">
          <div class="bar"><label for="rel-bundle" data-i18n="relBundle"></label>
            <input type="file" id="rel-bundle" accept=".json,application/json" data-testid="rel-bundle"></div>
          <div class="bar"><label for="rel-artifact" data-i18n="relArtifact"></label>
            <input type="file" id="rel-artifact" data-testid="rel-artifact"></div>
          <div class="bar"><button type="submit" id="rel-submit" data-i18n="relSubmit" data-testid="rel-submit"></button></div>
        </form>
        <p id="rel-msg" role="status" data-testid="rel-msg"></p>
      </section>
      <div class="scroll-x"><table data-testid="rel-table"><thead><tr>
        <th data-i18n="relName"></th><th data-i18n="relVersion"></th><th data-i18n="relPlatform"></th><th data-i18n="relArtifactH"></th>
        <th data-i18n="relSize"></th><th data-i18n="relSHA"></th><th data-i18n="relUploadedH"></th>
      </tr></thead><tbody id="rel-rows"></tbody></table></div>`,
    open() {
      wire();
      draw();
      return load();
    },
    render() { draw(); },
    reset() { R.list = null; },
  });
})();
