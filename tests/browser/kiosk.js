// Publicity day: a shared kiosk screen (/?kiosk=1&src=0509-square) used by
// two people one after the other, a conversation moved to a phone by QR
// code, a channel card taken away, feedback, the idle reset, and the
// printable poster. Run by tests/browser.rs with BASE_URL, SHOTS, POSTER
// set; the kiosk idles after 4 s and counts down 3 s (XG_KIOSK_*). Issue 18:
// the loopback warning, kiosk-sized QR panel and send button, a used
// hand-off code told truthfully, a full-screen countdown with 继续使用, and
// a date given by taps alone.
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
  // K2: every kiosk text at least 24 px, 16 px between the buttons.
  const privacyPx = await kiosk.locator('#privacy').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(privacyPx >= 24, `the privacy note is readable (${privacyPx}px)`);
  const gap = await kiosk.locator(live).first().evaluate((b) => parseFloat(getComputedStyle(b.parentElement).columnGap));
  assert.ok(gap >= 16, `16 px between the buttons (${gap}px)`);
  // Opened on 127.0.0.1 with no public_url: its QR codes would not open on a phone, and it says so.
  assert.match(await kiosk.locator('#lanwarn').innerText(), /手机扫这里的二维码打不开/);
  assert.ok(await kiosk.locator('#lanwarn').isVisible());
  // The send button is kiosk-sized, its text clear of its edges.
  const sendBox = await kiosk.locator('#send').boundingBox();
  assert.ok(sendBox.height >= 72 && sendBox.width >= 140, `send ${sendBox.width}×${sendBox.height}`);
  const sendFit = await kiosk.locator('#send').evaluate((b) => {
    const r = document.createRange();
    r.selectNodeContents(b);
    const t = r.getBoundingClientRect(), o = b.getBoundingClientRect();
    return Math.min(t.left - o.left, o.right - t.right);
  });
  assert.ok(sendFit >= 24, `the send button's text has room (${sendFit}px)`);
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
  // A is still at the kiosk while reading the phone (the kiosk idles after 4 s).
  const nudge = () => kiosk.dispatchEvent('body', 'pointerdown');
  await guide.goto(takeUrl);
  await nudge();
  assert.match(await guide.locator('h1').innerText(), /建议途径/);
  assert.match(await guide.content(), /劳动保障监察条例/);
  await guide.screenshot({ path: `${shots}/takeaway-page.png`, fullPage: true });
  await nudge();
  // Phone numbers on the take-away page are tel: links.
  assert.ok(await guide.locator('a[href="tel:12333"]').count() >= 1, 'tel: links on the take-away page');
  assert.doesNotMatch(await guide.content(), /待核实/);
  await guide.emulateMedia({ media: 'print' });
  assert.equal(await guide.locator('button').isVisible(), false, 'the print button is not printed');
  await nudge();
  // The QR panel is kiosk-sized: its close button and link are easy to reach and read.
  const closeBtn = kiosk.locator('#panel button', { hasText: '关闭' });
  const closeBox = await closeBtn.boundingBox();
  assert.ok(closeBox.height >= 88 && closeBox.width >= 300, `close ${closeBox.width}×${closeBox.height}`);
  const px = (loc) => loc.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok((await px(closeBtn)) >= 30, 'close button text');
  // Nothing on the kiosk opens another window (K1): the QR code only, and
  // the note says how long the link lasts.
  assert.equal(await kiosk.locator('#panel a').count(), 0, 'no link on the kiosk');
  assert.match(await kiosk.locator('#panel .note').innerText(), /\d+(天|小时)内有效（至\d+月\d+日/);
  assert.ok((await px(kiosk.locator('#panel .note'))) >= 22, 'the note is readable');
  await kiosk.screenshot({ path: `${shots}/kiosk-qr-panel.png` });
  await closeBtn.click();
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
  // The used code again on the same phone: it says this phone's own conversation follows, and shows it.
  const again = await phoneCtx.newPage();
  watch(again);
  await again.goto(handoffUrl);
  await again.waitForSelector(live);
  assert.match(await again.locator('.note').first().innerText(), /已经用过或已过期。下面是这台手机上原来的对话/);
  assert.match(await again.locator('.msg.bot').last().innerText(), /还在这个单位上班/);
  await again.screenshot({ path: `${shots}/phone-used-code-own.png` });
  // On another phone: it says the conversation starts over, and it does.
  const otherCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const other = await otherCtx.newPage();
  watch(other);
  await other.goto(handoffUrl);
  await other.waitForSelector(live);
  assert.match(await other.locator('.note').first().innerText(), /已经用过或已过期，已为您重新开始/);
  assert.match(await other.locator('.msg.bot').last().innerText(), /依法信访指引/);
  await other.screenshot({ path: `${shots}/phone-used-code-fresh.png` });
  await kiosk.waitForFunction(() => document.querySelectorAll('.card').length === 0, null, { timeout: 10000 });
  await kiosk.waitForSelector(live);
  assert.doesNotMatch(await kiosk.locator('#log').innerText(), /建议途径|拖欠工资|谢谢/);
  // The hand-off note is kiosk-sized (K2), not 14 px grey.
  const handed = kiosk.locator('#log .note', { hasText: '本屏幕已清空' });
  assert.ok((await px(handed)) >= 24, 'the hand-off note is readable');
  assert.deepEqual(await stored(kiosk), { local: 0, session: 0, cookies: '' });
  assert.equal(kioskCtx.pages().length, 1, 'no other window survives on the kiosk');

  // Citizen B types a question and sees nothing of A.
  const before = await kiosk.locator('.msg.bot').count();
  await kiosk.fill('#text', '楼上邻居天天半夜装修，太吵了');
  await kiosk.press('#text', 'Enter');
  await kiosk.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
  const bText = await kiosk.locator('#log').innerText();
  assert.match(bText, /装修/);
  assert.doesNotMatch(bText, /拖欠工资|劳动保障/);
  await kiosk.screenshot({ path: `${shots}/kiosk-second-person.png` });

  // B pauses: a countdown over the whole screen, with 继续使用, which keeps B's conversation.
  await kiosk.waitForSelector('#countdown', { timeout: 10000 });
  assert.match(await kiosk.locator('#countdown').innerText(), /秒后将清空屏幕/);
  const cover = await kiosk.locator('#countdown').boundingBox();
  assert.deepEqual([cover.x, cover.y, cover.width, cover.height], [0, 0, 1080, 1920], 'covers the whole screen');
  const keep = kiosk.locator('#countdown button', { hasText: '继续使用' });
  const keepBox = await keep.boundingBox();
  assert.ok(keepBox.height >= 100 && keepBox.width >= 500, `继续使用 ${keepBox.width}×${keepBox.height}`);
  assert.ok((await px(kiosk.locator('#countdown .secs'))) >= 100, 'the seconds are very large');
  await kiosk.screenshot({ path: `${shots}/kiosk-countdown.png` });
  await keep.click();
  await kiosk.waitForSelector('#countdown', { state: 'detached', timeout: 2000 });
  assert.match(await kiosk.locator('#log').innerText(), /装修/, '继续使用 keeps the conversation');

  // The entry that may answer B is offered beside the matter, not shown as if
  // sure; one tap shows it, saying which question it answers.
  await clickOn(kiosk, '看问答');
  await kiosk.waitForFunction(() => /您问的是：邻居装修太吵怎么办/.test(document.querySelector('#log').innerText), null, { timeout: 10000 });

  // B also has a judgment: the date is given by taps alone (a kiosk has no keyboard).
  for (const l of ['回到菜单', '我的问题该找哪里', '法院的案子', '对法院的判决', '民事案件', '已经生效']) await clickOn(kiosk, l);
  await kiosk.waitForSelector('.picker[data-picker="date"]');
  const yearBtn = kiosk.locator('.picker button', { hasText: '2026年' }).last();
  assert.ok((await yearBtn.boundingBox()).height >= 72, 'kiosk-sized date buttons');
  assert.ok(await kiosk.locator(live, { hasText: '记不清' }).count() === 1);
  await yearBtn.click();
  await kiosk.locator('.picker button:not([disabled])', { hasText: '8月' }).last().click();
  await kiosk.screenshot({ path: `${shots}/kiosk-date-picker.png` });
  const beforeDay = await kiosk.locator('.msg.bot').count();
  const dayLabel = await kiosk.locator('.picker button:not([disabled])', { hasText: /^31$/ }).last().getAttribute('aria-label');
  assert.equal(dayLabel, '8月31日', 'a day button reads as a date (K3)');
  await kiosk.locator('.picker button:not([disabled])', { hasText: /^31$/ }).last().click();
  await kiosk.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, beforeDay);
  assert.equal(await kiosk.locator('.card').last().getAttribute('data-channel'), 'court_retrial');
  assert.match(await kiosk.locator('.card').last().innerText(), /2027-02-28/);
  await kiosk.screenshot({ path: `${shots}/kiosk-date-card.png` });

  // B walks away: countdown, then nothing of B is left.
  await kiosk.waitForSelector('#countdown', { timeout: 10000 });
  await kiosk.waitForSelector('#countdown', { state: 'detached', timeout: 10000 });
  await kiosk.waitForSelector(live);
  assert.doesNotMatch(await kiosk.locator('#log').innerText(), /装修|2027-02-28/);
  assert.equal(await kiosk.locator('.msg.me').count(), 0);
  assert.deepEqual(await stored(kiosk), { local: 0, session: 0, cookies: '' });
  assert.equal(kioskCtx.pages().length, 1, 'no other window survives on the kiosk');

  // Citizen C at the kiosk speaks of danger: the crisis reply at once (12356,
  // no category picker); an unsure message gets the check-in, whose buttons
  // answer it.
  const say = async (text) => {
    const n = await kiosk.locator('.msg.bot').count();
    await kiosk.fill('#text', text);
    await kiosk.press('#text', 'Enter');
    await kiosk.waitForFunction((k) => document.querySelectorAll('.msg.bot').length > k, n);
    return kiosk.locator('.msg.bot').last().innerText();
  };
  const crisis = await say('我吃了一瓶安眠药');
  assert.match(crisis, /12356/);
  assert.doesNotMatch(crisis, /请选一个最接近的/);
  await kiosk.screenshot({ path: `${shots}/kiosk-danger.png` });
  assert.match(await say('我儿子喝了一瓶敌敌畏'), /120 急救/);
  assert.match(await say('天天想跳娄'), /您现在安全吗/);
  for (const l of ['我现在安全', '我需要帮助', '有人正在伤害我']) {
    assert.equal(await kiosk.locator(live, { hasText: l }).count(), 1, l);
  }
  await clickOn(kiosk, '我需要帮助');
  assert.match(await kiosk.locator('.msg.bot').last().innerText(), /12356/);
  assert.doesNotMatch(await say('累死了，老板天天让加班'), /12356/);

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
