// tests/integration/trpc/suite.mjs - integration tests of Khedma's tRPC endpoint (/api/trpc) driven
// by the real @trpc/client from npm: the seed-002 gig flow, public reads, error codes, the
// ownership matrix, concurrent publishes and batching. The client factory comes from a version
// directory (v10/client.mjs or v11/client.mjs, each with its own node_modules); this file only uses
// node:assert, fetch and what the factory hands over.
//
// Command line:  node suite.mjs v10|v11 none|superjson
//   (KHEDMA_TEST_URL: base URL of a running stack, default http://127.0.0.1:18080; the server's
//   KHEDMA_TRPC_TRANSFORMER must match the mode). Runs the suite once with httpBatchLink and once
//   with httpLink and prints `ok - <name>` / `not ok - <name>: <reason>` per test; exits 1 on any
//   failure. run.sh runs it for both versions and prints the summary line.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

const REQUEST_TIMEOUT_MS = 15000;
const TEST_TIMEOUT_MS = 45000;
const CUID_RE = /^c[a-z0-9]{24}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ERROR_CODES = {
  BAD_REQUEST: [-32600, 400],
  UNAUTHORIZED: [-32001, 401],
  FORBIDDEN: [-32003, 403],
  NOT_FOUND: [-32004, 404],
  METHOD_NOT_SUPPORTED: [-32005, 405],
  UNPROCESSABLE_CONTENT: [-32022, 422],
};
// How each procedure is called: mutate for mutations, query for queries.
const MUTATIONS = new Set([
  'gig.createDraft', 'gig.updateOverview', 'gig.createPackages', 'gig.udpateOffersMultiplePackages',
  'gig.updateDescriptionFaq', 'gig.updateGallery', 'gig.publish', 'gig.delete',
]);

// ---------------------------------------------------------------------------------------------
// Small helpers

// fetch with a time limit (Node 18 has no AbortSignal.any, so an outer signal is chained by hand).
function timedFetch(url, init = {}) {
  const ac = new AbortController();
  const timer = setTimeout(
    () => ac.abort(new Error(`no answer from ${String(url).slice(0, 120)} within ${REQUEST_TIMEOUT_MS} ms`)),
    REQUEST_TIMEOUT_MS,
  );
  const outer = init.signal;
  if (outer) {
    if (outer.aborted) ac.abort(outer.reason);
    else outer.addEventListener('abort', () => ac.abort(outer.reason), { once: true });
  }
  return fetch(url, { ...init, signal: ac.signal }).finally(() => clearTimeout(timer));
}

// Compact one-line rendering of a value for failure messages (Dates shown as Date(...)).
function show(value, max = 400) {
  let s;
  try {
    s = JSON.stringify(value, function (key, v) {
      const raw = this[key];
      return raw instanceof Date ? `Date(${Number.isNaN(raw.getTime()) ? 'invalid' : raw.toISOString()})` : v;
    });
  } catch {
    s = String(value);
  }
  if (s === undefined) s = 'undefined';
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, ' | ').slice(0, 900);
}

// First path where two values differ, or null (used to say what changed in a gig).
function firstDiff(a, b, path = '') {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime() ? null : path || '(root)';
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path || '(root)';
  if (Array.isArray(a) !== Array.isArray(b)) return path || '(root)';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDiff(a[k], b[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return null;
}

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? o : o[k]), obj);
}

// Every key anywhere in a value.
function allKeys(value, out = new Set()) {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      if (!Array.isArray(value)) out.add(k);
      allKeys(v, out);
    }
  }
  return out;
}

function sortedNames(list, key = 'name') {
  return list.map((x) => (typeof x === 'string' ? x : x[key])).sort();
}

function randomId(n) {
  let s = '';
  while (s.length < n) s += Math.random().toString(36).slice(2);
  return s.slice(0, n);
}

const fakeCuid = () => `c${randomId(24)}`;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class SkipDependency extends Error {}

// ---------------------------------------------------------------------------------------------
// The suite

/**
 * Runs every test once for one client version, link kind and transformer mode.
 * @param {object} o
 * @param {object} o.clientModule   v10/client.mjs or v11/client.mjs (makeClient, TRPCClientError, superjson, version)
 * @param {'none'|'superjson'} o.mode
 * @param {'batch'|'http'} o.link
 * @param {string} o.baseUrl        e.g. http://127.0.0.1:18080
 * @param {(line: string) => void} [o.print]
 * @returns {Promise<{passed: number, failed: number}>}
 */
export async function runSuite({ clientModule, mode, link, baseUrl, print = console.log }) {
  const { makeClient, TRPCClientError, superjson, version } = clientModule;
  const trpcUrl = `${baseUrl.replace(/\/$/, '')}/api/trpc`;
  const label = `trpc-${mode} ${version}/${link === 'batch' ? 'httpBatchLink' : 'httpLink'}`;
  const sj = mode === 'superjson';
  let passed = 0;
  let failed = 0;
  const state = {};

  // A client signed in with token (none when null); requests, when given, collects the URLs fetched.
  const client = (token, requests) =>
    makeClient({
      url: trpcUrl,
      link,
      transformer: mode,
      fetch: (url, init) => {
        if (requests) requests.push(`${init?.method || 'GET'} ${String(url)}`);
        return timedFetch(url, init);
      },
      headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
    });

  async function test(name, fn) {
    const full = `${label}: ${name}`;
    try {
      await withTimeout(Promise.resolve().then(fn), TEST_TIMEOUT_MS, name);
      print(`ok - ${full}`);
      passed++;
    } catch (err) {
      const reason = err instanceof SkipDependency ? err.message : describe(err);
      print(`not ok - ${full}: ${oneLine(reason)}`);
      failed++;
    }
  }

  // Throws unless every named piece of state was set up by an earlier test.
  function need(...keys) {
    const missing = keys.filter((k) => state[k] === undefined);
    if (missing.length) throw new SkipDependency(`not run: needs ${missing.join(', ')} from an earlier test that failed`);
  }

  function describe(err) {
    if (err instanceof TRPCClientError) {
      const d = err.data || {};
      const cause = err.cause ? ` (cause: ${err.cause.message || err.cause})` : '';
      return `${err.trpcPath || d.path || '?'}: unexpected TRPCClientError ${d.code ?? '(no data.code)'}/${d.httpStatus ?? '?'}: ${err.message}${cause}`;
    }
    if (err && err.name === 'AssertionError') return err.message;
    if (err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError) {
      return String(err.stack || err).split('\n').slice(0, 3).join(' ');
    }
    return (err && err.message) || String(err);
  }

  // Calls a procedure by its path; the error, if any, remembers the path.
  async function call(c, path, input) {
    const [ns, name] = path.split('.');
    const proc = c[ns][name];
    try {
      if (MUTATIONS.has(path)) return input === undefined ? await proc.mutate() : await proc.mutate(input);
      return input === undefined ? await proc.query() : await proc.query(input);
    } catch (err) {
      if (err && typeof err === 'object') err.trpcPath = path;
      throw err;
    }
  }

  // A call that must succeed.
  async function ok(c, path, input) {
    try {
      return await call(c, path, input);
    } catch (err) {
      throw new Error(`${path}(${show(input, 200)}) should succeed: ${describe(err)}`);
    }
  }

  // A call that must fail with a TRPCClientError of the given code (and matching httpStatus,
  // JSON-RPC code and data.path). Returns the error.
  async function fails(c, path, input, code) {
    let value;
    try {
      value = await call(c, path, input);
    } catch (err) {
      const where = `${path}(${show(input, 160)})`;
      assert.ok(err instanceof TRPCClientError, `${where}: expected a TRPCClientError ${code}, got ${describe(err)}`);
      const d = err.data;
      assert.ok(d && typeof d === 'object', `${where}: expected ${code}, error has no data: ${show(err.shape)} (${err.message})`);
      assert.equal(d.code, code, `${where}: expected ${code}, got ${d.code}/${d.httpStatus}: ${err.message}`);
      assert.equal(d.httpStatus, ERROR_CODES[code][1], `${where}: ${code} should have data.httpStatus ${ERROR_CODES[code][1]}, got ${d.httpStatus}`);
      assert.equal(err.shape?.code, ERROR_CODES[code][0], `${where}: ${code} should have error.code ${ERROR_CODES[code][0]}, got ${err.shape?.code}`);
      assert.equal(d.path, path, `${where}: data.path should be ${path}, got ${show(d.path)}`);
      assert.ok(typeof err.message === 'string' && err.message.length > 0, `${where}: empty error message`);
      return err;
    }
    assert.fail(`${path}(${show(input, 160)}): expected ${code}, got success: ${show(value)}`);
  }

  // BAD_REQUEST whose data.zodError.fieldErrors names the field (or a path under it).
  async function badInput(c, path, input, field) {
    const err = await fails(c, path, input, 'BAD_REQUEST');
    const z = err.data.zodError;
    const where = `${path} with bad ${field}`;
    assert.ok(z && typeof z === 'object', `${where}: data.zodError missing: ${show(err.data)}`);
    assert.ok(Array.isArray(z.formErrors), `${where}: zodError.formErrors should be an array: ${show(z)}`);
    assert.ok(z.fieldErrors && typeof z.fieldErrors === 'object', `${where}: zodError.fieldErrors missing: ${show(z)}`);
    const keys = Object.keys(z.fieldErrors).filter((k) => k === field || k.startsWith(`${field}.`) || k.startsWith(`${field}[`));
    assert.ok(keys.length > 0, `${where}: zodError.fieldErrors should name "${field}", got ${show(z.fieldErrors)}`);
    for (const k of keys) {
      const msgs = z.fieldErrors[k];
      assert.ok(Array.isArray(msgs) && msgs.length > 0 && msgs.every((m) => typeof m === 'string' && m.length > 0),
        `${where}: fieldErrors["${k}"] should be a non-empty array of messages, got ${show(msgs)}`);
    }
    return err;
  }

  function isDate(v, what) {
    if (sj) {
      assert.ok(v instanceof Date && !Number.isNaN(v.getTime()), `${what} should be a Date (superjson mode), got ${typeof v} ${show(v)}`);
    } else {
      assert.equal(typeof v, 'string', `${what} should be an ISO string (no transformer), got ${typeof v} ${show(v)}`);
      assert.match(v, ISO_RE, `${what} should be ISO-8601 UTC with milliseconds, got ${show(v)}`);
    }
  }

  const time = (v) => (v instanceof Date ? v.getTime() : Date.parse(v));

  function eq(actual, expected, what) {
    assert.deepStrictEqual(actual, expected, `${what}: expected ${show(expected)}, got ${show(actual)}`);
  }

  function isCuid(v, what) {
    assert.ok(typeof v === 'string' && CUID_RE.test(v), `${what} should be a CUID, got ${show(v)}`);
  }

  function noSecrets(value, what) {
    const keys = allKeys(value);
    for (const bad of ['email', 'password', 'passwordHash', 'phone', 'token']) {
      assert.ok(!keys.has(bad), `${what} must not carry "${bad}": ${show(value, 600)}`);
    }
    const text = show(value, Infinity);
    for (const u of [state.owner, state.other].filter(Boolean)) {
      assert.ok(!text.includes(u.email), `${what} leaks the email ${u.email}`);
      assert.ok(!text.includes(u.token), `${what} leaks a session token`);
    }
  }

  function checkGig(g, what) {
    assert.ok(g && typeof g === 'object', `${what}: expected a Gig object, got ${show(g)}`);
    for (const k of ['id', 'title', 'slug', 'description', 'isPaused', 'status', 'offersMultiplePackages', 'ownerId', 'categoryId', 'createdAt', 'updatedAt']) {
      assert.ok(k in g, `${what}: Gig lacks "${k}": ${show(g)}`);
    }
    isCuid(g.id, `${what}.id`);
    isDate(g.createdAt, `${what}.createdAt`);
    isDate(g.updatedAt, `${what}.updatedAt`);
  }

  function checkPackage(p, tier, expected, what) {
    assert.ok(p && typeof p === 'object', `${what}: ${tier} package missing`);
    isCuid(p.id, `${what}.${tier}.id`);
    eq(p.type, tier, `${what}.${tier}.type`);
    for (const k of ['name', 'description', 'price', 'delivery', 'revisions']) {
      eq(p[k], expected[k], `${what}.${tier}.${k}`);
    }
    isDate(p.createdAt, `${what}.${tier}.createdAt`);
    isDate(p.updatedAt, `${what}.${tier}.updatedAt`);
  }

  function checkAttachments(list, urls, type, what) {
    assert.ok(Array.isArray(list), `${what} should be an array, got ${show(list)}`);
    eq(list.map((a) => a.url).sort(), [...urls].sort(), `${what} urls`);
    for (const a of list) {
      isCuid(a.id, `${what}[].id`);
      eq(a.type, type, `${what}[].type`);
      eq(a.name, a.url.split('?')[0].split('/').pop(), `${what}[].name (last path segment of ${a.url})`);
    }
  }

  // Raw HTTP: the wire format as docs/api.md, "tRPC" writes it (the clients hide the status codes).
  const wrapInput = (v) => (sj ? { json: v } : v);
  const unwrapData = (v) => (sj && v && typeof v === 'object' && 'json' in v ? v.json : v);
  const unwrapError = (e) => (sj && e && typeof e === 'object' && 'json' in e ? e.json : e);

  async function raw(method, pathAndQuery, body) {
    const res = await timedFetch(`${trpcUrl}/${pathAndQuery}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      assert.fail(`${method} /api/trpc/${pathAndQuery.slice(0, 160)}: body is not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    return { status: res.status, json, text };
  }

  // Fixtures.
  const basicPkg = { name: 'Basic Website', description: 'Simple 3-page website', price: 500, delivery: 7, revisions: 2 };
  const standardPkg = { name: 'Standard Website', description: '5-page website with contact form', price: 1000, delivery: 14, revisions: 4 };
  const premiumPkg = { name: 'Premium Website', description: '10-page website with CMS integration', price: 2000, delivery: 21, revisions: 6 };
  const title = 'Je créerai un site Web élégant';
  const titleSlug = 'je-creerai-un-site-web-elegant';
  const desc1 = {
    time: 1700000000000,
    blocks: [{ id: 'p1', type: 'paragraph', data: { text: 'I will create a professional website...' } }],
    version: '2.28.2',
  };
  const desc2 = {
    time: 1700000500000,
    blocks: [
      { id: 'h1', type: 'header', data: { text: 'Ce que je fais', level: 2 } },
      { id: 'p2', type: 'paragraph', data: { text: 'Des sites <b>rapides</b> et "accessibles" — 100 % sur mesure.' } },
      { id: 'l1', type: 'list', data: { style: 'unordered', items: ['React', 'Next.js'] } },
    ],
    version: '2.28.2',
  };
  const faq1 = [
    { question: 'What do you need to get started?', answer: 'I need your brand guidelines and content.' },
    { question: 'Do you provide hosting?', answer: 'No, but I can recommend hosting providers.' },
  ];
  const faq2 = [{ question: 'Livrez-vous le code source ?', answer: 'Oui, tout le code est à vous.' }];
  const cdn = 'https://cdn.example.com/khedma/u1';
  const gallery1 = { images: [`${cdn}/img-1.jpg`, `${cdn}/img-2.png`], videos: [`${cdn}/intro.mp4`], documents: [`${cdn}/brief.pdf`] };
  const gallery2 = {
    images: [`${cdn}/cover.webp`, `${cdn}/img-1.jpg`],
    videos: [`${cdn}/demo.mp4`],
    documents: [`http://files.example.com/docs/terms.pdf`, `${cdn}/price-list.pdf`],
  };

  async function signup(tag) {
    const username = `t${tag}${randomId(10)}`.toLowerCase().slice(0, 30);
    const body = {
      name: `Trpc ${tag} Tester`,
      email: `${username}@example.com`,
      username,
      password: 'correct horse battery staple',
      phone: '+212612345678',
    };
    const res = await timedFetch(`${baseUrl}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 201, `POST /api/auth/signup should answer 201, got ${res.status}: ${text.slice(0, 300)}`);
    const json = JSON.parse(text);
    const token = json?.data?.token;
    const user = json?.data?.user;
    assert.ok(typeof token === 'string' && token.length > 0, `signup: no data.token in ${text.slice(0, 300)}`);
    assert.ok(user && typeof user.id === 'string', `signup: no data.user.id in ${text.slice(0, 300)}`);
    return { ...body, token, user, id: user.id, c: client(token) };
  }

  // A complete draft (title, category, basic package), ready to publish.
  async function makeReadyDraft(owner, gigTitle, withPackages = true) {
    const d = await ok(owner.c, 'gig.createDraft');
    await ok(owner.c, 'gig.updateOverview', {
      id: d.id, title: gigTitle, category: state.catA.slug, subCategory: state.subA.slug, tags: [{ id: 't', text: 'logo' }],
    });
    if (withPackages) await ok(owner.c, 'gig.createPackages', { gigId: d.id, basic: basicPkg });
    return d.id;
  }

  const anon = client(null);

  // The public-read cache in nginx (docs/deploy.md) may answer an anonymous read with a copy up to
  // KHEDMA_PUBLIC_CACHE_S (default 1) seconds old, so what the public must see after a write is
  // checked again until that bound plus one second has passed, never longer.
  const publicStaleMs = (Number(process.env.KHEDMA_PUBLIC_CACHE_S || 1) + 1) * 1000;
  async function withinPublicStaleness(check) {
    const deadline = Date.now() + publicStaleMs;
    for (;;) {
      try {
        return await check();
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  // ------------------------------------------------------------------------------ preflight
  await test(`server speaks the ${mode} wire format (raw GET category.list)`, async () => {
    // what the clients send for a procedure without input
    const input = sj ? `?input=${encodeURIComponent('{}')}` : '';
    const r = await raw('GET', `category.list${input}`);
    assert.equal(r.status, 200, `GET category.list: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    const data = r.json?.result?.data;
    if (sj) {
      assert.ok(data && typeof data === 'object' && Array.isArray(data.json),
        `superjson mode: result.data should be {json: [...], meta?}, got ${show(data, 200)} (is the server running with KHEDMA_TRPC_TRANSFORMER=superjson?)`);
    } else {
      assert.ok(Array.isArray(data),
        `no transformer: result.data should be the array itself, got ${show(data, 200)} (is the server running with KHEDMA_TRPC_TRANSFORMER=none?)`);
    }
  });

  await test('setup: sign up two users over REST', async () => {
    const [owner, other] = await Promise.all([signup('own'), signup('oth')]);
    state.owner = owner;
    state.other = other;
  });

  // ------------------------------------------------------------------------------ categories
  await test('category.list: top-level categories with their subCategories (public)', async () => {
    const cats = await ok(anon, 'category.list');
    assert.ok(Array.isArray(cats) && cats.length > 0, `category.list should be a non-empty array, got ${show(cats)}`);
    for (const c of cats) {
      isCuidOrId(c.id, 'category.id');
      assert.ok(typeof c.name === 'string' && c.name.length > 0, `category.name: ${show(c)}`);
      assert.match(String(c.slug), /^[a-z0-9]+(-[a-z0-9]+)*$/, `category.slug: ${show(c)}`);
      eq(c.parentId, null, `top-level category ${c.slug} parentId`);
      assert.ok(Array.isArray(c.subCategories), `category ${c.slug}: subCategories should be an array, got ${show(c.subCategories)}`);
      for (const s of c.subCategories) {
        isCuidOrId(s.id, 'subCategory.id');
        assert.ok(typeof s.name === 'string' && s.name.length > 0, `subCategory.name: ${show(s)}`);
        assert.match(String(s.slug), /^[a-z0-9]+(-[a-z0-9]+)*$/, `subCategory.slug: ${show(s)}`);
        eq(s.parentId, c.id, `subCategory ${s.slug} parentId`);
      }
    }
    const withSubs = cats.filter((c) => c.subCategories.length > 0);
    assert.ok(withSubs.length > 0, 'no category has subcategories: the seeded categories are missing');
    state.catA = withSubs[0];
    state.subA = withSubs[0].subCategories[0];
    state.catB = withSubs[1] || withSubs[0];
    state.subB = withSubs[1] ? withSubs[1].subCategories[0] : withSubs[0].subCategories.at(-1);
  });

  function isCuidOrId(v, what) {
    assert.ok(typeof v === 'string' && v.length > 0, `${what} should be a non-empty string id, got ${show(v)}`);
  }

  // ------------------------------------------------------------------------------ the seed-002 flow
  await test('createDraft without a session -> UNAUTHORIZED', async () => {
    await fails(anon, 'gig.createDraft', undefined, 'UNAUTHORIZED');
  });

  await test('flow: createDraft -> status draft, null title/slug/description/categoryId', async () => {
    need('owner');
    const g = await ok(state.owner.c, 'gig.createDraft');
    checkGig(g, 'createDraft');
    eq(g.status, 'draft', 'createDraft.status');
    eq(g.title, null, 'createDraft.title');
    eq(g.slug, null, 'createDraft.slug');
    eq(g.description, null, 'createDraft.description');
    eq(g.categoryId, null, 'createDraft.categoryId');
    eq(g.ownerId, state.owner.id, 'createDraft.ownerId');
    state.gig = g;
  });

  await test('flow: updateOverview by slugs -> title trimmed, tags deduped case-insensitively (first spelling kept)', async () => {
    need('gig', 'catA');
    const g = await ok(state.owner.c, 'gig.updateOverview', {
      id: state.gig.id,
      title: `   ${title}  `,
      category: state.catA.slug,
      subCategory: state.subA.slug,
      tags: [
        { id: 'tag1', text: 'React' },
        { id: 'tag2', text: 'react' },
        { id: 'tag3', text: ' NextJS ' },
        { id: 'tag4', text: 'REACT' },
        { id: 'tag5', text: 'nextjs' },
        { id: 'tag6', text: 'Tailwind' },
      ],
    });
    checkGig(g, 'updateOverview');
    eq(g.id, state.gig.id, 'updateOverview.id');
    eq(g.title, title, 'updateOverview.title (trimmed)');
    eq(g.categoryId, state.subA.id, 'updateOverview.categoryId (the subcategory connected)');
    eq(g.status, 'draft', 'updateOverview.status');
    const full = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    eq(sortedNames(full.tags || []), ['NextJS', 'React', 'Tailwind'], 'getGigById.tags names after updateOverview');
    eq(full.category?.id, state.subA.id, 'getGigById.category.id');
    eq(full.category?.parentId, state.catA.id, 'getGigById.category.parentId');
  });

  await test('flow: updateOverview by ids -> category and tags replaced (6 tags, 5 distinct, accepted)', async () => {
    need('gig', 'catB');
    const g = await ok(state.owner.c, 'gig.updateOverview', {
      id: state.gig.id,
      title,
      category: state.catB.id,
      subCategory: state.subB.id,
      tags: ['Web', 'web ', 'SEO', 'Design', 'Figma', 'UX'].map((text, i) => ({ id: `t${i}`, text })),
    });
    eq(g.categoryId, state.subB.id, 'updateOverview.categoryId');
    eq(g.title, title, 'updateOverview.title');
    const full = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    eq(sortedNames(full.tags || []), ['Design', 'Figma', 'SEO', 'UX', 'Web'], 'getGigById.tags after the second updateOverview (replaced)');
    eq(full.category?.id, state.subB.id, 'getGigById.category.id');
    eq(full.category?.slug, state.subB.slug, 'getGigById.category.slug');
    eq(full.category?.parentId, state.catB.id, 'getGigById.category.parentId');
    state.overviewDone = true;
  });

  await test('updateOverview: subCategory not a child of category -> BAD_REQUEST', async () => {
    need('gig', 'catA');
    // a subcategory of some other top-level category, or a top-level category used as subCategory
    const foreignSub = state.catB.id !== state.catA.id ? state.subB : state.catA;
    await fails(state.owner.c, 'gig.updateOverview', {
      id: state.gig.id, title, category: state.catA.slug, subCategory: foreignSub.slug, tags: [{ id: 'a', text: 'x1' }],
    }, 'BAD_REQUEST');
  });

  await test('updateOverview: bad input -> BAD_REQUEST with zodError.fieldErrors, gig unchanged', async () => {
    need('gig', 'overviewDone');
    const before = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    const base = { id: state.gig.id, title, category: state.catA.slug, subCategory: state.subA.slug, tags: [{ id: 'a', text: 'ok' }] };
    await badInput(state.owner.c, 'gig.updateOverview', { ...base, title: 'x'.repeat(81) }, 'title');
    await badInput(state.owner.c, 'gig.updateOverview', { ...base, title: '   ' }, 'title');
    await badInput(state.owner.c, 'gig.updateOverview',
      { ...base, tags: ['one', 'two', 'three', 'four', 'five', 'six'].map((text, i) => ({ id: `${i}`, text })) }, 'tags');
    await badInput(state.owner.c, 'gig.updateOverview', { ...base, tags: [{ id: 'long', text: 'y'.repeat(31) }] }, 'tags');
    const after = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    const d = firstDiff(before, after);
    assert.equal(d, null, `gig changed by rejected updateOverview calls at ${d}: before ${show(getPath(before, d || ''))}, after ${show(getPath(after, d || ''))}`);
  });

  await test('updateOverview: title of 80 characters (plus spaces) is accepted and stored trimmed', async () => {
    need('owner', 'catA');
    const d = await ok(state.owner.c, 'gig.createDraft');
    const t80 = 'T'.repeat(79) + 'z';
    const g = await ok(state.owner.c, 'gig.updateOverview', {
      id: d.id, title: `  ${t80} `, category: state.catA.id, subCategory: state.subA.slug, tags: [{ id: 'a', text: 'x' }],
    });
    eq(g.title, t80, 'updateOverview.title');
  });

  await test('flow: createPackages basic+standard+premium; calling again updates the same ids', async () => {
    need('gig');
    const r1 = await ok(state.owner.c, 'gig.createPackages', { gigId: state.gig.id, basic: basicPkg, standard: standardPkg, premium: premiumPkg });
    checkPackage(r1.basic, 'basic', basicPkg, 'createPackages#1');
    checkPackage(r1.standard, 'standard', standardPkg, 'createPackages#1');
    checkPackage(r1.premium, 'premium', premiumPkg, 'createPackages#1');
    for (const t of ['basic', 'standard', 'premium']) eq(r1[t].gigId, state.gig.id, `createPackages#1.${t}.gigId`);
    const basic2 = { ...basicPkg, price: 600, revisions: 3 };
    const standard2 = { ...standardPkg, name: 'Standard Site', description: 'Five pages and a form' };
    const r2 = await ok(state.owner.c, 'gig.createPackages', { gigId: state.gig.id, basic: basic2, standard: standard2, premium: premiumPkg });
    checkPackage(r2.basic, 'basic', basic2, 'createPackages#2');
    checkPackage(r2.standard, 'standard', standard2, 'createPackages#2');
    checkPackage(r2.premium, 'premium', premiumPkg, 'createPackages#2');
    for (const t of ['basic', 'standard', 'premium']) eq(r2[t].id, r1[t].id, `createPackages#2.${t}.id (same row as the first call)`);
    const full = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    eq(full.packages?.basic?.id, r1.basic.id, 'getGigById.packages.basic.id');
    eq(full.packages?.basic?.price, 600, 'getGigById.packages.basic.price');
    state.packages = { basic: basic2, standard: standard2, premium: premiumPkg, ids: { basic: r1.basic.id, standard: r1.standard.id, premium: r1.premium.id } };
  });

  await test('publish: untitled draft -> UNPROCESSABLE_CONTENT', async () => {
    need('owner');
    const d = await ok(state.owner.c, 'gig.createDraft');
    state.scratch = d.id;
    await fails(state.owner.c, 'gig.publish', { id: d.id }, 'UNPROCESSABLE_CONTENT');
  });

  await test('publish: titled draft without a basic package -> UNPROCESSABLE_CONTENT, still a draft', async () => {
    need('scratch', 'catA');
    await ok(state.owner.c, 'gig.updateOverview', {
      id: state.scratch, title: 'Scratch gig for rules', category: state.catA.slug, subCategory: state.subA.slug, tags: [{ id: 'a', text: 'misc' }],
    });
    await fails(state.owner.c, 'gig.publish', { id: state.scratch }, 'UNPROCESSABLE_CONTENT');
    const full = await ok(state.owner.c, 'gig.getGigById', { id: state.scratch });
    eq(full.status, 'draft', 'status after the refused publish');
    eq(full.slug, null, 'slug after the refused publish');
  });

  await test('createPackages: incomplete standard tier is ignored', async () => {
    need('scratch');
    const r = await ok(state.owner.c, 'gig.createPackages', { gigId: state.scratch, basic: basicPkg, standard: { name: 'Only a name' } });
    checkPackage(r.basic, 'basic', basicPkg, 'createPackages');
    assert.ok(r.standard == null, `createPackages.standard should be absent for an incomplete tier, got ${show(r.standard)}`);
    const full = await ok(state.owner.c, 'gig.getGigById', { id: state.scratch });
    assert.ok(full.packages?.standard == null, `getGigById.packages.standard should be absent, got ${show(full.packages?.standard)}`);
    state.scratchBasicId = r.basic.id;
  });

  await test('createPackages: bad values -> BAD_REQUEST with fieldErrors, nothing written', async () => {
    need('scratch', 'scratchBasicId');
    const c = state.owner.c;
    const gigId = state.scratch;
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, price: 9 } }, 'basic');
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, price: 10.5 } }, 'basic');
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, name: 'Tiny' } }, 'basic');
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, description: 'x'.repeat(101) } }, 'basic');
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, revisions: 0 } }, 'basic');
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, delivery: 0 } }, 'basic');
    // a complete premium with a bad value: the valid basic change must not be written either
    await badInput(c, 'gig.createPackages', { gigId, basic: { ...basicPkg, price: 700 }, premium: { ...premiumPkg, price: 9 } }, 'premium');
    await badInput(c, 'gig.createPackages', { gigId, basic: basicPkg, standard: { ...standardPkg, name: 'S'.repeat(21) } }, 'standard');
    const full = await ok(c, 'gig.getGigById', { id: gigId });
    eq(full.packages?.basic?.price, basicPkg.price, 'basic price after the rejected calls');
    eq(full.packages?.basic?.id, state.scratchBasicId, 'basic id after the rejected calls');
    assert.ok(full.packages?.premium == null, `premium written by a rejected call: ${show(full.packages?.premium)}`);
    assert.ok(full.packages?.standard == null, `standard written by a rejected call: ${show(full.packages?.standard)}`);
  });

  await test('flow: udpateOffersMultiplePackages + doesOffersMultiplePackages', async () => {
    need('gig');
    const c = state.owner.c;
    const id = state.gig.id;
    let g = await ok(c, 'gig.udpateOffersMultiplePackages', { id, value: true });
    checkGig(g, 'udpateOffersMultiplePackages');
    eq(g.offersMultiplePackages, true, 'udpateOffersMultiplePackages(true).offersMultiplePackages');
    eq(await ok(c, 'gig.doesOffersMultiplePackages', { id }), true, 'doesOffersMultiplePackages after true');
    g = await ok(c, 'gig.udpateOffersMultiplePackages', { id, value: false });
    eq(g.offersMultiplePackages, false, 'udpateOffersMultiplePackages(false).offersMultiplePackages');
    eq(await ok(c, 'gig.doesOffersMultiplePackages', { id }), false, 'doesOffersMultiplePackages after false');
    g = await ok(c, 'gig.udpateOffersMultiplePackages', { id, value: true });
    eq(await ok(c, 'gig.doesOffersMultiplePackages', { id }), true, 'doesOffersMultiplePackages after true again');
    state.multiple = true;
  });

  await test('flow: updateDescriptionFaq (EditorJS object) -> {success, description, faq: count}; replaces', async () => {
    need('gig');
    const c = state.owner.c;
    const r1 = await ok(c, 'gig.updateDescriptionFaq', { id: state.gig.id, description: desc1, faq: faq1 });
    eq(r1.success, true, 'updateDescriptionFaq#1.success');
    eq(r1.description, desc1, 'updateDescriptionFaq#1.description');
    eq(r1.faq, 2, 'updateDescriptionFaq#1.faq (count)');
    const r2 = await ok(c, 'gig.updateDescriptionFaq', { id: state.gig.id, description: desc2, faq: faq2 });
    eq(r2.success, true, 'updateDescriptionFaq#2.success');
    eq(r2.description, desc2, 'updateDescriptionFaq#2.description');
    eq(r2.faq, 1, 'updateDescriptionFaq#2.faq (count)');
    const full = await ok(c, 'gig.getGigById', { id: state.gig.id });
    eq(full.description, desc2, 'getGigById.description');
    eq((full.faqs || []).map(({ question, answer }) => ({ question, answer })), faq2, 'getGigById.faqs (replaced)');
    state.descDone = true;
  });

  await test('flow: updateGallery images+videos+documents -> {success, images:[Attachment]}; replaces', async () => {
    need('gig');
    const c = state.owner.c;
    const r1 = await ok(c, 'gig.updateGallery', { id: state.gig.id, ...gallery1 });
    eq(r1.success, true, 'updateGallery#1.success');
    checkAttachments(r1.images, gallery1.images, 'image', 'updateGallery#1.images');
    const r2 = await ok(c, 'gig.updateGallery', { id: state.gig.id, ...gallery2 });
    eq(r2.success, true, 'updateGallery#2.success');
    checkAttachments(r2.images, gallery2.images, 'image', 'updateGallery#2.images');
    const full = await ok(c, 'gig.getGigById', { id: state.gig.id });
    checkAttachments(full.attachments?.images, gallery2.images, 'image', 'getGigById.attachments.images');
    checkAttachments(full.attachments?.videos, gallery2.videos, 'video', 'getGigById.attachments.videos');
    checkAttachments(full.attachments?.documents, gallery2.documents, 'document', 'getGigById.attachments.documents');
    state.galleryDone = true;
  });

  await test('updateGallery: bad URLs / no images -> BAD_REQUEST with fieldErrors, gallery unchanged', async () => {
    need('gig', 'galleryDone');
    const c = state.owner.c;
    const id = state.gig.id;
    await badInput(c, 'gig.updateGallery', { id, images: [] }, 'images');
    await badInput(c, 'gig.updateGallery', { id, images: ['ftp://files.example.com/a.jpg'] }, 'images');
    await badInput(c, 'gig.updateGallery', { id, images: ['javascript:alert(1)'] }, 'images');
    await badInput(c, 'gig.updateGallery', { id, images: [`${cdn}/ok.jpg`], videos: ['not a url'] }, 'videos');
    await badInput(c, 'gig.updateGallery', { id, images: [`${cdn}/ok.jpg`], documents: ['file:///etc/passwd'] }, 'documents');
    const full = await ok(c, 'gig.getGigById', { id });
    checkAttachments(full.attachments?.images, gallery2.images, 'image', 'getGigById.attachments.images after rejected calls');
    checkAttachments(full.attachments?.documents, gallery2.documents, 'document', 'getGigById.attachments.documents after rejected calls');
  });

  await test('flow: publish -> {id, slug (transliterated title), owner:{name, username}}', async () => {
    need('gig', 'overviewDone', 'packages');
    const r = await ok(state.owner.c, 'gig.publish', { id: state.gig.id });
    eq(r.id, state.gig.id, 'publish.id');
    eq(r.slug, titleSlug, `publish.slug for "${title}"`);
    eq(r.owner?.name, state.owner.name, 'publish.owner.name');
    eq(r.owner?.username, state.owner.username, 'publish.owner.username');
    noSecrets(r, 'publish output');
    state.published = r;
  });

  // ------------------------------------------------------------------------------ reads
  await test('getGigDetails({username, slug}) public: full details, rating null, no email, createdAt typed per mode', async () => {
    need('published', 'descDone', 'galleryDone', 'multiple');
    const d = await ok(anon, 'gig.getGigDetails', { username: state.owner.username, slug: titleSlug });
    eq(d.id, state.gig.id, 'getGigDetails.id');
    eq(d.title, title, 'getGigDetails.title');
    eq(d.slug, titleSlug, 'getGigDetails.slug');
    eq(d.status, 'published', 'getGigDetails.status');
    eq(d.description, desc2, 'getGigDetails.description');
    eq(d.offersMultiplePackages, true, 'getGigDetails.offersMultiplePackages');
    isDate(d.createdAt, 'getGigDetails.createdAt');
    const o = d.owner || {};
    eq(o.id, state.owner.id, 'getGigDetails.owner.id');
    eq(o.name, state.owner.name, 'getGigDetails.owner.name');
    eq(o.username, state.owner.username, 'getGigDetails.owner.username');
    assert.ok('image' in o, `getGigDetails.owner should carry "image": ${show(o)}`);
    eq(o.rating, null, 'getGigDetails.owner.rating (no reviews)');
    eq(o.numberOfReviews, 0, 'getGigDetails.owner.numberOfReviews');
    eq(o.vip, false, 'getGigDetails.owner.vip (no subscription)');
    eq(d.category?.id, state.subB.id, 'getGigDetails.category.id');
    eq(d.category?.slug, state.subB.slug, 'getGigDetails.category.slug');
    eq(d.category?.name, state.subB.name, 'getGigDetails.category.name');
    eq(d.category?.parentId, state.catB.id, 'getGigDetails.category.parentId');
    eq(sortedNames(d.tags || []), ['Design', 'Figma', 'SEO', 'UX', 'Web'], 'getGigDetails.tags');
    for (const t of d.tags || []) assert.ok(typeof t.id === 'string' && t.id.length > 0, `tag without id: ${show(t)}`);
    for (const t of ['basic', 'standard', 'premium']) {
      checkPackage(d.packages?.[t], t, state.packages[t], 'getGigDetails.packages');
      eq(d.packages[t].id, state.packages.ids[t], `getGigDetails.packages.${t}.id`);
    }
    eq((d.faqs || []).map(({ question, answer }) => ({ question, answer })), faq2, 'getGigDetails.faqs');
    checkAttachments(d.attachments?.images, gallery2.images, 'image', 'getGigDetails.attachments.images');
    checkAttachments(d.attachments?.videos, gallery2.videos, 'video', 'getGigDetails.attachments.videos');
    checkAttachments(d.attachments?.documents, gallery2.documents, 'document', 'getGigDetails.attachments.documents');
    noSecrets(d, 'getGigDetails output');
  });

  await test('getUserGigsByUsername (public): published GigSummary only, no drafts', async () => {
    need('published', 'scratch');
    const list = await ok(anon, 'gig.getUserGigsByUsername', { username: state.owner.username });
    assert.ok(Array.isArray(list), `expected an array, got ${show(list)}`);
    const mine = list.find((g) => g.id === state.gig.id);
    assert.ok(mine, `the published gig ${state.gig.id} is missing from ${show(list.map((g) => g.id))}`);
    assert.ok(!list.some((g) => g.id === state.scratch), 'a draft is listed publicly');
    for (const g of list) eq(g.status, 'published', `getUserGigsByUsername[${g.id}].status`);
    eq(mine.title, title, 'summary.title');
    eq(mine.slug, titleSlug, 'summary.slug');
    eq(mine.category?.id, state.subB.id, 'summary.category.id');
    eq(mine.category?.name, state.subB.name, 'summary.category.name');
    eq(mine.category?.parentId, state.catB.id, 'summary.category.parentId');
    eq(mine.owner?.name, state.owner.name, 'summary.owner.name');
    eq(mine.owner?.username, state.owner.username, 'summary.owner.username');
    eq(mine.offersMultiplePackages, true, 'summary.offersMultiplePackages');
    isDate(mine.createdAt, 'summary.createdAt');
    assert.ok(mine.attachaments && typeof mine.attachaments === 'object', `summary.attachaments (seed spelling) missing: ${show(mine)}`);
    checkAttachments(mine.attachaments.images, gallery2.images, 'image', 'summary.attachaments.images');
    checkAttachments(mine.attachaments.videos, gallery2.videos, 'video', 'summary.attachaments.videos');
    checkAttachments(mine.attachaments.documents, gallery2.documents, 'document', 'summary.attachaments.documents');
    for (const t of ['basic', 'standard', 'premium']) {
      const p = mine.packages?.[t];
      assert.ok(p, `summary.packages.${t} missing: ${show(mine.packages)}`);
      eq(p.id, state.packages.ids[t], `summary.packages.${t}.id`);
      eq(p.name, state.packages[t].name, `summary.packages.${t}.name`);
      eq(p.price, state.packages[t].price, `summary.packages.${t}.price`);
      eq(p.type, t, `summary.packages.${t}.type`);
    }
    noSecrets(list, 'getUserGigsByUsername output');
  });

  await test('getGigPackages / getDescriptionFaq / getGigGallery (public, no session)', async () => {
    need('published');
    const id = state.gig.id;
    const p = await ok(anon, 'gig.getGigPackages', { id });
    for (const t of ['basic', 'standard', 'premium']) {
      checkPackage(p[t], t, state.packages[t], 'getGigPackages');
      eq(p[t].id, state.packages.ids[t], `getGigPackages.${t}.id`);
    }
    const df = await ok(anon, 'gig.getDescriptionFaq', { id });
    eq(df.description, desc2, 'getDescriptionFaq.description');
    eq((df.faq || []).map(({ question, answer }) => ({ question, answer })), faq2, 'getDescriptionFaq.faq');
    const gal = await ok(anon, 'gig.getGigGallery', { id });
    eq([...(gal.images || [])].sort(), [...gallery2.images].sort(), 'getGigGallery.images');
    eq([...(gal.videos || [])].sort(), [...gallery2.videos].sort(), 'getGigGallery.videos');
    eq([...(gal.documents || [])].sort(), [...gallery2.documents].sort(), 'getGigGallery.documents');
  });

  await test('getUserGigs: owner sees own drafts (newest first); another user does not; no session -> UNAUTHORIZED', async () => {
    need('published', 'scratch', 'other');
    const mine = await ok(state.owner.c, 'gig.getUserGigs', { id: state.owner.id });
    assert.ok(Array.isArray(mine), `expected an array, got ${show(mine)}`);
    const ids = mine.map((g) => g.id);
    assert.ok(ids.includes(state.gig.id), `owner's list lacks the published gig: ${show(ids)}`);
    assert.ok(ids.includes(state.scratch), `owner's list lacks the draft ${state.scratch}: ${show(ids)}`);
    eq(mine.find((g) => g.id === state.scratch).status, 'draft', 'owner getUserGigs: draft status');
    for (const g of mine) isDate(g.createdAt, 'getUserGigs[].createdAt');
    for (let i = 1; i < mine.length; i++) {
      assert.ok(time(mine[i - 1].createdAt) >= time(mine[i].createdAt),
        `getUserGigs not newest first at ${i}: ${show(mine[i - 1].createdAt)} before ${show(mine[i].createdAt)}`);
    }
    const theirs = await ok(state.other.c, 'gig.getUserGigs', { id: state.owner.id });
    const tids = theirs.map((g) => g.id);
    assert.ok(tids.includes(state.gig.id), `another user's view lacks the published gig: ${show(tids)}`);
    assert.ok(!tids.includes(state.scratch), 'another user sees the owner\'s draft');
    for (const g of theirs) eq(g.status, 'published', `another user's view of getUserGigs[${g.id}].status`);
    noSecrets(theirs, 'getUserGigs seen by another user');
    await fails(anon, 'gig.getUserGigs', { id: state.owner.id }, 'UNAUTHORIZED');
  });

  await test('getGigById: owner only (another user NOT_FOUND, no session UNAUTHORIZED)', async () => {
    need('published', 'other');
    const g = await ok(state.owner.c, 'gig.getGigById', { id: state.gig.id });
    eq(g.id, state.gig.id, 'getGigById.id');
    eq(g.slug, titleSlug, 'getGigById.slug');
    eq(g.status, 'published', 'getGigById.status');
    isDate(g.createdAt, 'getGigById.createdAt');
    await fails(state.other.c, 'gig.getGigById', { id: state.gig.id }, 'NOT_FOUND');
    await fails(anon, 'gig.getGigById', { id: state.gig.id }, 'UNAUTHORIZED');
  });

  // ------------------------------------------------------------------------------ errors
  await test('unknown gig -> NOT_FOUND (public reads and owner calls)', async () => {
    need('owner', 'catA');
    const id = fakeCuid();
    const c = state.owner.c;
    await fails(anon, 'gig.getGigDetails', { username: state.owner.username, slug: 'no-such-gig' }, 'NOT_FOUND');
    await fails(anon, 'gig.getGigDetails', { username: `nobody${randomId(8)}`, slug: titleSlug }, 'NOT_FOUND');
    await fails(anon, 'gig.getGigPackages', { id }, 'NOT_FOUND');
    await fails(c, 'gig.getGigById', { id }, 'NOT_FOUND');
    await fails(c, 'gig.doesOffersMultiplePackages', { id }, 'NOT_FOUND');
    await fails(c, 'gig.updateOverview', { id, title: 'Ghost', category: state.catA.slug, subCategory: state.subA.slug, tags: [{ id: 'a', text: 'x' }] }, 'NOT_FOUND');
    await fails(c, 'gig.createPackages', { gigId: id, basic: basicPkg }, 'NOT_FOUND');
    await fails(c, 'gig.publish', { id }, 'NOT_FOUND');
    await fails(c, 'gig.delete', { id }, 'NOT_FOUND');
  });

  await test('unknown procedure -> NOT_FOUND', async () => {
    await fails(anon, 'gig.noSuchProcedure', { id: fakeCuid() }, 'NOT_FOUND');
  });

  // ------------------------------------------------------------------------------ ownership matrix
  await test('ownership: set up a complete draft of the owner (title, packages, FAQ, gallery)', async () => {
    need('owner', 'catA');
    const id = await makeReadyDraft(state.owner, 'Victim gig of the ownership matrix');
    await ok(state.owner.c, 'gig.updateDescriptionFaq', { id, description: desc1, faq: faq1 });
    await ok(state.owner.c, 'gig.updateGallery', { id, ...gallery1 });
    state.victim = id;
    state.victimBefore = await ok(state.owner.c, 'gig.getGigById', { id });
  });

  const foreignCalls = () => {
    const id = state.victim;
    return [
      ['gig.updateOverview', { id, title: 'Hijacked title', category: state.catA.slug, subCategory: state.subA.slug, tags: [{ id: 'h', text: 'hijack' }] }, 'NOT_FOUND'],
      ['gig.createPackages', { gigId: id, basic: { name: 'Hijack basic', description: 'Hijacked package', price: 10, delivery: 1, revisions: 1 } }, 'NOT_FOUND'],
      ['gig.udpateOffersMultiplePackages', { id, value: !state.victimBefore.offersMultiplePackages }, 'NOT_FOUND'],
      ['gig.updateDescriptionFaq', { id, description: { blocks: [{ type: 'paragraph', data: { text: 'hijacked' } }] }, faq: [{ question: 'Hijacked?', answer: 'Yes.' }] }, 'UNAUTHORIZED'],
      ['gig.updateGallery', { id, images: ['https://evil.example.com/x.jpg'], videos: [], documents: [] }, 'UNAUTHORIZED'],
      ['gig.publish', { id }, 'NOT_FOUND'],
      ['gig.delete', { id }, 'NOT_FOUND'],
      ['gig.doesOffersMultiplePackages', { id }, 'NOT_FOUND'],
      ['gig.getGigById', { id }, 'NOT_FOUND'],
    ];
  };

  async function assertVictimUnchanged(after) {
    const now = await ok(state.owner.c, 'gig.getGigById', { id: state.victim });
    const d = firstDiff(state.victimBefore, now);
    assert.equal(d, null, `the gig changed after ${after}, at ${d}: before ${show(getPath(state.victimBefore, d || ''))}, after ${show(getPath(now, d || ''))}`);
  }

  const FOREIGN_CODES = [
    ['gig.updateOverview', 'NOT_FOUND'], ['gig.createPackages', 'NOT_FOUND'], ['gig.udpateOffersMultiplePackages', 'NOT_FOUND'],
    ['gig.updateDescriptionFaq', 'UNAUTHORIZED'], ['gig.updateGallery', 'UNAUTHORIZED'], ['gig.publish', 'NOT_FOUND'],
    ['gig.delete', 'NOT_FOUND'], ['gig.doesOffersMultiplePackages', 'NOT_FOUND'], ['gig.getGigById', 'NOT_FOUND'],
  ];
  for (const [path, code] of FOREIGN_CODES) {
    await test(`ownership: ${path} by another signed-in user -> ${code}, gig unchanged`, async () => {
      need('victim', 'other');
      const [, input, expected] = foreignCalls().find(([p]) => p === path);
      assert.equal(expected, code);
      await fails(state.other.c, path, input, code);
      await assertVictimUnchanged(`${path} by another user`);
    });
  }

  await test('ownership: every gig mutation and owner query without a session -> UNAUTHORIZED, gig unchanged', async () => {
    need('victim');
    for (const [path, input] of foreignCalls()) {
      await fails(anon, path, input, 'UNAUTHORIZED');
    }
    await assertVictimUnchanged('the calls without a session');
  });

  // ------------------------------------------------------------------------------ slugs and races
  await test('publish: two same-titled gigs published concurrently get distinct slugs (base and base-xxxxx)', async () => {
    need('owner', 'catA');
    const t = 'Logo design express';
    const base = 'logo-design-express';
    const [a, b] = await Promise.all([makeReadyDraft(state.owner, t), makeReadyDraft(state.owner, t)]);
    // two clients, so that even httpBatchLink sends two HTTP requests that race
    const c1 = client(state.owner.token);
    const c2 = client(state.owner.token);
    const [ra, rb] = await Promise.all([ok(c1, 'gig.publish', { id: a }), ok(c2, 'gig.publish', { id: b })]);
    assert.notEqual(ra.slug, rb.slug, `both publishes got the slug ${ra.slug}`);
    const slugs = [ra.slug, rb.slug].sort((x, y) => x.length - y.length);
    eq(slugs[0], base, 'the first slug');
    assert.match(slugs[1], new RegExp(`^${base}-[a-z0-9]{5}$`), `the second slug should be ${base}-<5 of [a-z0-9]>, got ${slugs[1]}`);
    for (const [id, slug] of [[a, ra.slug], [b, rb.slug]]) {
      const d = await ok(anon, 'gig.getGigDetails', { username: state.owner.username, slug });
      eq(d.id, id, `getGigDetails(${slug}).id`);
    }
  });

  await test(`publish: same-titled publishes ${link === 'batch' ? 'in one batched request' : 'from one client in parallel'} also get distinct slugs`, async () => {
    need('owner', 'catA');
    const t = 'Flyer et carte de visite';
    const base = 'flyer-et-carte-de-visite';
    const [a, b] = await Promise.all([makeReadyDraft(state.owner, t), makeReadyDraft(state.owner, t)]);
    const requests = [];
    const c = client(state.owner.token, requests); // with httpBatchLink both go in one HTTP request
    const [ra, rb] = await Promise.all([ok(c, 'gig.publish', { id: a }), ok(c, 'gig.publish', { id: b })]);
    eq(requests.length, link === 'batch' ? 1 : 2, `HTTP requests sent for the two publishes (${show(requests)})`);
    assert.notEqual(ra.slug, rb.slug, `both publishes got the slug ${ra.slug}`);
    const slugs = [ra.slug, rb.slug].sort((x, y) => x.length - y.length);
    eq(slugs[0], base, 'the first slug');
    assert.match(slugs[1], new RegExp(`^${base}-[a-z0-9]{5}$`), `the second slug: ${slugs[1]}`);
  });

  await test('publish: slug transliterates accents and collapses punctuation; a non-Latin title gets "gig"', async () => {
    need('owner', 'catA');
    const cases = [
      ['  ¡Ça coûte 100% moins — façade/hôtel!  ', 'ca-coute-100-moins-facade-hotel'],
      ['--Übersetzung & Rédaction--', 'ubersetzung-redaction'],
    ];
    for (const [t, expected] of cases) {
      const id = await makeReadyDraft(state.owner, t);
      const r = await ok(state.owner.c, 'gig.publish', { id });
      eq(r.slug, expected, `slug of ${JSON.stringify(t)}`);
    }
    const id = await makeReadyDraft(state.owner, 'تصميم شعار احترافي');
    const r = await ok(state.owner.c, 'gig.publish', { id });
    assert.match(r.slug, /^gig(-[a-z0-9]{5})?$/, `slug of an Arabic title should be gig or gig-xxxxx, got ${show(r.slug)}`);
    const d = await ok(anon, 'gig.getGigDetails', { username: state.owner.username, slug: r.slug });
    eq(d.id, id, `getGigDetails(${r.slug}).id`);
  });

  // ------------------------------------------------------------------------------ batching
  await test(`${link === 'batch' ? 'one batch' : 'parallel calls'}: a success and a NOT_FOUND resolve and reject separately`, async () => {
    need('published');
    const missing = fakeCuid();
    const requests = [];
    const watched = client(null, requests);
    const [good, bad] = await Promise.allSettled([
      call(watched, 'gig.getGigPackages', { id: state.gig.id }),
      call(watched, 'gig.getGigPackages', { id: missing }),
    ]);
    if (link === 'batch') {
      assert.ok(requests.length === 1 && /[?&]batch=1(&|$)/.test(requests[0]),
        `httpBatchLink should send one ?batch=1 request, sent ${show(requests)}`);
    } else {
      assert.equal(requests.length, 2, `httpLink should send two requests, sent ${show(requests)}`);
    }
    assert.equal(good.status, 'fulfilled', `the existing gig's packages should resolve: ${good.reason && describe(good.reason)}`);
    eq(good.value?.basic?.id, state.packages.ids.basic, 'resolved getGigPackages.basic.id');
    assert.equal(bad.status, 'rejected', `the missing gig should reject, got ${show(bad.value)}`);
    assert.ok(bad.reason instanceof TRPCClientError, `rejection should be a TRPCClientError: ${describe(bad.reason)}`);
    eq(bad.reason.data?.code, 'NOT_FOUND', 'rejected data.code');
    eq(bad.reason.data?.httpStatus, 404, 'rejected data.httpStatus');
    // the same with mutations
    const mreq = [];
    const owner = client(state.owner.token, mreq);
    const [m1, m2] = await Promise.allSettled([
      call(owner, 'gig.udpateOffersMultiplePackages', { id: state.gig.id, value: true }),
      call(owner, 'gig.udpateOffersMultiplePackages', { id: missing, value: true }),
    ]);
    if (link === 'batch') {
      assert.ok(mreq.length === 1 && mreq[0].startsWith('POST ') && /[?&]batch=1(&|$)/.test(mreq[0]),
        `httpBatchLink should send one POST ?batch=1 request for the mutations, sent ${show(mreq)}`);
    }
    assert.equal(m1.status, 'fulfilled', `the owner's mutation should resolve: ${m1.reason && describe(m1.reason)}`);
    eq(m1.value?.id, state.gig.id, 'resolved mutation id');
    assert.equal(m2.status, 'rejected', `the mutation of a missing gig should reject, got ${show(m2.value)}`);
    eq(m2.reason?.data?.code, 'NOT_FOUND', 'rejected mutation data.code');
  });

  await test('raw ?batch=1: mixed statuses -> HTTP 207 and an array in order; all ok -> 200', async () => {
    need('published');
    const missing = fakeCuid();
    const input = { 0: wrapInput({ id: state.gig.id }), 1: wrapInput({ id: missing }) };
    const r = await raw('GET', `gig.getGigPackages,gig.getGigPackages?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`);
    assert.equal(r.status, 207, `mixed batch: HTTP status should be 207, got ${r.status}: ${r.text.slice(0, 300)}`);
    assert.ok(Array.isArray(r.json) && r.json.length === 2, `mixed batch: body should be an array of 2, got ${r.text.slice(0, 300)}`);
    const first = unwrapData(r.json[0]?.result?.data);
    eq(first?.basic?.id, state.packages.ids.basic, 'batch[0].result.data.basic.id');
    const e = unwrapError(r.json[1]?.error);
    eq(e?.code, -32004, 'batch[1].error.code');
    eq(e?.data?.code, 'NOT_FOUND', 'batch[1].error.data.code');
    eq(e?.data?.httpStatus, 404, 'batch[1].error.data.httpStatus');
    eq(e?.data?.path, 'gig.getGigPackages', 'batch[1].error.data.path');
    const okInput = { 0: wrapInput({ id: state.gig.id }), 1: sj ? {} : undefined }; // category.list takes no input
    const r2 = await raw('GET', `gig.getGigPackages,category.list?batch=1&input=${encodeURIComponent(JSON.stringify(okInput))}`);
    assert.equal(r2.status, 200, `all-ok batch: HTTP status should be 200, got ${r2.status}: ${r2.text.slice(0, 300)}`);
    assert.ok(Array.isArray(r2.json) && r2.json.length === 2, `all-ok batch: body should be an array of 2, got ${r2.text.slice(0, 300)}`);
    assert.ok(Array.isArray(unwrapData(r2.json[1]?.result?.data)), `all-ok batch[1] (category.list) should be an array: ${r2.text.slice(0, 300)}`);
  });

  // A batch as long as the server allows (100 calls): its comma-joined path is far over 255 bytes
  // and, for queries, the inputs make a URL of several KiB. httpBatchLink runs without
  // maxURLLength, so each group of calls below is one request.
  await test(`100 calls ${link === 'batch' ? 'in one batch' : 'in parallel'}: every call gets its own tRPC answer`, async () => {
    need('published');
    const missing = fakeCuid();
    const requests = [];
    const watched = client(null, requests);
    const queries = await Promise.allSettled(Array.from({ length: 100 }, (_, i) =>
      call(watched, 'gig.getGigPackages', { id: i % 2 === 0 ? state.gig.id : missing })));
    eq(requests.length, link === 'batch' ? 1 : 100, 'HTTP requests sent for 100 queries');
    queries.forEach((q, i) => {
      if (i % 2 === 0) {
        assert.equal(q.status, 'fulfilled', `query ${i} should resolve: ${q.reason && describe(q.reason)}`);
        eq(q.value?.basic?.id, state.packages.ids.basic, `query ${i} basic.id`);
      } else {
        assert.equal(q.status, 'rejected', `query ${i} should reject, got ${show(q.value)}`);
        eq(q.reason?.data?.code, 'NOT_FOUND', `query ${i} data.code`);
      }
    });
    const mreq = [];
    const owner = client(state.owner.token, mreq);
    const drafts = await Promise.all(Array.from({ length: 100 }, () => call(owner, 'gig.createDraft')));
    const ids = drafts.map((d) => d?.id);
    assert.ok(ids.every((id) => CUID_RE.test(id)) && new Set(ids).size === 100, `100 distinct draft ids: ${show(ids)}`);
    const deleted = await Promise.all(ids.map((id) => call(owner, 'gig.delete', { id })));
    eq(deleted.map((d) => d?.id), ids, 'deleted ids, in order');
    eq(mreq.length, link === 'batch' ? 2 : 200, 'HTTP requests sent for 100 creates and 100 deletes');
  });

  await test('raw: single error shape, wrong method -> METHOD_NOT_SUPPORTED, no email in public bodies', async () => {
    need('published');
    const r = await raw('GET', `gig.getGigPackages?input=${encodeURIComponent(JSON.stringify(wrapInput({ id: fakeCuid() })))}`);
    assert.equal(r.status, 404, `unknown gig: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    const e = unwrapError(r.json?.error);
    assert.ok(e && typeof e.message === 'string', `error.message missing: ${r.text.slice(0, 200)}`);
    eq(e.code, -32004, 'error.code');
    eq(e.data?.code, 'NOT_FOUND', 'error.data.code');
    eq(e.data?.httpStatus, 404, 'error.data.httpStatus');
    const m = await raw('GET', `gig.publish?input=${encodeURIComponent(JSON.stringify(wrapInput({ id: state.gig.id })))}`);
    assert.equal(m.status, 405, `mutation by GET: HTTP ${m.status}: ${m.text.slice(0, 200)}`);
    eq(unwrapError(m.json?.error)?.data?.code, 'METHOD_NOT_SUPPORTED', 'mutation by GET: error.data.code');
    const q = await raw('POST', 'gig.getGigPackages', wrapInput({ id: state.gig.id }));
    assert.equal(q.status, 405, `query by POST: HTTP ${q.status}: ${q.text.slice(0, 200)}`);
    eq(unwrapError(q.json?.error)?.data?.code, 'METHOD_NOT_SUPPORTED', 'query by POST: error.data.code');
    const d = await raw('GET', `gig.getGigDetails?input=${encodeURIComponent(JSON.stringify(wrapInput({ username: state.owner.username, slug: titleSlug })))}`);
    assert.equal(d.status, 200, `getGigDetails: HTTP ${d.status}`);
    assert.ok(!d.text.includes(state.owner.email), 'the getGigDetails body carries the owner\'s email');
    assert.ok(!/"email"/.test(d.text), 'the getGigDetails body carries an "email" key');
    if (sj) {
      const meta = d.json?.result?.data?.meta;
      eq(meta?.values?.createdAt, ['Date'], 'superjson meta.values.createdAt');
    }
  });

  // ------------------------------------------------------------------------------ delete
  await test('flow: delete -> {id}; the gig is gone from public reads and getGigById', async () => {
    need('published');
    const id = state.gig.id;
    const r = await ok(state.owner.c, 'gig.delete', { id });
    eq(r?.id, id, 'delete.id');
    await withinPublicStaleness(async () => {
      await fails(anon, 'gig.getGigDetails', { username: state.owner.username, slug: titleSlug }, 'NOT_FOUND');
      const list = await ok(anon, 'gig.getUserGigsByUsername', { username: state.owner.username });
      assert.ok(!list.some((g) => g.id === id), 'a deleted gig is still in getUserGigsByUsername');
      await fails(anon, 'gig.getGigPackages', { id }, 'NOT_FOUND');
      await fails(anon, 'gig.getDescriptionFaq', { id }, 'NOT_FOUND');
      await fails(anon, 'gig.getGigGallery', { id }, 'NOT_FOUND');
    });
    const theirs = await ok(state.other.c, 'gig.getUserGigs', { id: state.owner.id });
    assert.ok(!theirs.some((g) => g.id === id), 'a deleted gig is still in another user\'s getUserGigs');
    await fails(state.owner.c, 'gig.getGigById', { id }, 'NOT_FOUND');
    const mine = await ok(state.owner.c, 'gig.getUserGigs', { id: state.owner.id });
    const still = mine.find((g) => g.id === id);
    assert.ok(!still || still.status === 'deleted', `owner's getUserGigs shows the deleted gig as ${show(still)}`);
    await fails(state.owner.c, 'gig.delete', { id }, 'NOT_FOUND');
  });

  return { passed, failed };
}

// ---------------------------------------------------------------------------------------------
// Command line

async function main(argv) {
  const [version, mode] = argv;
  if (!['v10', 'v11'].includes(version) || !['none', 'superjson'].includes(mode)) {
    console.error('usage: node suite.mjs v10|v11 none|superjson');
    return 2;
  }
  const baseUrl = process.env.KHEDMA_TEST_URL || 'http://127.0.0.1:18080';
  let clientModule;
  try {
    clientModule = await import(new URL(`./${version}/client.mjs`, import.meta.url).href);
  } catch (err) {
    console.log(`not ok - trpc-${mode} ${version}: cannot load @trpc/client (${oneLine(err.message)}); run npm ci in ${version}/`);
    return 1;
  }
  let failed = 0;
  for (const link of ['batch', 'http']) {
    const r = await runSuite({ clientModule, mode, link, baseUrl });
    failed += r.failed;
    await sleep(0);
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.log(`not ok - suite crashed: ${oneLine(err.stack || err)}`);
      process.exitCode = 1;
    },
  );
}
