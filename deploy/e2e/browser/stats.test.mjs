// Browser test of the console's service statistics (Reports tab, issue
// 12), against the demo: a few cards tapped at the simulated kiosk make
// meals; then at 1024×600 and 1280×800 the section's total row equals
// the JSON API's total and the downloaded CSV's totals row (parsed here),
// both charts are drawn by ECharts (an instance on each box and a canvas
// with non-blank pixels), no request of the page leaves 127.0.0.1 (ECharts
// comes from the cloud, not a CDN), and axe-core finds no violation.
// Screenshots go to docs/reports/ (EG_SHOTS overrides). Runs under
// `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL, EG_KIOSK_URL and
// EG_TOKEN.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeViolations, check, launchChromium, signIn } from './screen.mjs';

const consoleURL = process.env.EG_CONSOLE_URL;
const kioskURL = process.env.EG_KIOSK_URL;
const token = process.env.EG_TOKEN;
if (!consoleURL || !kioskURL || !token) throw new Error('EG_CONSOLE_URL, EG_KIOSK_URL and EG_TOKEN must be set');
const shots = process.env.EG_SHOTS || 'docs/reports';
mkdirSync(shots, { recursive: true });


// parseCSV reads RFC 4180 CSV (quoted fields, CRLF) into records.
function parseCSV(text) {
  const recs = [];
  let rec = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { rec.push(field); field = ''; }
    else if (c === '\n') { rec.push(field.replace(/\r$/, '')); recs.push(rec); rec = []; field = ''; }
    else field += c;
  }
  if (field !== '' || rec.length) { rec.push(field); recs.push(rec); }
  return recs;
}

const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
const apiGet = async (q) => {
  const res = await fetch(consoleURL + '/api/v1/' + q, { headers: { Authorization: 'Bearer ' + token } });
  check(res.ok, `GET ${q}: ${res.status}`);
  return res.json();
};

// Meals: tap the first three cards of the simulated roster.
const before = (await apiGet('reports/service?month=' + month)).total.meals;
const cards = await (await fetch(kioskURL + '/api/sim/roster')).json();
for (const c of cards.slice(0, 3)) {
  const res = await fetch(kioskURL + '/api/sim/tap', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ card: c.card }) });
  check(res.ok, `tap ${c.card}: ${res.status}`);
  await new Promise((r) => setTimeout(r, 700));
}
let api;
for (let i = 0; i < 50; i++) {
  api = await apiGet('reports/service?month=' + month);
  if (api.total.meals > before) break;
  await new Promise((r) => setTimeout(r, 200));
}
// After the other browser tests the cards may be at their limits (a
// refused tap is no meal); the meals of those tests count then.
check(api.total.meals > 0, `no served meal in the statistics (${before} before the taps, ${api.total.meals} after)`);

const browser = await launchChromium();
const consoleHost = new URL(consoleURL).hostname;
check(consoleHost === '127.0.0.1', `the console is at ${consoleHost}, not 127.0.0.1`);
try {
  for (const [width, height] of [[1024, 600], [1280, 800]]) {
    const ctx = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
    const page = await ctx.newPage();
    const outside = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (!['blob:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1') outside.push(r.url());
    });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Console errors but the browser's own favicon request (the console
    // has no icon); failed responses with their address.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(r.status() + ' ' + r.url()); });
    await page.goto(consoleURL + '/');
    await signIn(page);
    await page.getByTestId('tab-reports').click();
    check(await page.getByTestId('service-month').inputValue() === month, 'the month picker is not on the current month');
    const total = page.locator('[data-testid=service-row][data-level=total]');
    await total.waitFor({ timeout: 5000 });
    api = await apiGet('reports/service?month=' + month);
    const shown = {
      meals: await total.getByTestId('service-meals').textContent(),
      elders: await total.getByTestId('service-elders').textContent(),
      roster: await total.getByTestId('service-roster').textContent(),
      coverage: await total.getByTestId('service-coverage').textContent(),
    };
    const pct = api.total.coverage_pct === null ? '—' : api.total.coverage_pct.toFixed(1) + '%';
    check(shown.meals === String(api.total.meals) && shown.elders === String(api.total.elders) &&
      shown.roster === String(api.total.roster) && shown.coverage === pct,
      `page total ${JSON.stringify(shown)}, API ${JSON.stringify(api.total)}`);
    check(await page.getByTestId('service-row').count() === api.rows.length + 1, 'not one table row per report row plus the total');
    for (const w of api.windows) {
      check(await total.getByTestId('service-window-' + w).textContent() === String(api.total.by_window[w]), `window ${w} differs from the API`);
    }

    // The charts: an ECharts instance on each box, a canvas with ink.
    await page.waitForFunction(() => window.echarts && ['svc-daily', 'svc-windows'].every((id) => window.echarts.getInstanceByDom(document.getElementById(id))), null, { timeout: 5000 });
    const ink = await page.evaluate(() => ['svc-daily', 'svc-windows'].map((id) => {
      const c = document.querySelector('#' + id + ' canvas');
      if (!c) return 0;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
      return n;
    }));
    check(ink.every((n) => n > 500), `a chart is blank: ${ink} inked pixels`);
    const series = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('svc-daily')).getOption().series.map((s) => s.data.reduce((a, b) => a + b, 0)));
    check(series[0] === api.total.meals, `the daily chart's meals add up to ${series[0]}, the API's total is ${api.total.meals}`);

    // The CSV download's totals row.
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('service-csv').click()]);
    check(dl.suggestedFilename() === `service-statistics-${month}.csv`, `csv named ${dl.suggestedFilename()}`);
    const text = readFileSync(await dl.path(), 'utf8');
    check(text.startsWith('\uFEFF'), 'the CSV has no BOM');
    const recs = parseCSV(text.slice(1));
    const tot = recs.find((r) => r[0] === '合计');
    check(tot && tot[3] === String(api.total.meals) && tot[4] === String(api.total.elders) && tot[5] === String(api.total.roster) &&
      tot[6] === (api.total.coverage_pct === null ? '' : api.total.coverage_pct.toFixed(1)), `CSV total ${JSON.stringify(tot)}, API ${JSON.stringify(api.total)}`);
    check(recs[0][0] === `${Number(month.slice(0, 4))}年${Number(month.slice(5))}月 长者助餐服务统计表`, `CSV title ${recs[0][0]}`);

    // Layout: the page does not scroll sideways; the controls are in view.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page scrolls sideways by ${overflow}px at ${width}×${height}`);
    for (const id of ['service-month', 'service-unit', 'service-load', 'service-csv', 'service-xlsx', 'service-daily-chart', 'service-window-chart', 'service-scroll']) {
      const b = await page.getByTestId(id).boundingBox();
      check(b && b.x >= 0 && b.x + b.width <= width, `${id} is cut off at ${width}: ${JSON.stringify(b)}`);
    }
    const v = await axeViolations(page);
    check(v.length === 0, `axe-core at ${width}×${height}: ${v.join('; ')}`);
    check(errors.length === 0, `errors in the page (a CSP refusal would be one): ${errors.join('; ')}`);
    check(outside.length === 0, `requests left 127.0.0.1: ${outside.join(', ')}`);

    // The whole section, from its title to its rules (taller than 600 px).
    await page.getByTestId('service-section').screenshot({ path: join(shots, `service-statistics-${width}.png`) });

    // The weekly series of the month, then the current ISO week as the
    // period itself: page = API, elders distinct per week.
    const weekRows = async (rep) => {
      check(await page.getByTestId('service-week').count() === rep.weekly.length, `${rep.weekly.length} weeks in the API, not on the page`);
      for (let i = 0; i < rep.weekly.length; i++) {
        const row = page.getByTestId('service-week').nth(i);
        const w = rep.weekly[i];
        check(await row.getByTestId('service-week-key').textContent() === w.week &&
          await row.getByTestId('service-week-meals').textContent() === String(w.meals) &&
          await row.getByTestId('service-week-elders').textContent() === String(w.elders), `week ${w.week} differs from the API`);
      }
    };
    await weekRows(api);
    check(api.weekly.reduce((a, w) => a + w.meals, 0) === api.total.meals, 'the weeks do not add up to the month');
    await page.getByTestId('service-kind').selectOption('week');
    const week = await page.getByTestId('service-month').inputValue();
    check(/^\d{4}-W\d{2}$/.test(week), `the period input holds ${week}, not an ISO week`);
    const wapi = await apiGet('reports/service?period=' + week);
    await page.waitForFunction((n) => document.querySelector('[data-testid=service-row][data-level=total] [data-testid=service-meals]')?.textContent === n &&
      document.querySelectorAll('[data-testid=service-week]').length === 1, String(wapi.total.meals), { timeout: 5000 });
    check(await total.getByTestId('service-elders').textContent() === String(wapi.total.elders), 'the week\'s elders differ from the API');
    await weekRows(wapi);
    check(wapi.daily.length === 7, `${wapi.daily.length} days in a week`);
    const wv = await axeViolations(page);
    check(wv.length === 0, `axe-core (week) at ${width}×${height}: ${wv.join('; ')}`);
    await page.getByTestId('service-section').screenshot({ path: join(shots, `service-statistics-week-${width}.png`) });
    await ctx.close();
  }
  console.log(`service statistics: ${api.total.meals} meals, ${api.total.elders} elders, roster ${api.total.roster}; page = API = CSV at 1024×600 and 1280×800, charts drawn, no request outside 127.0.0.1, axe clean`);
} finally {
  await browser.close();
}
