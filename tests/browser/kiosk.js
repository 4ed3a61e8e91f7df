// Publicity day: a shared kiosk screen (/?kiosk=1&src=0509-square) used by
// two people one after the other, a conversation moved to a phone by QR
// code, a channel card taken away, feedback, the idle reset, and the
// printable poster. Run by tests/browser.rs with BASE_URL, SHOTS, POSTER
// set; the kiosk idles after 3 s and counts down 2 s (XG_KIOSK_*).
const { launch } = require('./launch');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const base = process.env.BASE_URL;
const shots = process.env.SHOTS;

(async () => {
  const browser = await launch();
  const errors = [];
  const external = [];
  const watch = (p) => {
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
  };
  const kioskCtx = await browser.newContext({ viewport: { width: 1080, height: 1920 } });
  const kiosk = await kioskCtx.newPage();
  watch(kiosk);
  const live = '.choices button:not([disabled])';
  const clickOn = async (page, label) => {
    const before = await page.locator('.msg.bot').count();
    await page.locator(live, { hasText: label }).first().click();
    await page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  };
  const stored = (page) => page.evaluate(() => ({
    local: Object.keys(localStorage).length, session: Object.keys(sessionStorage).length, cookies: document.cookie,
  }));

  await kiosk.goto(`${base}/?kiosk=1&src=0509-square`);
  await kiosk.waitForSelector(live);
  assert.equal(await kiosk.evaluate(() => document.body.className), 'kiosk');
  const fontSize = await kiosk.locator(live).first().evaluate((b) => parseFloat(getComputedStyle(b).fontSize));
  assert.ok(fontSize >= 24, `kiosk buttons use very large text (${fontSize}px)`);
  assert.ok((await kiosk.locator(live).first().boundingBox()).height >= 64, 'very large buttons');
  assert.match(await kiosk.locator('#privacy').innerText(), /个人信息/);
  await kiosk.screenshot({ path: `${shots}/kiosk-menu.png` });

  // Citizen A: unpaid wages → card; takes the card away; says it helped.
  for (const l of ['我的问题该找哪里', '工资', '拖欠工资', '还没有申请劳动仲裁', '是']) await clickOn(kiosk, l);
  assert.equal(await kiosk.locator('.card').last().getAttribute('data-channel'), 'labor_inspection_12333');
  await kiosk.locator('.takeaway').last().click();
  await kiosk.waitForSelector('#overlay.open #qr');
  const takeUrl = await kiosk.locator('#qr').getAttribute('data-url');
  assert.match(takeUrl, /\/g\/[0-9a-f]{32}$/);
  await kiosk.locator('#qr').screenshot({ path: `${shots}/kiosk-takeaway-qr.png` });
  fs.writeFileSync(`${shots}/kiosk-takeaway-url.txt`, takeUrl);
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const guide = await phoneCtx.newPage();
  watch(guide);
  await guide.goto(takeUrl);
  assert.match(await guide.locator('h1').innerText(), /建议途径/);
  assert.match(await guide.content(), /劳动保障监察条例/);
  await guide.screenshot({ path: `${shots}/takeaway-page.png`, fullPage: true });
  await guide.emulateMedia({ media: 'print' });
  assert.equal(await guide.locator('button').isVisible(), false, 'the print button is not printed');
  await kiosk.locator('#panel button', { hasText: '关闭' }).click();
  await clickOn(kiosk, '有帮助');
  assert.match(await kiosk.locator('.msg.bot').last().innerText(), /谢谢/);

  // A moves the conversation to the phone by QR; the kiosk clears itself.
  await kiosk.locator('#handoff').click();
  await kiosk.waitForSelector('#overlay.open #qr');
  const handoffUrl = await kiosk.locator('#qr').getAttribute('data-url');
  assert.match(handoffUrl, /\/\?t=[0-9a-f]{32}$/);
  await kiosk.locator('#qr').screenshot({ path: `${shots}/kiosk-handoff-qr.png` });
  await kiosk.screenshot({ path: `${shots}/kiosk-handoff.png` });
  fs.writeFileSync(`${shots}/kiosk-handoff-url.txt`, handoffUrl);
  const phone = await phoneCtx.newPage();
  watch(phone);
  await phone.goto(handoffUrl);
  await phone.waitForSelector('.card');
  assert.equal(await phone.locator('.card').last().getAttribute('data-channel'), 'labor_inspection_12333');
  assert.doesNotMatch(phone.url(), /t=/, 'the ticket leaves the address bar');
  await phone.screenshot({ path: `${shots}/phone-after-handoff.png` });
  await clickOn(phone, '返回上一步');
  assert.match(await phone.locator('.msg.bot').last().innerText(), /还在这个单位上班/);
  await kiosk.waitForFunction(() => document.querySelectorAll('.card').length === 0, null, { timeout: 10000 });
  await kiosk.waitForSelector(live);
  assert.doesNotMatch(await kiosk.locator('#log').innerText(), /建议途径|拖欠工资|谢谢/);
  assert.deepEqual(await stored(kiosk), { local: 0, session: 0, cookies: '' });

  // Citizen B types a question and sees nothing of A.
  const before = await kiosk.locator('.msg.bot').count();
  await kiosk.fill('#text', '楼上邻居天天半夜装修，太吵了');
  await kiosk.press('#text', 'Enter');
  await kiosk.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  const bText = await kiosk.locator('#log').innerText();
  assert.match(bText, /装修/);
  assert.doesNotMatch(bText, /拖欠工资|劳动保障/);
  await kiosk.screenshot({ path: `${shots}/kiosk-second-person.png` });

  // B walks away: countdown, then nothing of B is left.
  await kiosk.waitForSelector('#countdown', { timeout: 10000 });
  assert.match(await kiosk.locator('#countdown').innerText(), /秒后将清空屏幕/);
  await kiosk.screenshot({ path: `${shots}/kiosk-countdown.png` });
  await kiosk.waitForSelector('#countdown', { state: 'detached', timeout: 10000 });
  await kiosk.waitForSelector(live);
  assert.doesNotMatch(await kiosk.locator('#log').innerText(), /装修/);
  assert.equal(await kiosk.locator('.msg.me').count(), 0);
  assert.deepEqual(await stored(kiosk), { local: 0, session: 0, cookies: '' });

  // The poster prints on one A4 page.
  const poster = await browser.newPage();
  await poster.goto(`file://${process.env.POSTER}`);
  await poster.screenshot({ path: `${shots}/poster.png`, fullPage: true });
  await poster.pdf({ path: `${shots}/poster.pdf`, format: 'A4', printBackground: true, preferCSSPageSize: true });

  assert.deepEqual(errors, [], 'no page errors');
  assert.deepEqual(external, [], 'no external requests');
  await browser.close();
  console.log('browser kiosk test passed');
})().catch((e) => { console.error(e); process.exit(1); });
