// Browser test of the console's people (issue 13, docs/console.md
// "People"): run by `go run ./deploy/demo -run`, which sets
// EG_CONSOLE_URL, EG_TOKEN, EG_USER and EG_PASSWORD (the demo's admin).
//   - Before sign-in only the sign-in form shows, whatever page the URL
//     names: no tab, no header button, no page.
//   - The admin signs in; the header names the admin and the role; the
//     users page lists the demo's people and creates a viewer of the
//     street with a temporary password shown once.
//   - Five wrong passwords lock the new account: the page says locked, in
//     zh-CN, with the time and its zone; the right password is then
//     refused; the admin unlocks it on the users page.
//   - The viewer signs in with the temporary password, must choose its
//     own first, and then reaching #users sees a refusal, not the page.
//   - Sign-out shows the sign-in form again.
// Screenshots of the sign-in page (zh-CN, both sizes; and locked) and the
// users page go to docs/console/ (or EG_SHOT_DIR).
import { check, launchChromium, offScreen, signIn } from './screen.mjs';
import { fileURLToPath } from 'node:url';

const consoleURL = process.env.EG_CONSOLE_URL;
if (!consoleURL || !process.env.EG_USER) throw new Error('EG_CONSOLE_URL, EG_USER and EG_PASSWORD must be set');
const shots = process.env.EG_SHOT_DIR || fileURLToPath(new URL('../../../docs/console', import.meta.url));
const sizes = [{ width: 1024, height: 600 }, { width: 1280, height: 800 }];

// shown lists the visible elements among the test ids.
const shown = (page, ids) => page.evaluate((ids) => ids.filter((id) => {
  const e = document.querySelector(`[data-testid="${id}"]`);
  return e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
}), ids);

// visiblePages lists the sections of pages shown (built-in and pages/).
const visiblePages = (page) => page.evaluate(() => [...document.querySelectorAll('main > section')]
  .filter((s) => s.getClientRects().length > 0).map((s) => s.id));

const browser = await launchChromium();
try {
  const ctx = await browser.newContext({ viewport: sizes[0], locale: 'zh-CN' });
  const page = await ctx.newPage();
  const failed = []; // a visitor never signed in asks nothing that fails
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failed.push(r.status() + ' ' + r.url()); });
  await page.goto(consoleURL + '/');
  await page.getByTestId('lang-select').selectOption('zh-CN');
  await page.getByTestId('login-form').waitFor({ state: 'visible' });

  // Anonymous: every page the console has, named in the URL, shows only
  // the sign-in form.
  const pageIds = await page.evaluate(() => [...document.querySelectorAll('main > section')].map((s) => s.id)
    .filter((id) => !['login', 'pw-section', 'page-denied'].includes(id)));
  check(pageIds.includes('users') && pageIds.includes('dashboard'), `pages found: ${pageIds}`);
  for (const id of pageIds) {
    await page.goto(consoleURL + '/#' + id);
    await page.getByTestId('login-form').waitFor({ state: 'visible' });
    const v = await visiblePages(page);
    check(v.length === 1 && v[0] === 'login', `anonymous at #${id} sees ${v}`);
    const extra = await shown(page, ['tabs', 'logout-button', 'password-button', 'who']);
    check(extra.length === 0, `anonymous at #${id} sees ${extra}`);
  }
  check((await page.getByTestId('login-button').textContent()) === '登录', 'the sign-in button is not in zh-CN');
  for (const size of sizes) {
    await page.setViewportSize(size);
    const off = await offScreen(page, ['login-user', 'login-password', 'login-button']);
    check(off.length === 0, `sign-in at ${size.width}x${size.height}: ${off}`);
    await page.screenshot({ path: `${shots}/sign-in-${size.width}x${size.height}.png` });
  }
  await page.setViewportSize(sizes[0]);
  await page.goto(consoleURL + '/');
  check(failed.length === 0, `requests failed before sign-in: ${failed}`);

  // The admin signs in.
  await signIn(page);
  const who = await page.getByTestId('who').textContent();
  check(who.includes('周主任') && who.includes('管理员'), `the header says ${who}`);
  check((await shown(page, ['tabs', 'logout-button', 'password-button'])).length === 3, 'the header buttons or tabs are missing');
  await page.getByTestId('tab-users').click();
  await page.getByTestId('users-table').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="user-row-"]').length >= 5, null, { timeout: 5000 });
  for (const l of ['admin', 'street-op', 'staff', 'auditor', 'viewer']) {
    check(await page.getByTestId('user-row-' + l).count() === 1, `the users page lacks ${l}`);
  }
  const login = 'li-' + Date.now().toString(36);
  await page.getByTestId('users-login').fill(login);
  await page.getByTestId('users-name').fill('李查看');
  await page.getByTestId('users-role').selectOption('viewer');
  const streetLabel = await page.getByTestId('users-scope').locator('option[value="demo-street"]').textContent();
  check(streetLabel.includes('幸福街道'), `the org picker shows ${streetLabel}, not the street's name`);
  await page.getByTestId('users-scope').selectOption('demo-street');
  await page.getByTestId('users-create').click();
  await page.getByTestId('users-secret').waitFor({ state: 'visible', timeout: 5000 });
  const temp = (await page.getByTestId('users-secret-password').textContent()).trim();
  check(/^[a-z2-9]{12}$/.test(temp), `temporary password ${temp}`);
  await page.getByTestId('user-row-' + login).waitFor();
  check((await page.getByTestId('user-row-' + login).textContent()).includes('幸福街道'), 'the new user\'s scope is not shown by name');
  for (const size of sizes) {
    await page.setViewportSize(size);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    check(over <= 0, `the users page scrolls sideways by ${over}px at ${size.width}`);
    await page.screenshot({ path: `${shots}/users-${size.width}x${size.height}.png`, fullPage: true });
  }
  await page.getByTestId('users-secret-done').click();
  check(!(await page.content()).includes(temp), 'the temporary password stays on the page after "done"');

  // Five wrong passwords lock the new account.
  const ctx2 = await browser.newContext({ viewport: sizes[0], locale: 'zh-CN' });
  const p2 = await ctx2.newPage();
  await p2.goto(consoleURL + '/');
  await p2.getByTestId('lang-select').selectOption('zh-CN');
  const attempt = async (pw) => {
    await p2.getByTestId('login-user').fill(login);
    await p2.getByTestId('login-password').fill(pw);
    await p2.getByTestId('login-button').click();
    await p2.waitForFunction(() => { const e = document.querySelector('[data-testid=login-error]'); return e && !e.hidden && !document.getElementById('login-button').disabled; });
    return { text: await p2.getByTestId('login-error').textContent(), state: await p2.getByTestId('login-error').getAttribute('data-state') };
  };
  for (let i = 1; i <= 4; i++) {
    const r = await attempt('wrong password ' + i);
    check(r.text === '用户名或密码错误' && r.state === 'refused', `wrong password ${i}: ${r.text}`);
    await p2.evaluate(() => { document.querySelector('[data-testid=login-error]').hidden = true; });
  }
  let r = await attempt('wrong password 5');
  check(r.state === 'locked' && r.text.includes('已锁定') && /\d{2}:\d{2} \(Asia\/Shanghai\)/.test(r.text), `fifth wrong password: ${r.text}`);
  await p2.screenshot({ path: `${shots}/sign-in-locked-1024x600.png` });
  await p2.evaluate(() => { document.querySelector('[data-testid=login-error]').hidden = true; });
  r = await attempt(temp);
  check(r.state === 'locked', `the right password while locked: ${r.text}`);
  check(await p2.getByTestId('who').isHidden(), 'signed in while locked');

  // The admin unlocks it.
  await page.getByTestId('tab-dashboard').click();
  await page.getByTestId('tab-users').click();
  await page.waitForFunction((l) => document.querySelector(`[data-testid="user-row-${l}"]`)?.dataset.state === 'locked', login, { timeout: 5000 });
  await page.getByTestId('user-unlock-' + login).click();
  await page.waitForFunction((l) => document.querySelector(`[data-testid="user-row-${l}"]`)?.dataset.state === 'must-change', login, { timeout: 5000 });

  // The viewer signs in with the temporary password and must choose its
  // own before anything else.
  await p2.evaluate(() => { document.querySelector('[data-testid=login-error]').hidden = true; });
  await p2.getByTestId('login-user').fill(login);
  await p2.getByTestId('login-password').fill(temp);
  await p2.getByTestId('login-button').click();
  await p2.getByTestId('password-forced').waitFor({ state: 'visible', timeout: 5000 });
  check(await p2.getByTestId('tabs').isHidden(), 'the tabs show before the forced password change');
  await p2.getByTestId('password-old').fill(temp);
  await p2.getByTestId('password-new').fill('my own password 42');
  await p2.getByTestId('password-new2').fill('my own password 42');
  await p2.getByTestId('password-save').click();
  await p2.getByTestId('tabs').waitFor({ state: 'visible', timeout: 5000 });
  check((await p2.getByTestId('who').textContent()).includes('李查看'), 'the viewer is not named in the header');
  check(await p2.getByTestId('tab-users').isHidden(), 'a viewer has the users tab');
  await p2.goto(consoleURL + '/#users');
  await p2.getByTestId('page-denied').waitFor({ state: 'visible', timeout: 5000 });
  check(await p2.getByTestId('page-users').isHidden(), 'a viewer sees the users page');
  check((await p2.getByTestId('page-denied').textContent()).includes('无权'), 'the refusal is not in words');
  // Every page, built-in or of pages/ (data-role: the role it declared),
  // reached by URL: a viewer sees those for viewers and a refusal for the
  // others, and has no tab for them.
  const declared = await p2.evaluate(() => [...document.querySelectorAll('main > section[data-role]')].map((s) => [s.id, s.dataset.role]));
  for (const id of ['users', 'dashboard', 'roster']) check(declared.some(([d]) => d === id), `${id} declares no role: ${declared}`);
  for (const [id, role] of declared) {
    await p2.goto(consoleURL + '/#' + id);
    const forViewer = role === 'viewer' || role.split(' ').includes('viewer');
    await p2.waitForFunction(([id, ok]) => {
      const denied = document.querySelector('[data-testid=page-denied]');
      return ok ? !document.getElementById(id).hidden : !denied.hidden && document.getElementById(id).hidden;
    }, [id, forViewer], { timeout: 5000 });
    const tab = p2.locator(`#tabs .tab[data-tab="${id}"]`);
    check(await tab.count() === 0 || (await tab.isVisible()) === forViewer, `the viewer's tab of ${id} (${role})`);
  }

  // Sign-out.
  await p2.getByTestId('logout-button').click();
  await p2.getByTestId('login-form').waitFor({ state: 'visible' });
  check((await visiblePages(p2)).join() === 'login', 'pages show after sign-out');
  await p2.reload();
  await p2.getByTestId('login-form').waitFor({ state: 'visible' });
  await p2.waitForTimeout(300);
  check(await p2.getByTestId('who').isHidden(), 'a reload after sign-out is signed in');
  // A reload keeps a live session.
  await page.reload();
  await page.getByTestId('who').waitFor({ state: 'visible', timeout: 5000 });
  await ctx2.close();
  await ctx.close();
  console.log('people: ok');
} finally {
  await browser.close();
}
