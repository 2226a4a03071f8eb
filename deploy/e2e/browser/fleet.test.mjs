// Browser test of the fleet pages (issue 13, docs/fleet.md), against the
// demo: from the overview's gateway list, gw-demo-1's page shows it
// online, its version, its place by name and zone; a configuration naming
// another site is refused in words; a valid one shows its diff, is pushed,
// and the status becomes in sync once the gateway applied it; the config
// command is in the history with its answer. Three gateways are created
// from a CSV on the fleet page, the printable sheet holds their three QR
// codes; one of them is re-enrolled (a new QR code). Once the gateway's first heartbeat is in (within a minute of its
// start), the page shows device health and the outbox backlog; the page
// does not scroll sideways, axe-core finds no violation, and screenshots
// at 1024×600 and 1280×800 go to docs/console (EG_SHOT_DIR). Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and EG_TOKEN.
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const docShots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
mkdirSync(docShots, { recursive: true });
const gw = 'gw-demo-1';

// The demo gateway's configuration as a push carries it: the demo file
// without its local-only settings (the gateway keeps its own).
const local = new Set(['data_dir', 'http_addr', 'mqtt', 'roster', 'till']);
let skip = false;
const demoConfig = readFileSync(new URL('../../demo/gateway.yaml', import.meta.url), 'utf8').split('\n').filter((l) => {
  const top = /^([a-z_]+):/.exec(l);
  if (top) skip = local.has(top[1]);
  return !skip;
}).join('\n');

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  const link = page.locator(`[data-testid="gateway-row"][data-gw="${gw}"] [data-testid="gateway-page-link"]`);
  await link.waitFor({ state: 'visible', timeout: 10000 });
  await link.click();
  await page.getByTestId('page-gateway').waitFor({ state: 'visible', timeout: 5000 });
  check(page.url().endsWith('#gateway/' + gw), `URL ${page.url()}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="gwp-online"]')?.dataset.online === 'true', null, { timeout: 10000 });
  const text = async (id) => (await page.getByTestId(id).textContent()).trim();
  check(await text('gwp-id') === gw, 'the page names another gateway');
  // The version as built: "0.1.0-dev" from go build, the commit from make.
  check(/^[0-9a-z][0-9a-z.+-]*$/i.test(await text('gwp-version')), `version "${await text('gwp-version')}"`);
  check((await text('gwp-place')).includes('幸福里长者饭堂') && (await text('gwp-place')).includes('幸福街道'), `place "${await text('gwp-place')}"`);
  check(await text('gwp-zone') === 'Asia/Shanghai', `zone "${await text('gwp-zone')}"`);
  check(/\(Asia\/Shanghai\)$/.test(await text('gwp-last-seen')), `last seen "${await text('gwp-last-seen')}" without its zone`);
  check(await page.getByTestId('gwp-presence-row').count() >= 1, 'no online history');

  // A configuration naming another site: refused in words, nothing pushed.
  const edit = page.getByTestId('gwp-config-edit');
  await edit.fill(demoConfig.replace('site: site-demo-1', 'site: site-other'));
  await page.getByTestId('gwp-config-check').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="gwp-config-msg"]').dataset.state === 'error', null, { timeout: 5000 });
  const refused = await text('gwp-config-msg');
  check(refused.includes('与网关登记的站点不符'), `refusal "${refused}"`);
  check(await page.getByTestId('gwp-config-push').isDisabled(), 'a refused configuration can be pushed');

  // A valid one: its diff, then the push; in sync once the gateway applied it.
  // 2 s, not longer: the tests after this one tap a card again after 3.2 s.
  const valid = demoConfig.replace('tap_dedupe: 3s', 'tap_dedupe: 2s');
  check(valid !== demoConfig, 'the demo configuration has no tap_dedupe: 3s');
  await edit.fill(valid);
  await page.getByTestId('gwp-config-check').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="gwp-config-push"]').disabled, null, { timeout: 5000 });
  check(await page.locator('[data-testid="gwp-config-diff"] .add').count() > 10, 'no diff shown before the push');
  check((await page.locator('[data-testid="gwp-config-diff"]').textContent()).includes('+ tap_dedupe: 2s'), 'the diff does not show the edit');
  await page.getByTestId('gwp-config-push').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="gwp-config-status"]').dataset.status === 'in_sync', null, { timeout: 15000 });
  check(await text('gwp-config-status') === '已同步', `status "${await text('gwp-config-status')}"`);
  check((await text('gwp-desired')).includes('tap_dedupe: 2s'), 'the desired text is not the pushed one');

  // A second edit: the diff is from the version the gateway runs.
  await edit.fill(valid.replace('tap_dedupe: 2s', 'tap_dedupe: 5s'));
  await page.getByTestId('gwp-config-check').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="gwp-config-push"]').disabled, null, { timeout: 5000 });
  const diff = await page.locator('[data-testid="gwp-config-diff"] .add, [data-testid="gwp-config-diff"] .del').allTextContents();
  check(diff.length === 2 && diff[0] === '- tap_dedupe: 2s' && diff[1] === '+ tap_dedupe: 5s', `diff against the running version: ${JSON.stringify(diff)}`);
  check((await text('gwp-config-msg')).includes('第 1 版'), `check message "${await text('gwp-config-msg')}"`);

  // The command history, newest first, with the gateway's answer.
  const cmd = page.locator('[data-testid="gwp-command"][data-type="config"]').first();
  await page.waitForFunction(() => document.querySelector('[data-testid="gwp-command"][data-type="config"]')?.dataset.state === 'succeeded', null, { timeout: 10000 });
  check((await cmd.getByTestId('gwp-command-answer').textContent()).includes('applied'), 'the config command shows no answer');

  // Bulk creation of three gateways for a new street.
  await page.getByTestId('tab-fleet').click();
  await page.getByTestId('page-fleet').waitFor({ state: 'visible', timeout: 5000 });
  await page.getByTestId('fl-csv').fill('id,site,name\ngw-new-1,site-demo-1,北门\ngw-new-2,site-demo-1,南门\nbad id,site-nowhere,\n');
  await page.getByTestId('fl-create').click();
  await page.getByTestId('fl-problem').first().waitFor({ state: 'visible', timeout: 5000 });
  check(await page.getByTestId('fl-problem').count() === 2, `${await page.getByTestId('fl-problem').count()} problems, want 2 (row 4: id and site)`);
  check((await page.getByTestId('fl-problems').textContent()).includes('站点不存在或不在您的管辖范围内'), 'the site problem is not in words');
  check(await page.locator('[data-testid="fl-row"][data-gw="gw-new-1"]').count() === 0, 'a refused file created gw-new-1');
  await page.getByTestId('fl-csv').fill('id,site,name\ngw-new-1,site-demo-1,北门\ngw-new-2,site-demo-1,南门\ngw-new-3,site-demo-1,\n');
  await page.getByTestId('fl-create').click();
  await page.getByTestId('fl-created').waitFor({ state: 'visible', timeout: 10000 });
  check(await page.getByTestId('fl-created-row').count() === 3, 'three gateways not listed as created');
  check(await page.locator('[data-testid="fl-row"][data-gw="gw-new-3"]').count() === 1, 'gw-new-3 not in the fleet list');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('fl-sheet').click()]);
  const sheet = readFileSync(await dl.path(), 'utf8');
  check((sheet.match(/<img src="data:image\/png;base64,/g) || []).length === 3 && sheet.includes('gw-new-2') && sheet.includes('北门'), 'the printable sheet lacks the three QR codes');
  const [dl2] = await Promise.all([page.waitForEvent('download'), page.getByTestId('fl-links').click()]);
  const csv = readFileSync(await dl2.path(), 'utf8');
  check(csv.split('\n').filter((l) => l.includes('eldergate://enroll?')).length === 3, 'the links CSV lacks the three links');

  // Re-enrollment of a new gateway: a confirmation, then its new QR code, once.
  await page.locator('[data-testid="fl-row"][data-gw="gw-new-1"] a').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="gwp-id"]').textContent === 'gw-new-1', null, { timeout: 5000 });
  await page.getByTestId('gwp-reenroll').click();
  await page.getByTestId('gwp-reenroll-yes').click();
  await page.getByTestId('gwp-enroll').waitFor({ state: 'visible', timeout: 5000 });
  check((await text('gwp-enroll-link')).startsWith('eldergate://enroll?'), 'no enrollment link after re-enrollment');
  check((await page.getByTestId('gwp-enroll-qr').getAttribute('src')).startsWith('data:image/png;base64,'), 'no QR code after re-enrollment');

  // Back to the gateway's page: device health and backlog come with the
  // gateway's first heartbeat (every 60 s).
  await page.goto(consoleURL + '/#gateway/' + gw);
  await page.getByTestId('gwp-device').first().waitFor({ state: 'visible', timeout: 75000 });
  check(/\d/.test(await text('gwp-backlog')), `backlog "${await text('gwp-backlog')}"`);
  check(/已校时|未校时/.test(await text('gwp-clock')), `clock "${await text('gwp-clock')}"`);
  check((await page.getByTestId('gwp-device-state').allTextContents()).every((s) => s === '正常'), 'a simulated device is not connected');

  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.evaluate(() => window.scrollTo(0, 0));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the gateway page scrolls sideways by ${overflow}px at ${w}×${h}`);
    const v = await axeViolations(page);
    check(v.length === 0, `${w}×${h}: axe: ${v.join('; ')}`);
    await page.screenshot({ path: join(docShots, `gateway-${w}x${h}.png`) });
  }
  console.log('fleet: gateway page, config refused/diff/push/in sync, command history, bulk creation of 3: ok');
} finally {
  await browser.close();
}
