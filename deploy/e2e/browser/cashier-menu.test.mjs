// Browser test of the cashier flow of a hall priced at the till (issue
// 11): the site's menu pushed to the gateway as a menu command, dishes
// picked on the kiosk's staff panel and on the cashier's second screen
// (/cashier.html), a keyed amount and the till API, each paired with a
// tap in either order. For each flow, at 1024x600 and 1280x800, in
// zh-CN, zh-HK and en: the elder's result, price, subsidy and amount to
// pay are fully inside the viewport and not covered (elementFromPoint at
// their centres), also while an alarm banner is up; the cashier's screen
// shows the same decision; axe-core finds no violation on the staff panel
// with the dish picker nor on /cashier.html; the meals reach the cloud,
// those priced from the menu with their dishes (cloud meals API).
// Screenshots: docs/kiosk/cashier-menu-{lang}-{w}x{h}.png (staff panel)
// and docs/kiosk/cashier-screen-{lang}-{w}x{h}.png (second screen).
//
// The demo's policy has fixed prices: the test assigns a till-priced
// policy to site-demo-1 through the cloud API first, pushes a menu to
// gw-demo-1, and assigns the demo policy again at the end (other browser
// tests run after it in the same demo). Runs under `go run ./deploy/demo
// -run`, which sets EG_KIOSK_URL, EG_CONSOLE_URL, EG_TOKEN, EG_TILL_TOKEN.
import { axeViolations, check, launchChromium, offScreen } from './screen.mjs';
import { demoPolicy } from './democonfig.mjs';

const kioskURL = process.env.EG_KIOSK_URL;
const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const tillToken = process.env.EG_TILL_TOKEN || 'demo-till-1-token-2468';
if (!kioskURL || !consoleURL || !token) throw new Error('EG_KIOSK_URL, EG_CONSOLE_URL and EG_TOKEN must be set');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const GW = 'gw-demo-1';
const SITE = 'site-demo-1';

async function api(method, path, body, headers = {}) {
  const res = await fetch(consoleURL + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': typeof body === 'string' ? 'application/yaml' : 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, data };
}
async function kiosk(method, path, body, tok) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const res = await fetch(kioskURL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, data };
}
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}
// pushed waits for the result of the command among ids that went to GW
// (the site may have more gateways: an earlier test enrolls one there) and
// checks it succeeded.
async function pushed(ids, what) {
  const c = await until(what, async () => {
    const r = await api('GET', `/api/v1/gateways/${GW}/commands`);
    const c = (r.data || []).find((x) => ids.includes(x.id));
    return c && (c.state === 'succeeded' || c.state === 'failed') ? c : null;
  });
  check(c.state === 'succeeded', `${what}: ${c.state} ${c.error || ''}`);
}
async function assignPolicy(version) {
  const r = await api('PUT', `/api/v1/sites/${SITE}/policy`, { version });
  check((r.status === 200 || r.status === 202) && r.data.commands.length >= 1, `assign ${version}: ${r.status} ${JSON.stringify(r.data)}`);
  await pushed(r.data.commands, `policy ${version} on ${GW}`);
}

// A till-priced policy: every window of the day takes its price from the
// till (price: {}); everyone aged 60 or more gets 8 yuan, never above the
// price; no limits, so that every tap is decided afresh.
const tillPolicy = `version: cashier-menu-e2e.1
name: 按菜品收银（浏览器测试）
time_zone: Asia/Shanghai
match: best_match
not_eligible: full_pay
windows:
  - {name: breakfast, start: "00:00", end: "10:00", price: {}}
  - {name: lunch, start: "10:00", end: "15:00", price: {}}
  - {name: dinner, start: "15:00", end: "24:00", price: {}}
rules:
  - {id: age-60, age: {min: 60}, subsidy: {fixed_fen: 800}}
funding:
  - {layer: city, scope: none, rest: true}
`;
// The demo's own policy, from deploy/demo/gateway.yaml, to restore.
const demoVersion = demoPolicy.match(/^version: (\S+)/m)[1];

const menu = {
  site: SITE, version: 'menu-e2e-1', dishes: [
    { id: 'rice', name: { 'zh-CN': '米饭', 'zh-HK': '白飯', en: 'Rice' }, price_fen: 150 },
    { id: 'greens', name: { 'zh-CN': '清炒时蔬', 'zh-HK': '清炒時蔬', en: 'Stir-fried greens' }, price_fen: 600 },
    { id: 'fish', name: { 'zh-CN': '清蒸鲈鱼', 'zh-HK': '清蒸鱸魚', en: 'Steamed sea bass' }, price_fen: 1200 },
    { id: 'tofu', name: { 'zh-CN': '麻婆豆腐', 'zh-HK': '麻婆豆腐', en: 'Mapo tofu' }, price_fen: 500 },
    { id: 'egg', name: { 'zh-CN': '番茄炒蛋', 'zh-HK': '番茄炒蛋', en: 'Tomato and egg' }, price_fen: 550 },
    { id: 'soup', name: { 'zh-CN': '例汤', 'zh-HK': '例湯', en: 'Soup of the day' }, price_fen: 300, off: true },
  ],
};
const SUBSIDY = 800;
// Elders aged 60 or more on the demo roster (active), taken in turn.
const cards = ['04A1B2C3', '04B2C3D4', '04C3D4E5', '04D4E5F6', '04E5F6A7', '04F6A7B8', '0A1B2C3D', '0B2C3D4E'];
let nextCard = 0;
const card = () => cards[nextCard++ % cards.length];

// visible checks that every element of the testids on page is fully
// inside the viewport and is what is on top at its centre.
async function visible(page, ids, w, h, what) {
  const out = await offScreen(page, ids);
  check(out.length === 0, `${what}: ${out.join('; ')}`);
}
async function axe(page, what) {
  const v = await axeViolations(page);
  check(v.length === 0, `${what}: axe: ${v.join('; ')}`);
}
const taps = (page) => page.evaluate(() => Number(document.body.dataset.taps || 0));
// decided waits for the next tap result on the elder's and the cashier's
// screens and checks both show the same decision and sums.
async function decided(elder, cashier, before, want, w, h, what) {
  await elder.waitForFunction((n) => Number(document.body.dataset.taps || 0) > n, before.elder, { timeout: 10000 });
  await cashier.waitForFunction((n) => Number(document.body.dataset.taps || 0) > n, before.cashier, { timeout: 10000 });
  const e = await elder.evaluate(() => ({
    decision: document.querySelector('[data-testid="tap-result"]').dataset.decision,
    title: document.querySelector('[data-testid="tap-title"]').textContent,
    name: document.querySelector('[data-testid="tap-name"]').textContent,
    price: document.querySelector('[data-testid="tap-price"]').textContent,
    subsidy: document.querySelector('[data-testid="tap-subsidy"]').textContent,
    pay: document.querySelector('[data-testid="tap-pay"]').textContent,
  }));
  const c = await cashier.evaluate(() => ({
    decision: document.querySelector('[data-testid="cashier-decision"]').dataset.decision,
    title: document.querySelector('[data-testid="cashier-word"]').textContent,
    name: document.querySelector('[data-testid="cashier-name"]').textContent,
    price: document.querySelector('[data-testid="cashier-price"]').textContent,
    subsidy: document.querySelector('[data-testid="cashier-subsidy"]').textContent,
    pay: document.querySelector('[data-testid="cashier-pay"]').textContent,
  }));
  check(e.decision === 'approved', `${what}: elder screen decision ${e.decision}`);
  const yuan = (f) => `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
  check(e.price.includes(yuan(want)) && e.subsidy.includes(yuan(Math.min(SUBSIDY, want))) && e.pay.includes(yuan(Math.max(0, want - SUBSIDY))),
    `${what}: elder screen shows ${JSON.stringify(e)} for a price of ${want} fen`);
  check(JSON.stringify(e) === JSON.stringify(c), `${what}: the cashier's screen shows ${JSON.stringify(c)}, the elder's ${JSON.stringify(e)}`);
  check(/\*/.test(e.name), `${what}: the name is not masked: ${e.name}`);
  await visible(elder, ['tap-result', 'tap-price', 'tap-subsidy', 'tap-pay'], w, h, `${what}: elder screen`);
  await visible(cashier, ['cashier-word', 'cashier-name', 'cashier-price', 'cashier-subsidy', 'cashier-pay'], w, h, `${what}: cashier screen`);
}
async function tap(c) {
  const r = await kiosk('POST', '/api/sim/tap', { card: c });
  check(r.status === 202, `sim tap ${c}: ${r.status}`);
}
// pick clicks dishes on a picker (the page's dish picker in box) and
// returns their total in fen.
async function pick(page, box, picks) {
  let total = 0;
  for (const [id, n] of picks) {
    const d = menu.dishes.find((x) => x.id === id);
    await box.locator(`[data-testid="dish-add"][data-dish="${id}"]`).click();
    for (let i = 1; i < n; i++) await box.locator(`[data-testid="dish-plus"][data-dish="${id}"]`).click();
    total += d.price_fen * n;
  }
  const shown = Number(await box.getByTestId('dish-total').getAttribute('data-fen'));
  check(shown === total, `picker total ${shown}, want ${total}`);
  return total;
}

const browser = await launchChromium('--autoplay-policy=no-user-gesture-required');
const eventIDs = [];
let staffTok = null;
try {
  // The hall prices at the till, and has a menu.
  let r = await api('POST', '/api/v1/policies', tillPolicy);
  check(r.status === 201 || r.status === 200, `create the till policy: ${r.status} ${JSON.stringify(r.data)}`);
  r = await api('POST', '/api/v1/policies', demoPolicy);
  check(r.status === 201 || r.status === 200, `store the demo policy: ${r.status} ${JSON.stringify(r.data)}`);
  await assignPolicy('cashier-menu-e2e.1');
  r = await api('POST', `/api/v1/gateways/${GW}/commands`, { type: 'menu', body: menu });
  check(r.status === 201 || r.status === 202 || r.status === 200, `menu command: ${r.status} ${JSON.stringify(r.data)}`);
  await pushed([r.data.id], 'menu on ' + GW);
  const st = (await kiosk('GET', '/api/status')).data;
  check(st.menu_version === 'menu-e2e-1' && st.menu_dishes === menu.dishes.length, `gateway status after the menu: ${st.menu_version} ${st.menu_dishes}`);
  // A menu for another site is refused in words.
  r = await api('POST', `/api/v1/gateways/${GW}/commands`, { type: 'menu', body: { ...menu, site: 'site-elsewhere', version: 'menu-x' } });
  const refused = await until('the refused menu', async () => {
    const l = await api('GET', `/api/v1/gateways/${GW}/commands`);
    const c = (l.data || []).find((x) => x.id === r.data.id);
    return c && c.state === 'failed' ? c : null;
  });
  check(/site-elsewhere/.test(refused.error), `refused menu error: ${refused.error}`);
  staffTok = (await kiosk('POST', '/api/staff/login', { pin: '2468' })).data.token;

  for (const lang of ['zh-CN', 'zh-HK', 'en']) {
    for (const [w, h] of [[1024, 600], [1280, 800]]) {
      const at = `${lang} ${w}x${h}`;
      const elder = await (await browser.newContext({ viewport: { width: w, height: h } })).newPage();
      const cashier = await (await browser.newContext({ viewport: { width: w, height: h } })).newPage();
      await elder.goto(kioskURL + '/');
      await elder.locator(`#lang button[data-lang="${lang}"]`).click();
      await elder.waitForFunction(() => document.body.dataset.sse === 'open', null, { timeout: 5000 });
      await elder.getByTestId('sim-toggle').click(); // the demo panel folded, as on site there is none
      await cashier.goto(kioskURL + '/cashier.html');
      await cashier.locator(`#c-lang button[data-lang="${lang}"]`).click();
      await cashier.waitForFunction(() => document.body.dataset.sse === 'open', null, { timeout: 5000 });
      await cashier.getByTestId('cashier-pin').fill('2468');
      await cashier.getByTestId('cashier-pin').press('Enter');
      const cbox = cashier.getByTestId('cashier-dishes');
      await cbox.locator('[data-testid="dish-add"]').first().waitFor({ timeout: 5000 });

      // 1. Dishes on the staff panel, then the tap.
      await elder.getByTestId('staff-open').click();
      await elder.getByTestId('staff-pin').fill('2468');
      await elder.getByTestId('staff-pin').press('Enter');
      const ebox = elder.getByTestId('dish-picker');
      await ebox.locator('[data-testid="dish-add"]').first().waitFor({ timeout: 5000 });
      check(await ebox.locator('[data-testid="dish-add"][data-dish="soup"]').isDisabled(), `${at}: the sold-out soup can be picked`);
      const small = await ebox.evaluate((b) => [...b.querySelectorAll('button')].map((x) => x.getBoundingClientRect()).filter((r) => r.height < 57 || r.width < 57).length);
      check(small === 0, `${at}: ${small} picker buttons smaller than 57 px`);
      let total = await pick(elder, ebox, [['rice', 2], ['fish', 1]]);
      await axe(elder, `${at}: staff panel with the dish picker`);
      await visible(elder, ['dish-total', 'dish-send'], w, h, `${at}: staff panel's total and send`);
      await elder.screenshot({ path: `docs/kiosk/cashier-menu-${lang}-${w}x${h}.png` });
      let before = { elder: await taps(elder), cashier: await taps(cashier) };
      await ebox.getByTestId('dish-send').click();
      await cashier.waitForFunction(() => document.querySelector('[data-testid="cashier-state"]').dataset.state === 'pending', null, { timeout: 5000 });
      await cashier.waitForFunction(() => document.querySelectorAll('[data-testid="cashier-lines"] li').length === 2, null, { timeout: 5000 });
      const lines = await cashier.getByTestId('cashier-lines').textContent();
      const names = ['rice', 'fish'].map((id) => menu.dishes.find((d) => d.id === id).name[lang]);
      check(names.every((n) => lines.includes(n)) && lines.includes('× 2'), `${at}: the cashier's screen lists the waiting dishes as "${lines}"`);
      await tap(card()); // the result closes the staff panel: nothing covers it
      await decided(elder, cashier, before, total, w, h, `${at}: dishes then tap`);

      // 2. The tap, then dishes on the cashier's screen.
      before = { elder: await taps(elder), cashier: await taps(cashier) };
      await tap(card());
      await cashier.waitForFunction(() => document.querySelector('[data-testid="cashier-state"]').dataset.state === 'waiting', null, { timeout: 5000 });
      total = await pick(cashier, cbox, [['greens', 1], ['tofu', 1], ['rice', 1]]);
      await axe(cashier, `${at}: cashier screen`);
      await visible(cashier, ['dish-total', 'dish-send'], w, h, `${at}: cashier screen's total and send`);
      await cbox.getByTestId('dish-send').click();
      await decided(elder, cashier, before, total, w, h, `${at}: tap then dishes`);
      await axe(cashier, `${at}: cashier screen with a decision`);
      await cashier.screenshot({ path: `docs/kiosk/cashier-screen-${lang}-${w}x${h}.png` });

      // An alarm is up for the keyed amount and the till.
      r = await kiosk('POST', '/api/sim/button', { button: 'kiosk' });
      check(r.status === 202, `press: ${r.status}`);
      await elder.getByTestId('alert-banner').waitFor({ state: 'visible', timeout: 5000 });

      // 3. A keyed amount on the cashier's screen, then the tap.
      before = { elder: await taps(elder), cashier: await taps(cashier) };
      await visible(cashier, ['cashier-amount-yuan', 'cashier-amount-send'], w, h, `${at}: cashier screen's amount`);
      await cashier.getByTestId('cashier-amount-yuan').fill('13.5');
      await cashier.getByTestId('cashier-amount-send').click();
      await cashier.waitForFunction(() => document.querySelector('[data-testid="cashier-state"]').dataset.state === 'pending', null, { timeout: 5000 });
      await tap(card());
      await decided(elder, cashier, before, 1350, w, h, `${at}: keyed amount, alarm up`);
      check(await elder.getByTestId('alert-banner').isVisible(), `${at}: the alarm banner went away`);
      await visible(elder, ['alert-banner'], w, h, `${at}: alarm strip`);

      // 4. The till API, then the tap.
      before = { elder: await taps(elder), cashier: await taps(cashier) };
      r = await kiosk('POST', '/api/till/amount', { amount_fen: 1680, till: 'till-1', ref: `E2E-${lang}-${w}` }, tillToken);
      check(r.status === 200 && r.data.state === 'pending', `till amount: ${r.status} ${JSON.stringify(r.data)}`);
      await tap(card());
      await decided(elder, cashier, before, 1680, w, h, `${at}: till API, alarm up`);
      await elder.screenshot({ path: `docs/kiosk/cashier-result-alarm-${lang}-${w}x${h}.png` });

      // The alarm acknowledged and resolved on the staff API.
      const alerts = (await kiosk('GET', '/api/staff/alerts', undefined, staffTok)).data;
      for (const a of alerts.filter((x) => x.type !== 'supervision')) {
        await kiosk('POST', '/api/staff/alerts/ack', { id: a.id }, staffTok);
        r = await kiosk('POST', '/api/staff/alerts/resolve', { id: a.id, outcome: 'test', note: 'cashier-menu browser test' }, staffTok);
        check(r.status === 200, `resolve ${a.id}: ${r.status} ${JSON.stringify(r.data)}`);
      }
      await elder.waitForFunction(() => document.querySelector('[data-testid="alert-banner"]').hidden, null, { timeout: 10000 });
      await elder.context().close();
      await cashier.context().close();
    }
  }

  // The meals reached the cloud, none rejected; the menu-priced ones
  // passed the cloud's check that their dishes add up to the price.
  const meals = await until('the meals in the cloud', async () => {
    const m = (await api('GET', '/api/v1/meals')).data;
    const ours = m.filter((x) => x.policy_version === 'cashier-menu-e2e.1');
    return ours.length >= 24 ? ours : null;
  });
  const rej = (await api('GET', '/api/v1/rejections')).data || [];
  check(rej.length === 0, `the cloud rejected events: ${JSON.stringify(rej).slice(0, 300)}`);
  const by = (src) => meals.filter((m) => m.price_source === src);
  check(by('menu').length === 12 && by('cashier').length === 6 && by('till').length === 6,
    `price sources in the cloud: menu ${by('menu').length}, cashier ${by('cashier').length}, till ${by('till').length}; want 12, 6, 6`);
  for (const m of meals) {
    const items = m.items || [];
    check((m.price_source === 'menu') === (items.length > 0), `meal ${m.event_id} (${m.price_source}) has ${items.length} items`);
    if (!items.length) continue;
    const sum = items.reduce((s, l) => s + l.qty * l.price_fen, 0);
    check(sum === m.price_fen, `meal ${m.event_id}: items add up to ${sum}, price ${m.price_fen}`);
    for (const l of items) {
      const d = menu.dishes.find((x) => x.id === l.dish);
      check(d && l.price_fen === d.price_fen && l.name === d.name['zh-CN'], `meal ${m.event_id}: line ${JSON.stringify(l)} is not the menu's`);
    }
  }
  console.log(`cashier-menu: menu pushed (a menu for another site refused), dishes then tap, tap then dishes, keyed amount and till API in zh-CN, zh-HK and en at 1024x600 and 1280x800: result, price, subsidy and pay inside the screen and uncovered (with an alarm up for two of them), the same decision on the cashier's screen, no axe violation; ${meals.length} meals in the cloud, none rejected, the ${by('menu').length} priced from the menu with their dishes adding up to the price`);
} finally {
  // The demo's policy again, for the browser tests that follow.
  try { await assignPolicy(demoVersion); } catch (e) { console.error('demo policy not restored:', e.message); process.exitCode = 1; }
  await browser.close();
}
