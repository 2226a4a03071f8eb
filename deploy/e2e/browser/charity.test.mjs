// Browser test of charity transparency (docs/charity.md) on the demo: meals
// tapped at the kiosk carry the demo fund's share; the console's charity
// section shows the fund's month equal to the API; an admin publishes it
// from the console; the QR code shown there is read (ZXing, deploy/e2e/qrread)
// and its address opened without a token as a donor's phone would; the
// public page's figures equal the detail's totals, it names no elder, it
// switches language, it never scrolls sideways at 360, 1024 and 1280 px, and
// axe finds nothing on it nor on the console section. Screenshots of both at
// 1024×600, 1280×800 and 360×740 into EG_SHOT_DIR (docs/ by default).
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL,
// EG_KIOSK_URL and EG_TOKEN; from the repository root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeViolations, check, launchChromium, offScreen, signIn } from './screen.mjs';

const consoleURL = process.env.EG_CONSOLE_URL;
const kioskURL = process.env.EG_KIOSK_URL;
const token = process.env.EG_TOKEN;
const shotDir = process.env.EG_SHOT_DIR || 'docs';
if (!consoleURL || !kioskURL || !token) throw new Error('EG_CONSOLE_URL, EG_KIOSK_URL and EG_TOKEN must be set');
const yuan = (fen) => Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0');
const auth = { Authorization: 'Bearer ' + token };
// The demo roster (deploy/demo/gateway.yaml): names, ids and cards that
// must never reach the public page.
const elders = [
  { id: 'E0001', name: '张三明', card: '04A1B2C3' }, { id: 'E0002', name: '李秀英', card: '04B2C3D4' },
  { id: 'E0003', name: '王建国', card: '04C3D4E5' }, { id: 'E0004', name: '陈美玲', card: '04D4E5F6' },
];
const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 } });
  const page = await ctx.newPage();
  const detail = async () => (await page.request.get(consoleURL + '/api/v1/reports/charity?fund=charity&month=' + month, { headers: auth })).json();

  // Meals: each demo elder taps once (other tests may have tapped some
  // already: a second tap in a window is refused and adds nothing).
  const before = await detail();
  for (const e of elders) {
    const r = await page.request.post(kioskURL + '/api/sim/tap', { data: { card: e.card } });
    check(r.ok(), `sim tap ${e.card}: ${r.status()}`);
    await page.waitForTimeout(400);
  }
  let rep = before;
  for (let i = 0; i < 50 && rep.meals <= before.meals; i++) {
    await page.waitForTimeout(200);
    rep = await detail();
  }
  check(rep.meals >= 1 && rep.fen >= 100 && rep.elders >= 1, `the demo's meals carry no charity share: ${JSON.stringify(rep)}`);

  // Publishing needs an admin: a viewer token is refused.
  const viewer = await (await page.request.post(consoleURL + '/api/v1/tokens', { headers: auth, data: { name: 'charity-viewer', role: 'viewer' } })).json();
  const refused = await page.request.post(consoleURL + '/api/v1/charity/publications',
    { headers: { Authorization: 'Bearer ' + viewer.secret }, data: { fund: 'charity', month } });
  check(refused.status() === 403, `a viewer published: ${refused.status()}`);

  // The console's charity section shows the API's figures.
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  const total = page.getByTestId('charity-total');
  await total.waitFor({ timeout: 10000 });
  check(await page.getByTestId('charity-month').inputValue() === month, 'the month picker is not this month');
  await page.getByTestId('charity-load').click(); // the figures as of now
  await page.waitForFunction((m) => document.querySelector('[data-testid="charity-total-meals"]')?.textContent === String(m), rep.meals, { timeout: 5000 });
  const txt = async (id) => (await page.getByTestId(id).textContent()).trim();
  const pageTotal = { meals: await txt('charity-total-meals'), elders: await txt('charity-total-elders'), yuan: await txt('charity-total-yuan') };
  const apiTotal = { meals: String(rep.meals), elders: String(rep.elders), yuan: yuan(rep.fen) };
  check(JSON.stringify(pageTotal) === JSON.stringify(apiTotal), `console total ${JSON.stringify(pageTotal)}, API ${JSON.stringify(apiTotal)}`);
  check(await page.getByTestId('charity-site').count() === rep.sites.length, 'not one row per site');
  check(await page.getByTestId('charity-elder').count() === rep.elder_lines.length, 'not one row per elder');
  for (const id of await page.getByTestId('charity-elder-id').allTextContents()) check(id.includes('*'), `elder id ${id} is not masked`);
  for (const n of await page.getByTestId('charity-elder-name').allTextContents()) check(n.includes('*') || n === '—', `elder name ${n} is not masked`);

  // Publish from the console: the QR code and the link appear.
  await page.getByTestId('charity-publish').click();
  await page.getByTestId('charity-publication').waitFor({ state: 'visible', timeout: 5000 });
  await page.getByTestId('charity-pub').first().waitFor({ timeout: 5000 });
  const link = await page.getByTestId('charity-link').getAttribute('href');
  const sha = await txt('charity-sha');
  const qrSrc = await page.getByTestId('charity-qr').getAttribute('src');
  check(/^http:\/\/127\.0\.0\.1:\d+\/charity\/[A-Za-z0-9_-]{22}$/.test(link), `public link ${link}`);
  check(/^[0-9a-f]{64}$/.test(sha), `sha256 ${sha}`);
  const tmp = mkdtempSync(join(tmpdir(), 'eg-charity-'));
  writeFileSync(join(tmp, 'qr.txt'), qrSrc);
  const qrURL = execFileSync('go', ['run', './deploy/e2e/qrread', join(tmp, 'qr.txt')], { encoding: 'utf8' }).trim();
  check(qrURL === link, `the QR code says ${qrURL}, the link is ${link}`);

  let problems = await axeViolations(page);
  check(problems.length === 0, `axe on the console: ${problems.join('; ')}`);
  const overflow = async (p) => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(await overflow(page) <= 0, 'the console scrolls sideways at 1024×600');
  const shots = [];
  for (const [w, h] of [[1024, 600], [1280, 800], [360, 740]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.getByTestId('charity-section').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.getElementById('ch-title').scrollIntoView({ block: 'start' }));
    if (w >= 1024) {
      const off = await offScreen(page, ['charity-fund', 'charity-month', 'charity-publish']);
      check(off.length === 0, `console at ${w}×${h}: ${off.join('; ')}`);
    }
    const file = `${shotDir}/charity-console-${w}x${h}.png`;
    await page.screenshot({ path: file });
    shots.push(file);
  }

  // The donor: no token, a phone, the address the QR code holds.
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  const donor = await phone.newPage();
  const res = await donor.goto(qrURL);
  check(res.status() === 200, `public page: ${res.status()}`);
  const fig = async (k) => (await donor.locator(`[data-fig="${k}"]`).textContent()).trim();
  const pub = { meals: await fig('meals'), elders: await fig('elders'), yuan: await fig('yuan') };
  check(JSON.stringify(pub) === JSON.stringify(apiTotal), `public page ${JSON.stringify(pub)}, detail ${JSON.stringify(apiTotal)}`);
  check((await donor.locator('[data-total="meals"]').textContent()) === apiTotal.meals, 'the sites table total is not the detail\'s');
  check((await donor.locator('[data-sha256]').textContent()) === sha, 'the public page shows another checksum');
  check((await donor.locator('h1').textContent()) === '幸福里爱心助餐基金', 'the public page is not in zh-CN');
  const html = await donor.content();
  for (const e of elders) {
    for (const s of [e.name, e.id, e.card]) check(!html.includes(s), `the public page holds ${s}`);
  }
  const external = [];
  donor.on('request', (r) => { if (!r.url().startsWith(consoleURL)) external.push(r.url()); });
  await donor.reload();
  check(external.length === 0, `the public page fetched ${external.join(', ')}`);
  problems = await axeViolations(donor);
  check(problems.length === 0, `axe on the public page: ${problems.join('; ')}`);
  for (const [w, h] of [[360, 740], [1024, 600], [1280, 800]]) {
    await donor.setViewportSize({ width: w, height: h });
    check(await overflow(donor) <= 0, `the public page scrolls sideways at ${w}×${h}`);
    const file = `${shotDir}/charity-public-${w}x${h}.png`;
    await donor.screenshot({ path: file, fullPage: w === 360 });
    shots.push(file);
  }
  // The language switch, and Accept-Language without it.
  await donor.getByRole('link', { name: 'English' }).click();
  await donor.waitForURL(/lang=en/);
  check((await donor.locator('h1').textContent()) === 'Xingfuli Meals for Elders Fund', 'the English link does not switch');
  check((await fig('meals')) === apiTotal.meals, 'the English page shows other figures');
  problems = await axeViolations(donor);
  check(problems.length === 0, `axe on the English page: ${problems.join('; ')}`);
  const hk = await browser.newContext({ locale: 'zh-HK', extraHTTPHeaders: { 'Accept-Language': 'zh-HK,zh;q=0.9' } });
  const hkPage = await hk.newPage();
  await hkPage.goto(qrURL);
  check((await hkPage.locator('h1').textContent()) === '幸福里愛心助餐基金', 'Accept-Language zh-HK does not pick zh-HK');
  const missing = await hkPage.goto(consoleURL + '/charity/AAAAAAAAAAAAAAAAAAAAAA');
  check(missing.status() === 404, `an unknown summary answers ${missing.status()}`);

  console.log(`charity: ${rep.meals} meals, ${rep.elders} elders, ${yuan(rep.fen)} yuan; console = API = public page; QR read back; no personal data; axe clean; ${shots.join(' ')}`);
} finally {
  await browser.close();
}
