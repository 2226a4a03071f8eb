// Browser test of the reconciliation section of the console's Reports
// tab, against the demo (run after demo.test.mjs, so the month holds the
// meal that test tapped, and before roster.test.mjs, which replaces the
// demo's cards). It gives the cloud what the demo gateway decided with:
// the gateway's own policy version (the policy block of
// deploy/demo/gateway.yaml, stored as is) and the gateway's roster on the
// cloud roster of the site; the demo's org tree carries the gateway's
// area as division codes. The demo's one gateway is connected, so every
// meal must reconcile to zero difference: the page says so, its figures
// are the API's, the CSV download is the reconciliation's table, the page
// never scrolls sideways, and screenshots at 1024×600 and 1280×800
// (docs/, or EG_SHOT_DIR) show the section.
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { readFileSync } from 'node:fs';
import { demoPolicy, demoRoster } from './democonfig.mjs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const shotDir = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs', import.meta.url));
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');

const auth = { Authorization: 'Bearer ' + token };

// The demo gateway's policy and roster, as its configuration holds them.
const policyBody = demoPolicy;
const roster = demoRoster();
check(roster.length >= 5, `roster lines ${roster.length}`);

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const req = ctx.request;
  let r = await req.post(consoleURL + '/api/v1/policies', { headers: { ...auth, 'Content-Type': 'application/yaml' }, data: policyBody });
  check(r.status() === 201 || r.status() === 200, `store the gateway's policy: ${r.status()} ${await r.text()}`);
  r = await req.post(consoleURL + '/api/v1/sites/site-demo-1/roster/import', {
    headers: { ...auth, 'Content-Type': 'text/csv' }, data: Buffer.from(roster.join('\n') + '\n', 'utf8'),
  });
  check(r.ok(), `import the gateway's roster: ${r.status()} ${await r.text()}`);
  const org = await (await req.get(consoleURL + '/api/v1/org', { headers: auth })).json();
  check(org.find((u) => u.id === 'demo-district').code === '440307', 'the demo district carries no code');

  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  // The org tree shows the codes.
  await page.locator('[data-testid=org-row][data-unit=demo-street] [data-testid=org-code]').waitFor({ timeout: 5000 });
  check(await page.locator('[data-testid=org-row][data-unit=demo-street] [data-testid=org-code]').textContent() === '440307001', 'street code not shown');
  await page.getByTestId('tab-reports').click();
  const empty = page.getByTestId('reconcile-empty');
  await empty.waitFor({ timeout: 5000 });
  const month = await page.getByTestId('reconcile-month').inputValue();
  const api = await (await req.get(consoleURL + '/api/v1/reports/reconciliation?month=' + month, { headers: auth })).json();
  check(api.compared >= 1, `the demo's meal was not re-decided: ${JSON.stringify(api)}`);
  check(api.differences.length === 0 && api.totals.length === 0, `a connected gateway's meals differ: ${JSON.stringify(api.differences)}`);
  check(api.not_redecidable.length === 0, `not re-decidable: ${JSON.stringify(api.not_redecidable)}`);
  const note = await page.getByTestId('reconcile-note').textContent();
  check(note.includes(`已复核 ${api.compared} 餐`) && note.includes('其中 0 餐有差异'), `note: ${note}`);
  check(await page.getByTestId('reconcile-row').count() === 0, 'rows shown for no difference');

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['reconcile-month', 'reconcile-unit', 'reconcile-load', 'reconcile-csv', 'reconcile-xlsx', 'reconcile-scroll']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('reconcile-csv').click()]);
  check(dl.suggestedFilename() === `reconciliation-${month}.csv`, `csv file ${dl.suggestedFilename()}`);
  const csv = readFileSync(await dl.path()).toString('utf8');
  check(csv.startsWith('\uFEFF' + Number(month.slice(0, 4)) + '年' + Number(month.slice(5)) + '月 长者助餐补贴复核差异表'), `csv title: ${csv.slice(0, 40)}`);
  check(csv.includes('合计') && csv.includes('制表人'), 'the CSV has no totals or signature lines');
  const [dx] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('reconcile-xlsx').click()]);
  check(readFileSync(await dx.path()).subarray(0, 2).toString() === 'PK', 'the XLSX is not a ZIP');

  await page.getByTestId('reconcile-section').scrollIntoViewIfNeeded();
  await page.getByTestId('reconcile-section').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: shotDir + '/reconciliation-1024x600.png' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('reconcile-section').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: shotDir + '/reconciliation-1280x800.png' });

  await page.getByTestId('lang-select').selectOption('en');
  check((await empty.textContent()).startsWith('No differences this month'), 'the empty state is not in English');
  console.log(`reconciliation: ${api.meals} meals of the demo month, ${api.compared} re-decided by the cloud, 0 differences (a connected gateway); CSV and XLSX downloaded, no sideways scroll at 1024×600`);
} finally {
  await browser.close();
}
