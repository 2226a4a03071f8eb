// Browser test of the demo (acceptance 1 of the walking skeleton): in the
// kiosk a simulated tap shows the decision, and the console shows that meal
// within 2 seconds; the emergency button raises an alert that is
// acknowledged in the console. Runs under `go run ./deploy/demo -run`, which
// sets EG_KIOSK_URL, EG_CONSOLE_URL and EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kioskURL = process.env.EG_KIOSK_URL;
const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!kioskURL || !consoleURL || !token) throw new Error('EG_KIOSK_URL, EG_CONSOLE_URL and EG_TOKEN must be set');
const shots = mkdtempSync(join(tmpdir(), 'eldergate-shots-'));
const docShots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
mkdirSync(docShots, { recursive: true });


const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const consolePage = await ctx.newPage();
  await consolePage.goto(consoleURL + '/');
  await signIn(consolePage);
  await consolePage.getByTestId('gateway-row').first().waitFor({ timeout: 10000 });
  const mealsBefore = await consolePage.getByTestId('meal-row').count();

  const kiosk = await ctx.newPage();
  await kiosk.goto(kioskURL + '/');
  const tapButton = kiosk.getByTestId('sim-tap').first();
  await tapButton.waitFor({ timeout: 10000 });
  const t0 = Date.now();
  await tapButton.click();
  const result = kiosk.getByTestId('tap-result');
  await result.waitFor({ state: 'visible', timeout: 5000 });
  const decision = await result.getAttribute('data-decision');
  const tShown = Date.now() - t0;
  check(decision === 'approved', `first tap decision is ${decision}, want approved`);
  const shownName = await kiosk.getByTestId('tap-name').textContent();
  check(/^\S\*+\S?$/u.test(shownName.trim()), `kiosk shows the name ${shownName}, want it masked like 张*明`);
  // The kiosk's clock shows the site's time (Asia/Shanghai in the demo), not
  // the browser's.
  const siteHour = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(new Date());
  const clockText = await kiosk.getByTestId('clock').textContent();
  check(clockText.includes(siteHour + ':'), `kiosk clock "${clockText}" does not show the site's hour ${siteHour}`);
  await kiosk.screenshot({ path: join(shots, 'kiosk-tap.png') });

  await consolePage.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="meal-row"]').length > n, mealsBefore, { timeout: 2000, polling: 50 });
  const tConsole = Date.now() - t0;
  check(tConsole <= 2000, `meal reached the console after ${tConsole} ms`);
  await consolePage.screenshot({ path: join(shots, 'console-meal.png') });

  // The alarm (issue 10, acceptance 3). The console's sound is turned on;
  // a press at the simulated gateway is on the board within 2 s without a
  // reload, and sounds; staff acknowledge it on the kiosk's staff screen
  // and the console shows who; resolved in the console (below), the kiosk
  // returns to idle.
  let consoleLoads = 0;
  consolePage.on('load', () => { consoleLoads++; });
  await consolePage.getByTestId('sound-toggle').click();
  check(await consolePage.getByTestId('sound-toggle').getAttribute('data-sound') === 'on', 'alarm sound did not turn on');
  const soundsBefore = await consolePage.evaluate(() => window.egAlarmSounds);
  const tPress = Date.now();
  await kiosk.getByTestId('sim-button').first().click();
  await consolePage.waitForFunction(() => document.querySelector('[data-testid="alert-row"][data-state="open"]'), null, { timeout: 2000, polling: 20 });
  const tBoard = Date.now() - tPress;
  check(tBoard <= 2000, `alarm reached the console board after ${tBoard} ms`);
  await consolePage.waitForFunction((n) => window.egAlarmSounds > n, soundsBefore, { timeout: 2000, polling: 50 });
  const banner = kiosk.getByTestId('alert-banner');
  await banner.waitFor({ state: 'visible', timeout: 3000 });
  const calling = await kiosk.locator('#alert-state').textContent();
  check(!/马上就到|on the way|coming/i.test(calling), `kiosk says "${calling}" before anyone acknowledged`);
  await consolePage.screenshot({ path: join(shots, 'console-alert-open.png') });
  // The alarm board with the alarm open, at both sizes, for docs/console/.
  await consolePage.screenshot({ path: join(docShots, 'alarm-board-1280x800.png') });
  await consolePage.setViewportSize({ width: 1024, height: 600 });
  await consolePage.screenshot({ path: join(docShots, 'alarm-board-1024x600.png') });
  await consolePage.setViewportSize({ width: 1280, height: 800 });
  await kiosk.screenshot({ path: join(shots, 'kiosk-alert-calling.png') });

  await kiosk.getByTestId('staff-open').click();
  await kiosk.getByTestId('staff-pin').fill('2468');
  await kiosk.getByTestId('staff-pin').press('Enter');
  const staffItem = kiosk.getByTestId('staff-alert').first();
  await staffItem.waitFor({ timeout: 5000 });
  await kiosk.screenshot({ path: join(shots, 'kiosk-staff-alerts.png') });
  await staffItem.getByTestId('staff-alert-ack').click();
  await consolePage.waitForFunction(
    () => { const r = document.querySelector('[data-testid="alert-row"]'); const b = r && r.querySelector('[data-testid="alert-acked-by"]');
      return r && r.getAttribute('data-state') === 'acknowledged' && b && b.textContent.includes('王*红'); },
    null, { timeout: 5000, polling: 50 });
  const ackedBy = (await consolePage.getByTestId('alert-acked-by').first().textContent()).trim();
  await kiosk.locator('#staff-close').click();
  await kiosk.waitForFunction(() => { const b = document.querySelector('#alert-by'); return b && b.textContent.includes('王*红'); }, null, { timeout: 3000, polling: 50 });
  await kiosk.screenshot({ path: join(shots, 'kiosk-alert-acknowledged.png') });
  await consolePage.screenshot({ path: join(shots, 'console-alert-acked.png') });

  // Pressed again after the acknowledgement: the same alert, still
  // acknowledged, shown as pressed again with the last press time.
  await kiosk.getByTestId('sim-button').first().click({ timeout: 3000 });
  await consolePage.waitForFunction(
    () => { const r = document.querySelector('[data-testid="alert-row"]');
      return r && r.getAttribute('data-state') === 'acknowledged' && r.dataset.pressedAgain === 'true' &&
        r.querySelector('[data-testid="alert-pressed-again"]') && r.querySelector('[data-testid="alert-presses"]').textContent === '2'; },
    null, { timeout: 3000, polling: 50 });
  check(await consolePage.getByTestId('alert-row').count() === 1, 'a press after the acknowledgement opened another alert');
  await consolePage.screenshot({ path: join(shots, 'console-alert-pressed-again.png') });

  // Resolved in the console with an outcome and a note.
  const ackedRow = consolePage.locator('[data-testid="alert-row"][data-state="acknowledged"]').first();
  await ackedRow.getByTestId('resolve-button').click();
  const form = consolePage.getByTestId('resolve-form').first();
  await form.waitFor({ timeout: 3000 });
  await form.getByTestId('resolve-outcome').selectOption('helped_on_site');
  await form.getByTestId('resolve-note').fill('demo: staff on site');
  await form.getByTestId('resolve-submit').click();
  await consolePage.waitForFunction(
    () => { const r = document.querySelector('[data-testid="alert-row"]'); const o = r && r.querySelector('[data-testid="alert-outcome"]');
      return r && r.getAttribute('data-state') === 'resolved' && o && o.textContent.includes('demo: staff on site'); },
    null, { timeout: 3000, polling: 50 });
  await consolePage.screenshot({ path: join(shots, 'console-alert-resolved.png') });
  // The kiosk hears the resolution from the cloud and returns to idle.
  await banner.waitFor({ state: 'hidden', timeout: 15000 });
  check(consoleLoads === 0, `the console page was reloaded ${consoleLoads} times`);
  // A notification's link (console/#alert=ID) opens that alert's timeline.
  const alertID = await consolePage.getByTestId('alert-row').first().getAttribute('data-alert-id');
  await consolePage.evaluate((id) => { location.hash = 'alert=' + id; }, alertID);
  await consolePage.waitForFunction((id) => { const r = document.querySelector('tr.linked[data-alert-id="' + id + '"]');
    const tl = document.querySelector('[data-testid="alert-timeline"]');
    return r && tl && tl.querySelectorAll('li').length >= 4; }, alertID, { timeout: 3000, polling: 50 });
  const timeline = await consolePage.getByTestId('alert-timeline').first().textContent();
  // The resolver is the signed-in person, by name (not a token's name).
  const me = await consolePage.evaluate(() => EG.me().name);
  check(timeline.includes('王*红') && timeline.includes(me), `the timeline does not name who acknowledged (王*红) and who resolved (${me}): ${timeline}`);
  await consolePage.screenshot({ path: join(shots, 'console-alert-timeline.png') });
  const tIdle = Date.now() - tPress;

  // An operator creates a gateway for the demo site and gets its one-time
  // enrollment token as text and as a QR code.
  const tGw0 = Date.now();
  const demoSite = await consolePage.getByTestId('gateway-row').first().getByTestId('gateway-site').getAttribute('data-site');
  check(demoSite && !(await consolePage.getByTestId('gateway-site').first().textContent()).startsWith('site-'), 'the overview shows the site by id');
  await consolePage.getByTestId('gateway-create-id').fill('gw-qr-' + tGw0);
  await consolePage.getByTestId('gateway-create-site').fill(demoSite);
  await consolePage.getByTestId('gateway-create-button').click();
  const qr = consolePage.getByTestId('gateway-qr');
  await qr.waitFor({ state: 'visible', timeout: 5000 });
  const qrSrc = await qr.getAttribute('src');
  check(/^data:image\/png;base64,[A-Za-z0-9+/]{100,}=*$/.test(qrSrc || ''), `QR <img> src is ${String(qrSrc).slice(0, 40)}..., want a PNG data URI`);
  const qrWidth = await qr.evaluate((img) => img.complete ? img.naturalWidth : 0);
  check(qrWidth >= 288, `QR image decoded to ${qrWidth} px wide, want >= 288`);
  const tokenText = (await consolePage.getByTestId('gateway-token').textContent()).trim();
  check(tokenText.length >= 40 && await consolePage.getByTestId('gateway-token').isVisible(), `enrollment token text "${tokenText}" not shown`);
  const linkText = await consolePage.getByTestId('gateway-link').textContent();
  check(linkText.startsWith('eldergate://enroll?') && linkText.includes('token=' + tokenText), `enrollment link "${linkText}" lacks the token`);
  const tGw = Date.now() - tGw0;
  await qr.scrollIntoViewIfNeeded();
  await consolePage.screenshot({ path: join(shots, 'console-gateway-qr.png') });

  console.log(`browser: decision shown in ${tShown} ms, meal in console after ${tConsole} ms, alarm on the board after ${tBoard} ms with sound, acknowledged at the kiosk (console shows "${ackedBy}"), pressed again, resolved in the console, kiosk idle ${tIdle} ms after the press; ` +
    `gateway created with a ${qrWidth} px QR code in ${tGw} ms; screenshots in ${shots}`);
} finally {
  await browser.close();
}
