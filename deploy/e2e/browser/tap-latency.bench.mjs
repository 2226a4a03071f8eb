// Benchmark (issue 11, acceptance 5): time from the simulated card read to
// the result on the kiosk's screen, in headless Chromium at 1024x600,
// over 200 taps. The clock starts in the page when a simulation button
// is clicked (its handler posts the card read to the gateway) and stops
// at the first animation frame after the page has drawn that tap's
// result (body[data-taps] counts the results drawn). Taps go round the
// demo's elders 400 ms apart, so that none falls in the 3 s duplicate
// window; a refusal (a second meal) is a result like any other. Prints
// p50, p95, max and a Go-benchmark-style line for bench.sh. Runs under
// `go run ./deploy/demo -run`, which sets EG_KIOSK_URL.
import { launchChromium } from './screen.mjs';

const kioskURL = process.env.EG_KIOSK_URL;
if (!kioskURL) throw new Error('EG_KIOSK_URL must be set');
const N = Number(process.env.EG_TAPS || 200);

const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 600 } })).newPage();
  await page.goto(kioskURL + '/');
  await page.getByTestId('sim-tap').first().waitFor({ timeout: 10000 });
  await page.waitForFunction(() => document.body.dataset.sse !== 'error', null, { timeout: 10000 });
  await page.waitForTimeout(500);
  const ms = [];
  let lost = 0;
  for (let i = 0; i < N; i++) {
    const t = await page.evaluate(async (i) => {
      const btns = [...document.querySelectorAll('[data-testid="sim-tap"]')];
      const before = Number(document.body.dataset.taps || 0);
      const t0 = performance.now();
      const drawn = new Promise((res) => {
        const obs = new MutationObserver(() => {
          if (Number(document.body.dataset.taps || 0) > before) { obs.disconnect(); requestAnimationFrame(() => res(performance.now() - t0)); }
        });
        obs.observe(document.body, { attributes: true, attributeFilter: ['data-taps'] });
        setTimeout(() => { obs.disconnect(); res(-1); }, 5000);
      });
      btns[i % btns.length].click();
      return drawn;
    }, i);
    if (t < 0) lost++; else ms.push(t);
    await page.waitForTimeout(400);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)];
  console.log(`tap latency: ${ms.length} taps drawn, ${lost} without a result in 5 s; p50 ${q(50).toFixed(1)} ms, p95 ${q(95).toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`);
  console.log(`BenchmarkKioskTapToScreen ${ms.length} ${q(50).toFixed(1)} p50-ms ${q(95).toFixed(1)} p95-ms ${q(99).toFixed(1)} p99-ms ${ms[ms.length - 1].toFixed(1)} max-ms ${lost} lost`);
  if (lost > 0) process.exitCode = 1;
} finally {
  await browser.close();
}
