// Browser test of the cashier's keyed amount (issue 11): on the kiosk's
// staff screen a cashier keys a meal's amount in yuan (refused in words
// when it is not a sum of money), sees it waiting for the elder's tap,
// and withdraws it; at 1024x600 and 1280x800 the form is inside the
// screen and axe-core finds no violation. Runs under
// `go run ./deploy/demo -run`, which sets EG_KIOSK_URL.
import { launchChromium } from './screen.mjs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const kioskURL = process.env.EG_KIOSK_URL;
if (!kioskURL) throw new Error('EG_KIOSK_URL must be set');
const check = (cond, msg) => { if (!cond) throw new Error('assertion failed: ' + msg); };
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const browser = await launchChromium();
try {
  for (const [w, h] of [[1024, 600], [1280, 800]]) {
    const page = await (await browser.newContext({ viewport: { width: w, height: h } })).newPage();
    await page.goto(kioskURL + '/');
    await page.getByTestId('staff-open').click();
    await page.getByTestId('staff-pin').fill('2468');
    await page.getByTestId('staff-pin').press('Enter');
    await page.getByTestId('cashier').waitFor({ state: 'visible', timeout: 5000 });
    await page.getByTestId('cashier-yuan').fill('12.345');
    await page.getByTestId('cashier-send').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="staff-msg"]').textContent.length > 0, null, { timeout: 3000 });
    const bad = await page.getByTestId('staff-msg').textContent();
    check(/12\.50|such as/.test(bad), `a bad amount is refused with "${bad}"`);
    await page.getByTestId('cashier-yuan').fill('12.5');
    await page.getByTestId('cashier-send').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="cashier-state"]').textContent.includes('12.50'), null, { timeout: 3000 });
    const box = await page.getByTestId('cashier').boundingBox();
    check(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= w && box.y + box.height <= h, `${w}x${h}: the cashier form is not inside the screen: ${JSON.stringify(box)}`);
    await page.evaluate(axeSource); // as the kiosk screen test does (the page's CSP forbids inline scripts)
    const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
    check(res.violations.length === 0, `${w}x${h}: axe: ${res.violations.map((v) => v.id + ' ' + v.nodes.map((n) => n.target).join(',')).join('; ')}`);
    await page.screenshot({ path: `docs/kiosk/cashier-zh-CN-${w}x${h}.png` });
    await page.getByTestId('cashier-cancel').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="cashier-state"]').textContent === '', null, { timeout: 3000 });
    await page.context().close();
  }
  console.log('cashier: a bad amount refused in words, 12.50 keyed and withdrawn, inside the screen and no axe violation at 1024x600 and 1280x800');
} finally {
  await browser.close();
}
