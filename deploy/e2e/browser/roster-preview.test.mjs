// Browser test of the roster import's preview (issue 13, ADR 0025),
// against the demo, whose cloud holds the demo site's roster (the 10
// elders of gateway.yaml's seed, seeded at the demo's start) and whose
// gateway runs it. A 3-elder file over it: choosing the file shows the
// preview, which names the 7 elders the hall will lose (masked) and says
// so prominently; the import button only asks for a second confirmation
// and nothing is removed until it is given (the API still lists 10); a
// confirmation of a preview made before the roster changed is refused and
// the new preview shown; the confirmation of the new one imports (3
// elders, 7 removed), and the gateway's reported roster follows (source
// cloud, 3 elders), in the API and in the console's gateway list. A bad
// file's row report is in the console's language. Screenshots of the
// preview at 1024x600 and 1280x800 go to docs/console/.
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, offScreen, signIn } from './screen.mjs';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const site = 'site-demo-1';
const docs = new URL('../../../docs/console/', import.meta.url).pathname;
const auth = { Authorization: 'Bearer ' + token };
const csv = (text) => ({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
// The first three elders of the demo roster, as gateway.yaml has them.
const three = '编号,姓名,卡号,出生日期,类别\nE0001,张三明,04A1B2C3,1948-03-02,低保\nE0002,李秀英,04B2C3D4,1941-07-15,特困\nE0003,王建国,04C3D4E5,1950-10-01,\n';
const lost = ['E0004 陈*玲', 'E0005 黄*强', 'E0006 周*芳', 'E0007 吴*华', 'E0008 林*贞', 'E0009 刘*明', 'E0010 赵*伟'];
const clear = ['陈美玲', '黄志强', '周桂芳', '吴国华', '林淑贞', '刘德明', '赵志伟'];

async function until(what, f, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out: ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const t0 = Date.now();
const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const req = ctx.request;
  const rosterCount = async () => (await (await req.get(consoleURL + `/api/v1/sites/${site}/roster`, { headers: auth })).json()).count;
  const gwRoster = async () => ((await (await req.get(consoleURL + '/api/v1/gateways', { headers: auth })).json()).find((g) => g.id === 'gw-demo-1') || {}).roster;
  // The cloud and the hall agree from the start.
  check(await rosterCount() === 10, `the demo site's cloud roster has ${await rosterCount()} elders, want 10`);
  const before = await until('the gateway reports the cloud roster of 10', async () => { const r = await gwRoster(); return r && r.source === 'cloud' && r.elders === 10 && r; });

  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  // The gateway list says which roster the gateway runs.
  const gwCell = page.locator('[data-testid=gateway-row][data-gw=gw-demo-1] [data-testid=gateway-roster]');
  await gwCell.waitFor({ timeout: 5000 });
  check(await gwCell.getAttribute('data-source') === 'cloud' && (await gwCell.textContent()).includes('10 人'), `gateway list roster "${await gwCell.textContent()}"`);

  await page.getByTestId('tab-roster').click();
  await page.getByTestId('roster-section').waitFor({ state: 'visible', timeout: 5000 });
  await page.getByTestId('roster-site').fill(site);

  // 1. A bad file: its row report in the console's language.
  await page.getByTestId('roster-file').setInputFiles(csv('编号,姓名,卡号\nE0001,,04A1B2C3\n'));
  const reportRow = page.getByTestId('report-row');
  await reportRow.first().waitFor({ timeout: 5000 });
  check(await reportRow.getAttribute('data-code') === 'name_missing', 'the problem has no code');
  check(await reportRow.getByTestId('report-message').textContent() === '缺少姓名', `zh-CN report "${await reportRow.getByTestId('report-message').textContent()}"`);
  await page.getByTestId('lang-select').selectOption('zh-HK');
  check(await reportRow.getByTestId('report-message').textContent() === '缺少姓名' && (await page.getByTestId('roster-result').textContent()).includes('問題'), 'zh-HK report');
  await page.getByTestId('lang-select').selectOption('en');
  check(await reportRow.getByTestId('report-message').textContent() === 'Missing name', `en report "${await reportRow.getByTestId('report-message').textContent()}"`);
  await page.getByTestId('lang-select').selectOption('zh-CN');

  // 2. The 3-elder file: choosing it shows the preview at once.
  await page.getByTestId('roster-file').setInputFiles(csv(three));
  const lose = page.getByTestId('roster-lose');
  await lose.waitFor({ timeout: 5000 });
  check(await lose.textContent() === '本站将失去 7 位长者', `loss line "${await lose.textContent()}"`);
  const removed = await page.getByTestId('roster-preview-removed-item').allTextContents();
  check(JSON.stringify(removed) === JSON.stringify(lost), `removed list ${JSON.stringify(removed)}`);
  const shown = await page.getByTestId('roster-preview').textContent();
  check(!clear.some((n) => shown.includes(n)), 'a name in the clear in the preview');
  check(await page.getByTestId('roster-preview-added').getAttribute('data-count') === '0' && await page.getByTestId('roster-preview-changed').getAttribute('data-count') === '0', 'added or changed elders in the preview');
  check((await page.getByTestId('roster-preview-summary').textContent()).includes('现有 10 位，导入后 3 位'), `summary "${await page.getByTestId('roster-preview-summary').textContent()}"`);
  check(await rosterCount() === 10, 'the preview changed the roster');
  // Screenshots of the preview (its top in view) at both sizes.
  for (const [w, h] of [[1280, 800], [1024, 600]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.getByTestId('roster-file').evaluate((e) => { e.closest('.bar').scrollIntoView({ block: 'start' }); window.scrollBy(0, -8); });
    const off = await offScreen(page, ['roster-lose', 'roster-file', 'roster-import']);
    check(off.length === 0, `at ${w}x${h}: ${off.join('; ')}`);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    check(over <= 0, `at ${w}x${h} the page is ${over} px wider than the window`);
    await page.screenshot({ path: `${docs}roster-preview-${w}x${h}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // 3. Import: only the second, explicit confirmation removes anyone.
  await page.getByTestId('roster-import').click();
  const confirm = page.getByTestId('roster-confirm');
  await confirm.waitFor({ timeout: 5000 });
  check(await confirm.textContent() === '确认移除 7 位长者并导入', `confirm button "${await confirm.textContent()}"`);
  check(await rosterCount() === 10, 'the import button removed elders without the confirmation');
  await page.getByTestId('roster-cancel').click();
  check(await confirm.count() === 0 && await rosterCount() === 10, 'cancel');
  await page.getByTestId('roster-file').evaluate((e) => { e.closest('.bar').scrollIntoView({ block: 'start' }); window.scrollBy(0, -8); });
  await page.getByTestId('roster-import').click();
  await confirm.waitFor({ timeout: 5000 });
  await page.setViewportSize({ width: 1024, height: 600 });
  await page.getByTestId('roster-file').evaluate((e) => { e.closest('.bar').scrollIntoView({ block: 'start' }); window.scrollBy(0, -8); });
  const offConfirm = await offScreen(page, ['roster-lose', 'roster-confirm', 'roster-cancel']);
  check(offConfirm.length === 0, offConfirm.join('; '));
  await page.screenshot({ path: `${docs}roster-preview-confirm-1024x600.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // 4. The roster changes after the preview (a card reported lost): the
  // confirmation of the old preview is refused and the new one shown.
  let r = await req.post(consoleURL + `/api/v1/sites/${site}/elders/E0005/credentials/state`, { headers: { ...auth, 'Content-Type': 'application/json' }, data: { kind: 'card', value: '04E5F6A7', state: 'lost' } });
  check(r.ok(), `lost card: ${r.status()} ${await r.text()}`);
  const oldVersion = await page.getByTestId('roster-preview').getAttribute('data-version');
  await confirm.click();
  await until('the stale confirmation refused', async () => (await page.getByTestId('roster-preview').getAttribute('data-version')) !== oldVersion);
  check((await page.getByTestId('roster-confirm-note').textContent()).includes('名单在预览之后已变化'), 'the stale note is not shown');
  check(await rosterCount() === 10, 'a stale confirmation removed elders');

  // 5. The new preview's confirmation imports: 3 elders, 7 removed.
  await confirm.click();
  await until('imported', async () => (await page.getByTestId('roster-result').getAttribute('data-removed')) !== null);
  check(await page.getByTestId('roster-result').getAttribute('data-removed') === '7', `removed ${await page.getByTestId('roster-result').getAttribute('data-removed')}`);
  check((await page.getByTestId('roster-result').textContent()).includes('移除 7'), `result "${await page.getByTestId('roster-result').textContent()}"`);
  check(await rosterCount() === 3, `roster after the confirmed import: ${await rosterCount()}`);
  check(await page.getByTestId('roster-preview').isHidden(), 'the preview is still shown after the import');

  // 6. The gateway follows: it reports the cloud's roster of 3.
  const after = await until('the gateway reports the roster of 3', async () => { const x = await gwRoster(); return x && x.source === 'cloud' && x.elders === 3 && x.version > before.version && x; });
  await page.getByTestId('tab-dashboard').click();
  await until('the gateway list shows 3', async () => (await gwCell.textContent()).includes('3 人'));
  check((await gwCell.textContent()).includes('云端 v' + after.version), `gateway list roster "${await gwCell.textContent()}"`);
  console.log(`browser: preview named the 7 elders the hall would lose; nothing removed until confirmed; a stale confirmation refused; confirmed import left 3 (7 removed); gateway on cloud roster v${after.version} of 3 elders; ${Date.now() - t0} ms; screenshots in ${docs}`);
} catch (e) {
  const pages = browser.contexts().flatMap((c) => c.pages());
  if (pages.length) {
    await pages[0].screenshot({ path: '/tmp/roster-preview-failure.png' }).catch(() => {});
    for (const id of ['roster-result', 'roster-preview', 'roster-summary']) {
      console.error(id + ':', await pages[0].getByTestId(id).textContent({ timeout: 500 }).catch(() => '?'));
    }
  }
  throw e;
} finally {
  await browser.close();
}
