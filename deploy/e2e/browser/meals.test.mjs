// Browser test of the meals list (用餐记录, docs/meals.md) against the
// demo. It makes its own rows at the demo's simulated card reader, as an
// elder would: three rounds of taps of the roster's cards (the second and
// third of each card in a window are refused: already_served) and a tap
// of a card that is not on the roster (an unknown card: no meal, a card
// row in the cloud). Then, in the console: the filter "refused" shows
// only refusals, each with its reason in words, the unknown card among
// them with its card masked; the CSV download of that filter holds the
// page's rows (event ids in order); in English the reasons are in English;
// the unfiltered list pages forward and
// back (page 2 holds other rows, back gives page 1 again); axe-core finds
// no violation; the page never scrolls sideways; screenshots of the list
// at 1024×600 and 1280×800 go to docs/console/. Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL, EG_KIOSK_URL and
// EG_TOKEN.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';
import { demoRoster } from './democonfig.mjs';

const consoleURL = process.env.EG_CONSOLE_URL;
const kioskURL = process.env.EG_KIOSK_URL;
const token = process.env.EG_TOKEN;
const here = dirname(fileURLToPath(import.meta.url));
const shotDir = process.env.EG_SHOT_DIR || join(here, '..', '..', '..', 'docs', 'console');
if (!consoleURL || !kioskURL || !token) throw new Error('EG_CONSOLE_URL, EG_KIOSK_URL and EG_TOKEN must be set');
mkdirSync(shotDir, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function tap(card) {
  const res = await fetch(kioskURL + '/api/sim/tap', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ card }) });
  check(res.ok, `tap ${card}: ${res.status}`);
}
async function api(path) {
  const res = await fetch(consoleURL + '/api/v1/' + path, { headers: { Authorization: 'Bearer ' + token } });
  const data = await res.json().catch(() => null);
  check(res.ok, `GET ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

// The taps: three rounds over the roster's cards (the gateway merges taps
// of one card within 3 s), then an unknown card.
const cards = demoRoster().slice(1).map((r) => r.split(',')[2]);
for (let round = 0; round < 3; round++) {
  for (const c of cards) await tap(c);
  await sleep(3200);
}
const unknown = 'FFEE' + String(Date.now() % 10000).padStart(4, '0');
await tap(unknown);
const masked = '****' + unknown.slice(-4);

// Wait until the cloud holds the unknown card's row.
let cardRow;
for (let i = 0; i < 60 && !cardRow; i++) {
  const p = await api('meals?kind=card&limit=50');
  cardRow = p.meals.find((m) => m.card === masked);
  if (!cardRow) await sleep(500);
}
check(cardRow && cardRow.reason === 'unknown_card' && cardRow.decision === 'refused', `the unknown card never reached the cloud's list: ${JSON.stringify(cardRow)}`);
const words = await api('meals/words');

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-meals').click();
  await page.getByTestId('meals-list-row').first().waitFor({ timeout: 10000 });

  const rowsOf = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="meals-list-row"]')].map((tr) => ({
    id: tr.dataset.eventId, kind: tr.dataset.kind, decision: tr.dataset.decision, reasonCode: tr.dataset.reason,
    reason: tr.querySelector('[data-testid="meals-row-reason"]').textContent,
    elder: tr.querySelector('[data-testid="meals-row-elder"]').textContent,
    when: tr.querySelector('[data-testid="meals-row-when"]').textContent,
    site: tr.querySelector('[data-testid="meals-row-site"]').textContent,
  })));
  const waitRows = async (pred, what) => {
    for (let i = 0; i < 50; i++) {
      const rows = await rowsOf();
      if (rows.length && pred(rows)) return rows;
      await sleep(100);
    }
    throw new Error('assertion failed: ' + what + ': ' + JSON.stringify((await rowsOf()).slice(0, 3)));
  };

  // Every time in its site's zone, the zone named (in the header when the
  // rows share it, as the demo's do); sites by name, not id.
  const first = await rowsOf();
  const head = await page.getByTestId('meals-th-time').textContent();
  check(head === '时间（Asia/Shanghai）', `the time header does not name the zone: ${head}`);
  check(first.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(r.when)), `a time not in the header's zone: ${first.map((r) => r.when).join(' | ')}`);
  const apiFirst = (await api('meals?limit=25')).meals;
  const local = (iso) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
  check(first.every((r, i) => apiFirst[i] && apiFirst[i].event_id === r.id && local(apiFirst[i].at) === r.when), 'a time shown is not the API\'s in Asia/Shanghai');
  check(first.every((r) => r.site && !/^site-/.test(r.site)), `a site shown by id: ${first.map((r) => r.site).join(' | ')}`);

  // Page forward and back over the whole list.
  check(await page.getByTestId('meals-next').isEnabled(), 'one page only: no next page');
  const ids1 = first.map((r) => r.id);
  await page.getByTestId('meals-next').click();
  const second = await waitRows((rows) => rows[0].id !== ids1[0], 'page 2 never came');
  check(second.every((r) => !ids1.includes(r.id)), 'page 2 repeats a row of page 1');
  check((await page.getByTestId('meals-page').textContent()).includes('2'), 'the page label does not say 2');
  await page.getByTestId('meals-prev').click();
  const back = await waitRows((rows) => rows[0].id === ids1[0], 'back did not give page 1');
  check(JSON.stringify(back.map((r) => r.id)) === JSON.stringify(ids1), 'page 1 again is not page 1');
  check(await page.getByTestId('meals-prev').isDisabled(), 'previous is enabled on page 1');

  // Filter: refused. Reasons in words; the unknown card among them.
  await page.getByTestId('meals-decision').selectOption('refused');
  await page.getByTestId('meals-search').click();
  const refused = await waitRows((rows) => rows.every((r) => r.decision === 'refused') && rows.some((r) => r.kind === 'card'), 'the refused filter');
  const zh = words.reasons['zh-CN'];
  for (const r of refused) {
    check(r.reason && r.reason === zh[r.reasonCode] && r.reason !== r.reasonCode, `reason not in words: ${JSON.stringify(r)}`);
  }
  check(refused.some((r) => r.reasonCode === 'already_served' && r.reason === '这一餐您已经用过了'), 'no already_served refusal in words');
  const cardShown = refused.find((r) => r.id === cardRow.event_id);
  check(cardShown && cardShown.elder.includes(masked) && !cardShown.elder.includes(unknown) && cardShown.reason === '这张卡还没有登记',
    `the unknown card's row: ${JSON.stringify(cardShown)}`);

  // The CSV of the filter holds the page's rows.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('meals-csv').click()]);
  const csv = readFileSync(await dl.path(), 'utf8').replace(/^\uFEFF/, '');
  const lines = csv.split('\r\n').filter((l) => l !== '');
  const h = lines.findIndex((l) => l.startsWith('时间'));
  check(h >= 0 && lines[h].startsWith('时间（Asia/Shanghai）'), `the CSV header does not name the zone: ${lines.slice(0, 5).join(' / ')}`);
  const csvIDs = lines.slice(h + 1).map((l) => l.split(',').at(-1));
  const pageIDs = refused.map((r) => r.id);
  // The CSV is the whole filtered list, newest first: it starts with the
  // page's rows and holds every page the API gives for the same filter.
  const allIDs = [];
  for (let before = ''; ;) {
    const p = await api('meals?decision=refused&limit=100' + (before ? '&before=' + encodeURIComponent(before) : ''));
    allIDs.push(...p.meals.map((m) => m.event_id));
    if (!p.next) break;
    before = p.next;
  }
  check(JSON.stringify(csvIDs.slice(0, pageIDs.length)) === JSON.stringify(pageIDs), `the CSV does not start with the page's ${pageIDs.length} rows`);
  check(JSON.stringify(csvIDs) === JSON.stringify(allIDs), `CSV rows ${csvIDs.length} differ from the API's ${allIDs.length}`);
  check(!csv.includes(unknown), 'the CSV holds the card unmasked');
  check(csv.includes('这张卡还没有登记') && csv.includes('这一餐您已经用过了'), 'the CSV reasons are not in words');

  // In English the same rows say their reasons in English.
  await page.getByTestId('lang-select').selectOption('en');
  const en = words.reasons.en;
  const inEnglish = await waitRows((rows) => rows.every((r) => r.reason === en[r.reasonCode]), 'the reasons in English');
  check(inEnglish.length === refused.length && (await page.getByTestId('meals-th-time').textContent()) === 'Time (Asia/Shanghai)', 'the English page');
  check(inEnglish.some((r) => r.elder === 'Unregistered card ' + masked), 'the unknown card in English');
  await page.getByTestId('lang-select').selectOption('zh-CN');
  await waitRows((rows) => rows.every((r) => r.reason === zh[r.reasonCode]), 'the reasons in Chinese again');

  // Accessibility, no sideways scrolling, screenshots.
  const v = await axeViolations(page);
  check(v.length === 0, 'axe: ' + v.join('; '));
  for (const [w, hgt] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: hgt });
    await sleep(200);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(wide <= 0, `the page scrolls sideways by ${wide}px at ${w}×${hgt}`);
    await page.getByTestId('meals-filters').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shotDir, `meals-${w}x${hgt}.png`) });
  }
  console.log(`meals: ${refused.length} refusals in words, pages forward and back, CSV = page + the API's other pages (${csvIDs.length} rows), unknown card ${masked} shown`);
} finally {
  await browser.close();
}
