// Browser test of the releases (issue 14, docs/adr/0030-releases-in-the-cloud.md),
// against the demo, which signs its own gateway binary as release
// demo-next with a release key of its own and uploads it: the Releases
// page lists it with its platform; an upload of that release's bundle with
// another artifact is refused in words (size and SHA-256 against the signed
// manifest) and nothing is added. On gw-demo-1's page the update section
// shows the platform and version the gateway reported and offers
// demo-next; started from the console, the update reaches the gateway,
// which does not trust the demo's key (its configuration names none) and
// refuses it: the history shows it failed, with the cause in words and
// each step's time in the site's zone. Neither page scrolls sideways,
// axe-core finds no violation, and screenshots at 1024×600 and 1280×800
// go to docs/console (EG_SHOT_DIR). Runs under `go run ./deploy/demo
// -run`, which sets EG_CONSOLE_URL, EG_TOKEN, EG_USER and EG_PASSWORD.
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const docShots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
mkdirSync(docShots, { recursive: true });
const gw = 'gw-demo-1';

const apiGet = async (path) => {
  const r = await fetch(consoleURL + '/api/v1/' + path, { headers: { Authorization: 'Bearer ' + token } });
  check(r.ok, `GET ${path}: ${r.status}`);
  return r.json();
};

async function shots(page, name) {
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name} scrolls sideways by ${overflow}px at ${w}×${h}`);
    const v = await axeViolations(page);
    check(v.length === 0, `${name} ${w}×${h}: axe: ${v.join('; ')}`);
    await page.screenshot({ path: join(docShots, `${name}-${w}x${h}.png`) });
  }
}

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);

  // The Releases page lists the demo's release with its platform.
  const rels = await apiGet('releases');
  const demo = rels.find((r) => r.release === 'demo-next');
  check(demo, `the demo uploaded no release demo-next: ${JSON.stringify(rels)}`);
  await page.getByTestId('tab-releases').click();
  const row = page.locator(`[data-testid="rel-row"][data-release="${demo.id}"]`);
  await row.waitFor({ state: 'visible', timeout: 10000 });
  check((await row.getByTestId('rel-platform').textContent()) === demo.platform, 'the row shows another platform');

  // Its bundle with another artifact: refused in words, nothing added.
  const full = await apiGet('releases/' + demo.id);
  const bundle = JSON.stringify({ manifest: full.manifest, signature: full.signature });
  await page.getByTestId('rel-bundle').setInputFiles({ name: 'eldergate-gateway.release.json', mimeType: 'application/json', buffer: Buffer.from(bundle) });
  await page.getByTestId('rel-artifact').setInputFiles({ name: 'eldergate-gateway', mimeType: 'application/octet-stream', buffer: Buffer.from('not the signed binary') });
  await page.getByTestId('rel-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="rel-msg"]').dataset.state === 'error', null, { timeout: 10000 });
  const refused = (await page.getByTestId('rel-msg').textContent()).trim();
  check(refused.startsWith('上传被拒绝') && refused.includes('but the signed manifest says ' + demo.size), `refusal "${refused}"`);
  check((await apiGet('releases')).length === rels.length, 'a refused upload added a release');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shots(page, 'releases');

  // The gateway's update section: its platform and version, the release
  // offered; started, refused by the gateway, the cause shown.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(consoleURL + '/#gateway/' + gw);
  await page.getByTestId('page-gateway').waitFor({ state: 'visible', timeout: 10000 });
  await page.waitForFunction((p) => document.querySelector('[data-testid="gwu-platform"]')?.textContent === p, demo.platform, { timeout: 15000 });
  const detail = await apiGet('gateways/' + gw);
  check((await page.getByTestId('gwu-version').textContent()) === detail.version, 'the section shows another version');
  const sel = page.getByTestId('gwu-release');
  check((await sel.inputValue()) === demo.id, `the picker offers ${await sel.inputValue()}, not ${demo.id}`);
  await page.getByTestId('gwu-start').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="gwu-msg"]').dataset.state === 'ok', null, { timeout: 10000 });
  check((await page.getByTestId('gwu-msg').textContent()).includes('已发出升级命令'), 'no word that the update was sent');
  const ended = page.locator('[data-testid="gwu-row"][data-state="failed"]');
  await ended.first().waitFor({ state: 'visible', timeout: 30000 });
  const reason = (await ended.first().getByTestId('gwu-reason').textContent()).trim();
  check(reason.includes('签名不可信或不符') || reason.includes('网关拒绝了升级命令'), `reason "${reason}" not in words`);
  check(/trust(s no release key|ed release keys)/.test(reason), `reason "${reason}" without the gateway's cause`);
  check((await ended.first().getByTestId('gwu-state').textContent()).includes('旧版本照常运行'), 'the state does not say the old version runs');
  const [up] = (await apiGet(`gateways/${gw}/updates`)).filter((u) => u.state === 'failed');
  check(up && up.steps.length >= 1 && up.from_version === detail.version && up.to_version === 'demo-next', `history ${JSON.stringify(up)}`);
  await ended.first().locator('summary').click();
  const step = (await ended.first().getByTestId('gwu-step').first().textContent()).trim();
  check(/\(Asia\/Shanghai\)/.test(step), `step "${step}" without the site's zone`);
  await page.getByTestId('gwu-section').scrollIntoViewIfNeeded();
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.getByTestId('gwu-section').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the gateway page scrolls sideways by ${overflow}px at ${w}×${h}`);
    const v = await axeViolations(page);
    check(v.length === 0, `gateway update ${w}×${h}: axe: ${v.join('; ')}`);
    await page.screenshot({ path: join(docShots, `gateway-update-${w}x${h}.png`) });
  }
  console.log('releases: list, upload refused in words, update started and refused by the gateway with its cause: ok');
} finally {
  await browser.close();
}
