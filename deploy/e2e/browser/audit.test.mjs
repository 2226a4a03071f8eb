// Browser test of the audit log (issue 13, docs/audit.md): the
// administrator changes the care rule of the demo street twice in the
// console (absent days 9, then 11); the audit page lists the change with
// who made it, from where, the action, the street by name and the status;
// opened, the entry shows before (9) and after (11) side by side with
// the changed field marked; the CSV download holds the row; the chain
// verifies. Screenshots at 1024×600 and 1280×800 in docs/console/; at
// both sizes the page does not scroll sideways. Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
if (!consoleURL) throw new Error('EG_CONSOLE_URL must be set');
const shots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
const route = 'PUT /api/v1/org/{id}/care-rule';

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('dashboard').waitFor({ state: 'visible', timeout: 10000 });

  // The change: the street's care rule, absent days 9 then 11.
  await page.goto(consoleURL + '/#care');
  await page.getByTestId('care-section').waitFor({ state: 'visible', timeout: 5000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#care-rule-unit option')].some((o) => o.value === 'demo-street'), null, { timeout: 5000 });
  await page.getByTestId('care-rule-unit').selectOption('demo-street');
  await page.waitForFunction(() => document.getElementById('care-days').value !== '', null, { timeout: 5000 });
  for (const days of ['9', '11']) {
    await page.getByTestId('care-days').fill(days);
    await page.getByTestId('care-rule-save').click();
    await page.waitForFunction((d) => document.querySelector('[data-testid=care-rule-msg]').textContent.includes(d), days, { timeout: 5000 });
  }

  // The audit page finds it.
  await page.getByTestId('tab-audit').click();
  await page.getByTestId('page-audit').waitFor({ state: 'visible', timeout: 5000 });
  await page.getByTestId('au-route').fill('care-rule');
  await page.getByTestId('au-target').fill('demo-street');
  await page.getByTestId('au-search').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=au-row]').length === 2, null, { timeout: 5000 });
  const row = page.getByTestId('au-row').first();
  const text = async (id) => (await row.getByTestId(id).textContent()).trim();
  const me = await page.evaluate(() => EG.me().name); // the signed-in person made the change
  check((await text('au-c-who')).startsWith(me + ' ('), `who: ${await text('au-c-who')}, want ${me}`);
  check((await text('au-c-action')) === route, `action: ${await text('au-c-action')}`);
  check((await text('au-c-target')).includes('幸福街道'), `target not by name: ${await text('au-c-target')}`);
  check((await text('au-c-unit')) === '幸福街道', `unit: ${await text('au-c-unit')}`);
  check((await text('au-c-status')) === '200', `status: ${await text('au-c-status')}`);
  check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Asia\/Shanghai\)$/.test(await text('au-c-time')), `time without its zone: ${await text('au-c-time')}`);
  check((await text('au-c-from')) === '127.0.0.1', `from: ${await text('au-c-from')}`);

  // Opened: before 9 and after 11, the field marked as changed.
  await row.click();
  await page.getByTestId('au-detail').waitFor({ state: 'visible', timeout: 5000 });
  const changed = page.getByTestId('au-changed');
  check(await changed.count() === 1, `${await changed.count()} fields marked changed, want 1`);
  check((await changed.getByTestId('au-field').textContent()) === 'absent_days', 'the marked field is not absent_days');
  check((await changed.getByTestId('au-before').textContent()) === '9', 'before is not 9');
  check((await changed.getByTestId('au-after').textContent()) === '11', 'after is not 11');
  check(/^[0-9a-f]{64}$/.test((await page.getByTestId('au-detail-hash').textContent()).split(' ')[1]), 'no hash shown');

  // The chain verifies.
  await page.getByTestId('au-verify').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=au-verify-msg]').dataset.state === 'ok', null, { timeout: 5000 });

  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(await overflow() <= 0, `the page scrolls sideways by ${await overflow()}px at 1024×600`);
  await page.screenshot({ path: shots + '/audit-1024x600.png', fullPage: true });

  // The CSV holds the row.
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('au-csv').click()]);
  check(/^audit-\d{8}-\d{4}\.csv$/.test(dl.suggestedFilename()), `csv file ${dl.suggestedFilename()}`);
  const csv = readFileSync(await dl.path(), 'utf8');
  const line = csv.split('\r\n').find((l) => l.includes(route) && l.includes('""absent_days"":11,'));
  check(line && line.includes(`,${me},`) && line.includes('幸福街道 (demo-street)') && line.includes('""absent_days"":9,'), `the CSV lacks the change:\n${csv}`);

  // English, 1280×800.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('lang-select').selectOption('en');
  check((await page.getByTestId('tab-audit').textContent()) === 'Audit log', 'the tab is not in English');
  check((await page.getByTestId('au-verify-msg').textContent()).startsWith('Hash chain intact'), 'the verification is not in English');
  check(await overflow() <= 0, `the page scrolls sideways by ${await overflow()}px at 1280×800`);
  await page.screenshot({ path: shots + '/audit-1280x800.png' });
  console.log('audit: the care rule change is in the audit log with its before and after; CSV and chain checked');
} finally {
  await browser.close();
}
