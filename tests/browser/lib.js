// tests/browser/lib.js - the browser test harness: puppeteer-core driving Debian's chromium against
// a running Khedma stack (KHEDMA_TEST_URL), with every page watched for the things a page must never
// do (open a dialog, log an error, throw, fail a same-origin request, violate its CSP), axe-core
// for accessibility, screenshots under $KHEDMA_TEST_VAR/screenshots/, and a tiny test runner that
// prints `ok - <name>` / `not ok - <name>: <why>` lines for tests/browser/run.
//
//   const k = require('./lib.js');
//   k.test('gig page', async () => {
//     const page = await k.newPage(await k.launch(), { width: 360 });
//     await k.goto(page, '/some/gig');
//     await k.shot(page, 'gig');
//     k.assert.deepStrictEqual(await k.axe(page), []);
//   });
//   k.run();
//
// CommonJS and Node >= 18 (global fetch). See tests/browser/README.md.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const puppeteer = require('puppeteer-core');

const REPO = path.resolve(__dirname, '..', '..');
const BASE = (process.env.KHEDMA_TEST_URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const ORIGIN = new URL(BASE).origin;
const VAR = process.env.KHEDMA_TEST_VAR || path.join(REPO, 'var', 'test');
const CHROMIUM = process.env.KHEDMA_CHROMIUM || '/usr/bin/chromium';
// Bounds: one test, one navigation or wait, one REST call.
const TEST_TIMEOUT_MS = Number(process.env.KHEDMA_BROWSER_TEST_TIMEOUT_MS || 120000);
const WAIT_MS = 20000;
const API_TIMEOUT_MS = 15000;

const browsers = [];
const tests = [];
// page -> { log: [problem strings], seen: how many were already reported by run() }
const watched = new Map();

// ---------------------------------------------------------------------------------------------
// Browser and pages

/** Start a headless chromium (closed by run()). */
async function launch(options = {}) {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true, // the new headless mode ('new' in older puppeteer)
    // root has no user namespace sandbox here; /dev/shm may be small in containers
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=en-US', '--no-first-run'],
    timeout: WAIT_MS,
    ...options,
  });
  browsers.push(browser);
  return browser;
}

// Requests that count: to Khedma's origin, except the /favicon.ico Chromium asks for by itself
// when a page names no icon (not the page's doing; Chromium logs nothing for it).
function sameOrigin(url) {
  try {
    const u = new URL(url);
    return u.origin === ORIGIN && u.pathname !== '/favicon.ico';
  } catch {
    return false;
  }
}

function record(page, text) {
  const w = watched.get(page);
  if (w) w.log.push(text);
}

// Runs in every document before its own scripts (evaluateOnNewDocument is not subject to the
// page's CSP): CSP violations are handed to the binding the harness exposed.
function cspHook() {
  document.addEventListener('securitypolicyviolation', (e) => {
    const report = window.__khedmaCspReport;
    const text = `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}` +
      ` in ${e.documentURI}${e.lineNumber ? ':' + e.lineNumber : ''}` +
      (e.sample ? ` (${e.sample})` : '');
    if (typeof report === 'function') report(text);
  });
}

/**
 * A new tab of BROWSER with a viewport WIDTH wide (360: a phone, as a touch screen; else a
 * desktop). Everything that must not happen on a page is recorded; k.problems(page) lists it.
 */
async function newPage(browser, { width = 1280, height } = {}) {
  const page = await browser.newPage();
  const phone = width <= 480;
  await page.setViewport({
    width,
    height: height || (phone ? 740 : 800),
    deviceScaleFactor: 1,
    isMobile: phone,
    hasTouch: phone,
  });
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  watched.set(page, { log: [], seen: 0 });

  // Any dialog is a failure: a script the page did not mean to run (the XSS canary) opens one.
  page.on('dialog', async (d) => {
    record(page, `dialog ${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (err) => record(page, `page error: ${err && err.message ? err.message : err}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Load failures are judged below from the requests themselves: same-origin ones count,
    // third-party images (gallery URLs the sandbox cannot reach) do not.
    if (/^Failed to load resource/.test(text)) return;
    const where = msg.location() && msg.location().url ? ` (${msg.location().url})` : '';
    record(page, `console error: ${text}${where}`);
  });
  page.on('requestfailed', (req) => {
    if (!sameOrigin(req.url())) return;
    const why = req.failure() ? req.failure().errorText : 'failed';
    // A request cut short because the page navigated away (a form submit, a link) is not a fault.
    if (why === 'net::ERR_ABORTED') return;
    record(page, `request failed: ${req.method()} ${req.url()}: ${why}`);
  });
  page.on('response', (res) => {
    const req = res.request();
    // The status of a page itself is the test's to check (a 404 page is meant to be a 404);
    // a stylesheet, script or image of ours that fails is a problem of the page.
    if (req.isNavigationRequest() || !sameOrigin(res.url()) || res.status() < 400) return;
    record(page, `HTTP ${res.status()} for ${req.resourceType()} ${res.url()}`);
  });
  await page.exposeFunction('__khedmaCspReport', (text) => record(page, text));
  await page.evaluateOnNewDocument(cspHook);
  return page;
}

/** Sign PAGE's browser in with a session cookie from the API (apiUser().cookie or a login). */
async function useSession(page, cookie) {
  await page.setCookie({ name: 'khedma_session', value: cookie, url: BASE + '/', httpOnly: true, sameSite: 'Lax' });
}

/** What went wrong on PAGE since it was opened (strings; must be empty). */
function problems(page) {
  const w = watched.get(page);
  return w ? w.log.slice() : [];
}

/** Forget what was recorded on PAGE so far (after a step that is meant to show an error). */
function clearProblems(page) {
  const w = watched.get(page);
  if (w) {
    w.log.length = 0;
    w.seen = 0;
  }
}

/** Open PATH (relative to KHEDMA_TEST_URL) and wait for the load event; returns the response. */
async function goto(page, p, options = {}) {
  return page.goto(url(p), { waitUntil: 'load', ...options });
}

/** Click SELECTOR (or an ElementHandle) and wait for the navigation it starts; returns the response. */
async function clickAndWait(page, target) {
  const el = typeof target === 'string' ? await page.waitForSelector(target, { visible: true }) : target;
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), el.click()]);
  return res;
}

/** Write a full-page screenshot to $KHEDMA_TEST_VAR/screenshots/NAME-<width>.png; returns its path. */
async function shot(page, name) {
  const dir = path.join(VAR, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const vp = page.viewport();
  const file = path.join(dir, `${name}-${vp ? vp.width : 'x'}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Accessibility

let axeSource = null;

/**
 * Run axe-core on PAGE and return its violations of impact serious or critical, each as
 * { id, impact, help, helpUrl, nodes: [{ target, html, summary }] } (must be empty). The library
 * goes in through the DevTools protocol (page.evaluate), which the page's CSP does not govern, so
 * a strict script-src 'self' page is checked as it is served.
 */
async function axe(page, { tags } = {}) {
  if (axeSource === null) axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => typeof window.axe === 'object' && window.axe !== null);
  if (!loaded) await page.evaluate(axeSource);
  return page.evaluate(async (runTags) => {
    const options = { resultTypes: ['violations'] };
    if (runTags) options.runOnly = { type: 'tag', values: runTags };
    const result = await window.axe.run(document, options);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.slice(0, 5).map((n) => ({
          target: n.target.join(' '),
          html: n.html.slice(0, 200),
          summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300),
        })),
      }));
  }, tags || null);
}

/** One line per axe violation, for an error message. */
function axeText(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target).join(', ')}`)
    .join('; ');
}

/** Throw when axe finds a serious or critical violation on PAGE. */
async function assertAxe(page, what = 'page') {
  const v = await axe(page);
  if (v.length > 0) throw new Error(`axe on ${what} ${page.url()}: ${axeText(v)}`);
}

// ---------------------------------------------------------------------------------------------
// REST API, emulator control API, unique names

/** KHEDMA_TEST_URL + PATH. */
function url(p = '/') {
  return BASE + (p.startsWith('/') ? p : '/' + p);
}

function headersObject(h) {
  const out = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

async function fetchJson(target, method, body, headers) {
  const init = { method, headers: { ...headers }, redirect: 'manual', signal: AbortSignal.timeout(API_TIMEOUT_MS) };
  if (body !== undefined && body !== null) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(target, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, headers: headersObject(res.headers), text };
}

/**
 * One REST call: METHOD PATH (e.g. '/api/gigs') with BODY as JSON; cookie sends the session
 * cookie (khedma_session), token a Bearer header. Returns { status, json, headers, text }; the
 * envelope's data is json.data. Never throws on an HTTP error status.
 */
async function api(method, p, body, { cookie, token, headers } = {}) {
  const h = { accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = `khedma_session=${cookie}`;
  return fetchJson(url(p), method, body, h);
}

/**
 * One tRPC call (transformer none, as deploy/up and deploy/test run khedmad): a mutation POSTs
 * INPUT, a query (kind 'query') sends it in ?input=. Returns result.data; throws on an error.
 */
async function trpc(procedure, input, { token, cookie, kind = 'mutation' } = {}) {
  const q = kind === 'query' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
  const r = await api(kind === 'query' ? 'GET' : 'POST', `/api/trpc/${procedure}${q}`,
    kind === 'query' ? undefined : (input === undefined ? {} : input), { token, cookie });
  if (r.status !== 200 || !r.json || !r.json.result) throw new Error(`${procedure}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r.json.result.data;
}

/**
 * A new account through POST /api/auth/signup with unique defaults (a Moroccan phone, which
 * checkout needs, unless phone: null). Returns { user, token, cookie, password, email, username }.
 */
async function apiUser(fields = {}) {
  const u = fields.username || uniq('a');
  const body = {
    name: fields.name || `Api ${u}`,
    email: fields.email || `${u}@example.com`,
    username: u,
    password: fields.password || 'correct-horse-42',
    phone: fields.phone === undefined ? `+2126${String(crypto.randomInt(1e8)).padStart(8, '0')}` : fields.phone,
  };
  if (body.phone === null) delete body.phone;
  const r = await api('POST', '/api/auth/signup', body);
  if (r.status !== 201 || !r.json || !r.json.data) throw new Error(`signup: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const m = /khedma_session=([^;]+)/.exec(r.headers['set-cookie'] || '');
  return { user: r.json.data.user, token: r.json.data.token, cookie: m ? m[1] : null, ...body };
}

/**
 * A gig of TOKEN's user through the gig.* procedures: overview, packages (prices: {basic,
 * standard?, premium?} in MAD), description + FAQ, gallery (image URLs), published unless
 * publish: false. Returns { id, slug, owner, packages: {basic, standard?, premium?} }.
 */
async function makeGig(token, opts = {}) {
  const title = opts.title || `${uniq('g')} logo design`;
  const prices = opts.prices || { basic: 150 };
  const gig = await trpc('gig.createDraft', {}, { token });
  await trpc('gig.updateOverview', {
    id: gig.id, title, category: opts.category || 'design-creative', subCategory: opts.subCategory || 'logo-design',
    tags: opts.tags || [{ id: 't1', text: 'logo' }],
  }, { token });
  const pkgBody = { gigId: gig.id };
  for (const tier of ['basic', 'standard', 'premium']) {
    if (prices[tier] === undefined) continue;
    pkgBody[tier] = {
      name: `${tier[0].toUpperCase()}${tier.slice(1)} tier`, description: `What you get: ${tier}`,
      price: prices[tier], delivery: opts.delivery || 3, revisions: opts.revisions === undefined ? 2 : opts.revisions,
    };
  }
  const packages = await trpc('gig.createPackages', pkgBody, { token });
  await trpc('gig.updateDescriptionFaq', {
    id: gig.id,
    description: { time: 1, blocks: [{ type: 'paragraph', data: { text: opts.description || title } }], version: '2.28.0' },
    faq: opts.faq || [{ question: 'How fast?', answer: 'Three days.' }],
  }, { token });
  if (opts.images) await trpc('gig.updateGallery', { id: gig.id, images: opts.images, videos: [], documents: [] }, { token });
  if (opts.publish === false) return { id: gig.id, slug: null, owner: null, packages };
  const published = await trpc('gig.publish', { id: gig.id }, { token });
  return { ...published, packages };
}

/** POST /api/orders/checkout for PACKAGE_ID as TOKEN's user; returns the envelope's data. */
async function checkout(token, packageId, method = 'card') {
  const r = await api('POST', '/api/orders/checkout', { payment_method: method, package_id: packageId }, { token });
  if (r.status !== 200 || !r.json || !r.json.data) throw new Error(`checkout: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r.json.data;
}

function emulatorEnv() {
  const file = path.join(VAR, 'run', 'emulators.env');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file} (are the gateway emulators running?): ${e.message}`);
  }
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^(KHEDMA_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].trim();
  }
  return env;
}

function emulatorBase() {
  const base = emulatorEnv().KHEDMA_EMULATOR_URL;
  if (!base) throw new Error('run/emulators.env has no KHEDMA_EMULATOR_URL line');
  return base.replace(/\/+$/, '');
}

/** A call to the gateway emulators' control API: PATH is under /__emulator (e.g. '/requests'). */
async function emulator(method, p, body) {
  return fetchJson(emulatorBase() + (p.startsWith('/') ? p : '/' + p), method, body, { accept: 'application/json' });
}

const RUN_TAG = BigInt('0x' + crypto.randomBytes(5).toString('hex')).toString(36).padStart(8, '0').slice(-8);
let counter = 0;

/** A short lower-case [a-z0-9] string unique across runs on one database (username-safe). */
function uniq(prefix = 'u') {
  counter += 1;
  return `${prefix}${RUN_TAG}${counter.toString(36)}`;
}

// ---------------------------------------------------------------------------------------------
// Accounts through the HTML forms

async function fill(page, form, name, value) {
  const field = await form.$(`[name="${name}"]`);
  if (!field) throw new Error(`${page.url()}: the form has no field named ${name}`);
  await field.evaluate((el) => {
    el.value = '';
  });
  await field.type(String(value));
}

async function submitForm(page, fieldName, values) {
  const form = await page.waitForSelector(`form:has([name="${fieldName}"])`);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) await fill(page, form, name, value);
  }
  const button = await form.$('button[type=submit]');
  if (!button) throw new Error(`${page.url()}: the form has no button[type=submit]`);
  return clickAndWait(page, button);
}

/**
 * Sign up through /auth/sign-up. Fields not given get unique values (a phone only when given).
 * Returns { name, username, email, password, phone, response } (response: the page after submit).
 */
async function signUp(page, fields = {}) {
  const u = fields.username || uniq('b');
  const values = {
    name: fields.name || `Browser ${u}`,
    username: u,
    email: fields.email || `${u}@example.com`,
    password: fields.password || 'correct-horse-42',
    phone: fields.phone,
  };
  await goto(page, '/auth/sign-up');
  const response = await submitForm(page, 'username', values);
  return { ...values, response };
}

/** Sign in through /auth/sign-in (NEXT: the return address); returns the response after submit. */
async function signIn(page, email, password, next) {
  await goto(page, next ? `/auth/sign-in?next=${encodeURIComponent(next)}` : '/auth/sign-in');
  return submitForm(page, 'password', { email, password });
}

// ---------------------------------------------------------------------------------------------
// The runner

/** Register a test; run() runs them in order. */
function test(name, fn) {
  tests.push({ name, fn });
}

function withTimeout(promise, ms, name) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Problems recorded on any page since the last test ended (a page may outlive a test).
function newProblems() {
  const out = [];
  for (const w of watched.values()) {
    out.push(...w.log.slice(w.seen));
    w.seen = w.log.length;
  }
  return out;
}

function oneLine(text) {
  return String(text).replace(/\s+/g, ' ').trim().slice(0, 2000);
}

/**
 * Run the registered tests in order: `ok - NAME`, or `not ok - NAME: why` when it threw or a page
 * recorded a problem. Closes every browser; the exit status is 1 when a test failed.
 */
async function run() {
  let failed = 0;
  for (const t of tests) {
    let why = null;
    try {
      await withTimeout(Promise.resolve().then(t.fn), TEST_TIMEOUT_MS, t.name);
    } catch (e) {
      why = e && e.stack && !(e instanceof assert.AssertionError) ? e.message : String(e && e.message ? e.message : e);
    }
    const seen = newProblems();
    if (seen.length > 0) why = (why ? why + '; ' : '') + 'page problems: ' + seen.join(' | ');
    if (why === null) {
      console.log(`ok - ${t.name}`);
    } else {
      failed += 1;
      console.log(`not ok - ${t.name}: ${oneLine(why)}`);
    }
  }
  await Promise.all(browsers.map((b) => b.close().catch(() => {})));
  process.exitCode = failed > 0 ? 1 : 0;
}

module.exports = {
  assert,
  BASE,
  VAR,
  launch,
  newPage,
  useSession,
  problems,
  clearProblems,
  goto,
  clickAndWait,
  shot,
  axe,
  axeText,
  assertAxe,
  url,
  api,
  trpc,
  apiUser,
  makeGig,
  checkout,
  emulator,
  emulatorEnv,
  uniq,
  signUp,
  signIn,
  test,
  run,
};
