// Screenshots of the kiosk's alarm screens (issue #10) at 1024x600 and
// 1280x800 in the three languages: calling staff, acknowledged by a named
// staff member, pressed again, the staff screen's alert list and resolve
// form, taken care of. Checks that nothing overflows the viewport. Runs
// under `go run ./deploy/demo -run` (EG_KIOSK_URL); the PNGs go to
// EG_SHOTS or a temporary folder, printed at the end.
import { check, launchChromium } from './screen.mjs';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kioskURL = process.env.EG_KIOSK_URL;
if (!kioskURL) throw new Error('EG_KIOSK_URL must be set');
const shots = process.env.EG_SHOTS || mkdtempSync(join(tmpdir(), 'eldergate-alarm-shots-'));
mkdirSync(shots, { recursive: true });
const PIN = process.env.EG_STAFF_PIN || '2468';


async function noOverflow(page, what) {
  const m = await page.evaluate(() => {
    const d = document.documentElement;
    const clipped = [...document.querySelectorAll('#alert *, #staff *')].filter((e) => {
      const r = e.getBoundingClientRect();
      return e.offsetParent !== null && r.width > 0 && (r.right > innerWidth + 1 || r.left < -1);
    }).map((e) => e.id || e.dataset.testid || e.tagName);
    const alert = document.getElementById('alert');
    const ar = alert.hidden ? null : alert.getBoundingClientRect();
    return { sw: d.scrollWidth, sh: d.scrollHeight, w: innerWidth, h: innerHeight, clipped,
      alertBottom: ar ? ar.bottom : 0 };
  });
  check(m.sw <= m.w && m.sh <= m.h, `${what}: page ${m.sw}x${m.sh} overflows the viewport ${m.w}x${m.h}`);
  check(m.clipped.length === 0, `${what}: cut off horizontally: ${m.clipped.join(', ')}`);
  check(m.alertBottom <= m.h, `${what}: the call's card ends at ${m.alertBottom}px, below the ${m.h}px screen`);
}

const browser = await launchChromium();
const taken = [];
try {
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    for (const lang of ['zh-CN', 'zh-HK', 'en']) {
      const ctx = await browser.newContext({ viewport: { width: w, height: h } });
      await ctx.addInitScript((l) => localStorage.setItem('eg-lang', l), lang);
      const page = await ctx.newPage();
      // The simulation panel (demo only) floats over the screen: hidden
      // for the shot, so that the screen looks as it does on site.
      const shot = async (name) => {
        const p = join(shots, `${w}x${h}-${lang}-${name}.png`);
        await page.evaluate(() => { document.getElementById('sim').hidden = true; });
        await noOverflow(page, `${w}x${h} ${lang} ${name}`);
        await page.screenshot({ path: p });
        await page.evaluate(() => { document.getElementById('sim').hidden = false; });
        taken.push(p);
      };
      await page.goto(kioskURL + '/');
      await page.waitForFunction(() => document.body.dataset.sim === 'ready' && document.body.dataset.sse === 'open', null, { timeout: 10000 });
      const banner = page.getByTestId('alert-banner');

      await page.getByTestId('sim-button').click();
      await page.waitForFunction(() => document.getElementById('alert').dataset.state === 'open', null, { timeout: 3000 });
      const calling = await page.getByTestId('alert-state').textContent();
      check(!/马上就到|即將到達|on the way/.test(calling), `before any ack the kiosk says "${calling}"`);
      const where = await page.getByTestId('alert-where').textContent();
      check(where.includes('大厅紧急按钮') && where.includes('一楼大厅') && !where.includes('kiosk'), `where: "${where}"`);
      await shot('1-calling');

      await page.getByTestId('staff-open').click();
      await page.getByTestId('staff-pin').fill(PIN);
      await page.getByTestId('staff-pin').press('Enter');
      const ack = page.locator('[data-testid="staff-alert-ack"]').first();
      await ack.waitFor({ timeout: 5000 });
      await shot('2-staff-list');
      await ack.click();
      await page.waitForFunction(() => document.getElementById('alert').dataset.state === 'acknowledged', null, { timeout: 3000 });
      await page.locator('#staff-close').click();
      const by = await page.getByTestId('alert-by').textContent();
      check(by === '王*红', `acknowledged by "${by}", want the masked staff name`);
      await shot('3-acknowledged');

      await page.getByTestId('sim-button').click();
      await page.getByTestId('alert-pressed-again').waitFor({ state: 'visible', timeout: 3000 });
      await shot('4-pressed-again');

      await page.getByTestId('staff-open').click();
      await page.locator('[data-testid="staff-alert-resolve"]').first().click();
      await page.getByTestId('staff-alert-outcome').selectOption('helped_on_site');
      await page.getByTestId('staff-alert-note').fill(lang === 'en' ? 'Helped up, not hurt' : '已扶起，无受伤');
      await shot('5-resolve-form');
      await page.getByTestId('staff-alert-resolve-submit').click();
      await page.waitForFunction(() => document.getElementById('alert').dataset.state === 'resolved', null, { timeout: 3000 });
      await page.locator('#staff-close').click();
      await shot('6-done');
      await banner.waitFor({ state: 'hidden', timeout: 8000 });
      check(await page.getByTestId('idle').isVisible(), 'not back to idle after the call was taken care of');
      if (lang === 'zh-CN') await shot('7-idle');
      await ctx.close();
    }
  }
  console.log(`kiosk alarm screenshots (${taken.length}) in ${shots}:\n` + taken.join('\n'));
} finally {
  await browser.close();
}
