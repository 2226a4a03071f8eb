// What the browser tests share, written once: Debian's Chromium launched
// for loopback-only tests, the check that fails a test in words, whether
// an element is on screen (shown, inside the viewport, not covered at its
// centre), and axe-core finds no violation.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

// launchChromium starts Debian's headless Chromium (/usr/bin/chromium)
// with nothing that reaches beyond the tests' loopback servers (no QUIC,
// no background networking, component updates or sync); extra flags are
// added, e.g. '--autoplay-policy=no-user-gesture-required'.
export function launchChromium(...extra) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extra],
  });
}

export const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const check = (cond, msg) => { if (!cond) throw new Error('assertion failed: ' + msg); };

// offScreen returns what is wrong with each element of the test ids on
// page: missing or not shown, (partly) outside the viewport, or covered
// at its centre by another element. Empty when all are fully in view.
export function offScreen(page, ids) {
  return page.evaluate((ids) => ids.flatMap((id) => {
    const e = document.querySelector(`[data-testid="${id}"]`);
    if (!e) return [`${id} missing`];
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return [`${id} not shown`];
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) {
      return [`${id} at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} outside ${innerWidth}x${innerHeight}`];
    }
    const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!at || !(at === e || e.contains(at))) return [`${id} covered by ${at ? at.id || at.dataset.testid || at.tagName : 'nothing'}`];
    return [];
  }), ids);
}

// axeViolations runs axe-core on page (injected by evaluate: the kiosk's
// CSP forbids inline scripts) and returns its violations in words.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.map((x) => `${x.id} (${x.nodes.map((n) => [].concat(n.target).join(' ')).join(', ')})`);
}

// signIn signs the console open in page in with a login and a password
// (default the demo's administrator, EG_USER and EG_PASSWORD, set by
// `go run ./deploy/demo -run`) and waits until the header names the
// signed-in person: every console test signs in through here, so that the
// sign-in form is known in one place. API calls of the tests keep using
// the bearer token EG_TOKEN.
export async function signIn(page, login = process.env.EG_USER, password = process.env.EG_PASSWORD) {
  if (!login || !password) throw new Error('EG_USER and EG_PASSWORD must be set');
  await page.getByTestId('login-user').fill(login);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-button').click();
  await page.getByTestId('who').waitFor({ state: 'visible', timeout: 10000 });
}
