// 研判 and the year's figures as a staff member uses them: log in, open the
// warnings from the nav, see the planted surge, estate group and repeat
// asker, mark the group 已转办 with a note, open a transcript from it, then
// the year report with the section to paste and its tables, and download
// the CSV. Run by tests/browser.rs with BASE_URL, SHOTS, STAFF_USER and
// STAFF_PASSWORD set, on a data dir holding the planted log.
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

  await page.goto(`${base}/staff/login`);
  await page.fill('input[name=username]', process.env.STAFF_USER);
  await page.fill('input[name=password]', process.env.STAFF_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/staff\/queries$/);

  // The dashboard opens with the warnings' counts.
  await page.click('nav a:has-text("数据看板")');
  assert.match(await page.locator('.banner').innerText(), /研判提醒/);

  await page.click('nav a:has-text("研判预警")');
  await page.waitForURL(/\/staff\/warnings$/);
  const ids = await page.locator('tr.warning').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.equal(ids.length, 3, ids.join(' '));
  assert.ok(ids[0].startsWith('surge:category:land_expropriation:'), ids[0]);
  assert.deepEqual(ids.slice(1), ['target:幸福家园', 'repeat:web:again:labor']);
  const group = page.locator('tr[data-id="target:幸福家园"]');
  assert.match(await group.innerText(), /幸福家园/);
  assert.match(await group.innerText(), /\b5\b/);
  await page.screenshot({ path: `${shots}/staff-warnings.png`, fullPage: true });

  // Mark the group as referred, with a note.
  await group.locator('select[name=state]').selectOption('referred');
  await group.locator('input[name=note]').fill('已转住建局');
  await group.locator('button:has-text("保存")').click();
  await page.waitForURL(/\/staff\/warnings$/);
  const marked = page.locator('tr[data-id="target:幸福家园"] .mark');
  assert.equal(await marked.innerText(), '已转办：已转住建局');

  // A transcript behind the repeat asker.
  await page.locator('tr[data-id="repeat:web:again:labor"] a:has-text("对话")').click();
  await page.waitForURL(/\/staff\/transcript/);
  assert.match(await page.locator('main').innerText(), /仲裁没下文/);

  // The year's figures.
  await page.click('nav a:has-text("年度数据")');
  await page.waitForURL(/\/staff\/report$/);
  const section = await page.locator('#section').innerText();
  assert.match(section, /依法信访指引咨询服务情况/);
  assert.match(section, /\d+ 人次/);
  assert.match(section, /诉访分离/);
  assert.match(await page.locator('#pointed').innerText(), /指引至信访以外的途径（合计）/);
  assert.ok(await page.locator('main table').count() >= 5);
  await page.screenshot({ path: `${shots}/staff-report.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("下载 CSV")')]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\ufefftable,key,name,date,people,messages'), csv.slice(0, 80));

  // The change is in the audit log.
  await page.click('nav a:has-text("审计日志")');
  assert.match(await page.locator('main').innerText(), /标记研判预警/);

  assert.deepEqual(errors, [], 'no page errors or dialogs');
  await browser.close();
  console.log('browser warnings test passed');
})().catch((e) => { console.error(e); process.exit(1); });
