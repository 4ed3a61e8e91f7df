// The web chat as a person on a phone uses it: menu → routing → channel card,
// back, reload keeps the session, hostile text stays text, restart, handoff.
// Run by tests/browser.rs with BASE_URL and SHOTS set.
const { launch } = require('./launch');
const assert = require('node:assert/strict');

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;

(async () => {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  const live = '.choices button:not([disabled])';
  const click = async (label) => {
    const before = await page.locator('.msg.bot').count();
    await page.locator(live, { hasText: label }).first().tap();
    await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  };
  const send = async (text) => {
    const before = await page.locator('.msg.bot').count();
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  };
  const lastBot = () => page.locator('.msg.bot').last().innerText();

  await page.goto(`${base}/?src=0509-square`);
  await page.waitForSelector(live);
  assert.match(await lastBot(), /依法信访指引/);
  // Large tap targets.
  const box = await page.locator(live).first().boundingBox();
  assert.ok(box.height >= 44, `button height ${box.height}`);
  await page.screenshot({ path: `${shots}/chat-menu.png` });

  // Unpaid wages → channel card.
  await click('我的问题该找哪里');
  await click('工资');
  await click('拖欠工资');
  await click('还没有申请劳动仲裁');
  await click('是');
  const card = page.locator('.card').last();
  assert.equal(await card.getAttribute('data-channel'), 'labor_inspection_12333');
  assert.match(await card.innerText(), /诉访分离/);
  assert.match(await card.innerText(), /12348/);
  await page.screenshot({ path: `${shots}/chat-card-labor.png`, fullPage: true });

  // Back, then a reload keeps the session where it was.
  await click('返回上一步');
  assert.match(await lastBot(), /还在这个单位上班/);
  await page.reload();
  await page.waitForSelector(live);
  assert.match(await lastBot(), /还在这个单位上班/);

  // A court judgment one disagrees with, typed answers included.
  await click('回到菜单');
  await click('我的问题该找哪里');
  await click('法院的案子');
  await click('对法院的判决');
  await click('民事案件');
  await click('已经生效');
  await send('2026-08-31');
  assert.equal(await page.locator('.card').last().getAttribute('data-channel'), 'court_retrial');
  await page.screenshot({ path: `${shots}/chat-card-retrial.png` });

  // Self-harm in a message: the crisis reply (12356, 120/110), no 有帮助/没帮助.
  await send('工资一直要不回来，我真的不想活了');
  const crisis = page.locator('.msg.bot').last();
  assert.match(await crisis.innerText(), /12356/);
  assert.match(await crisis.innerText(), /120 急救或 110 报警/);
  assert.equal(await page.locator(live, { hasText: '有帮助' }).count(), 0, 'no feedback buttons under a crisis reply');
  await page.screenshot({ path: `${shots}/chat-crisis.png` });
  await click('我现在安全了');
  assert.match(await lastBot(), /劳动争议/);

  // Hostile text is shown as text, never run.
  await send('<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>');
  assert.equal(await page.locator('#log img, #log script').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // Restart and reach a person.
  // Restart: wait for its reply (the log already shows older menus).
  const beforeRestart = await page.locator('.msg.bot').count();
  await page.locator('#restart').tap();
  await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, beforeRestart);
  assert.match(await lastBot(), /依法信访指引/);
  await click('联系工作人员');
  assert.match(await lastBot(), /接待窗口/);
  await page.screenshot({ path: `${shots}/chat-handoff.png` });

  assert.deepEqual(external, [], 'no external requests');
  assert.deepEqual(errors, [], 'no page errors');
  await browser.close();
  console.log('browser chat test passed');
})().catch((e) => { console.error(e); process.exit(1); });
