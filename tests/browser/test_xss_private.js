// tests/browser/test_xss_private.js - markup typed by users shows as text on the signed-in pages
// too (the public pages are covered by test_public.js): the order page, the dashboard, the orders
// list and an order's page with its timeline and review, notifications, earnings, settings, the
// seller's gig list and every gig editor step. The gig, both people's names, the delivery and
// revision messages and the review comment all carry <script>, an onerror image and a
// javascript: URL; no page may run a script (no dialog, no console error, no CSP report), get an
// element or attribute from them, or lose the text.
'use strict';

const { execFileSync } = require('child_process');
const path = require('path');

const k = require('./lib.js');

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const JS_URL = 'javascript:alert(1)';
const EVIL = `${SCRIPT} ${IMG} ${JS_URL}`;

let browser;

// An admin, as tests/integration/harness.py makes one: `khedmad make-admin` with the stack's
// environment from deploy/lib.sh.
function makeAdmin(email) {
  const env = { ...process.env, KHEDMA_VAR: process.env.KHEDMA_TEST_VAR };
  delete env.KHEDMA_DATABASE_URL;
  const script = 'set -euo pipefail; . "$1"; k_init; k_khedmad_env; exec "$K_BIN" make-admin "$2"';
  execFileSync('bash', ['-c', script, 'make-admin', path.join(__dirname, '../../deploy/lib.sh'), email],
    { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

async function move(id, name, who, body) {
  const r = await k.api('POST', `/api/orders/${id}/${name}`, body, { token: who.token });
  k.assert.ok(r.status === 200 || r.status === 201, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
}

// Nothing from the typed markup became an element, an attribute or a link.
async function assertInert(page, p) {
  await page.$$eval('img', (imgs) => imgs.forEach((i) => i.dispatchEvent(new MouseEvent('mouseover'))));
  const injected = await page.evaluate(() => ({
    imgX: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.scripts].filter((s) => s.src.indexOf('/static/khedma.js') < 0 &&
      s.type !== 'application/ld+json').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes]
      .some((a) => a.name.startsWith('on'))).length,
    jsLinks: [...document.querySelectorAll('[href],[src],[action]')].filter((el) =>
      /^\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src') || el.getAttribute('action') || '')).length,
  }));
  k.assert.deepEqual(injected, { imgX: 0, scripts: 0, handlers: 0, jsLinks: 0 }, p);
}

async function visit(page, p, shows) {
  const res = await k.goto(page, p);
  k.assert.equal(res.status(), 200, p);
  await assertInert(page, p);
  const text = await page.$eval('body', (b) => b.textContent);
  for (const t of shows) k.assert.ok(text.includes(t), `${p} shows ${JSON.stringify(t)} as text`);
  const seen = k.problems(page);
  k.assert.deepEqual(seen, [], `${p}: ${seen.join('; ')}`);
}

k.test('markup typed by users renders as text on every signed-in page', async () => {
  browser = await k.launch();
  const mk = k.uniq('xp');
  const seller = await k.apiUser({ name: `Eve ${SCRIPT} ${IMG}` });
  const client = await k.apiUser({ name: `Mallory ${SCRIPT}` });
  const admin = await k.apiUser();
  makeAdmin(admin.email);
  const title = `${mk} ${SCRIPT} ${IMG}`.slice(0, 80);
  const gig = await k.makeGig(seller.token, {
    title,
    description: EVIL,
    faq: [{ question: `Q ${SCRIPT}`, answer: `A ${IMG} ${JS_URL}` }],
    tags: [{ id: 't1', text: SCRIPT }, { id: 't2', text: IMG }],
    images: [`https://cdn.example.com/${mk}/a.png?x='onmouseover='alert(1)`],
  });
  const data = await k.checkout(client.token, gig.packages.basic.id, 'bank_transfer');
  const id = data.order_id;
  await move(id, 'confirm-transfer', admin, { reference: `BT-${k.uniq('r')}` });
  await move(id, 'deliver', seller, { reason: `first ${EVIL}` });
  await move(id, 'revision', client, { reason: `again ${EVIL}` });
  await move(id, 'deliver', seller, { reason: `second ${EVIL}` });
  await move(id, 'accept', client, {});
  await move(id, 'review', client, { rating: 5, comment: `review ${EVIL}` });

  const asClient = await k.newPage(browser, { width: 1280 });
  await k.useSession(asClient, client.cookie);
  await visit(asClient, `/order/${gig.owner.username}/${gig.slug}/basic`, [title]);
  await visit(asClient, '/dashboard', [`Mallory ${SCRIPT}`]);
  await visit(asClient, '/dashboard/orders', [title]);
  await visit(asClient, `/dashboard/orders/${id}`,
    [title, `first ${EVIL}`, `again ${EVIL}`, `second ${EVIL}`, `review ${EVIL}`]);
  await visit(asClient, '/dashboard/notifications', []);
  await visit(asClient, '/dashboard/settings', []);
  await asClient.close();

  // Another browser context: the seller's own cookie jar.
  const ctx = await browser.createBrowserContext();
  const asSeller = await k.newPage(ctx, { width: 360 });
  await k.useSession(asSeller, seller.cookie);
  await visit(asSeller, '/dashboard/orders?as=freelancer', [title]);
  await visit(asSeller, `/dashboard/orders/${id}`, [title, `first ${EVIL}`, `review ${EVIL}`]);
  await visit(asSeller, '/dashboard/earnings', []);
  await visit(asSeller, '/dashboard/gigs', [title]);
  for (const step of ['overview', 'pricing', 'description', 'gallery', 'publish', 'delete']) {
    await visit(asSeller, `/dashboard/gigs/${gig.id}/${step}`, step === 'overview' ? [] : [title]);
  }
  // The editor shows what was typed in its inputs, unchanged.
  await k.goto(asSeller, `/dashboard/gigs/${gig.id}/overview`);
  const values = await asSeller.$$eval('input', (ins) => ins.map((i) => i.value));
  k.assert.ok(values.includes(title), `the title input holds ${JSON.stringify(title)}`);
  await asSeller.close();
  await ctx.close();
});

k.run();
