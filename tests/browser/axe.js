// Accessibility: axe-core on every page and state citizens and staff see —
// the phone chat (menu, answer, card, date picker), the kiosk (picker, card,
// QR overlay, countdown), the take-away page, the login page and every
// console page. Fails on any critical or serious violation. Run by
// tests/browser.rs with BASE_URL, STAFF_USER and STAFF_PASSWORD (an admin).
const { launch } = require('./launch');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const base = process.env.BASE_URL;
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const found = [];

async function audit(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  if (process.env.AXE_REPORT) console.log(`audited ${name}: ${result.length} violations`);
  for (const v of result) {
    const line = `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' | ')}`;
    if (process.env.AXE_REPORT || v.impact === 'critical' || v.impact === 'serious') console.log(line);
    if (v.impact === 'critical' || v.impact === 'serious') found.push(line);
  }
}

async function send(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
  await page.waitForTimeout(400);
}

(async () => {
  const browser = await launch();
  try {
    // The phone chat.
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true })).newPage();
    await phone.goto(`${base}/`);
    await phone.waitForSelector('.choices button');
    await audit(phone, 'chat: menu');
    await send(phone, '老板拖欠我三个月工资不给怎么办');
    await audit(phone, 'chat: answer');
    await phone.locator('.choices button', { hasText: '详细了解' }).first().click().catch(() => {});
    await phone.waitForTimeout(400);
    await phone.locator('.choices button').first().click().catch(() => {});
    await phone.waitForTimeout(400);
    await audit(phone, 'chat: a question in the flow');

    // The kiosk: card, take-away QR overlay, hand-off overlay, date picker, countdown.
    const kiosk = await (await browser.newContext({ viewport: { width: 1080, height: 1920 }, bypassCSP: true })).newPage();
    const live = '.choices button:not([disabled])';
    const clickOn = async (label) => {
      const before = await kiosk.locator('.msg.bot').count();
      await kiosk.locator(live, { hasText: label }).first().click();
      await kiosk.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, before);
    };
    await kiosk.goto(`${base}/?kiosk=1&src=axe`);
    await kiosk.waitForSelector(live);
    await audit(kiosk, 'kiosk: start');
    for (const l of ['我的问题该找哪里', '工资', '拖欠工资', '还没有申请劳动仲裁', '是']) await clickOn(l);
    await audit(kiosk, 'kiosk: card');
    await kiosk.locator('.takeaway').last().click();
    await kiosk.waitForSelector('#overlay.open #qr');
    await audit(kiosk, 'kiosk: take-away QR overlay');
    // K3: the focus moves into the dialog when it opens and back when it closes.
    assert.ok(await kiosk.evaluate(() => document.getElementById('overlay').contains(document.activeElement)),
      'the focus is in the dialog');
    const takeUrl = await kiosk.locator('#qr').getAttribute('data-url');
    const guide = await (await browser.newContext({ bypassCSP: true })).newPage();
    await guide.goto(takeUrl);
    await audit(guide, 'take-away page');
    await kiosk.keyboard.press('Escape');
    await kiosk.waitForSelector('#overlay.open', { state: 'detached', timeout: 2000 }).catch(() => {});
    assert.equal(await kiosk.evaluate(() => document.getElementById('overlay').className), '', 'Escape closes it');
    assert.ok(await kiosk.evaluate(() => document.activeElement && document.activeElement.classList.contains('takeaway')),
      'the focus is back on the button that opened it');
    for (const l of ['回到菜单', '我的问题该找哪里', '法院的案子', '对法院的判决', '民事案件', '已经生效']) await clickOn(l);
    if (await kiosk.locator('.picker').count()) await audit(kiosk, 'kiosk: date picker');
    await kiosk.waitForSelector('#countdown', { state: 'visible', timeout: 20000 });
    await audit(kiosk, 'kiosk: countdown');

    // The console.
    const staff = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
    await staff.goto(`${base}/staff/login`);
    await audit(staff, 'login');
    await staff.fill('input[name=username]', process.env.STAFF_USER);
    await staff.fill('input[name=password]', process.env.STAFF_PASSWORD);
    await staff.click('button[type=submit]');
    await staff.waitForURL(/\/staff\/queries$/);
    for (const path of ['/staff/queries', '/staff/unanswered', '/staff/dashboard', '/staff/warnings',
      '/staff/report', '/staff/users', '/staff/audit', '/staff/retention', '/staff/alerts']) {
      await staff.goto(`${base}${path}`);
      await audit(staff, path);
    }
    await staff.goto(`${base}/staff/queries`);
    const conversation = staff.locator('a', { hasText: '对话' }).first();
    if (await conversation.count()) {
      await conversation.click();
      await staff.waitForLoadState();
      await audit(staff, '/staff/transcript');
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(found, [], `critical or serious accessibility violations:\n${found.join('\n')}`);
})().catch((e) => { console.error(e); process.exit(1); });
