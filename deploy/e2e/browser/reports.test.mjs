// Browser test of the console's Reports tab, against the demo (run after
// demo.test.mjs by `make test-browser`, so the month holds the alarm that
// test pressed and acknowledged): at 1024×600 the tab shows the alarm
// response report of the current month with its total row equal to the
// API's JSON, the page never scrolls sideways (the table scrolls inside
// its own box), the texts follow the language, and the CSV and XLSX
// downloads arrive under their names with a BOM / a ZIP signature.
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { readFileSync } from 'node:fs';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');

const mss = (s) => (s === null ? '—' : Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'));

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  await page.getByTestId('reports-section').waitFor({ state: 'visible', timeout: 5000 });
  check(await page.getByTestId('dashboard').isHidden(), 'the overview is still shown on the reports tab');

  // The month picker defaults to the current month in Shanghai.
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
  check(await page.getByTestId('response-month').inputValue() === month, `month picker shows ${await page.getByTestId('response-month').inputValue()}, want ${month}`);

  const total = page.locator('[data-testid=response-row][data-level=total]');
  await total.waitFor({ timeout: 5000 });
  const api = await (await page.request.get(consoleURL + '/api/v1/reports/response?month=' + month,
    { headers: { Authorization: 'Bearer ' + token } })).json();
  check(api.total.alarms >= 1, `the demo's alarm is not in the report: ${JSON.stringify(api.total)}`);
  check(await total.getByTestId('response-alarms').textContent() === String(api.total.alarms), 'total alarms differ from the API');
  check(await total.getByTestId('response-ack_max_s').textContent() === mss(api.total.ack_max_s), 'total ack max differs from the API');
  check(await page.getByTestId('response-row').count() === api.rows.length + 1, 'not one table row per report row plus the total');
  check((await page.getByTestId('response-note').textContent()).includes('Asia/Shanghai'), 'the note does not name the time zone');

  // 1024×600: the page does not scroll sideways; the controls are in view.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['tab-reports', 'response-month', 'response-load', 'response-csv', 'response-xlsx', 'response-scroll']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }

  // The language follows the selector.
  await page.getByTestId('lang-select').selectOption('en');
  check(await page.getByTestId('tab-reports').textContent() === 'Reports', 'the tab is not in English');
  check(await total.locator('td').first().textContent() === 'Total', 'the total row is not in English');

  // Downloads, fetched with the token and saved from a Blob.
  for (const [id, name, magic] of [['response-csv', `alarm-response-${month}.csv`, Buffer.from('\uFEFF"Alarm response report, ')],
    ['response-xlsx', `alarm-response-${month}.xlsx`, Buffer.from('PK')]]) {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId(id).click()]);
    check(dl.suggestedFilename() === name, `${id}: file ${dl.suggestedFilename()}, want ${name}`);
    const body = readFileSync(await dl.path());
    check(body.subarray(0, magic.length).equals(magic), `${id}: starts with ${JSON.stringify(body.subarray(0, 40).toString())}`);
  }
  await page.screenshot({ path: process.env.EG_SHOT || '/tmp/eldergate-reports-1024.png' });
  console.log(`reports tab: ${api.rows.length} rows + total, ${api.total.alarms} alarms, no sideways scroll at 1024×600, CSV and XLSX downloaded`);
} finally {
  await browser.close();
}
