// tests/browser/test_emulator_pages.js - the development gateways' payment pages in a browser: a
// card checkout made through the API opens the YouCan Pay emulator's page, "Fail payment" sends the
// browser back to the order's payment-failed address and "Pay" (a second checkout) to its
// payment-success address; the PayTabs emulator's page returns to the return URL it was given.
// Both pages pass axe at phone and desktop widths, with screenshots.
'use strict';

const k = require('./lib.js');

let browser;
let seller;
let gig;

async function cardCheckout() {
  const client = await k.apiUser();
  const data = await k.checkout(client.token, gig.packages.basic.id, 'card');
  k.assert.equal(data.provider, 'youcanpay', `the stack's card gateway: ${JSON.stringify(data)}`);
  k.assert.match(data.payment_url, /^https?:\/\//);
  return { ...data, client };
}

// As CLIENT (signed in, as after ordering in the browser), open PAYMENT_URL, press BUTTON (#pay or
// #fail) and return the address the browser lands on.
async function payThrough(client, paymentUrl, button) {
  const page = await k.newPage(browser, { width: 360 });
  await k.useSession(page, client.cookie);
  const res = await page.goto(paymentUrl, { waitUntil: 'load' });
  k.assert.equal(res.status(), 200, `GET ${paymentUrl}`);
  await k.clickAndWait(page, button);
  const landed = new URL(page.url());
  await page.close();
  return landed;
}

k.test('setup: a published gig with a card-payable package', async () => {
  browser = await k.launch();
  seller = await k.apiUser();
  gig = await k.makeGig(seller.token, { prices: { basic: 120 } });
  k.assert.ok(gig.packages.basic && gig.packages.basic.id, JSON.stringify(gig));
});

k.test('YouCan Pay emulator page: accessible at 360 and 1280 px', async () => {
  const data = await cardCheckout();
  for (const width of [360, 1280]) {
    const page = await k.newPage(browser, { width });
    const res = await page.goto(data.payment_url, { waitUntil: 'load' });
    k.assert.equal(res.status(), 200);
    k.assert.equal(await page.$eval('#pay', (b) => b.textContent.trim()), 'Pay');
    k.assert.equal(await page.$eval('#fail', (b) => b.textContent.trim()), 'Fail payment');
    await k.shot(page, 'emulator-youcanpay');
    await k.assertAxe(page, 'the YouCan Pay emulator page');
    await page.close();
  }
});

k.test('YouCan Pay emulator: "Fail payment" returns to /orders/{id}/payment-failed', async () => {
  const data = await cardCheckout();
  const landed = await payThrough(data.client, data.payment_url, '#fail');
  k.assert.equal(landed.pathname, `/orders/${data.order_id}/payment-failed`);
  k.assert.equal(landed.searchParams.get('order_id'), data.order_id);
  k.assert.ok(landed.searchParams.get('transaction_id'), landed.href);
});

k.test('YouCan Pay emulator: "Pay" returns to /orders/{id}/payment-success', async () => {
  const data = await cardCheckout();
  const landed = await payThrough(data.client, data.payment_url, '#pay');
  k.assert.equal(landed.pathname, `/orders/${data.order_id}/payment-success`);
  k.assert.equal(landed.searchParams.get('order_id'), data.order_id);
  k.assert.ok(landed.searchParams.get('transaction_id'), landed.href);
});

// The stack runs YouCan Pay as its card gateway, so the PayTabs page is opened from a payment
// request made straight to the emulator with the stack's dev keys; its return URL is a Khedma
// address, which the emulator's return form POSTs to, as PayTabs does.
k.test('PayTabs emulator page: accessible, and "Fail payment" posts back to the return URL', async () => {
  const env = k.emulatorEnv();
  const cart = k.uniq('cart');
  const ret = k.url(`/orders/${cart}/payment-return`);
  const r = await fetch(`${env.KHEDMA_PAYTABS_API}/payment/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: env.KHEDMA_PAYTABS_SERVER_KEY },
    body: JSON.stringify({
      profile_id: Number(env.KHEDMA_PAYTABS_PROFILE_ID), tran_type: 'sale', tran_class: 'ecom', cart_id: cart,
      cart_currency: 'MAD', cart_amount: 120, cart_description: 'Browser test cart',
      customer_details: { name: 'Browser Client', email: 'client@example.com', phone: '+212600000000',
        street1: '1 rue test', city: 'Rabat', state: 'RA', country: 'MA', zip: '10000', ip: '127.0.0.1' },
      // the server-to-server callback goes nowhere that matters: this order is not Khedma's
      callback: `${env.KHEDMA_EMULATOR_URL}/health`,
      return: ret,
    }),
    signal: AbortSignal.timeout(10000),
  });
  const sale = await r.json();
  k.assert.equal(r.status, 200, JSON.stringify(sale));
  for (const width of [360, 1280]) {
    const page = await k.newPage(browser, { width });
    await page.goto(sale.redirect_url, { waitUntil: 'load' });
    await k.shot(page, 'emulator-paytabs');
    await k.assertAxe(page, 'the PayTabs emulator page');
    await page.close();
  }
  const page = await k.newPage(browser, { width: 1280 });
  await page.goto(sale.redirect_url, { waitUntil: 'load' });
  // the answer to the button is a form the page submits on load: wait for the return URL itself
  const back = page.waitForNavigation({ waitUntil: 'load' });
  await page.click('#fail');
  await back;
  if (new URL(page.url()).pathname !== new URL(ret).pathname) {
    await page.waitForFunction((p) => location.pathname === p, {}, new URL(ret).pathname);
  }
  k.assert.equal(new URL(page.url()).pathname, `/orders/${cart}/payment-return`);
  const tx = await k.emulator('GET', `/paytabs/transactions/${sale.tran_ref}`);
  k.assert.equal(tx.status, 200, tx.text);
  k.assert.equal(tx.json.transaction.status, 'D', tx.text);
  await page.close();
});

k.run();
