// The staff console as a new staff member uses it: log in, find yesterday's
// unmatched questions from one kiosk, read a transcript, annotate it, export
// the list, see the dashboard, log out — while hostile citizen text stays
// inert. Run by tests/browser.rs with BASE_URL, SHOTS, STAFF_USER and
// STAFF_PASSWORD set (an admin account made with `staff add`).
const { launch } = require('./launch');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;

(async () => {
  const browser = await launch();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });

  await page.goto(`${base}/staff/queries`);
  assert.match(page.url(), /\/staff\/login$/);
  await page.fill('input[name=username]', process.env.STAFF_USER);
  await page.fill('input[name=password]', 'wrong password');
  await page.click('button[type=submit]');
  assert.match(await page.locator('.err').innerText(), /不正确/);
  await page.fill('input[name=username]', process.env.STAFF_USER);
  await page.fill('input[name=password]', process.env.STAFF_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/staff\/queries$/);
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === 'xg_staff');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'HttpOnly SameSite=Strict session cookie');
  assert.equal(await page.evaluate(() => document.cookie.includes('xg_staff')), false, 'not readable by script');
  await page.screenshot({ path: `${shots}/staff-queries.png`, fullPage: true });

  // Unmatched questions from one kiosk tag.
  await page.selectOption('select[name=status]', 'unmatched');
  await page.fill('input[name=src]', 'kiosk-1');
  await page.click('form.filters button');
  await page.waitForURL(/status=unmatched/);
  const rows = page.locator('table tr td.text');
  assert.ok(await rows.count() >= 2, 'the kiosk questions are listed');
  const texts = await rows.allInnerTexts();
  assert.ok(texts.some((t) => t.includes('<script>')), 'hostile text is shown as text');
  assert.equal(await page.evaluate(() => window.pwned), undefined, 'and never runs');
  assert.equal(await page.locator('main script, main img, main iframe').count(), 0);
  await page.screenshot({ path: `${shots}/staff-unmatched.png`, fullPage: true });

  // Read a transcript and annotate it.
  await page.locator('a', { hasText: '对话' }).first().click();
  await page.waitForURL(/\/staff\/transcript/);
  await page.locator('form.annotate select[name=category]').first().selectOption('public_service');
  await page.locator('form.annotate input[name=gap]').first().check();
  await page.locator('form.annotate input[name=note]').first().fill('需要一条新的 FAQ');
  await page.locator('form.annotate button').first().click();
  await page.waitForURL(/\/staff\/transcript/);
  assert.equal(await page.locator('form.annotate select[name=category]').first().inputValue(), 'public_service');
  await page.screenshot({ path: `${shots}/staff-transcript.png`, fullPage: true });

  // Export the filtered list.
  await page.goBack();
  await page.goto(`${base}/staff/queries?status=unmatched&src=kiosk-1`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("导出 CSV")')]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\ufeff'), 'BOM');
  assert.ok(csv.split('\r\n').length >= 3, csv);

  // Unanswered queue, dashboard, audit.
  await page.click('a:has-text("未解答的问题")');
  await page.screenshot({ path: `${shots}/staff-unanswered.png`, fullPage: true });
  await page.click('a:has-text("数据看板")');
  assert.ok(await page.locator('svg.chart').count() >= 4);
  await page.screenshot({ path: `${shots}/staff-dashboard.png`, fullPage: true });
  await page.click('a:has-text("审计日志")');
  const audit = await page.locator('main').innerText();
  // Audit actions are shown in Chinese.
  for (const a of ['登录', '查看对话', '标注', '导出 CSV']) assert.match(audit, new RegExp(a));
  await page.screenshot({ path: `${shots}/staff-audit.png`, fullPage: true });

  await page.click('nav button:has-text("退出")');
  await page.waitForURL(/\/staff\/login$/);
  await page.goto(`${base}/staff/queries`);
  assert.match(page.url(), /\/staff\/login$/, 'logged out');

  assert.deepEqual(errors, [], 'no page errors or dialogs');
  await browser.close();
  console.log('browser staff test passed');
})().catch((e) => { console.error(e); process.exit(1); });
