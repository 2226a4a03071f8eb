// Browser test of the console's roster & policy tab, against the demo
// (run after demo.test.mjs by `make test-browser`): a roster file with one
// bad row is refused and the report names that row; the corrected file is
// accepted and its version shown; a card marked lost shows as lost; a bad
// policy file shows its validation error, a good one is listed and assigned.
// The demo's org tree is empty, so the site is the demo gateway's.
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const site = 'site-demo-1';
const shots = mkdtempSync(join(tmpdir(), 'eldergate-roster-shots-'));

const csv = (text) => ({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
const header = '编号,姓名,卡号,出生日期,类别\n';
// Row 3 (the header is row 1) has a birth date that is no date.
const bad = header + 'E1001,张三明,04A1B2C3,1948-03-02,低保\nE1002,李秀英,04B2C3D4,1941-13-15,\nE1003,王建国,04C3D4E5,1950-10-01,\n';
const good = bad.replace('1941-13-15', '1941-07-15');

const t0 = Date.now();
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-roster').click();
  await page.getByTestId('roster-section').waitFor({ state: 'visible', timeout: 5000 });
  check(await page.getByTestId('dashboard').isHidden(), 'the overview is still shown on the roster tab');
  // With no site in the org tree the console says so and takes a typed
  // site (the demo gateway's).
  const org = await (await page.request.get(consoleURL + '/api/v1/org', { headers: { Authorization: 'Bearer ' + token } })).json();
  const orgSites = org.filter((u) => u.level === 'site').length;
  await page.getByTestId('roster-nosites').waitFor({ state: orgSites ? 'hidden' : 'visible', timeout: 5000 });
  await page.getByTestId('roster-site').fill(site);

  // 1. One bad row: refused, the report names row 3 and its column.
  await page.getByTestId('roster-file').setInputFiles(csv(bad));
  await page.getByTestId('roster-import').click();
  const reportRow = page.getByTestId('report-row');
  await reportRow.first().waitFor({ timeout: 5000 });
  check(await reportRow.count() === 1, `report has ${await reportRow.count()} rows, want 1`);
  check(await reportRow.getAttribute('data-row') === '3', `report names row ${await reportRow.getAttribute('data-row')}, want 3`);
  check((await reportRow.getByTestId('report-column').textContent()) === '出生日期', 'report does not name the column 出生日期');
  check(/1941-13-15/.test(await reportRow.getByTestId('report-message').textContent()), 'report message does not quote the bad date');
  const refused = page.getByTestId('roster-result');
  check(await refused.getAttribute('data-state') === 'error', 'refusal not shown as an error');
  check((await refused.textContent()).includes('1 个问题'), `refusal text "${await refused.textContent()}" does not count 1 problem`);
  await page.screenshot({ path: join(shots, 'roster-refused.png') });

  // 2. Corrected file: the check passes, the import shows the new version.
  await page.getByTestId('roster-file').setInputFiles(csv(good));
  await page.getByTestId('roster-check').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="roster-result"]').textContent.startsWith('检查通过'), null, { timeout: 5000, polling: 50 });
  check(await page.getByTestId('roster-report').isHidden(), 'the old report is still shown after a passing check');
  check((await refused.textContent()).includes('3 位长者'), `check result "${await refused.textContent()}" does not count 3 elders`);
  // The file replaces the demo's roster (the 10 elders the demo seeds):
  // the import asks for the second confirmation (roster-preview.test.mjs).
  await page.getByTestId('roster-import').click();
  await page.getByTestId('roster-confirm').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="roster-result"]').dataset.version, null, { timeout: 5000, polling: 50 });
  const version = await refused.getAttribute('data-version');
  check(Number(version) >= 1, `imported version ${version}`);
  check((await refused.textContent()).includes('名单版本 ' + version), `import result "${await refused.textContent()}" does not show version ${version}`);
  await page.waitForFunction((v) => document.querySelector('[data-testid="roster-summary"]').dataset.version === v, version, { timeout: 5000, polling: 50 });
  const rows = page.getByTestId('roster-row');
  check(await rows.count() === 3, `roster shows ${await rows.count()} rows, want 3`);
  const names = await page.getByTestId('roster-name').allTextContents();
  check(names.every((n) => /^\S\*+\S$/u.test(n)) && names.includes('张*明'), `names not masked: ${names}`);
  const values = await page.getByTestId('cred-value').allTextContents();
  check(values.includes('****B2C3') && !values.some((v) => /04A1/.test(v)), `card numbers not masked: ${values}`);

  // 3. Lost card: a wrong number is refused in the browser, the right one
  // marks the card lost and the roster version grows.
  const row = page.locator('[data-testid="roster-row"][data-elder="E1001"]');
  await row.getByTestId('lost-button').click();
  await row.getByTestId('lost-value').fill('04A1FFFF');
  await row.getByTestId('lost-confirm-button').click();
  check(await page.getByTestId('cred-result').getAttribute('data-state') === 'error', 'a mismatching number was not refused');
  check(await row.getAttribute('data-cred-state') === 'active', 'card changed state on a mismatching number');
  await row.getByTestId('lost-value').fill('04a1 b2c3');
  await row.getByTestId('lost-confirm-button').click();
  await page.waitForFunction(() => {
    const r = document.querySelector('[data-testid="roster-row"][data-elder="E1001"]');
    return r && r.dataset.credState === 'lost';
  }, null, { timeout: 5000, polling: 50 });
  check((await row.getByTestId('cred-state').textContent()) === '已挂失', 'lost state not shown in zh-CN');
  check(await row.getByTestId('lost-button').count() === 0, 'a lost card still offers "lost"');
  const after = await page.getByTestId('roster-summary').getAttribute('data-version');
  check(Number(after) === Number(version) + 1, `version after the lost card is ${after}, want ${Number(version) + 1}`);
  check((await page.getByTestId('cred-result').textContent()).includes('已挂失'), 'lost result not shown');
  const other = page.locator('[data-testid="roster-row"][data-elder="E1002"]');
  check(await other.getAttribute('data-cred-state') === 'active', 'another elder\'s card changed state');
  await page.screenshot({ path: join(shots, 'roster-lost.png') });

  // 4. Policies (their own page since issue 13): a bad file shows the
  // validation error; a good one is listed and assigned to the site.
  await page.getByTestId('tab-policies').click();
  await page.locator(`[data-testid="policy-site"] option[value="${site}"]`).waitFor({ state: 'attached', timeout: 5000 });
  await page.getByTestId('policy-site').selectOption(site);
  await page.getByTestId('policy-file').setInputFiles({ name: 'bad.yaml', mimeType: 'application/yaml', buffer: Buffer.from('version: bad-1\nname: x\n') });
  await page.getByTestId('policy-upload').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="policy-result"]').dataset.state === 'error', null, { timeout: 5000, polling: 50 });
  check(/time_zone/.test(await page.getByTestId('policy-result').textContent()), `policy error "${await page.getByTestId('policy-result').textContent()}" does not name time_zone`);
  const body = readFileSync(new URL('../../../docs/policies/shenzhen-2025.yaml', import.meta.url));
  await page.getByTestId('policy-file').setInputFiles({ name: 'shenzhen-2025.yaml', mimeType: 'application/yaml', buffer: body });
  await page.getByTestId('policy-upload').click();
  const prow = page.locator('[data-testid="policy-row"][data-version="shenzhen-2025.1"]');
  await prow.waitFor({ timeout: 5000 });
  await prow.getByTestId('policy-assign').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="policy-result"]').textContent.includes('已分配给站点'), null, { timeout: 5000, polling: 50 });
  check((await page.getByTestId('policy-result').textContent()).includes(site), 'assignment does not name the site');

  // The tab follows the language switch.
  await page.getByTestId('lang-select').selectOption('en');
  check((await row.getByTestId('cred-state').textContent()) === 'lost', 'lost state not shown in en');
  await page.screenshot({ path: join(shots, 'roster-policy.png') });
  console.log(`browser: roster refused naming row 3, imported as version ${version}, card lost at version ${after}, policy stored and assigned in ${Date.now() - t0} ms; screenshots in ${shots}`);
} catch (e) {
  // Say what the page showed: a timeout alone does not tell which step.
  const pages = browser.contexts().flatMap((c) => c.pages());
  if (pages.length) {
    const p = pages[0];
    await p.screenshot({ path: join(shots, 'roster-failure.png') }).catch(() => {});
    for (const id of ['roster-result', 'roster-summary', 'cred-result', 'policy-result']) {
      console.error(id + ':', await p.getByTestId(id).textContent({ timeout: 500 }).catch(() => '?'));
    }
  }
  console.error('screenshots in ' + shots);
  throw e;
} finally {
  await browser.close();
}
