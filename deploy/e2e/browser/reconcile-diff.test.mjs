// Browser test of the reconciliation section with a difference, against
// the Go fixture of cloud/http (reconcileFixture: elder E9 served lunch at
// sites a1 and b1 in one window of February 2026, b1's gateway offline
// and subsidising it too), run by TestReconcileConsoleBrowser:
//
//	EG_RECONCILE_BROWSER="node deploy/e2e/browser/reconcile-diff.test.mjs" go test -run TestReconcileConsoleBrowser ./cloud/http
//
// The listed meal's row and the totals row show the API's figures (the
// difference per layer, cloud − gateway, in yuan), the elder is masked,
// nothing is cut off at 1024×600; screenshots at 1024×600 and 1280×800
// (docs/, or EG_SHOT_DIR). The demo's one connected gateway has no difference to
// show (reconcile.test.mjs checks that it reconciles to zero).
import { check, launchChromium, signIn } from './screen.mjs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const shotDir = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs', import.meta.url));
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');

const yuan = (fen) => (fen < 0 ? '-' : '') + Math.floor(Math.abs(fen) / 100) + '.' + String(Math.abs(fen) % 100).padStart(2, '0');

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 } });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  await page.getByTestId('reconcile-note').waitFor({ timeout: 5000 });
  await page.getByTestId('reconcile-month').fill('2026-02');
  await page.getByTestId('reconcile-month').dispatchEvent('change');
  const row = page.getByTestId('reconcile-row');
  await row.first().waitFor({ timeout: 5000 });
  const api = await (await ctx.request.get(consoleURL + '/api/v1/reports/reconciliation?month=2026-02',
    { headers: { Authorization: 'Bearer ' + token } })).json();
  check(api.differences.length === 1 && await row.count() === 1, `rows ${await row.count()}, API ${api.differences.length}`);
  const l = api.differences[0];
  const txt = async (loc, id) => (await loc.getByTestId(id).textContent()).trim();
  check(await txt(row, 'reconcile-elder') === l.elder && !l.elder.includes('九'), `elder ${await txt(row, 'reconcile-elder')}`);
  check(await txt(row, 'reconcile-site') === l.site_name, 'site');
  check((await txt(row, 'reconcile-reason')).includes(l.cloud.limit), 'reason names the limit');
  for (const d of api.totals) {
    const x = l.layers.find((y) => y.layer === d.layer && y.code === d.code);
    check(await txt(row, 'reconcile-layer-' + d.layer) === yuan(x.fen), `layer ${d.layer}`);
    check(await txt(page.getByTestId('reconcile-total'), 'reconcile-total-' + d.layer) === yuan(d.fen), `total ${d.layer}`);
  }
  check(await txt(row, 'reconcile-subsidy') === yuan(l.subsidy_diff_fen) && yuan(l.subsidy_diff_fen) === '-10.00', 'subsidy difference');
  check(await txt(page.getByTestId('reconcile-total'), 'reconcile-total-subsidy') === yuan(api.subsidy_diff_fen), 'total subsidy difference');

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['reconcile-month', 'reconcile-unit', 'reconcile-load', 'reconcile-csv', 'reconcile-xlsx', 'reconcile-scroll']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }
  await page.getByTestId('reconcile-section').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: shotDir + '/reconciliation-diff-1024x600.png' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('reconcile-section').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: shotDir + '/reconciliation-diff-1280x800.png' });
  await page.getByTestId('lang-select').selectOption('en');
  check((await txt(row, 'reconcile-reason')).startsWith('limit reached across sites'), 'reason not in English');
  await page.screenshot({ path: shotDir + '/reconciliation-diff-1280x800-en.png' });
  console.log(`reconciliation with a difference: 1 meal listed, per-layer differences and totals on the page equal the API's, no sideways scroll at 1024×600`);
} finally {
  await browser.close();
}
