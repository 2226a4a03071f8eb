// Browser test of the console's Menu tab (issue 11), against the demo
// (which seeds site-demo-1's menu, version 1): the seeded dishes are
// listed with prices in yuan; a price that is no money is refused in
// words; a new dish is added (names in three languages, lunch only), a
// seeded one marked sold out; saving shows the new version and that it
// was sent to the site's one gateway. At 1024×600 and 1280×800 the page
// does not scroll sideways, the controls are in view and axe-core finds
// no violation; screenshots of each (in EG_SHOTS, else a temporary
// folder, as roster.test.mjs). Then the cloud's API holds the new menu
// and the menu command queued to gw-demo-1 carries it, pending or
// answered. Runs under `go run ./deploy/demo -run`, which sets
// EG_CONSOLE_URL and EG_TOKEN.
import { launchChromium, signIn } from './screen.mjs';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const site = 'site-demo-1';
const shots = process.env.EG_SHOTS || mkdtempSync(join(tmpdir(), 'eldergate-menu-shots-'));
const check = (cond, msg) => { if (!cond) throw new Error('assertion failed: ' + msg); };
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const auth = { headers: { Authorization: 'Bearer ' + token } };

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 } });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-menu').click();
  await page.getByTestId('menu-section').waitFor({ state: 'visible', timeout: 5000 });
  check(await page.getByTestId('dashboard').isHidden(), 'the overview is still shown on the menu tab');
  await page.getByTestId('menu-site').fill(site);
  await page.getByTestId('menu-load').click();
  const summary = page.getByTestId('menu-summary');
  await page.waitForFunction(() => document.querySelector('[data-testid="menu-summary"]').dataset.version, null, { timeout: 5000, polling: 50 });
  const seeded = JSON.parse(readFileSync(new URL('../../demo/menu.json', import.meta.url), 'utf8')).dishes;
  const before = Number(await summary.getAttribute('data-version'));
  check(before >= 1, `seeded menu version ${before}`);
  check(await page.getByTestId('dish-row').count() === seeded.length, `${await page.getByTestId('dish-row').count()} dish rows, want the ${seeded.length} seeded`);
  const congee = page.locator('[data-testid="dish-row"][data-dish="millet-congee"]');
  check(await congee.getByTestId('dish-price').textContent() === '¥1.50', `小米粥 shows ${await congee.getByTestId('dish-price').textContent()}, want ¥1.50`);
  check(await congee.getByTestId('dish-windows').textContent() === '早餐', '小米粥 is not shown as a breakfast dish');

  // A new dish: a price that is no money is refused in words.
  await page.getByTestId('menu-add').click();
  await page.getByTestId('dish-form').waitFor({ state: 'visible', timeout: 3000 });
  await page.getByTestId('dish-name-zh-CN').fill('豉汁蒸排骨');
  await page.getByTestId('dish-name-zh-HK').fill('豉汁蒸排骨');
  await page.getByTestId('dish-name-en').fill('Steamed spare ribs');
  await page.getByTestId('dish-window-lunch').check();
  for (const bad of ['八块', '8.505', '0']) {
    await page.getByTestId('form-price').fill(bad);
    await page.getByTestId('dish-ok').click();
    const msg = await page.getByTestId('dish-msg').textContent();
    check(/不是金额|须在/.test(msg), `price "${bad}" refused with "${msg}"`);
    check(await page.getByTestId('dish-form').isVisible(), `price "${bad}" closed the form`);
  }
  await page.getByTestId('form-price').fill('8.5');
  await page.getByTestId('dish-ok').click();
  await page.getByTestId('dish-form').waitFor({ state: 'hidden', timeout: 3000 });
  const ribs = page.locator('[data-testid="dish-row"]', { hasText: '豉汁蒸排骨' });
  check(await ribs.getByTestId('dish-price').textContent() === '¥8.50', 'the new dish is not listed at ¥8.50');
  check(await page.getByTestId('menu-dirty').isVisible(), 'unsaved changes are not flagged');

  // A seeded dish sold out.
  const pork = page.locator('[data-testid="dish-row"][data-dish="braised-pork"]');
  await pork.getByTestId('dish-edit').click();
  check(await page.getByTestId('form-price').inputValue() === '10.00', `红烧肉's price in the form: ${await page.getByTestId('form-price').inputValue()}`);
  await page.getByTestId('dish-off').check();
  await page.getByTestId('dish-ok').click();
  await page.getByTestId('dish-form').waitFor({ state: 'hidden', timeout: 3000 });
  check(await pork.getAttribute('data-off') === 'true' && await pork.getByTestId('dish-state').textContent() === '售罄', '红烧肉 not shown sold out');

  // Save: the next version, sent to each gateway of the site (the demo's,
  // and any an earlier test enrolled there).
  const gws = (await (await fetch(consoleURL + '/api/v1/gateways', auth)).json()).filter((g) => g.site === 'site-demo-1').length;
  check(gws >= 1, 'the demo site has no gateway');
  await page.getByTestId('menu-save').click();
  const result = page.getByTestId('menu-result');
  await page.waitForFunction(() => document.querySelector('[data-testid="menu-result"]').dataset.version, null, { timeout: 5000, polling: 50 });
  const version = await result.getAttribute('data-version');
  check(Number(version) === before + 1, `saved version ${version}, want ${before + 1}`);
  const said = await result.textContent();
  check(said.includes('菜单版本 ' + version) && said.includes(`已下发到 ${gws} 台网关`), `save result "${said}"`);
  check(await summary.getAttribute('data-version') === version, 'the summary does not show the new version');
  check(await page.getByTestId('menu-dirty').isHidden(), 'still flagged unsaved after saving');
  check(await page.getByTestId('dish-row').count() === seeded.length + 1, 'the saved menu does not list the new dish');

  // Each size: nothing cut off, no sideways scroll, no axe violation.
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page scrolls sideways by ${overflow}px at ${w}×${h}`);
    for (const id of ['tab-menu', 'menu-site', 'menu-load', 'menu-add', 'menu-save', 'menu-result']) {
      const b = await page.getByTestId(id).boundingBox();
      check(b && b.x >= 0 && b.x + b.width <= w, `${w}×${h}: ${id} is cut off: ${JSON.stringify(b)}`);
    }
    await page.evaluate(axeSource);
    const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
    check(res.violations.length === 0, `${w}×${h}: axe: ${res.violations.map((v) => v.id + ' ' + v.nodes.map((n) => n.target).join(',')).join('; ')}`);
    await page.screenshot({ path: join(shots, `console-menu-zh-CN-${w}x${h}.png`), fullPage: true });
  }
  // The dish form open, in English.
  await page.getByTestId('lang-select').selectOption('en');
  check(await page.getByTestId('tab-menu').textContent() === 'Menu', 'the tab is not in English');
  check(await pork.getByTestId('dish-state').textContent() === 'Sold out', 'the state is not in English');
  check((await result.textContent()).startsWith('Saved: menu version ' + version), `the save result is not in English: "${await result.textContent()}"`);
  await ribs.getByTestId('dish-edit').click();
  await page.setViewportSize({ width: 1024, height: 600 });
  await page.getByTestId('dish-ok').scrollIntoViewIfNeeded();
  const okBox = await page.getByTestId('dish-ok').boundingBox();
  check(okBox && okBox.y >= 0 && okBox.y + okBox.height <= 600 && okBox.x + okBox.width <= 1024, `1024×600: the form's OK is not reachable: ${JSON.stringify(okBox)}`);
  await page.screenshot({ path: join(shots, 'console-menu-form-en-1024x600.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(axeSource);
  const resForm = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  check(resForm.violations.length === 0, `dish form: axe: ${resForm.violations.map((v) => v.id + ' ' + v.nodes.map((n) => n.target).join(',')).join('; ')}`);
  await page.screenshot({ path: join(shots, 'console-menu-form-en-1280x800.png'), fullPage: true });

  // The cloud holds the menu, and the command queued to gw-demo-1 carries it.
  const menu = await (await page.request.get(`${consoleURL}/api/v1/sites/${site}/menu`, auth)).json();
  check(menu.version === version, `API menu version ${menu.version}, want ${version}`);
  const added = menu.dishes.find((d) => d.name['zh-CN'] === '豉汁蒸排骨');
  check(added && added.price_fen === 850 && added.name.en === 'Steamed spare ribs' && added.windows.join() === 'lunch', `added dish in the API: ${JSON.stringify(added)}`);
  check(menu.dishes.find((d) => d.id === 'braised-pork').off === true, '红烧肉 not sold out in the API');
  const ids = (await result.getAttribute('data-commands')).split(' ');
  check(ids.length === gws, `commands ${ids}, want one per gateway of the site (${gws})`);
  let cmd;
  for (const until = Date.now() + 10000; Date.now() < until;) {
    const list = await (await page.request.get(`${consoleURL}/api/v1/gateways/gw-demo-1/commands`, auth)).json();
    cmd = list.find((c) => ids.includes(c.id));
    if (cmd && cmd.result_at) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(cmd && cmd.type === 'menu' && cmd.body.version === version && cmd.body.site === site && cmd.body.dishes.length === seeded.length + 1,
    `menu command to gw-demo-1: ${JSON.stringify(cmd && { type: cmd.type, version: cmd.body.version })}`);
  check(cmd.result_at && cmd.ok, `gw-demo-1 did not take the menu: ${cmd.result_at ? cmd.error : 'no answer'}`);
  const answer = 'answered ok';
  console.log(`menu: ${seeded.length} seeded dishes listed, bad prices refused in words, a dish added and one sold out, saved as version ${version}, sent to gw-demo-1 (${answer}), no axe violation and nothing cut off at 1024×600 and 1280×800; screenshots in ${shots}`);
} finally {
  await browser.close();
}
