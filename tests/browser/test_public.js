// tests/browser/test_public.js - the public pages of the storefront in a browser (docs/web.md,
// "Pages"): a visitor browses home -> category -> search -> gig page by clicking links and using
// the search form; the filters' error shows next to its field; screenshots of the home and gig
// pages at 360 and 1280 px; axe finds nothing serious on the home, services, category, search,
// profile, gig and 404 pages; and markup typed into a gig, a name and a review shows as text
// without running (no dialog, no console error, no CSP violation).
'use strict';

const { execFileSync } = require('child_process');
const path = require('path');

const k = require('./lib.js');

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const JS_URL = 'javascript:alert(1)';

let browser;
let seller;
let gig;
let marker;

function assertClean(page, what) {
  const p = k.problems(page);
  k.assert.deepEqual(p, [], `${what}: ${p.join('; ')}`);
}

async function text(page, selector) {
  return page.$eval(selector, (el) => el.textContent.trim());
}

k.test('setup: a seller with a three-package gig', async () => {
  browser = await k.launch();
  marker = k.uniq('pub');
  seller = await k.apiUser({ name: `Seller ${marker}` });
  gig = await k.makeGig(seller.token, {
    title: `${marker} logo design`,
    prices: { basic: 150, standard: 300, premium: 600 },
    images: [`https://cdn.example.com/${marker}/cover.jpg`],
  });
  k.assert.ok(gig.slug, JSON.stringify(gig));
});

k.test('a visitor browses home -> category -> search -> gig page', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  let res = await k.goto(page, `/?r=${k.uniq('c')}`);
  k.assert.equal(res.status(), 200);
  k.assert.match(await text(page, 'h1'), /Find the right freelancer/);
  await k.assertAxe(page, 'home');

  // Category: the "Design & Creative" link of the home page.
  res = await k.clickAndWait(page, 'a.pill[href="/services/design-creative"]');
  k.assert.equal(res.status(), 200);
  k.assert.equal(await text(page, 'h1'), 'Design & Creative');
  await k.assertAxe(page, 'category');

  // Search: the search box of the site header, typed and sent with Enter.
  await page.type('#site-q', marker);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  k.assert.equal(new URL(page.url()).pathname, '/services/search');
  k.assert.equal(await page.$eval('#q', (el) => el.value), marker);
  const titles = await page.$$eval('.gig-card h3 a', (as) => as.map((a) => a.textContent));
  k.assert.deepEqual(titles, [`${marker} logo design`]);
  await k.assertAxe(page, 'search');

  // Narrow by price with the filter form: 200 MAD and up leaves nothing (basic is 150).
  await page.type('#min-price', '200');
  await k.clickAndWait(page, 'form.filters button[type=submit]');
  k.assert.equal(new URL(page.url()).searchParams.get('minPrice'), '200');
  k.assert.equal((await page.$$('.gig-card')).length, 0);
  await page.$eval('#min-price', (el) => { el.value = ''; });
  await k.clickAndWait(page, 'form.filters button[type=submit]');

  // The gig page, from its card.
  res = await k.clickAndWait(page, '.gig-card h3 a');
  k.assert.equal(res.status(), 200);
  k.assert.equal(new URL(page.url()).pathname, `/${seller.username}/${gig.slug}`);
  k.assert.equal(await text(page, 'h1'), `${marker} logo design`);
  const links = await page.$$eval('.package a.btn', (as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
  k.assert.deepEqual(links, ['basic', 'standard', 'premium'].map(
    (t) => [`/order/${seller.username}/${gig.slug}/${t}`, 'Continue']));
  await k.assertAxe(page, 'gig');

  // The seller's profile, from the seller card.
  res = await k.clickAndWait(page, `.seller-card a[href="/${seller.username}"]`);
  k.assert.equal(res.status(), 200);
  k.assert.equal(await text(page, 'h1'), `Seller ${marker}`);
  await k.assertAxe(page, 'profile');
  assertClean(page, 'browsing');
  await page.close();
});

k.test('the keyboard reaches the search box and the Continue links', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  await k.goto(page, `/${seller.username}/${gig.slug}`);
  const seen = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => {
      const a = document.activeElement;
      return a ? `${a.tagName.toLowerCase()}:${a.id || a.getAttribute('href') || a.textContent.trim()}` : '';
    }));
  }
  k.assert.ok(seen.includes('a:#main'), `skip link first: ${seen.slice(0, 3)}`);
  k.assert.ok(seen.includes('input:site-q'), seen.join(' '));
  k.assert.ok(seen.includes(`a:/order/${seller.username}/${gig.slug}/premium`), seen.join(' '));
  assertClean(page, 'keyboard');
  await page.close();
});

k.test('screenshots: home and gig at 360 and 1280 px', async () => {
  for (const width of [360, 1280]) {
    const page = await k.newPage(browser, { width });
    await k.goto(page, '/');
    await k.shot(page, 'home');
    await k.assertAxe(page, `home at ${width}`);
    await k.goto(page, `/${seller.username}/${gig.slug}`);
    await k.shot(page, 'gig');
    await k.assertAxe(page, `gig at ${width}`);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    k.assert.ok(overflow <= 0, `the gig page is ${overflow}px wider than ${width}px`);
    assertClean(page, `screenshots at ${width}`);
    await page.close();
  }
});

k.test('axe: services, category, search with an error, 404', async () => {
  const page = await k.newPage(browser, { width: 360 });
  for (const [p, status] of [['/services', 200], ['/services/logo-design', 200],
    ['/services/search?minPrice=abc&maxPrice=10', 422], [`/${k.uniq('nobody')}`, 404],
    [`/${seller.username}/${k.uniq('nogig')}`, 404], [`/${seller.username}`, 200]]) {
    const res = await k.goto(page, p);
    k.assert.equal(res.status(), status, p);
    await k.assertAxe(page, p);
  }
  // The price error is next to its field, tied to it for screen readers.
  await k.goto(page, '/services/search?minPrice=abc');
  k.assert.equal(await page.$eval('#min-price', (el) => el.getAttribute('aria-describedby')), 'min-price-error');
  k.assert.match(await text(page, '#min-price-error'), /lowest price in dirhams/);
  assertClean(page, 'axe pages');
  await page.close();
});

// An admin, as tests/integration/harness.py makes one: `khedmad make-admin` with the stack's
// environment from deploy/lib.sh.
function makeAdmin(email) {
  const env = { ...process.env, KHEDMA_VAR: process.env.KHEDMA_TEST_VAR };
  delete env.KHEDMA_DATABASE_URL;
  const script = 'set -euo pipefail; . "$1"; k_init; k_khedmad_env; exec "$K_BIN" make-admin "$2"';
  execFileSync('bash', ['-c', script, 'make-admin', path.join(__dirname, '../../deploy/lib.sh'), email],
    { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

// A completed, reviewed order: a bank transfer an admin confirms, delivered and accepted.
async function reviewed(freelancer, client, admin, packageId, comment) {
  const data = await k.checkout(client.token, packageId, 'bank_transfer');
  const id = data.order_id;
  const steps = [['confirm-transfer', admin, { reference: `BT-${k.uniq('r')}` }],
    ['deliver', freelancer, {}], ['accept', client, {}], ['review', client, { rating: 4, comment }]];
  for (const [move, who, body] of steps) {
    const r = await k.api('POST', `/api/orders/${id}/${move}`, body, { token: who.token });
    k.assert.ok(r.status === 200 || r.status === 201, `${move}: ${r.status} ${r.text.slice(0, 200)}`);
  }
}

k.test('markup typed by users renders as text and never runs', async () => {
  const mk = k.uniq('xss');
  const evil = await k.apiUser({ name: `Eve ${SCRIPT} ${IMG}` });
  const client = await k.apiUser({ name: `Mallory ${SCRIPT}` });
  const admin = await k.apiUser();
  makeAdmin(admin.email);
  const title = `${mk} ${SCRIPT} ${IMG}`.slice(0, 80);
  const g = await k.makeGig(evil.token, {
    title,
    description: `${SCRIPT} ${IMG} ${JS_URL}`,
    faq: [{ question: `Q ${SCRIPT}`, answer: `A ${IMG} ${JS_URL}` }],
    tags: [{ id: 't1', text: SCRIPT }, { id: 't2', text: IMG }],
    images: [`https://cdn.example.com/${mk}/a.png?x='onmouseover='alert(1)`],
  });
  await reviewed(evil, client, admin, g.packages.basic.id, `${SCRIPT} ${IMG} ${JS_URL}`);
  const page = await k.newPage(browser, { width: 1280 });
  const fresh = `r=${k.uniq('c')}`;
  for (const p of [`/?${fresh}`, `/services/logo-design?${fresh}`,
    `/services/search?q=${encodeURIComponent(mk)}`,
    `/services/search?q=${encodeURIComponent(IMG + SCRIPT)}`,
    `/${evil.username}?${fresh}`, `/${evil.username}/${g.slug}?${fresh}`]) {
    const res = await k.goto(page, p);
    k.assert.equal(res.status(), 200, p);
    // Hover and focus everything that could carry a handler, then look for injected elements.
    await page.$$eval('img', (imgs) => imgs.forEach((i) => i.dispatchEvent(new MouseEvent('mouseover'))));
    const injected = await page.evaluate(() => ({
      imgX: document.querySelectorAll('img[src="x"]').length,
      scripts: [...document.scripts].filter((s) => s.src.indexOf('/static/khedma.js') < 0 &&
        s.type !== 'application/ld+json').length,
      handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes]
        .some((a) => a.name.startsWith('on'))).length,
      jsLinks: [...document.querySelectorAll('[href],[src]')].filter((el) =>
        /^\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src') || '')).length,
    }));
    k.assert.deepEqual(injected, { imgX: 0, scripts: 0, handlers: 0, jsLinks: 0 }, p);
  }
  // On the gig page the text is there, as text.
  const body = await page.$eval('main', (m) => m.textContent);
  for (const t of [title, SCRIPT, IMG, `Q ${SCRIPT}`, `Mallory ${SCRIPT}`, JS_URL]) {
    k.assert.ok(body.includes(t), `the gig page shows ${JSON.stringify(t)} as text`);
  }
  assertClean(page, 'xss');
  await page.close();
});

k.run();
