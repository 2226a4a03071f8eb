// Browser test of closing a settlement month in the console's Reports tab
// (issue 12), against the demo: the last month is open and the admin sees
// a close button; the close asks to confirm; after it the page shows the
// statement's number, who closed it, when and its SHA-256, the close
// button is gone, the API answers the stored statement, and the stored
// bytes fetched from the API hash to the SHA-256 the page shows. The
// current month (not ended) offers no close. Screenshots of the closed
// statement at 1024×600 and 1280×800 (docs/, or EG_SHOT_DIR). Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const shotDir = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs', import.meta.url));
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');


const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  await page.locator('[data-testid=settlement-row][data-level=total]').waitFor({ timeout: 5000 });
  const status = page.getByTestId('settlement-status');

  // The current month has not ended: open, no close button.
  check(await status.getAttribute('data-state') === 'open', 'the current month is not shown open');
  check(await page.getByTestId('settlement-close').isHidden(), 'a close button for a month that has not ended');

  // The last month (in Asia/Shanghai).
  const now = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
  const [y, m] = now.split('-').map(Number);
  const last = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  await page.getByTestId('settlement-month').fill(last);
  await page.getByTestId('settlement-month').dispatchEvent('change');
  await page.waitForFunction((mo) => document.querySelector('[data-testid=settlement-status-text]').textContent.startsWith(mo), last, { timeout: 5000 });
  check(await status.getAttribute('data-state') === 'open', `${last} is not open before the close`);
  const close = page.getByTestId('settlement-close');
  check(await close.isVisible(), 'no close button for the admin');

  // The confirm step: cancel first, then confirm.
  await close.click();
  check(await page.getByTestId('settlement-confirm').isVisible(), 'no confirm step');
  await page.getByTestId('settlement-close-cancel').click();
  check(await page.getByTestId('settlement-confirm').isHidden(), 'cancel did not hide the confirm step');
  check(await status.getAttribute('data-state') === 'open', 'cancel closed the month');
  await close.click();
  const confirmText = await page.getByTestId('settlement-confirm').textContent();
  check(confirmText.includes(last), `the confirm step does not name the month: ${confirmText}`);
  await page.getByTestId('settlement-close-confirm').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=settlement-status]').dataset.state === 'closed', null, { timeout: 5000 });

  const number = `JS-ALL-${last.replace('-', '')}-01`;
  const text = await page.getByTestId('settlement-status-text').textContent();
  const me = await page.evaluate(() => EG.me().name); // who closed: the signed-in person, by name
  check(text.includes(number) && text.includes(me), `status after the close (by ${me}): ${text}`);
  check(await close.isHidden(), 'the close button is still shown for a closed month');
  const shaShown = (await page.getByTestId('settlement-sha256').textContent()).replace(/^SHA-256[：:]\s*/, '').trim();
  check(/^[0-9a-f]{64}$/.test(shaShown), `SHA-256 shown: ${shaShown}`);

  // The API answers the stored statement; its bytes hash to the SHA-256.
  const auth = { headers: { Authorization: 'Bearer ' + token } };
  const rep = await (await page.request.get(consoleURL + '/api/v1/reports/settlement?month=' + last, auth)).json();
  check(rep.statement && rep.statement.number === number && rep.statement.sha256 === shaShown, `API statement ${JSON.stringify(rep.statement)}`);
  const raw = await (await page.request.get(consoleURL + '/api/v1/reports/statements/' + number, auth)).body();
  const sum = createHash('sha256').update(raw).digest('hex');
  check(sum === shaShown, `sha256 of the stored bytes ${sum}, shown ${shaShown}`);
  // A second close is refused.
  const again = await page.request.post(consoleURL + '/api/v1/reports/settlement/close', { ...auth, data: { month: last } });
  check(again.status() === 409, `second close: ${again.status()}`);

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['settlement-status-text', 'settlement-sha256', 'settlement-bytes']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('settlement-bytes').click()]);
  check(dl.suggestedFilename() === number + '.json', `statement download ${dl.suggestedFilename()}`);

  await page.evaluate(() => document.getElementById('st-title').scrollIntoView());
  await page.screenshot({ path: shotDir + '/settlement-closed-1024x600.png' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => document.getElementById('st-title').scrollIntoView());
  await page.screenshot({ path: shotDir + '/settlement-closed-1280x800.png' });

  await page.getByTestId('lang-select').selectOption('en');
  check((await page.getByTestId('settlement-status-text').textContent()).includes('is closed: statement ' + number), 'the status is not in English');
  console.log(`close: ${last} closed in the console as ${number}, sha256 ${shaShown} = sha256 of the stored bytes; second close 409; current month offers no close`);
} finally {
  await browser.close();
}
