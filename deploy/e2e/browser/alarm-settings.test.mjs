// Browser test of the alarm settings (issue 10): an operator opens the
// demo site's alarm settings in the console, is told in words what is
// wrong with a bad value, saves reminder times, on-duty spans and a
// webhook channel, and sends a test message that reaches a local webhook
// receiver started by this test (its HMAC-SHA256 signature checked); the
// stored secret is never shown again and is kept when saved again. At
// 1024x600 and 1280x800 nothing scrolls sideways. Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and EG_TOKEN.
import { launchChromium, signIn } from './screen.mjs';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');
const shots = mkdtempSync(join(tmpdir(), 'eldergate-alarm-settings-'));
const check = (cond, msg) => { if (!cond) throw new Error('assertion failed: ' + msg); };

const secret = 'demo-secret-' + Date.now();
const received = [];
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const ts = req.headers['x-eldergate-timestamp'];
    const want = 'sha256=' + createHmac('sha256', secret).update(ts + '.' + body).digest('hex');
    received.push({ ok: req.headers['x-eldergate-signature'] === want, body: JSON.parse(body) });
    res.end('ok');
  });
});
await new Promise((r) => hook.listen(0, '127.0.0.1', r));
const hookURL = `http://127.0.0.1:${hook.address().port}/alarm`;

const browser = await launchChromium();
try {
  let first = true;
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h } });
    const c = await ctx.newPage();
    await c.goto(consoleURL + '/');
    await signIn(c);
    const row = c.locator('[data-testid="org-row"][data-unit="site-demo-1"]');
    await row.waitFor({ timeout: 10000 });
    await row.getByTestId('org-alarm-settings').click();
    await c.getByTestId('alarm-settings').waitFor({ state: 'visible' });
    const msg = c.getByTestId('as-msg');
    if (first) {
      await c.getByTestId('as-remind').fill('5');
      await c.getByTestId('as-save').click();
      await c.waitForFunction(() => document.querySelector('[data-testid="as-msg"]').dataset.state === 'error', null, { timeout: 5000 });
      check((await msg.textContent()).includes('remind_after_s'), `bad value refused with "${await msg.textContent()}"`);
      await c.getByTestId('as-remind').fill('45');
      await c.getByTestId('as-duty').fill('mon-fri 08:00-20:00\nsat 09:00-12:00');
      await c.getByTestId('as-add').click();
      const ch = c.getByTestId('as-channel').first();
      await ch.locator('[data-k=kind]').selectOption('webhook');
      await ch.locator('[data-k=id]').fill('desk');
      await ch.locator('[data-k=url]').fill(hookURL);
      await ch.locator('[data-k=secret]').fill(secret);
    }
    await c.getByTestId('as-save').click(); // the second time: saved again with the secret left as it was
    await c.waitForFunction(() => { const m = document.querySelector('[data-testid="as-msg"]'); return m.dataset.state === 'ok' && m.textContent.length > 0; }, null, { timeout: 5000 });
    const secretValue = await c.getByTestId('as-channel').first().locator('[data-k=secret]').inputValue();
    check(secretValue === '', 'the stored secret is shown in the form');
    const n = received.length;
    await c.getByTestId('as-test').first().click();
    await c.waitForFunction(() => { const r = document.querySelector('[data-testid="as-test-result"]'); return r && r.textContent.length > 2; }, null, { timeout: 20000 });
    const result = await c.getByTestId('as-test-result').first().textContent();
    check(received.length === n + 1 && received[n].ok, `test message not received with a valid signature (${result})`);
    check(!(await c.getByTestId('as-test-result').first().getAttribute('class') || '').includes('error'), `test shown as failed: ${result}`);
    const [sw, iw] = await c.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(sw <= iw, `${w}x${h}: the page scrolls sideways (${sw} > ${iw})`);
    await c.getByTestId('alarm-settings').screenshot({ path: join(shots, `alarm-settings-${w}.png`) });
    await ctx.close();
    first = false;
  }
  console.log(`alarm settings: bad value refused in words, saved twice (secret kept), ${received.length} signed test messages received; screenshots in ${shots}`);
} finally {
  await browser.close();
  hook.close();
}
