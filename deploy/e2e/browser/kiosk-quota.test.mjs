// The remaining quota on the elder's screen (issue #11): after a tap the
// result says what is left of the elder's month subsidy under the demo
// policy (deploy/demo/gateway.yaml: a month fen limit of 600 yuan), in
// zh-CN, zh-HK and en, at 1024x600 and 1280x800, without and with an
// alarm banner up. The figure on screen is checked against the cloud's
// record of the elder's subsidised meals this month (600 yuan less their
// subsidies, the meal just tapped included) and against the gateway's
// tap event (remaining: month, until the month's last day); the line is
// inside the viewport and not covered, at least 48 px, together with the
// title, price, subsidy and amount to pay. A second tap in the window
// (refused, nothing counted) shows the same figure; an elder without a
// subsidy (under 60) sees no quota line. The page asks the gateway to
// speak it after the result (GET /api/voice with left=month, a WAV).
// Which meal window (and day) a tap falls in is the gateway's decision,
// read from its tap event and the cloud's record, never this test's
// clock: a window boundary may pass between two taps (meal.mjs).
// Screenshots go to docs/kiosk/
// (EG_SHOTS overrides) as quota[-alarm]-lang-size.png.
// Runs under `go run ./deploy/demo -run` (EG_KIOSK_URL, EG_CONSOLE_URL,
// EG_TOKEN), after kiosk-screen.test.mjs (it takes elders that test
// leaves alone, or taps the served ones again) and before roster.test.mjs
// replaces the demo roster.
import { axeViolations, check, launchChromium, offScreen } from './screen.mjs';
import { cloudMeal, simTap, tapAgain, watchTaps } from './meal.mjs';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kioskURL = process.env.EG_KIOSK_URL;
const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!kioskURL || !consoleURL || !token) throw new Error('EG_KIOSK_URL, EG_CONSOLE_URL and EG_TOKEN must be set');
const here = dirname(fileURLToPath(import.meta.url));
const shots = process.env.EG_SHOTS || join(here, '..', '..', '..', 'docs', 'kiosk');
mkdirSync(shots, { recursive: true });
const PIN = process.env.EG_STAFF_PIN || '2468';
const MONTH_FEN = 60000; // deploy/demo/gateway.yaml: {period: month, fen: 60000}
// Demo roster: E0001-E0008 subsidised (one meal per window), E0010 under 60.
const elders = { '04A1B2C3': 'E0001', '04B2C3D4': 'E0002', '04C3D4E5': 'E0003', '04D4E5F6': 'E0004',
  '04E5F6A7': 'E0005', '04F6A7B8': 'E0006', '0A1B2C3D': 'E0007', '0B2C3D4E': 'E0008' };
const cards = Object.keys(elders).reverse(); // the last ones first: kiosk-screen takes the first
const YOUNG = '0D4E5F60';

const yuan = (fen) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const wantLine = { 'zh-CN': (f) => `本月补贴余额 ${yuan(f)} 元`, 'zh-HK': (f) => `本月資助餘額 ${yuan(f)} 元`, en: (f) => `Subsidy left this month: ¥${yuan(f)}` };

// monthLeft is what the cloud's records leave of the elder's month
// subsidy: the limit less the subsidies of their approved meals in the
// month of day, once the meal of the tap event ev has reached the cloud;
// with the meal's day and window.
async function monthLeft(elderID, ev) {
  const { meal, meals } = await cloudMeal(consoleURL, token, ev);
  const month = meal.day.slice(0, 7);
  const used = meals.filter((m) => m.elder_id === elderID && m.decision === 'approved' && m.day.startsWith(month))
    .reduce((s, m) => s + m.subsidy_fen, 0);
  return { left: Math.max(MONTH_FEN - used, 0), day: meal.day, window: meal.window };
}

function monthEnd(day) {
  const [y, m] = day.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${day.slice(0, 7)}-${String(last).padStart(2, '0')}`;
}

const browser = await launchChromium();
const lastTap = new Map(); // card -> ms, the gateway merges taps within 3 s
const seen = { approved: 0, refused: 0 };
let next = 0;
let shotsTaken = 0;
try {
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    for (const lang of ['zh-CN', 'zh-HK', 'en']) {
      const what = `${w}x${h} ${lang}`;
      const ctx = await browser.newContext({ viewport: { width: w, height: h } });
      await ctx.addInitScript((l) => localStorage.setItem('eg-lang', l), lang);
      const page = await ctx.newPage();
      const voices = []; // the recordings the page asks the gateway for
      page.on('request', (req) => { if (req.url().includes('/api/voice?')) voices.push(req.url()); });
      await page.goto(kioskURL + '/');
      await page.waitForFunction(() => document.body.dataset.sim === 'ready' && document.body.dataset.sse === 'open', null, { timeout: 10000 });
      await watchTaps(page);

      const visible = async (screen, ids) => {
        const bad = await offScreen(page, ids);
        check(bad.length === 0, `${what} ${screen}: ${bad.join('; ')}`);
        const sz = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight }));
        check(sz.sw <= w && sz.sh <= h, `${what} ${screen}: page ${sz.sw}x${sz.sh} larger than the screen`);
      };
      const axe = async (screen) => {
        const v = await axeViolations(page);
        check(v.length === 0, `${what} ${screen}: axe violations: ${v.join('; ')}`);
      };
      const tap = async (card) => {
        const ev = await simTap(page, card, lastTap);
        return page.evaluate((ev) => {
          const q = document.querySelector('[data-testid="tap-quota"]');
          return {
            ev,
            decision: document.getElementById('result').dataset.decision,
            quota: q.hidden ? null : q.textContent,
            quotaPx: parseFloat(getComputedStyle(q).fontSize),
          };
        }, ev);
      };
      const dismiss = async () => {
        await page.getByTestId('tap-result').click();
        await page.getByTestId('tap-result').waitFor({ state: 'hidden', timeout: 2000 });
      };
      // One subsidised elder's tap: approved (a meal left in this window)
      // or refused as already served; either way the month's quota.
      const quotaTap = async (screen, extra) => {
        const card = cards[next++ % cards.length];
        const r = await tap(card);
        check(r.decision === 'approved' || (r.decision === 'refused' && r.ev.reason === 'already_served'), `${what} ${screen}: ${JSON.stringify(r)}`);
        seen[r.decision]++;
        const { left, day, window } = await monthLeft(elders[card], r.ev);
        const rem = JSON.stringify(r.ev.remaining);
        check(rem === JSON.stringify([{ period: 'month', until: monthEnd(day), fen: left }]), `${what} ${screen}: tap event remaining ${rem}, want ${left} fen until ${monthEnd(day)}`);
        check(r.quota === wantLine[lang](left), `${what} ${screen}: quota line "${r.quota}", want "${wantLine[lang](left)}"`);
        check(r.quotaPx >= 48, `${what} ${screen}: quota line ${r.quotaPx} px`);
        // Spoken too: the result, then the quota (a WAV from espeak-ng).
        let voice;
        for (let i = 0; i < 40 && !voice; i++) {
          voice = voices.findLast((u) => u.includes(`kind=${r.decision}`) && u.includes(`left_fen=${left}`));
          if (!voice) await page.waitForTimeout(50);
        }
        check(voice && new URL(voice).searchParams.get('left') === 'month' && new URL(voice).searchParams.get('left_fen') === String(left) &&
          new URL(voice).searchParams.get('lang') === lang, `${what} ${screen}: voice ${voice}, want the month's ${left} fen`);
        const wav = await page.evaluate(async (u) => { const res = await fetch(u); return { status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength }; }, voice);
        check(wav.status === 200 && wav.type === 'audio/wav' && wav.size > 20000, `${what} ${screen}: voice ${JSON.stringify(wav)}`);
        const ids = r.decision === 'approved' ? ['tap-title', 'tap-quota', 'tap-price', 'tap-subsidy', 'tap-pay'] : ['tap-title', 'tap-reason', 'tap-next', 'tap-quota'];
        await visible(`${screen} (${r.decision})`, [...ids, ...extra]);
        await axe(screen);
        if (r.decision === 'approved') await shot(screen);
        await dismiss();
        return { card, left, day, window };
      };
      const shot = async (screen) => {
        await page.screenshot({ path: join(shots, `${screen}-${lang}-${w}x${h}.png`) });
        shotsTaken++;
      };

      // With a call up first (the tightest screen, and the elders with a
      // meal left in this window go to it first): the banner above, the
      // quota line and the amount to pay still inside.
      await page.getByTestId('sim-button').click();
      await page.waitForFunction(() => document.getElementById('alert').dataset.state === 'open', null, { timeout: 3000 });
      await quotaTap('quota-alarm', ['alert-banner']);
      // Resolved, so the rest of the round is without a call.
      await page.getByTestId('staff-open').click();
      await page.getByTestId('staff-pin').fill(PIN);
      await page.getByTestId('staff-pin').press('Enter');
      await page.locator('[data-testid="staff-alert-resolve"]').first().click();
      await page.getByTestId('staff-alert-outcome').selectOption('test');
      await page.getByTestId('staff-alert-resolve-submit').click();
      await page.waitForFunction(() => document.getElementById('alert').dataset.state === 'resolved', null, { timeout: 3000 });
      await page.locator('#staff-logout').click();
      await page.locator('#staff-close').click();
      await page.getByTestId('alert-banner').waitFor({ state: 'hidden', timeout: 8000 });

      const quota = await quotaTap('quota', []);
      // Again in the meal: refused, nothing counted, the same quota. If
      // the gateway put it in another window or day than the first (a
      // boundary passed between the taps), it is the first tap of that
      // meal: its quota is checked like the first's and the next tap, a
      // few seconds later in the same window, is the second.
      const { r: again, first } = await tapAgain(what, quota, () => tap(quota.card), (r) => monthLeft(elders[quota.card], r.ev),
        async (r, meal) => {
          check(r.quota === wantLine[lang](meal.left), `${what}: first tap in ${meal.window} ${JSON.stringify(r)}, want the quota "${wantLine[lang](meal.left)}"`);
          await dismiss();
        }, (from, to) => `, ${from.left} -> ${to.left} fen left`);
      check(again.decision === 'refused' && again.ev.reason === 'already_served' && again.quota === wantLine[lang](first.left),
        `${what}: second tap in ${first.day} ${first.window} ${JSON.stringify(again)}, want refused with the quota "${wantLine[lang](first.left)}"`);
      await visible('quota again', ['tap-title', 'tap-reason', 'tap-next', 'tap-quota']);
      await axe('quota again');
      await shot('quota-refused');
      await dismiss();
      // No subsidy, no quota.
      const young = await tap(YOUNG);
      check(young.decision === 'full_pay' && young.quota === null && young.ev.remaining === undefined, `${what}: an elder under 60 sees a quota: ${JSON.stringify(young)}`);
      await dismiss();
      await ctx.close();
    }
  }
  check(seen.approved > 0, 'no subsidised tap: every elder had had this meal (the quota was only seen on refusals)');
  console.log(`kiosk quota: ${seen.approved} subsidised and ${seen.refused} already-served taps showed the month's quota as the cloud counts it; ${shotsTaken} screenshots in ${shots}`);
} finally {
  await browser.close();
}
