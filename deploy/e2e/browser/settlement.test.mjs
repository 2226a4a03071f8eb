// Browser test of the settlement section of the console's Reports tab,
// against the demo (run after demo.test.mjs, so the month holds the meal
// that test tapped): the table's totals row equals the API's JSON, the
// CSV download's totals row equals the page's figure by figure, the XLSX
// download arrives under its name as a workbook (its cells are checked
// from Go: cloud/http/settlement_test.go), the page never scrolls
// sideways, and screenshots at 1024×600 and 1280×800 (docs/, or EG_SHOT_DIR).
// Runs under `go run ./deploy/demo -run`, which sets EG_CONSOLE_URL and
// EG_TOKEN.
import { check, launchChromium, signIn } from './screen.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
const token = process.env.EG_TOKEN;
const shotDir = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs', import.meta.url));
if (!consoleURL || !token) throw new Error('EG_CONSOLE_URL and EG_TOKEN must be set');

const yuan = (fen) => Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0');

// parseCSV reads RFC 4180 records (quoted fields with commas and quotes).
function parseCSV(text) {
  const recs = [];
  let rec = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { rec.push(f); f = ''; }
    else if (c === '\r') { /* CRLF */ }
    else if (c === '\n') { rec.push(f); recs.push(rec); rec = []; f = ''; }
    else f += c;
  }
  if (f !== '' || rec.length) { rec.push(f); recs.push(rec); }
  return recs;
}

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 600 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(consoleURL + '/');
  await signIn(page);
  await page.getByTestId('tab-reports').click();
  const total = page.locator('[data-testid=settlement-row][data-level=total]');
  await total.waitFor({ timeout: 5000 });
  const month = await page.getByTestId('settlement-month').inputValue();
  const want = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
  check(month === want, `month picker shows ${month}, want ${want}`);

  const api = await (await page.request.get(consoleURL + '/api/v1/reports/settlement?month=' + month,
    { headers: { Authorization: 'Bearer ' + token } })).json();
  check(api.total.meals >= 1, `the demo's meal is not in the settlement: ${JSON.stringify(api.total)}`);
  const txt = async (id) => (await total.getByTestId('settlement-' + id).textContent()).trim();
  const pageTotal = {
    meals: await txt('meals'), subsidised: await txt('subsidised'), price: await txt('price'), pay: await txt('pay'),
    subsidy: await txt('subsidy'), outside: await txt('outside'), outsideFen: await txt('outside-fen'), operating: await txt('operating'),
    discount: await txt('discount'), manual: await txt('manual'), voids: await txt('voids'), voidPrice: await txt('void-price'),
  };
  const layers = [];
  for (const l of api.layers) layers.push(await txt('layer-' + l));
  const fromAPI = {
    meals: String(api.total.meals), subsidised: String(api.total.subsidised), price: yuan(api.total.price_fen), pay: yuan(api.total.pay_fen),
    subsidy: yuan(api.total.subsidy_fen), outside: String(api.total.outside_meals), outsideFen: yuan(api.total.outside_fen),
    operating: yuan(api.total.operating_fen), discount: yuan(api.total.discount_fen), manual: String(api.total.manual),
    voids: String(api.total.voids), voidPrice: yuan(api.total.void_price_fen),
  };
  check(JSON.stringify(pageTotal) === JSON.stringify(fromAPI), `page total ${JSON.stringify(pageTotal)}, API ${JSON.stringify(fromAPI)}`);
  check(JSON.stringify(layers) === JSON.stringify(api.layers.map((l) => yuan(api.total.funding[l]))), `page layers ${layers}`);
  check(await page.getByTestId('settlement-row').count() === api.rows.length + 1, 'not one table row per report row plus the total');

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1024×600`);
  for (const id of ['settlement-month', 'settlement-unit', 'settlement-load', 'settlement-csv', 'settlement-xlsx', 'settlement-scroll']) {
    const b = await page.getByTestId(id).boundingBox();
    check(b && b.x >= 0 && b.x + b.width <= 1024, `${id} is cut off: ${JSON.stringify(b)}`);
  }

  // CSV: the totals row equals the page's, figure by figure (the CSV's
  // columns: level, id, name, meals, subsidised, price, pay, subsidy,
  // outside meals, outside subsidy, operating, discounts, manual, voids,
  // voided price, voided subsidy, then one per funding layer).
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('settlement-csv').click()]);
  check(dl.suggestedFilename() === `settlement-${month}.csv`, `csv file ${dl.suggestedFilename()}`);
  const csv = readFileSync(await dl.path()).toString('utf8');
  check(csv.startsWith('\uFEFF' + Number(month.slice(0, 4)) + '年' + Number(month.slice(5)) + '月 长者助餐补贴结算表'), `csv title: ${csv.slice(0, 40)}`);
  const recs = parseCSV(csv.slice(1));
  const tot = recs.find((r) => r[0] === '合计');
  check(tot, 'the CSV has no totals row');
  const fromCSV = {
    meals: tot[3], subsidised: tot[4], price: tot[5], pay: tot[6], subsidy: tot[7], outside: tot[8], outsideFen: tot[9],
    operating: tot[10], discount: tot[11], manual: tot[12], voids: tot[13], voidPrice: tot[14],
  };
  check(JSON.stringify(fromCSV) === JSON.stringify(pageTotal), `csv total ${JSON.stringify(fromCSV)}, page ${JSON.stringify(pageTotal)}`);
  check(JSON.stringify(tot.slice(16, 16 + layers.length)) === JSON.stringify(layers), `csv layers ${tot.slice(16)} page ${layers}`);
  check(csv.includes('制表人') && csv.includes('审核人'), 'the CSV has no signature lines');

  const [dx] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.getByTestId('settlement-xlsx').click()]);
  check(dx.suggestedFilename() === `settlement-${month}.xlsx`, `xlsx file ${dx.suggestedFilename()}`);
  check(readFileSync(await dx.path()).subarray(0, 2).toString() === 'PK', 'the XLSX is not a ZIP');

  // The chart: an ECharts instance on its box whose stacked series add up,
  // per funding layer, to the API's totals, and the elders' bars to what
  // they paid.
  await page.waitForFunction(() => window.echarts && window.echarts.getInstanceByDom(document.getElementById('st-chart')), null, { timeout: 5000 });
  const sums = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('st-chart')).getOption().series
    .map((x) => Math.round(x.data.reduce((a, b) => a + b, 0) * 100)));
  const perSite = api.layers.map((l) => api.rows.filter((r) => r.level === 'site').reduce((a, r) => a + (r.funding[l] || 0), 0))
    .concat([api.rows.filter((r) => r.level === 'site').reduce((a, r) => a + r.pay_fen, 0)]);
  check(JSON.stringify(sums) === JSON.stringify(perSite), `chart series ${sums}, API per layer and paid ${perSite}`);
  check(perSite.slice(0, -1).reduce((a, b) => a + b, 0) === api.total.subsidy_fen, 'the sites\' layers do not add up to the total subsidy');

  await page.getByTestId('settlement-chart').scrollIntoViewIfNeeded();
  await page.screenshot({ path: shotDir + '/settlement-chart-1024x600.png' });
  await page.getByTestId('settlement-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: shotDir + '/settlement-1024x600.png' });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('settlement-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: shotDir + '/settlement-1280x800.png' });

  // The language follows the selector.
  await page.getByTestId('lang-select').selectOption('en');
  check(await total.locator('td').first().textContent() === 'Total', 'the total row is not in English');
  console.log(`settlement: ${api.rows.length} rows + total, ${api.total.meals} meals, page = API = CSV, XLSX downloaded, no sideways scroll at 1024×600`);
} finally {
  await browser.close();
}
