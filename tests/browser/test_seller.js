// tests/browser/test_seller.js - the seller's side of the storefront in a browser (docs/web.md,
// "Pages"): a freelancer creates a gig through every editor step by filling and sending the plain
// forms, sees a validation message next to its field, uploads an image from a file input,
// publishes, and finds the gig with its uploaded image on the public gig page; the delete step
// asks on a page (no dialog). axe on every editor step, the dashboard, my gigs, earnings and
// settings; screenshots `dashboard` and `gig-editor` at 360 and 1280 px.
//
// The freelancer signs up through the sign-up form; the later tests reuse that session (its
// cookie is also a bearer token for the API calls that set their data up).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const k = require('./lib.js');

let browser;
let seller;
let cats;

function assertClean(page, what) {
  const p = k.problems(page);
  k.assert.deepEqual(p, [], `${what}: ${p.join('; ')}`);
}

async function text(page, selector) {
  return page.$eval(selector, (el) => el.textContent.trim());
}

// A real PNG (valid CRCs, so the browser decodes it): WIDTH x HEIGHT of one colour, with a unique
// text chunk so that each run uploads new bytes.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(width, height, note) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([40, 110, 200]))]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${note}`, 'latin1')),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Fill the named fields of the page's form that holds FIELD, then send it with its submit button.
async function submit(page, field, values, checks = {}) {
  const form = await page.waitForSelector(`form:has([name="${field}"])`);
  for (const [name, value] of Object.entries(values)) {
    const el = await form.$(`[name="${name}"]`);
    if (!el) throw new Error(`${page.url()}: no field named ${name}`);
    const tag = await el.evaluate((e) => e.tagName);
    if (tag === 'SELECT') {
      await el.select(String(value));
    } else {
      await el.evaluate((e) => {
        e.value = '';
      });
      await el.type(String(value));
    }
  }
  for (const [name, on] of Object.entries(checks)) {
    const el = await form.$(`[name="${name}"]`);
    const checked = await el.evaluate((e) => e.checked);
    if (checked !== on) await el.click();
  }
  return k.clickAndWait(page, await form.$('button[type=submit]'));
}

async function step(page, what, res, pathRe) {
  k.assert.equal(res.status(), 200, `${what}: HTTP ${res.status()} at ${page.url()}`);
  k.assert.match(new URL(page.url()).pathname + new URL(page.url()).search, pathRe, what);
  await k.assertAxe(page, what);
  assertClean(page, what);
}

k.test('setup: the categories', async () => {
  browser = await k.launch();
  const r = await k.api('GET', '/api/categories');
  cats = r.json.data;
  k.assert.ok(cats.length > 0 && cats[0].subCategories.length > 0);
});

k.test('a freelancer creates a gig through every step, uploads an image and publishes it', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  const signed = await k.signUp(page, { name: `Seller ${k.uniq('s')}` });
  k.assert.equal(signed.response.status(), 200, 'sign-up lands on a page');
  const session = (await page.cookies()).find((c) => c.name === 'khedma_session');
  k.assert.ok(session && session.httpOnly, 'the sign-up form set the HttpOnly session cookie');
  seller = { ...signed, cookie: session.value, token: session.value };
  let res = await k.goto(page, '/dashboard');
  await step(page, 'dashboard', res, /^\/dashboard$/);
  await k.shot(page, 'dashboard');

  res = await k.clickAndWait(page, 'main a[href="/dashboard/gigs"]');
  await step(page, 'my gigs', res, /^\/dashboard\/gigs$/);
  res = await k.clickAndWait(page, 'form[action="/dashboard/gigs"] button');
  await step(page, 'overview step', res, /^\/dashboard\/gigs\/c[a-z0-9]+\/overview$/);
  const gigPath = new URL(page.url()).pathname.replace(/\/overview$/, '');
  await k.shot(page, 'gig-editor');

  // A refused step: the message is next to the title input, the typed tag is kept.
  res = await submit(page, 'title', { title: ' ', 'tags-0': 'logo' });
  k.assert.equal(res.status(), 422);
  k.assert.match(await text(page, '#title-error'), /Title/);
  k.assert.equal(await page.$eval('#title', (e) => e.getAttribute('aria-describedby')), 'title-hint title-error');
  k.assert.equal(await page.$eval('#tags-0', (e) => e.value), 'logo');
  await k.assertAxe(page, 'overview step with an error');
  k.clearProblems(page); // the 422 answer itself is recorded as a failed request

  const title = `${k.uniq('t')} hand-drawn logo`;
  const cat = cats.find((c) => c.slug === 'design-creative') || cats[0];
  res = await submit(page, 'title', {
    title, category: cat.id, subCategory: cat.subCategories[0].id, 'tags-0': 'logo', 'tags-1': 'branding',
  });
  await step(page, 'pricing step', res, /\/pricing\?saved=1$/);
  k.assert.match(await text(page, '.flash'), /saved/);

  res = await submit(page, 'basic.name', {
    'basic.name': 'Basic logo', 'basic.description': 'One concept in PNG', 'basic.price': 200,
    'basic.delivery': 3, 'basic.revisions': 2,
    'standard.name': 'Standard logo', 'standard.description': 'Two concepts, vector files',
    'standard.price': 450, 'standard.delivery': 5, 'standard.revisions': 3,
  }, { offersMultiple: true });
  await step(page, 'description step', res, /\/description\?saved=1$/);

  res = await submit(page, 'description', {
    description: 'I draw logos by hand, then vectorise them.',
    'faq.0.question': 'Do I get the source files?', 'faq.0.answer': 'Yes, in SVG and PDF.',
  });
  await step(page, 'gallery step', res, /\/gallery\?saved=1$/);

  // Upload a PNG from the file input.
  const file = path.join(os.tmpdir(), `${k.uniq('img')}.png`);
  fs.writeFileSync(file, png(48, 32, k.uniq('n')));
  const input = await page.$('input[type=file]');
  await input.uploadFile(file);
  res = await k.clickAndWait(page, 'form[enctype="multipart/form-data"] button[type=submit]');
  fs.unlinkSync(file);
  await step(page, 'gallery after upload', res, /\/gallery\?saved=1$/);
  const src = await page.$eval('.gallery-edit img', (img) => img.getAttribute('src'));
  k.assert.match(src, /^\/uploads\/[0-9a-f]{64}\.png$/);
  k.assert.ok(await page.$eval('.gallery-edit img', (img) => img.complete && img.naturalWidth === 48),
    'the uploaded image is served and decodes');

  res = await k.clickAndWait(page, 'main a.btn[href$="/publish"]');
  await step(page, 'publish step', res, /\/publish$/);
  res = await k.clickAndWait(page, 'main form button[type=submit]');
  await step(page, 'published', res, /\/publish\?saved=1$/);
  k.assert.match(await text(page, 'h1 .status'), /Published/);

  // The public gig page (webpublic's /{username}/{slug}) shows the gig and its uploaded image.
  res = await k.clickAndWait(page, 'main a[href^="/' + seller.username + '/"]');
  k.assert.equal(res.status(), 200);
  k.assert.equal(new URL(page.url()).pathname.split('/')[1], seller.username);
  k.assert.match(await text(page, 'h1'), new RegExp(title));
  k.assert.ok(await page.$(`img[src="${src}"]`), 'the gig page shows the uploaded image');
  assertClean(page, 'public gig page');
  const api = await k.api('GET', '/api/gigs' + new URL(page.url()).pathname);
  k.assert.equal(api.status, 200);
  k.assert.deepEqual(api.json.data.attachments.images.map((i) => i.url), [src]);

  // Back in the editor: every step passes axe once filled in.
  for (const s of ['overview', 'pricing', 'description', 'gallery', 'publish', 'delete']) {
    res = await k.goto(page, `${gigPath}/${s}`);
    await step(page, `${s} step (filled)`, res, new RegExp(`/${s}$`));
  }
  // The delete step asks on its own page; "No, keep it" keeps the gig.
  res = await k.clickAndWait(page, 'main a[href="/dashboard/gigs"]:not(nav a)');
  await step(page, 'kept', res, /^\/dashboard\/gigs$/);
  k.assert.match(await text(page, 'table.list'), new RegExp(title));
  await page.close();
});

k.test('dashboard, my gigs, earnings and settings pass axe; screenshots at 360 px', async () => {
  const page = await k.newPage(browser, { width: 360 });
  await k.useSession(page, seller.cookie);
  for (const p of ['/dashboard/earnings', '/dashboard/settings', '/dashboard/gigs', '/dashboard']) {
    const res = await k.goto(page, p);
    await step(page, p, res, new RegExp(`^${p}$`));
  }
  await k.shot(page, 'dashboard');
  const res = await k.clickAndWait(page, 'main a[href="/dashboard/gigs"]');
  await step(page, 'my gigs (360)', res, /^\/dashboard\/gigs$/);
  await k.clickAndWait(page, 'table.list a[href$="/overview"]');
  await k.assertAxe(page, 'overview (360)');
  await k.shot(page, 'gig-editor');

  // Settings through the form: the phone saved is the one checkout uses.
  await k.goto(page, '/dashboard/settings');
  const saved = await submit(page, 'phone', { name: seller.name, phone: '+212 611 222 333' });
  await step(page, 'settings saved', saved, /^\/dashboard\/settings\?saved=1$/);
  const me = await k.api('GET', '/api/auth/me', null, { cookie: seller.cookie });
  k.assert.equal(me.json.data.user.phone, '+212 611 222 333');
  assertClean(page, 'settings');
  await page.close();
});

k.test('the delete step deletes only after its confirmation page', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  await k.useSession(page, seller.cookie);
  const gig = await k.makeGig(seller.token, { title: `${k.uniq('d')} to delete`, publish: false });
  let res = await k.goto(page, `/dashboard/gigs/${gig.id}/delete`);
  await step(page, 'delete step', res, /\/delete$/);
  res = await k.clickAndWait(page, 'main form button.danger');
  await step(page, 'deleted', res, /^\/dashboard\/gigs\?deleted=1$/);
  k.assert.match(await text(page, '.flash'), /deleted/);
  res = await k.goto(page, `/dashboard/gigs/${gig.id}/overview`);
  k.assert.equal(res.status(), 404);
  k.clearProblems(page);
  await page.close();
});

k.test('uploads the browser cannot send whole, or that are not images, are explained at the input', async () => {
  const page = await k.newPage(browser, { width: 1280 });
  await k.useSession(page, seller.cookie);
  const gig = await k.makeGig(seller.token, { title: `${k.uniq('u')} uploads`, publish: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khedma-'));
  const cases = [
    // over nginx's 6 MiB for the route: sent back to the gallery step by nginx
    { name: 'huge.png', bytes: Buffer.alloc(7 * 1024 * 1024, 1), re: /larger than 6 MB/, at: /^\/dashboard\/gallery\/too-large\?gig=/ },
    // an SVG named .png: refused from its bytes
    { name: 'logo.png', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), re: /not a JPEG, PNG or WebP/, at: /^\/dashboard\/gallery\/upload\?gig=/ },
  ];
  for (const c of cases) {
    await k.goto(page, `/dashboard/gigs/${gig.id}/gallery`);
    const file = path.join(dir, c.name);
    fs.writeFileSync(file, c.bytes);
    await (await page.$('input[type=file]')).uploadFile(file);
    const res = await k.clickAndWait(page, 'form[enctype="multipart/form-data"] button[type=submit]');
    k.assert.equal(res.status(), 422, c.name);
    const u = new URL(page.url());
    k.assert.match(u.pathname + u.search, c.at, c.name);
    k.assert.match(await text(page, '#image-error'), c.re, c.name);
    k.assert.equal(await page.$eval('#image', (e) => e.getAttribute('aria-describedby')), 'image-error');
    await k.assertAxe(page, `gallery refusing ${c.name}`);
    k.clearProblems(page); // the 422 answer is recorded as a failed request
  }
  fs.rmSync(dir, { recursive: true });
  await page.close();
});

k.run();
