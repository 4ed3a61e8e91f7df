// The web chat as a person on a phone uses it: menu → routing → channel card,
// back, reload keeps the session, hostile text stays text, restart, handoff;
// and what issue 18 found people hitting: the card opens at its top with
// tel: links, dates picked by tapping, 记不清, a malformed date said so,
// not understood at a card without the card again, a comment after 没帮助,
// 谢谢 and 帮助, a text box that grows and counts, a timed-out session.
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
  const bots = () => page.locator('.msg.bot').count();
  const waitMore = (n) => page.waitForFunction((n) => document.querySelectorAll('.msg.bot').length > n, n);
  const click = async (label) => {
    const before = await bots();
    await page.locator(live, { hasText: label }).first().tap();
    await waitMore(before);
  };
  const send = async (text) => {
    const before = await bots();
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    await waitMore(before);
  };
  const pick = async (label) => {
    await page.locator('.picker button:not([disabled])', { hasText: label }).last().tap();
  };
  const lastBot = () => page.locator('.msg.bot').last().innerText();

  await page.goto(`${base}/?src=0509-square`);
  await page.waitForSelector(live);
  assert.match(await lastBot(), /依法信访指引/);
  assert.doesNotMatch(await page.locator('#log').innerText(), /回复数字|前的数字/, 'the page has no numbered buttons');
  // Large tap targets.
  const box = await page.locator(live).first().boundingBox();
  assert.ok(box.height >= 44, `button height ${box.height}`);
  await page.screenshot({ path: `${shots}/chat-menu.png` });

  // Unpaid wages → channel card, which opens at its top.
  await click('我的问题该找哪里');
  await click('工资');
  await click('拖欠工资');
  await click('还没有申请劳动仲裁');
  await click('是');
  const card = page.locator('.card').last();
  assert.equal(await card.getAttribute('data-channel'), 'labor_inspection_12333');
  assert.match(await card.innerText(), /诉访分离/);
  assert.match(await card.innerText(), /12348/);
  await page.waitForTimeout(100);
  const logTop = (await page.locator('#log').boundingBox()).y;
  const head = await card.locator('h3').boundingBox();
  assert.ok(head.y >= logTop && head.y < logTop + 200, `the card opens at its top (h3 at ${head.y}, log at ${logTop})`);
  const labels = await card.locator('.label').allInnerTexts();
  const at = (l) => labels.indexOf(l);
  assert.ok(at('期限：') > 0 && at('期限：') < at('怎么找：') && at('带上：') < at('为什么找这里：'), labels.join(' '));
  assert.doesNotMatch(await card.innerText(), /待核实/, 'placeholder contacts are never shown');
  // Phone numbers are tel: links; dates and periods are not.
  assert.ok(await card.locator('a[href="tel:12333"]').count() >= 1, 'the hotline is a tel: link');
  assert.ok(await card.locator('a[href="tel:12348"]').count() >= 1, 'free help is a tel: link');
  for (const href of await card.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
    assert.match(href, /^tel:(1\d{2}|12\d{3}|1[3-9]\d{9}|0\d{9,11}|[48]00\d{7})$/, href);
  }
  await page.screenshot({ path: `${shots}/chat-card-top.png` });
  await page.screenshot({ path: `${shots}/chat-card-labor.png`, fullPage: true });

  // Something not understood at the card: said so, the choices again, not the card.
  const cards = await page.locator('.card').count();
  await send('2026.7.1');
  assert.match(await lastBot(), /没有看懂/);
  assert.equal(await page.locator('.card').count(), cards, 'the card is not sent again');
  assert.ok(await page.locator(live, { hasText: '有帮助' }).count() >= 1, 'the choices are offered again');
  // 谢谢 gets a short reply, not the welcome.
  await send('谢谢');
  assert.match(await lastBot(), /不客气/);
  // 没帮助, then a sentence: taken as the comment, no 意见： needed.
  await click('没帮助');
  assert.match(await lastBot(), /直接写一句话/);
  assert.ok(await page.locator(live, { hasText: '不填了' }).count() === 1);
  await send('没有告诉我劳动监察大队的地址');
  assert.match(await lastBot(), /已记下您的意见/);
  await page.screenshot({ path: `${shots}/chat-comment.png` });

  // Back, then a reload keeps the session where it was.
  await click('返回上一步');
  assert.match(await lastBot(), /还在这个单位上班/);
  await page.reload();
  await page.waitForSelector(live);
  assert.match(await lastBot(), /还在这个单位上班/);

  // 帮助 fits the page (buttons) and offers 回到菜单 once.
  await send('帮助');
  assert.match(await lastBot(), /点按钮选择/);
  assert.doesNotMatch(await lastBot(), /回复数字|前的数字/);
  assert.equal(await page.locator(live, { hasText: '回到菜单' }).count(), 1);

  // A court judgment: the date is tapped (year, month, day), no keyboard needed.
  await click('回到菜单');
  await click('我的问题该找哪里');
  await click('法院的案子');
  await click('对法院的判决');
  await click('民事案件');
  await click('已经生效');
  assert.match(await lastBot(), /哪天生效/);
  assert.ok(await page.locator(live, { hasText: '记不清' }).count() === 1, 'every date question offers 记不清');
  // A malformed date is said so (not "already passed").
  await send('上周的某天');
  assert.match(await lastBot(), /没看懂这个日期，请按 2026-05-20 这样输入/);
  await page.waitForSelector('.picker[data-picker="date"] button:not([disabled])');
  await page.screenshot({ path: `${shots}/chat-date-malformed.png` });
  // Nothing after today (China time) can be picked.
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const [ty, tm, td] = today.split('-').map(Number);
  await pick(`${ty}年`);
  const picker = page.locator('.picker').last();
  assert.equal(await picker.locator('.grid button:disabled').count(), 12 - tm, 'months ahead are disabled');
  await pick(`${tm}月`);
  const days = picker.locator('.grid.days button');
  assert.equal(await days.locator('xpath=self::*[not(@disabled)]').count(), td, 'days ahead are disabled');
  await pick('重选月份');
  await pick('重选年份');
  await pick('2026年');
  await pick('8月');
  await page.screenshot({ path: `${shots}/chat-date-picker.png` });
  const before = await bots();
  await pick('31');
  await waitMore(before);
  assert.equal(await page.locator('.msg.me').last().innerText(), '2026年8月31日');
  assert.equal(await page.locator('.card').last().getAttribute('data-channel'), 'court_retrial');
  assert.match(await page.locator('.card').last().innerText(), /最后一天约为 2027-02-28/);
  await page.screenshot({ path: `${shots}/chat-card-retrial.png` });
  // 记不清: the card states the period and what starts it, without a last day.
  await click('返回上一步');
  await click('记不清');
  const unsure = await page.locator('.card').last().innerText();
  assert.match(unsure, /您记不清日期/);
  assert.doesNotMatch(unsure, /最后一天约为/);

  // Self-harm in a message: the crisis reply (12356, 120/110), no 有帮助/没帮助.
  await send('工资一直要不回来，我真的不想活了');
  const crisis = page.locator('.msg.bot').last();
  assert.match(await crisis.innerText(), /12356/);
  assert.match(await crisis.innerText(), /120 急救或 110 报警/);
  assert.equal(await page.locator(live, { hasText: '有帮助' }).count(), 0, 'no feedback buttons under a crisis reply');
  await page.screenshot({ path: `${shots}/chat-crisis.png` });
  await click('我现在安全了');
  // The matter of the rest of the message comes back: confirmed, or first
  // among the kinds of matter offered.
  await page.waitForSelector(live);
  const resumed = (await lastBot()) + (await page.locator(live).allInnerTexts()).join(' ');
  assert.match(resumed, /劳动争议/);

  // Hostile text is shown as text, never run.
  await send('<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>');
  assert.equal(await page.locator('#log img, #log script').count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // The text box: Shift+Enter breaks a line, it grows, Enter sends.
  assert.equal(await page.locator('#text').evaluate((t) => t.tagName), 'TEXTAREA');
  assert.equal(await page.locator('#text').getAttribute('maxlength'), null, 'nothing is cut on paste');
  const h0 = (await page.locator('#text').boundingBox()).height;
  const meBefore = await page.locator('.msg.me').count();
  await page.locator('#text').focus();
  await page.keyboard.type('第一行：拆迁补偿的问题');
  for (const line of ['第二行', '第三行', '第四行']) {
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type(line);
  }
  assert.equal(await page.locator('.msg.me').count(), meBefore, 'Shift+Enter does not send');
  assert.match(await page.locator('#text').inputValue(), /第一行：拆迁补偿的问题\n第二行\n第三行\n第四行/);
  const h1 = (await page.locator('#text').boundingBox()).height;
  assert.ok(h1 > h0 + 30, `the box grows (${h0} → ${h1})`);
  await page.screenshot({ path: `${shots}/chat-multiline.png` });
  const sent = await bots();
  await page.keyboard.press('Enter');
  await waitMore(sent);
  assert.match(await page.locator('.msg.me').last().innerText(), /第四行/);
  // Over the limit: counted, warned, not sent, never cut.
  const limit = Number(await page.locator('body').getAttribute('data-max-chars'));
  assert.equal(limit, 5000);
  await page.fill('#text', '很'.repeat(limit + 1));
  assert.match(await page.locator('#count').innerText(), /已输入 5001 字，超过了 5000 字的上限/);
  assert.equal(await page.locator('#send').isDisabled(), true);
  const meNow = await page.locator('.msg.me').count();
  await page.press('#text', 'Enter');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.msg.me').count(), meNow, 'not sent');
  assert.equal((await page.locator('#text').inputValue()).length, limit + 1, 'not cut');
  await page.screenshot({ path: `${shots}/chat-too-long.png` });
  // A 问政 letter within the limit goes through whole.
  const letter = '我们小区自去年以来一直停水停电，物业和开发商互相推诿，多次反映无果。'.repeat(90);
  await send(letter);
  assert.equal((await page.locator('.msg.me').last().innerText()).length, letter.length);
  assert.equal(await page.locator('#count').isVisible(), false);

  // Restart and reach a person.
  const beforeRestart = await bots();
  await page.locator('#restart').tap();
  await waitMore(beforeRestart);
  assert.match(await lastBot(), /依法信访指引/);
  await click('联系工作人员');
  assert.match(await lastBot(), /接待窗口/);
  assert.doesNotMatch(await lastBot(), /待核实/);
  await page.screenshot({ path: `${shots}/chat-handoff.png` });

  // The session timed out (swept): the page says so before the menu.
  await page.evaluate(() => localStorage.setItem('xg-session', '0123456789abcdef0123456789abcdef'));
  await page.reload();
  await page.waitForSelector(live);
  const first = await page.locator('.msg.bot').first().innerText();
  assert.equal(first, '对话已超时，已为您重新开始。');
  assert.match(await page.locator('.msg.bot').nth(1).innerText(), /依法信访指引/);
  await page.screenshot({ path: `${shots}/chat-timeout.png` });

  // Elderly readers: a phone set to large text gets large text (rem units),
  // and 大字 makes everything a quarter larger; nothing is cut or overlaps.
  const large = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const cdp = await large.context().newCDPSession(large);
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: 24, fixed: 24 } });
  await large.goto(base);
  await large.waitForSelector(live);
  const px = (sel) => large.locator(sel).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  const normalButton = await px(live);
  assert.ok(normalButton >= 23, `buttons follow the browser's text size (${normalButton}px at a 24px default)`);
  const fits = () => large.evaluate(() => {
    const w = window.innerWidth;
    const cut = [...document.querySelectorAll('header *, #f *, .choices button')]
      .filter((e) => e.offsetParent !== null)
      .filter((e) => { const r = e.getBoundingClientRect(); return r.right > w + 1 || r.left < -1; })
      .map((e) => e.id || e.textContent.slice(0, 12));
    return { scroll: document.documentElement.scrollWidth <= w + 1, cut };
  });
  let f = await fits();
  assert.ok(f.scroll && f.cut.length === 0, `nothing cut at a large default size: ${JSON.stringify(f)}`);
  await large.locator('#big').tap();
  const bigButton = await px(live);
  assert.ok(bigButton >= normalButton * 1.2, `大字 enlarges (${normalButton} → ${bigButton}px)`);
  assert.equal(await large.locator('#big').getAttribute('aria-pressed'), 'true');
  f = await fits();
  assert.ok(f.scroll && f.cut.length === 0, `nothing cut with 大字: ${JSON.stringify(f)}`);
  await large.screenshot({ path: `${shots}/chat-large-text.png` });
  await large.reload();
  await large.waitForSelector(live);
  assert.ok((await px(live)) >= normalButton * 1.2, '大字 stays for the visit');

  assert.deepEqual(external, [], 'no external requests');
  assert.deepEqual(errors, [], 'no page errors');
  await browser.close();
  console.log('browser chat test passed');
})().catch((e) => { console.error(e); process.exit(1); });
