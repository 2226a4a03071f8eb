// Browser test of the console's policies page (issue 13, ADR 0026),
// against the demo:
//  - a hall without a till: a site is added under the demo community with
//    a gateway that enrolls and reports, in its birth over MQTT, a scale
//    but no till (the demo's own gateway has a till, which
//    cashier-menu.test.mjs uses). Assigning a till-priced policy to it in
//    the console is refused with the reason in words (the till, the
//    gateway), and nothing changed: the site still runs the fixed-price
//    policy it had (checked through the API);
//  - the version list marks the version "assigned here";
//  - the diff of two versions names the changed line;
//  - the editor's validation names the bad line, and a version opened,
//    renamed and saved is listed;
//  - "what would this elder get" for an elder of the site's roster shows
//    the decision of the cloud's preview (the gateway's engine) in the
//    kiosk's words, the sums in yuan and the time with its zone, fully on
//    screen at 1024x600 and 1280x800 (screenshots
//    docs/console/policies-preview-{w}x{h}.png; the refusal and the diff
//    in docs/console/policies-{refused,diff}-1280x800.png).
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, offScreen, signIn } from './screen.mjs';
import { demoPolicy, demoRoster } from './democonfig.mjs';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const shots = new URL('../../../docs/console/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
const stamp = Date.now().toString(36);
const SITE = 'site-notill-' + stamp;
const GW = 'gw-notill-' + stamp;

async function api(method, path, body, type) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = type || 'application/json';
  const res = await fetch(consoleURL + path, { method, headers, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)) });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, data };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// birth publishes a gateway's retained birth on the broker with MQTT
// 3.1.1 over a plain socket (the demo's broker is loopback TCP): CONNECT,
// PUBLISH QoS 1 retained, wait for the PUBACK, DISCONNECT.
function birth(brokerURL, user, password, gw, state) {
  const u = new URL(brokerURL.replace(/^tcp:/, 'http:'));
  const str = (s) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]); };
  const len = (n) => { const out = []; do { let d = n % 128; n = Math.floor(n / 128); if (n > 0) d |= 128; out.push(d); } while (n > 0); return Buffer.from(out); };
  const packet = (type, body) => Buffer.concat([Buffer.from([type]), len(body.length), body]);
  const conn = packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str(gw), str(user), str(password)]));
  const pub = packet(0x33, Buffer.concat([str(`eg/v1/gw/${gw}/state`), Buffer.from([0, 1]), Buffer.from(JSON.stringify(state))]));
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('MQTT birth timed out')); }, 5000);
    sock.on('error', reject);
    sock.on('connect', () => sock.write(conn));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf[1]) {
        const type = buf[0] >> 4, body = buf.subarray(2, 2 + buf[1]);
        buf = buf.subarray(2 + buf[1]);
        if (type === 2) {
          if (body[1] !== 0) { clearTimeout(timer); sock.destroy(); return reject(new Error('MQTT CONNACK refused: ' + body[1])); }
          sock.write(pub);
        } else if (type === 4) {
          clearTimeout(timer);
          sock.end(Buffer.from([0xe0, 0]));
          resolve();
        }
      }
    });
  });
}

// The policies: a till-priced one in two versions (the diff) and the
// demo's own (fixed prices).
const till = (v, fen) => `version: policies-e2e-till.${v}
name: 按收银金额计价（浏览器测试）
time_zone: Asia/Shanghai
match: best_match
windows:
  - {name: lunch, start: "00:00", end: "24:00", price: {}}
rules:
  - {id: age-60, age: {min: 60}, subsidy: {fixed_fen: ${fen}}}
funding:
  - {layer: city, scope: none, rest: true}
`;
const demoVersion = demoPolicy.match(/^version: (\S+)/m)[1];

const t0 = Date.now();
for (const body of [demoPolicy, till(1, 800), till(2, 900)]) {
  const r = await api('POST', '/api/v1/policies', body, 'application/yaml');
  check(r.status === 201 || r.status === 200, `store policy: ${r.status} ${JSON.stringify(r.data)}`);
}
// The hall without a till: a site under the demo community, its gateway
// enrolled and born with a scale only.
let r = await api('POST', '/api/v1/org', { id: SITE, parent: 'demo-community', level: 'site', name: '无收银机饭堂' + stamp.slice(-3) });
check(r.status === 201, `create site: ${r.status} ${JSON.stringify(r.data)}`);
r = await api('POST', '/api/v1/gateways', { id: GW, site: SITE });
check(r.status === 201 || r.status === 200, `create gateway: ${r.status} ${JSON.stringify(r.data)}`);
const en = await api('POST', '/api/v1/enroll', { token: r.data.token });
check(en.status === 200, `enroll: ${en.status} ${JSON.stringify(en.data)}`);
await birth(en.data.broker_url, en.data.username, en.data.password, GW, { online: true, boot: 1, version: 'e2e', price_devices: 'scale' });
await until('the birth of ' + GW, async () => ((await api('GET', '/api/v1/gateways')).data || []).some((g) => g.id === GW && g.online));
// The site runs the demo's fixed-price policy (needs no device) and has
// the demo's elders on its cloud roster.
r = await api('PUT', `/api/v1/sites/${SITE}/policy`, { version: demoVersion });
check(r.status === 202, `fixed-price policy to ${SITE}: ${r.status} ${JSON.stringify(r.data)}`);
r = await api('POST', `/api/v1/sites/${SITE}/roster/import`, demoRoster().join('\n') + '\n', 'text/csv');
check(r.status === 200 || r.status === 201, `roster of ${SITE}: ${r.status} ${JSON.stringify(r.data).slice(0, 300)}`);
const elders = (await api('GET', `/api/v1/sites/${SITE}/roster`)).data.elders;
const elder = elders.find((e) => e.id === 'E0001') || elders[0];
const sitesOf = async (v) => ((await api('GET', '/api/v1/policies')).data.find((p) => p.version === v) || {}).sites || [];

const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-policies').click();
  await page.locator(`[data-testid="policy-site"] option[value="${SITE}"]`).waitFor({ state: 'attached', timeout: 5000 });
  await page.getByTestId('policy-site').selectOption(SITE);
  check((await page.getByTestId('policy-zone').textContent()).includes('Asia/Shanghai'), 'the site\'s zone is not named');

  // 1. The version the site runs is marked "assigned here", only it.
  const demoRow = page.locator(`[data-testid="policy-row"][data-version="${demoVersion}"]`);
  await demoRow.getByTestId('policy-here').waitFor({ timeout: 5000 });
  check(await page.getByTestId('policy-here').count() === 1, `${await page.getByTestId('policy-here').count()} versions marked assigned here, want 1`);

  // 2. The till-priced policy is refused, in words, and nothing changes.
  const tillRow = page.locator('[data-testid="policy-row"][data-version="policies-e2e-till.1"]');
  await tillRow.getByTestId('policy-assign').click();
  const result = page.getByTestId('policy-result');
  await page.waitForFunction(() => document.querySelector('[data-testid="policy-result"]').dataset.code === 'price_device_missing', null, { timeout: 5000, polling: 50 });
  const said = await result.textContent();
  check(await result.getAttribute('data-state') === 'error', 'the refusal is not shown as an error');
  check(said.includes('收银机') && said.includes(GW) && said.includes('未分配') && !said.includes('price_device_missing'), `refusal "${said}" does not say why in words`);
  check(!(await sitesOf('policies-e2e-till.1')).includes(SITE) && (await sitesOf(demoVersion)).includes(SITE), 'the refused policy changed the site');
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'policies-refused-1280x800.png') });
  // A change of language words the refusal again.
  await page.getByTestId('lang-select').selectOption('en');
  check((await result.textContent()).includes('till') && (await result.textContent()).includes('Not assigned'), `refusal in en: ${await result.textContent()}`);
  await page.getByTestId('lang-select').selectOption('zh-CN');

  // 3. The diff of the two till versions: one rule line changed.
  await page.getByTestId('diff-from').selectOption('policies-e2e-till.1');
  await page.getByTestId('diff-to').selectOption('policies-e2e-till.2');
  await page.getByTestId('diff-show').click();
  await page.locator('[data-testid="diff-line"][data-op="+"]').first().waitFor({ timeout: 5000 });
  const added = await page.locator('[data-testid="diff-line"][data-op="+"]').allTextContents();
  const removed = await page.locator('[data-testid="diff-line"][data-op="-"]').allTextContents();
  check(added.length === 2 && removed.length === 2 && added.some((l) => l.includes('fixed_fen: 900')) && removed.some((l) => l.includes('fixed_fen: 800')),
    `diff added ${JSON.stringify(added)} removed ${JSON.stringify(removed)}`);
  await page.getByTestId('policy-diff').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'policies-diff-1280x800.png') });

  // 4. The editor: a bad subsidy is refused on its line.
  await page.getByTestId('policy-editor').fill(till(3, 800).replace('fixed_fen: 800', 'percent: 140'));
  await page.getByTestId('policy-validate').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="policy-check"]').dataset.valid === 'false', null, { timeout: 5000, polling: 50 });
  const line = await page.getByTestId('policy-check').getAttribute('data-line');
  check(line === '8' && (await page.getByTestId('policy-check').textContent()).includes('第 8 行'), `validation names line ${line}: ${await page.getByTestId('policy-check').textContent()}`);

  // ... and a good one opened from a version, renamed, is saved as a new one.
  await page.locator('[data-testid="policy-row"][data-version="policies-e2e-till.2"]').getByTestId('policy-open').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="policy-editor"]').value.includes('policies-e2e-till.2'), null, { timeout: 5000, polling: 50 });
  const edited = (await page.getByTestId('policy-editor').inputValue()).replace('policies-e2e-till.2', 'policies-e2e-till.' + stamp);
  await page.getByTestId('policy-editor').fill(edited);
  await page.getByTestId('policy-save').click();
  await page.locator(`[data-testid="policy-row"][data-version="policies-e2e-till.${stamp}"]`).waitFor({ timeout: 5000 });
  check(await page.getByTestId('policy-check').getAttribute('data-valid') === 'true' && (await result.textContent()).includes('已保存政策版本'), `save: ${await result.textContent()}`);

  // 5. What would this elder get: lunch today under the demo's policy.
  await page.getByTestId('preview-version').selectOption(demoVersion);
  await page.locator('[data-testid="preview-window"] option[value="lunch"]').waitFor({ state: 'attached', timeout: 5000 });
  await page.getByTestId('preview-elder').selectOption(elder.id);
  await page.getByTestId('preview-window').selectOption('lunch');
  const day = await page.getByTestId('preview-date').inputValue();
  const want = await api('POST', `/api/v1/policies/${demoVersion}/preview`, { site: SITE, elder: elder.id, window: 'lunch', at: day + 'T12:00:00Z' });
  check(want.status === 200, `API preview: ${want.status} ${JSON.stringify(want.data)}`);
  const yuan = (f) => `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
  for (const [w, h] of [[1280, 800], [1024, 600]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.getByTestId('preview-go').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="preview-result"]').dataset.decision, null, { timeout: 5000, polling: 50 });
    const box = page.getByTestId('preview-result');
    check(await box.getAttribute('data-decision') === want.data.decision.decision, `preview shows ${await box.getAttribute('data-decision')}, the cloud decided ${want.data.decision.decision}`);
    const text = await box.textContent();
    check(text.includes(yuan(want.data.decision.pay_fen)) && text.includes(yuan(want.data.decision.subsidy_fen)) && text.includes('(Asia/Shanghai)') && text.includes(elder.name),
      `preview "${text}" lacks the sums, the zone or the masked name`);
    check(!/[\u4e00-\u9fff]{3}/.test(elder.name) || elder.name.includes('*'), `elder name not masked: ${elder.name}`);
    await box.scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('[data-testid="preview-result"]').scrollIntoView({ block: 'end' }));
    const out = await offScreen(page, ['preview-word', 'preview-pay', 'preview-subsidy', 'preview-when']);
    check(out.length === 0, `${w}x${h}: ${out.join('; ')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    check(overflow <= 0, `${w}x${h}: the page scrolls sideways by ${overflow} px`);
    await page.screenshot({ path: join(shots, `policies-preview-${w}x${h}.png`) });
  }

  // 6. The language switch words the preview again.
  await page.getByTestId('lang-select').selectOption('en');
  const word = await page.getByTestId('preview-word').textContent();
  check(['Subsidised', 'Full price', 'Not accepted', 'Senior discount'].includes(word), `preview word in en: ${word}`);
  check(errors.length === 0, 'page errors: ' + errors.join('; '));
  console.log(`browser: till policy refused for ${SITE} (${GW} has no till), the site kept ${demoVersion}; diff and validation shown; preview ${want.data.decision.decision} pay ${yuan(want.data.decision.pay_fen)} at 1280x800 and 1024x600 in ${Date.now() - t0} ms; screenshots in ${shots}`);
} catch (e) {
  const pages = browser.contexts().flatMap((c) => c.pages());
  if (pages.length) {
    await pages[0].screenshot({ path: '/tmp/policies-failure.png' }).catch(() => {});
    for (const id of ['policy-result', 'policy-check', 'preview-result']) {
      console.error(id + ':', await pages[0].getByTestId(id).textContent({ timeout: 500 }).catch(() => '?'));
    }
  }
  throw e;
} finally {
  await browser.close();
}
