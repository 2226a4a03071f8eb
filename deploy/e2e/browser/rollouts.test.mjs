// Browser test of the Updates page (issue 14, docs/adr/0031-rollouts-in-waves.md),
// against the demo: a release for the demo gateway's platform is signed
// with the demo's release key and uploaded with `eldergate-cloud release`;
// on the Updates page an operator previews a rollout of it to the demo
// site (one wave of one gateway), starts it, and follows it: gw-demo-1
// either waits for the site's meal window to end (the time shown in the
// site's zone, named) or is sent its update and ends; a refusal (the
// whole fleet while gw-demo-1 is taken) is shown in words; the rollout is
// halted, resumed and cancelled, in three languages. The page does not
// scroll sideways, axe-core finds no violation, and screenshots at
// 1024×600 and 1280×800 go to docs/console (EG_SHOT_DIR). Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL, EG_TOKEN and
// EG_RELEASE_KEY.
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const key = process.env.EG_RELEASE_KEY;
if (!consoleURL || !token || !key) throw new Error('EG_CONSOLE_URL, EG_TOKEN and EG_RELEASE_KEY must be set');
const docShots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
mkdirSync(docShots, { recursive: true });
const cloudBin = fileURLToPath(new URL('../../../bin/eldergate-cloud', import.meta.url));
const gw = 'gw-demo-1';

async function api(method, path, body) {
  const res = await fetch(consoleURL + path, {
    method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, data: await res.json().catch(() => ({})) };
}

// The platform gw-demo-1 reported at its birth.
let platform = '';
for (let i = 0; i < 50 && !platform; i++) {
  platform = (await api('GET', '/api/v1/gateways/' + gw)).data.platform || '';
  if (!platform) await new Promise((r) => setTimeout(r, 200));
}
check(platform, 'gw-demo-1 reported no platform');

// A release for it: a small artifact (the gateway refuses it: the demo
// gateway trusts no release key), signed and uploaded with the CLI.
const dir = mkdtempSync(join(tmpdir(), 'eg-release-'));
const artifact = join(dir, 'eldergate-gateway');
writeFileSync(artifact, 'not a real gateway binary\n'.repeat(40));
const name = 'v9.' + Date.now() % 100000;
execFileSync(cloudBin, ['release', 'sign', '--key', key, '--artifact', artifact, '--release', name, '--version', name.slice(1), '--platform', platform]);
const up = execFileSync(cloudBin, ['release', 'upload', '--url', consoleURL, '--token', token, '--artifact', artifact]).toString();
const relID = (/uploaded: release (\S+)/.exec(up) || [])[1];
check(relID, `upload said "${up}"`);

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-rollouts').click();
  await page.getByTestId('page-rollouts').waitFor({ state: 'visible', timeout: 5000 });
  check(page.url().endsWith('#rollouts'), `URL ${page.url()}`);
  await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid="ro-release"] option')].some((o) => o.value === id), relID, { timeout: 5000 });
  await page.getByTestId('ro-release').selectOption(relID);
  await page.getByTestId('ro-kind').selectOption('site');
  await page.getByTestId('ro-target').fill('site-demo-1');
  await page.getByTestId('ro-waves').fill('1, 50%, 其余');
  await page.getByTestId('ro-preview').click();
  await page.getByTestId('ro-plan-wave').first().waitFor({ state: 'visible', timeout: 5000 });
  const plan = await page.getByTestId('ro-plan-wave').allTextContents();
  check(plan.length === 3 && plan[0] === '第 1 批：1 台' && plan[1] === '第 2 批：0 台', `preview ${JSON.stringify(plan)}`);
  check((await page.getByTestId('ro-plan').textContent()).includes(platform), 'the preview does not name the platform');

  // Start: the rollout's page, its wave 1 with gw-demo-1.
  await page.getByTestId('ro-start').click();
  await page.getByTestId('ro-detail').waitFor({ state: 'visible', timeout: 5000 });
  check(/#rollouts\/ro-/.test(page.url()), `URL ${page.url()}`);
  const row = page.locator(`[data-testid="ro-gw"][data-gw="${gw}"]`);
  // gw-demo-1 waits for its meal window's end, or goes and ends (refused
  // by the gateway: no trusted key) — whichever the demo's clock says.
  await page.waitForFunction((gw) => {
    const r = document.querySelector(`[data-testid="ro-gw"][data-gw="${gw}"]`);
    return r && (r.dataset.wait === 'meal_window' || ['failed', 'rolled_back', 'committed'].includes(r.dataset.state));
  }, gw, { timeout: 20000 });
  const wait = await row.getAttribute('data-wait');
  const gwText = await row.textContent();
  if (wait === 'meal_window') {
    check(/用餐时段，\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\) 后开始/.test(gwText), `waiting row "${gwText}" lacks the window's end in its zone`);
  } else {
    const st = page.getByTestId('ro-d-state');
    await page.waitForFunction(() => document.querySelector('[data-testid="ro-d-state"]').dataset.state !== 'running', null, { timeout: 10000 });
    check(['halted', 'completed'].includes(await st.getAttribute('data-state')), 'the rollout did not end its only wave');
  }

  // Another rollout over gw-demo-1 is refused in words (while this one runs or is halted).
  const state = await page.getByTestId('ro-d-state').getAttribute('data-state');
  if (state === 'running' || state === 'halted') {
    const r = await api('POST', '/api/v1/rollouts', { release: relID, target: { kind: 'gateway', id: gw } });
    check(r.status === 409 && r.data.error.includes('another rollout is running over the same gateways: gw-demo-1'), `overlap: ${r.status} ${JSON.stringify(r.data)}`);
  }
  if (state === 'running') {
    await page.getByTestId('ro-halt').click();
    // (or the wave ended and halted it first: the halt is then refused)
    await page.waitForFunction(() => document.querySelector('[data-testid="ro-d-state"]').dataset.state === 'halted', null, { timeout: 10000 });
    const why = await page.getByTestId('ro-d-reason').textContent();
    // In the reader's language (zh-CN here), not the server's English.
    check(/^原因：由 .+ 暂停$/.test(why) || /第 1 批：1 台中 1 台失败（100% > \d+%），已暂停/.test(why), `halt reason "${why}"`);
  }

  // Three languages; screenshots of the rollout at both sizes.
  for (const [lang, words] of [['en', 'Wave 1'], ['zh-HK', '第 1 批'], ['zh-CN', '第 1 批']]) {
    await page.getByTestId('lang-select').selectOption(lang);
    check((await page.getByTestId('ro-wave').first().textContent()).startsWith(words), `${lang}: wave heading`);
  }
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.evaluate(() => window.scrollTo(0, 0));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the rollout page scrolls sideways by ${overflow}px at ${w}×${h}`);
    const v = await axeViolations(page);
    check(v.length === 0, `${w}×${h}: axe: ${v.join('; ')}`);
    await page.screenshot({ path: join(docShots, `rollouts-${w}x${h}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // Resume, then cancel: nothing more is sent.
  if (await page.getByTestId('ro-d-state').getAttribute('data-state') === 'halted') {
    await page.getByTestId('ro-resume').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="ro-d-state"]').dataset.state !== 'halted', null, { timeout: 5000 })
      .catch(async (e) => { throw new Error(`resume: ${e.message}; page says "${await page.getByTestId('ro-msg').textContent()}"`); });
  }
  if (await page.getByTestId('ro-d-state').getAttribute('data-state') === 'running') {
    await page.getByTestId('ro-cancel').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="ro-d-state"]').dataset.state === 'cancelled', null, { timeout: 5000 });
    const why = await page.getByTestId('ro-d-reason').textContent();
    check(/^原因：由 .+ 取消$/.test(why), `cancel reason "${why}"`);
  }
  // The list shows it.
  await page.getByTestId('ro-back').click();
  await page.getByTestId('ro-row').first().waitFor({ state: 'visible', timeout: 5000 });
  check((await page.getByTestId('ro-row').first().textContent()).includes(name), 'the list does not show the release by name');
  console.log(`rollouts: preview, start, ${wait === 'meal_window' ? 'waits for the meal window' : 'ends its wave'}, overlap refused, halt/resume/cancel, three languages: ok`);
} finally {
  await browser.close();
}
