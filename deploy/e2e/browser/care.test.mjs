// Browser test of the console's Care visits tab (issue 12), run by
// TestCareConsoleBrowser (cloud/http/care_browser_test.go) against its
// fixture: two regulars who stopped coming, in communities c-a1 and c-b1,
// seven days away on the fixture's clock. At 1024×600 the tab lists both
// with masked names and no sideways scroll; the CSV download holds the
// same elders and their total; the list narrows to one community; a visit
// is marked with an outcome and a note and moves the elder to the visited
// table; the rule editor stores a street's rule and
// the list follows it; the texts follow the language. Screenshots go to
// docs/ (or EG_SHOT_DIR).
import { check, launchChromium, signIn } from './screen.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const shots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs', import.meta.url));


const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-care').click();
  await page.getByTestId('care-section').waitFor({ state: 'visible', timeout: 5000 });
  const rows = page.getByTestId('care-row');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=care-row]').length === 2, null, { timeout: 5000 });
  const html = await page.content();
  check(!html.includes('欧阳大爷'), 'a full name is on the page');
  check((await rows.first().getByTestId('care-absent').textContent()) === '7 天', 'days away not shown as 7 天');
  check((await rows.first().getByTestId('care-pattern').textContent()) === '3 · 3 · 3 · 3', 'pattern not 3 · 3 · 3 · 3');
  check((await page.getByTestId('care-note').textContent()).includes('Asia/Shanghai'), 'the note does not name the zone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  await page.screenshot({ path: shots + '/care-1024x600.png' });

  // The CSV download holds the same two elders and their total.
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('care-csv').click()]);
  check(/^care-visits-\d{4}-\d{2}-\d{2}\.csv$/.test(dl.suggestedFilename()), `csv file ${dl.suggestedFilename()}`);
  const csvText = readFileSync(await dl.path(), 'utf8');
  check(csvText.includes('\r\n合计,2,'), 'the CSV total is not 2 elders');
  for (const id of ['E-A', 'E-B']) check(csvText.includes(',' + id + ','), `the CSV lacks ${id}`);
  check(!csvText.includes('欧阳大爷'), 'the CSV has a full name');

  // One community.
  await page.getByTestId('care-unit').selectOption('c-a1');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=care-row]').length === 1, null, { timeout: 5000 });
  check(await rows.first().getAttribute('data-elder') === 'E-A', 'c-a1 does not list E-A');

  // English, 1280×800, the visit form open.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('lang-select').selectOption('en');
  check(await page.getByTestId('tab-care').textContent() === 'Care visits', 'the tab is not in English');
  await rows.first().getByTestId('care-visit-button').click();
  await page.getByTestId('care-form').waitFor({ state: 'visible', timeout: 5000 });
  await page.getByTestId('care-outcome').selectOption('not_home');
  await page.getByTestId('care-text').fill('Neighbour says she is at her daughter\'s; call again Friday');
  await page.screenshot({ path: shots + '/care-1280x800-en.png', fullPage: true });
  await page.getByTestId('care-submit').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=care-row]').length === 0 &&
    document.querySelectorAll('[data-testid=care-visited-row]').length === 1, null, { timeout: 5000 });
  const visited = page.getByTestId('care-visited-row').first();
  check((await visited.getByTestId('care-visited-outcome').textContent()) === 'not at home', 'outcome not shown');
  check((await visited.getByTestId('care-visited-note').textContent()).startsWith('Neighbour says'), 'note not shown');
  check(await page.getByTestId('care-form').isHidden(), 'the form stays open after marking');

  // The rule: street st-a waits 10 days; the whole list (E-B of st-b) follows.
  await page.getByTestId('care-unit').selectOption('');
  await page.getByTestId('care-rule-unit').selectOption('st-a');
  await page.waitForFunction(() => document.getElementById('care-days').value === '7', null, { timeout: 5000 });
  await page.getByTestId('care-days').fill('10');
  await page.getByTestId('care-rule-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=care-rule-msg]').textContent.includes('Rule saved'), null, { timeout: 5000 });
  check((await page.getByTestId('care-rule-msg').textContent()).includes('listed after 10 days away (its own)'), 'the rule message does not say 10 days, its own');
  await page.getByTestId('care-days').fill('0');
  await page.getByTestId('care-rule-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=care-rule-msg]').textContent.includes('absent_days is 0'), null, { timeout: 5000 });
  check(await page.getByTestId('care-rule-msg').getAttribute('data-state') === 'error', 'a refused rule is not shown as an error');
  // The rule's texts follow the language too.
  await page.getByTestId('lang-select').selectOption('zh-HK');
  check((await page.getByTestId('care-rule-msg').textContent()).includes('未到 10 天列入名單'), 'the rule message is not in zh-HK');
  check((await page.getByTestId('care-unit').locator('option').first().textContent()) === '全部（我的範圍）', 'the unit picker is not in zh-HK');
  console.log('care tab: 2 elders listed with masked names and in the CSV, 1 in c-a1, visit marked with a note, street rule stored and a bad one refused in words; screenshots in ' + shots);
} finally {
  await browser.close();
}
