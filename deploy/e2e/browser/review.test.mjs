// Browser test of the items to review (待核查, docs/review.md) in the
// console's Reports tab, against the demo. The demo has no item of its
// own, so the test makes two honestly, through the kiosk's staff API as a
// hall's staff would: 11 meals by hand for E0010 (full pay, recorded
// every time) within a minute — a manual_burst — and one of them voided —
// a void. Then: the section's counts per kind equal the API's JSON, the
// burst item opens on its meals (one row per meal, the event ids of the
// JSON), axe-core finds no violation with it open, the CSV download
// carries those event ids, the page never scrolls sideways, the language
// selector rewords the items, and screenshots of the opened item at
// 1024×600 and 1280×800 go to docs/ (review-1024x600.png,
// review-1280x800.png). Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL, EG_KIOSK_URL and
// EG_TOKEN.
import { readFileSync } from 'node:fs';
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const kioskURL = process.env.EG_KIOSK_URL;
const token = process.env.EG_TOKEN;
const here = dirname(fileURLToPath(import.meta.url));
const shotDir = process.env.EG_SHOT_DIR || join(here, '..', '..', '..', 'docs');
if (!consoleURL || !kioskURL || !token) throw new Error('EG_CONSOLE_URL, EG_KIOSK_URL and EG_TOKEN must be set');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The staff's meals by hand and the void, at the gateway.
async function staff(method, path, body, tok) {
  const headers = { 'Content-Type': 'application/json' };
  if (tok) headers.Authorization = 'Bearer ' + tok;
  const res = await fetch(kioskURL + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  check(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}
const session = await staff('POST', '/api/staff/login', { pin: '2468' });
check(session.token, 'no staff session token');
const BURST = 11;
const made = []; // the event ids of the meals keyed here
for (let i = 0; i < BURST; i++) {
  const ev = await staff('POST', '/api/staff/meal', { elder_id: 'E0010' }, session.token);
  check(ev.event_id && ev.decision !== 'refused', `meal by hand ${i}: ${JSON.stringify(ev)}`);
  made.push(ev.event_id);
}
// Only an elder's last meal can be voided: the last one keyed.
const voidedID = made[BURST - 1];
await staff('POST', '/api/staff/void', { event_id: voidedID }, session.token);

// Wait for the cloud to hold them (the uplink sends within seconds).
const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
const apiGet = async (q) => {
  const res = await fetch(consoleURL + '/api/v1/reports/review?month=' + month + q, { headers: { Authorization: 'Bearer ' + token } });
  check(res.ok, `review API: ${res.status}`);
  return res.json();
};
let api;
for (let i = 0; i < 60; i++) {
  api = await apiGet('');
  if (api.items.some((it) => it.kind === 'void' && it.meals[0].event_id === voidedID) && api.items.some((it) => it.kind === 'manual_burst' && it.meals.some((m) => m.event_id === made[0]))) break;
  await sleep(500);
}
check(api.counts.manual_burst >= 1 && api.counts.void >= 1, `the cloud has no burst and void items: ${JSON.stringify(api.counts)}`);
// The burst holds the ten meals not voided (and any other meal by hand
// of the same account within ten minutes, e.g. from the other browser
// tests run before on the same demo); the voided one is its own item.
const burst = api.items.find((it) => it.kind === 'manual_burst' && it.meals.some((m) => m.event_id === made[0]));
check(burst, `no burst item holds ${made[0]}: ${JSON.stringify(api.items.map((it) => it.id))}`);
const inBurst = new Set(burst.meals.map((m) => m.event_id));
check(made.slice(0, BURST - 1).every((id) => inBurst.has(id)) && !inBurst.has(voidedID), `the burst's meals ${[...inBurst]}, keyed ${made}`);
const voided = api.items.find((it) => it.kind === 'void' && it.meals[0].event_id === voidedID);
check(voided, `no void item for ${voidedID}`);

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  await page.locator('[data-testid=review-item]').first().waitFor({ timeout: 10000 });
  check(await page.getByTestId('review-month').inputValue() === month, 'the month picker is not this month');

  // Counts per kind as the JSON has them; one group per kind with items.
  for (const k of api.kinds) {
    const n = (await page.getByTestId('review-count-' + k).locator('strong').textContent()).trim();
    check(n === String(api.counts[k]), `count of ${k}: page ${n}, API ${api.counts[k]}`);
  }
  check(await page.getByTestId('review-item').count() === api.items.length, 'not one item on the page per item of the API');

  // Open the burst: its meals, the JSON's event ids.
  const item = page.locator(`[data-testid=review-item][data-id="${burst.id}"]`);
  await item.locator('summary').click();
  const rows = item.getByTestId('review-meal');
  await rows.first().waitFor({ state: 'visible', timeout: 3000 });
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.event));
  check(JSON.stringify(ids) === JSON.stringify(burst.meals.map((m) => m.event_id)), `burst rows ${ids}`);
  check((await item.locator('summary').textContent()).includes(burst.text), 'the item does not say its facts');

  const v = await axeViolations(page);
  check(v.length === 0, `axe-core with the burst open: ${v.join('; ')}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['review-month', 'review-unit', 'review-load', 'review-csv', 'review-xlsx']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }
  const sb = await item.boundingBox();
  check(sb && sb.x >= 0 && sb.x + sb.width <= 1024, `the item is cut off: ${JSON.stringify(sb)}`);

  // CSV: every meal of every item, by event id.
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('review-csv').click()]);
  check(dl.suggestedFilename() === `review-${month}.csv`, `csv file ${dl.suggestedFilename()}`);
  const csv = readFileSync(await dl.path()).toString('utf8');
  check(csv.startsWith('\uFEFF' + Number(month.slice(0, 4)) + '年' + Number(month.slice(5)) + '月 长者助餐待核查事项'), `csv title: ${csv.slice(0, 40)}`);
  for (const it of api.items) for (const m of it.meals) check(csv.includes(m.event_id), `the CSV lacks meal ${m.event_id}`);
  const [dx] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('review-xlsx').click()]);
  check(dx.suggestedFilename() === `review-${month}.xlsx`, `xlsx file ${dx.suggestedFilename()}`);
  check(readFileSync(await dx.path()).subarray(0, 2).toString() === 'PK', 'the XLSX is not a ZIP');

  await page.getByTestId('review-section').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(shotDir, 'review-1024x600.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('review-section').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(shotDir, 'review-1280x800.png') });

  // English: the kinds and the facts follow the selector.
  await page.getByTestId('lang-select').selectOption('en');
  const en = await apiGet('&lang=en');
  const enBurst = en.items.find((it) => it.kind === 'manual_burst');
  await page.waitForFunction((text) => [...document.querySelectorAll('[data-testid=review-item] summary')].some((s) => s.textContent.includes(text)), enBurst.text, { timeout: 5000 });
  check((await page.locator('[data-testid=review-group][data-kind=manual_burst] h3').textContent()).startsWith('Burst of manual meals'), 'the group is not in English');
  console.log(`review: ${api.items.length} items (${JSON.stringify(api.counts)}), the burst opened on its ${burst.meals.length} meals (axe clean), page = API, CSV holds every meal, no sideways scroll at 1024×600`);
} finally {
  await browser.close();
}
