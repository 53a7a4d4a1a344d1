// tests/browser/test_journey.js - the buyer's journey in a browser (docs/web.md, "Pages"): a visitor
// searches from the home page, opens the seller's gig page, presses Continue on the standard
// package, signs up through the form on the way (sign-in first, then "create an account", the return
// address kept), pays with card on the gateway emulator's page and lands back on a processing order;
// the freelancer (another browser context) signs in and delivers; the client asks for a revision;
// the freelancer delivers again; the client accepts and leaves a 5-star review, which then shows on
// the gig page and in the seller's rating. A failed payment says so and its "Try again" leads to a
// checkout that succeeds. Screenshots `order` and `dashboard-order` at 360 and 1280 px; axe on every
// page type visited.
'use strict';

const k = require('./lib.js');

let browser;
let sellerContext;
let seller;
let gig;
let gigWord; // the unique first word of the gig's title, to search for
let client; // the page of the client's browser
let clientFields;
let orderId;
let freelancer; // the page of the freelancer's browser

const gigPath = () => `/${seller.username}/${gig.slug}`;

async function text(page) {
  return page.$eval('main', (m) => m.innerText);
}

// Fill the form that holds the field FIELD with VALUES and send it; returns the response.
async function submitFields(page, field, values) {
  const form = await page.waitForSelector(`form:has([name="${field}"])`);
  for (const [name, value] of Object.entries(values)) {
    const el = await form.$(`[name="${name}"]`);
    await el.evaluate((e) => { e.value = ''; });
    await el.type(value);
  }
  return k.clickAndWait(page, await form.$('button[type=submit]'));
}

// Fill the textarea or input NAME of the form that holds the move MOVE on the order page, and send it.
async function move(page, moveName, fields = {}) {
  const form = await page.waitForSelector(`form:has(input[name="move"][value="${moveName}"])`);
  for (const [name, value] of Object.entries(fields)) {
    const el = await form.$(`[name="${name}"]`);
    await el.type(value);
  }
  const res = await k.clickAndWait(page, await form.$('button[type=submit]'));
  k.assert.equal(res.status(), 200, `${moveName}: ${page.url()}`);
  k.assert.equal(new URL(page.url()).searchParams.get('done'), moveName);
}

// Press Pay on the order page, then BUTTON (#pay or #fail) on the emulator's payment page; returns
// the address the browser lands on back at Khedma.
async function payOnGateway(page, button) {
  await k.clickAndWait(page, 'form:has([name="payment_method"]) button[type=submit]');
  k.assert.notEqual(new URL(page.url()).origin, new URL(k.BASE).origin, 'Pay leads to the gateway');
  await k.clickAndWait(page, button);
  return new URL(page.url());
}

k.test('setup: a seller with a published gig (REST and tRPC)', async () => {
  browser = await k.launch();
  seller = await k.apiUser();
  gigWord = k.uniq('jt');
  gig = await k.makeGig(seller.token, { title: `${gigWord} journey logo`, prices: { basic: 150, standard: 450 },
    delivery: 4 });
  k.assert.ok(gig.slug && gig.packages.standard, JSON.stringify(gig));
  sellerContext = await browser.createBrowserContext();
});

k.test('a visitor searches, opens the gig page, presses Continue and signs up on the way', async () => {
  client = await k.newPage(browser, { width: 1280 });
  let res = await k.goto(client, '/');
  k.assert.equal(res.status(), 200);
  await client.type('#site-q', gigWord);
  await k.clickAndWait(client, 'form[role="search"] button[type=submit]');
  k.assert.equal(new URL(client.url()).pathname, '/services/search');
  res = await k.clickAndWait(client, `main a[href="${gigPath()}"]`);
  k.assert.equal(res.status(), 200);
  const orderPath = `/order/${seller.username}/${gig.slug}/standard`;
  await k.clickAndWait(client, `a[href="${orderPath}"]`);
  const signIn = new URL(client.url());
  k.assert.equal(signIn.pathname, '/auth/sign-in');
  k.assert.equal(signIn.searchParams.get('next'), orderPath);
  await k.assertAxe(client, 'the sign-in page');
  await k.clickAndWait(client, 'a[href^="/auth/sign-up?next="]');
  await k.assertAxe(client, 'the sign-up page');
  const u = k.uniq('j');
  clientFields = { name: `Journey ${u}`, username: u, email: `${u}@example.com`, password: 'correct-horse-42',
    phone: '+212611223344' };
  res = await submitFields(client, 'username', clientFields);
  k.assert.equal(res.status(), 200);
  k.assert.equal(new URL(client.url()).pathname, orderPath, 'back on the order page after signing up');
  const t = await text(client);
  k.assert.match(t, /Standard tier/);
  k.assert.match(t, /450 MAD/);
  k.assert.match(t, /4 days/);
  await k.assertAxe(client, 'the order page');
  for (const width of [360, 1280]) {
    const p = await k.newPage(browser, { width });
    await k.goto(p, orderPath);
    await k.shot(p, 'order');
    await p.close();
  }
});

k.test('pays with card on the gateway page and lands on a processing order', async () => {
  const landed = await payOnGateway(client, '#pay');
  k.assert.match(landed.pathname, /^\/orders\/c[a-z0-9]{24}\/payment-success$/);
  orderId = landed.pathname.split('/')[2];
  const t = await text(client);
  k.assert.match(t, /Payment received/);
  k.assert.match(t, /In progress/);
  await k.assertAxe(client, 'the payment return page');
  const order = await k.api('GET', `/api/orders/${orderId}`, null, { token: seller.token });
  k.assert.equal(order.json.data.status, 'processing');
  k.assert.equal(order.json.data.totalAmount, 450);
});

k.test('the freelancer signs in and delivers', async () => {
  freelancer = await k.newPage(sellerContext, { width: 1280 });
  await k.signIn(freelancer, seller.email, seller.password, '/dashboard/orders?as=freelancer');
  k.assert.equal(new URL(freelancer.url()).pathname, '/dashboard/orders');
  await k.assertAxe(freelancer, 'the dashboard orders page');
  await k.clickAndWait(freelancer, `a[href="/dashboard/orders/${orderId}"]`);
  await k.assertAxe(freelancer, 'the order page of the dashboard');
  await move(freelancer, 'deliver', { reason: 'Here is the first version.' });
  k.assert.match(await text(freelancer), /Your delivery was sent to the client/);
});

k.test('the client asks for a revision and the freelancer delivers again', async () => {
  await k.goto(client, `/dashboard/orders/${orderId}`);
  k.assert.match(await text(client), /Here is the first version\./);
  await move(client, 'revision', { reason: 'Please make the letters bigger.' });
  await k.goto(freelancer, `/dashboard/orders/${orderId}`);
  k.assert.match(await text(freelancer), /Please make the letters bigger\./);
  await move(freelancer, 'deliver', { reason: 'Bigger letters, as asked.' });
});

k.test('the client accepts and leaves a 5-star review, shown on the gig page', async () => {
  await k.goto(client, `/dashboard/orders/${orderId}`);
  await move(client, 'accept');
  k.assert.match(await text(client), /Completed/);
  const form = await client.waitForSelector('form:has(input[name="move"][value="review"])');
  await (await form.$('#rating-5')).click();
  await (await form.$('[name="comment"]')).type('Quick and careful work.');
  await k.clickAndWait(client, await form.$('button[type=submit]'));
  k.assert.equal(new URL(client.url()).searchParams.get('done'), 'review');
  k.assert.match(await text(client), /5 out of 5 stars/);
  await k.assertAxe(client, 'the completed order page');
  for (const width of [360, 1280]) {
    const p = await k.newPage(browser, { width });
    await k.goto(p, `/dashboard/orders/${orderId}`);
    await k.shot(p, 'dashboard-order');
    await p.close();
  }
  const visitor = await browser.createBrowserContext();
  const pub = await k.newPage(visitor, { width: 1280 });
  await k.goto(pub, gigPath());
  const t = await text(pub);
  k.assert.match(t, /Quick and careful work\./);
  k.assert.match(t, /5\.0 out of 5 \(1 review\)/);
  await pub.close();
  await visitor.close();
});

k.test('notifications: the freelancer reads and marks them', async () => {
  await k.goto(freelancer, '/dashboard/notifications');
  await k.assertAxe(freelancer, 'the notifications page');
  const all = await freelancer.$('form[action="/dashboard/notifications/read-all"] button');
  k.assert.ok(all, 'a mark-all-read form while something is unread');
  await k.clickAndWait(freelancer, all);
  k.assert.equal(await freelancer.$('form[action$="/read"]'), null);
});

k.test('a failed payment says so, and "Try again" leads to a payment that succeeds', async () => {
  await k.goto(client, `/order/${seller.username}/${gig.slug}/basic`);
  let landed = await payOnGateway(client, '#fail');
  k.assert.match(landed.pathname, /\/payment-failed$/);
  k.assert.match(await text(client), /Payment failed/);
  await k.assertAxe(client, 'the payment failed page');
  await k.clickAndWait(client, 'a.btn[href$="/basic"]');
  k.assert.equal(new URL(client.url()).pathname, `/order/${seller.username}/${gig.slug}/basic`);
  landed = await payOnGateway(client, '#pay');
  k.assert.match(landed.pathname, /\/payment-success$/);
  k.assert.match(await text(client), /Payment received/);
});

k.run();
