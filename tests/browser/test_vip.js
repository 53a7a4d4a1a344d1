// tests/browser/test_vip.js - the VIP badge in a browser (docs/vip.md, "Badge and ranking"): a
// VIP seller's card on the search page, the gig page's seller card and the profile heading show
// the badge, its text reads "VIP seller" to a screen reader, and axe finds nothing serious on
// those pages. The seller becomes VIP as tests/integration/test_vip_badge.py makes one: a live
// subscription row, then `khedmad vip-sync USER-ID`; the test ends it the same way.
'use strict';

const { execFileSync } = require('child_process');
const path = require('path');

const k = require('./lib.js');

let browser;
let seller;
let gig;
let marker;
let subscription;

const LIB = path.join(__dirname, '../../deploy/lib.sh');

// One shell step with the stack's environment from deploy/lib.sh: $K_BIN and the database.
function stack(script, ...args) {
  const env = { ...process.env, KHEDMA_VAR: process.env.KHEDMA_TEST_VAR };
  delete env.KHEDMA_DATABASE_URL;
  return execFileSync('bash', ['-c', `set -euo pipefail; . "$1"; k_init; k_khedmad_env; ${script}`,
    'vip', LIB, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 }).toString();
}

function sql(statement) {
  const cnf = path.join(process.env.KHEDMA_TEST_VAR, 'mariadb.cnf');
  execFileSync('mariadb', [`--defaults-file=${cnf}`, 'khedma', '-e', statement],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

function vipSync(userId) {
  return stack('exec "$K_BIN" vip-sync "$2"', userId);
}

k.test('setup: a VIP seller with a gig', async () => {
  browser = await k.launch();
  marker = k.uniq('vip');
  seller = await k.apiUser({ name: `Vip ${marker}` });
  gig = await k.makeGig(seller.token, { title: `${marker} vip logo`, prices: { basic: 150 } });
  k.assert.ok(gig.slug, JSON.stringify(gig));
  subscription = k.uniq('csub').padEnd(25, '0').slice(0, 25);
  sql('INSERT INTO subscriptions (id, user_id, vip_package_id, provider, status, '
    + `current_period_start, current_period_end) VALUES ('${subscription}', '${seller.user.id}', 1, `
    + "'paytabs', 'active', NOW(3), NOW(3) + INTERVAL 30 DAY)");
  k.assert.match(vipSync(seller.user.id), /vip true/);
});

async function badgeOn(page, selector, what) {
  const b = await page.$eval(`${selector} .badge-vip`, (el) => ({
    text: el.textContent,
    visible: el.firstChild.textContent,
    hiddenWidth: el.querySelector('.vh').getBoundingClientRect().width,
    color: getComputedStyle(el).color,
    background: getComputedStyle(el).backgroundColor,
  }));
  k.assert.equal(b.text, 'VIP seller', `${what}: the accessible text`);
  k.assert.equal(b.visible, 'VIP', `${what}: the visible text`);
  k.assert.ok(b.hiddenWidth <= 1, `${what}: " seller" is for screen readers only`);
  k.assert.equal(b.color, 'rgb(255, 255, 255)', what);
  k.assert.equal(b.background, 'rgb(122, 82, 0)', what);
}

k.test('the badge on the search card, the seller card and the profile; axe clean', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  let res = await k.goto(page, `/services/search?q=${encodeURIComponent(marker)}`);
  k.assert.equal(res.status(), 200);
  await badgeOn(page, 'li.gig-card', 'search card');
  await k.assertAxe(page, 'search with a VIP card');
  res = await k.goto(page, `/${seller.user.username}/${gig.slug}`);
  k.assert.equal(res.status(), 200);
  await badgeOn(page, 'aside.seller-card', 'seller card');
  await k.assertAxe(page, 'gig page of a VIP seller');
  res = await k.goto(page, `/${seller.user.username}`);
  k.assert.equal(res.status(), 200);
  await badgeOn(page, 'h1', 'profile heading');
  await k.assertAxe(page, 'profile of a VIP seller');
  k.assert.deepEqual(k.problems(page), []);
  await page.close();
});

k.test('the badge goes when the subscription ends', async () => {
  sql(`UPDATE subscriptions SET status = 'expired' WHERE id = '${subscription}'`);
  k.assert.match(vipSync(seller.user.id), /vip false/);
  const page = await k.newPage(browser, { width: 1280 });
  await k.goto(page, `/${seller.user.username}/${gig.slug}?r=${k.uniq('c')}`);
  k.assert.equal(await page.$('.badge-vip'), null);
  await page.close();
});

k.test('the VIP page: plans, a card subscription on the PayTabs page, back to an active subscription; axe clean', async () => {
  const buyer = await k.apiUser();
  const page = await k.newPage(browser, { width: 360 });
  await k.useSession(page, buyer.cookie);
  let res = await k.goto(page, '/dashboard/vip');
  k.assert.equal(res.status(), 200);
  await k.assertAxe(page, 'vip page');
  await k.shot(page, 'vip');
  // The yearly plan (no trial): Subscribe -> the emulator's PayTabs page -> Pay -> back here.
  res = await k.clickAndWait(page, 'form[action="/dashboard/vip"]:has(input[value="2"]) button');
  k.assert.match(page.url(), /\/paytabs\/payment\/page\//);
  // PayTabs posts its return form from its own page: wait for the VIP page itself.
  const back = page.waitForNavigation({ waitUntil: 'load' });
  await page.click('#pay');
  await back;
  if (new URL(page.url()).pathname !== '/dashboard/vip') {
    await page.waitForFunction(() => location.pathname === '/dashboard/vip', { timeout: 15000 });
  }
  const text = await page.$eval('main', (m) => m.textContent);
  k.assert.match(text, /you are now a VIP seller/);
  k.assert.match(text, /Active/);
  await k.assertAxe(page, 'vip page, active');
  const seen = k.problems(page);
  k.assert.deepEqual(seen, [], seen.join('; '));
  await page.close();
});

k.run();
