// tests/browser/test_harness.js - the harness checks itself: a page served under the same strict CSP
// the storefront sends must have its dialogs, script errors, console errors and CSP violations
// recorded by lib.js (the XSS tests rely on it), and axe must run under that CSP and report a
// missing label. The pages come from a throwaway server on a loopback port, not from Khedma.
'use strict';

const http = require('node:http');
const k = require('./lib.js');

const CSP = "default-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'";
const PAGES = {
  '/clean': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clean</title></head>' +
    '<body><main><h1>Clean</h1><form><label for="q">Search</label><input id="q" name="q">' +
    '<button type="submit">Go</button></form></main></body></html>',
  // an inline script (blocked by the CSP), a same-origin script that alerts, one that throws and
  // logs an error, and an input without a label
  '/dirty': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dirty</title>' +
    '<script>window.inlineRan = true</script><script src="/alert.js"></script>' +
    '<script src="/throw.js"></script></head><body><main><h1>Dirty</h1>' +
    '<input name="nolabel"></main></body></html>',
};
const SCRIPTS = {
  '/alert.js': 'alert("xss canary")',
  '/throw.js': 'console.error("logged on purpose"); throw new Error("thrown on purpose")',
};

function serve() {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (PAGES[p]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP });
      res.end(PAGES[p]);
    } else if (SCRIPTS[p]) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(SCRIPTS[p]);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server;
let page;
let base;

k.test('harness: a clean page under a strict CSP has no problems and no axe findings', async () => {
  server = await serve();
  base = `http://127.0.0.1:${server.address().port}`;
  page = await k.newPage(await k.launch(), { width: 360 });
  const res = await page.goto(base + '/clean', { waitUntil: 'load' });
  k.assert.equal(res.status(), 200);
  k.assert.deepEqual(await k.axe(page), []);
  k.assert.deepEqual(k.problems(page), []);
  const file = await k.shot(page, 'harness-clean');
  k.assert.match(file, /screenshots\/harness-clean-360\.png$/);
});

k.test('harness: dialogs, page errors, console errors and CSP violations are recorded', async () => {
  await page.goto(base + '/dirty', { waitUntil: 'load' });
  // the CSP report event is dispatched asynchronously after the blocked script
  await page.waitForFunction(() => document.readyState === 'complete');
  await new Promise((r) => setTimeout(r, 300));
  const seen = k.problems(page).join('\n');
  k.assert.match(seen, /dialog alert: xss canary/);
  k.assert.match(seen, /page error: .*thrown on purpose/);
  k.assert.match(seen, /console error: logged on purpose/);
  k.assert.match(seen, /CSP violation: script-src/);
  k.assert.equal(await page.evaluate(() => window.inlineRan === true), false, 'the inline script ran');
  const found = await k.axe(page);
  k.assert.ok(found.some((v) => v.id === 'label'), `axe missed the unlabelled input: ${k.axeText(found)}`);
  k.clearProblems(page);
  server.close();
});

k.run();
