// Browser end-to-end test of the PyKV web console. Drives Debian's chromium through
// playwright-core against a running server:
//
//   node tests/e2e/gui_e2e.mjs --base http://127.0.0.1:PORT --screenshot OUT.png [--password PW]
//
// Creates, reads, updates and deletes one key through the form, checks the live panel and
// the key browser, minimal keyboard operability, that the page logs no console errors, and
// that it fits a 375 px wide window. Saves OUT.png (1280 px wide) and OUT-narrow.png
// (375 px). Prints one line per check; exits 0 only when every check passed. Every wait is
// bounded, and a watchdog ends the run if the whole does not finish in time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    screenshot: { type: 'string', default: 'gui_e2e.png' },
    password: { type: 'string', default: '' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!opts.base) {
  console.error('usage: node gui_e2e.mjs --base http://127.0.0.1:PORT --screenshot OUT.png [--password PW]');
  process.exit(2);
}
const base = opts.base.replace(/\/+$/, '');
const narrowShot = opts.screenshot.replace(/(\.png)?$/i, '-narrow.png');

const STEP_TIMEOUT_MS = 10000;
const WATCHDOG_MS = 120000;

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`ok   - ${name}${note ? ` (${note})` : ''}`);
    return true;
  } catch (err) {
    failed++;
    console.log(`FAIL - ${name}: ${String(err && err.message ? err.message : err).split('\n')[0]}`);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'pykv-e2e-'));
// Exiting also ends the browser: playwright-core kills what it launched when node exits.
const watchdog = setTimeout(() => {
  console.log(`FAIL - the run did not finish within ${WATCHDOG_MS / 1000} s`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(1);
}, WATCHDOG_MS);
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: opts.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 30000,
  });
} catch (err) {
  console.log(`FAIL - launch chromium: ${String(err.message).split('\n')[0]}`);
  console.log('0 passed, 1 failed');
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(1);
}
context.setDefaultTimeout(STEP_TIMEOUT_MS);

const page = context.pages()[0] || (await context.newPage());

// Chromium reports every HTTP error answer to fetch() as a console error ("Failed to load
// resource: ... status of 404"). The 404 and 409 that this test provokes on /kv/, and with
// --password the 401 before unlocking, are expected; every other console error or warning,
// page error or failed asset fails the run.
const problems = [];
const expectedNetworkErrors = [];
let closing = false;
let unlocked = !opts.password;
page.on('console', (msg) => {
  if (msg.type() !== 'error' && msg.type() !== 'warning') return;
  const text = msg.text();
  const url = msg.location()?.url || '';
  const path = url ? new URL(url, base).pathname : '';
  const status = (/^Failed to load resource: the server responded with a status of (\d+)/.exec(text) || [])[1];
  const provoked =
    ((status === '404' || status === '409') && path.startsWith('/kv/')) ||
    (status === '401' && !unlocked && (path === '/stats' || path.startsWith('/kv/')));
  if (provoked) expectedNetworkErrors.push(`${text} ${url}`);
  else problems.push(`console ${msg.type()}: ${text}${url ? ` (${url})` : ''}`);
});
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('requestfailed', (req) => {
  // Requests still in flight when the page closes or navigates (to /docs) are cancelled by
  // the browser itself (net::ERR_ABORTED); a server that drops a connection shows up as
  // ERR_EMPTY_RESPONSE or ERR_CONNECTION_RESET instead, and those still count.
  if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
  if (!closing) problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
});
page.on('response', (res) => {
  const path = new URL(res.url()).pathname;
  if ((path === '/' || path.startsWith('/ui/')) && res.status() >= 400) {
    problems.push(`asset ${path} answered ${res.status()}`);
  }
});

const key = `e2e:${Date.now().toString(36)}/ü key`;
const prefix = key.slice(0, key.indexOf('/') + 1);
const value1 = 'hello from the browser';
const value2 = 'updated value ✓';
const encodedPath = `/kv/${encodeURIComponent(key)}`;

const entries = page.locator('#output > li');
const newest = entries.first();

// Clicks an action button and waits for its response to show at the top of the log.
async function act(buttonId) {
  const before = await entries.count();
  await page.click(`#${buttonId}`);
  await page.waitForFunction((n) => document.querySelectorAll('#output > li').length > n, before, {
    timeout: STEP_TIMEOUT_MS,
  });
  return {
    head: (await newest.locator('.entry-head').innerText()).replace(/\s+/g, ' '),
    body: await newest.locator('.entry-body').innerText(),
  };
}

function bodyJson(entry) {
  try {
    return JSON.parse(entry.body);
  } catch {
    throw new Error(`the output body is not JSON: ${entry.body.slice(0, 200)}`);
  }
}

const statKeys = async () => (await page.locator('#stat-keys').innerText()).trim();

let initialKeys = '';

async function finish() {
  closing = true;
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(watchdog);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const loaded = await check('load / (title, stylesheet and script)', async () => {
  const res = await page.goto(`${base}/`, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  assert(res && res.status() === 200, `GET / answered ${res && res.status()}`);
  assert((await page.title()).includes('PyKV'), 'the title does not name PyKV');
  const styled = await page.evaluate(() => getComputedStyle(document.body).margin === '0px');
  assert(styled, 'style.css did not apply');
});
// Nothing else can pass without the page.
if (!loaded) await finish();

if (opts.password) {
  await check('password prompt on 401, then unlock', async () => {
    await page.locator('#auth').waitFor({ state: 'visible' });
    await page.fill('#password', opts.password);
    await page.press('#password', 'Enter');
    await page.locator('#auth').waitFor({ state: 'hidden' });
    await page.waitForFunction(() => /^Live/.test(document.getElementById('conn-text').textContent));
    unlocked = true;
  });
}

await check('keyboard: Tab reaches the key input', async () => {
  // A fresh load starts keyboard navigation at the top of the document.
  await page.goto(`${base}/`, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (id === 'key') {
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert(outline !== 'none', 'the focused key input shows no outline');
      return `${i + 1} presses`;
    }
  }
  throw new Error('15 presses of Tab did not reach #key');
});

await check('live panel shows server stats', async () => {
  await page.waitForFunction(() => /\d/.test(document.getElementById('stat-keys').textContent), null, {
    timeout: STEP_TIMEOUT_MS,
  });
  initialKeys = await statKeys();
  const role = (await page.locator('#stat-role').innerText()).trim();
  const mem = (await page.locator('#stat-mem').innerText()).trim();
  assert(role && role !== '–', 'no role shown');
  assert(mem && mem !== '–', 'no memory shown');
  return `keys ${initialKeys}, memory ${mem}, role ${role}`;
});

await check('SET creates the key (POST /kv/ -> 201)', async () => {
  await page.fill('#key', key);
  await page.fill('#value', value1);
  await page.fill('#ttl', '');
  const e = await act('btn-set');
  assert(e.head.includes('POST') && e.head.includes('/kv/'), `unexpected entry ${e.head}`);
  assert(e.head.includes('201'), `expected 201, got ${e.head}`);
  assert(bodyJson(e).key === key, 'the created item has another key');
  assert(/\d+(\.\d)? ms/.test(e.head), 'no time taken shown');
});

await check('live panel changes after SET (key count or ops/s)', async () => {
  const opsBefore = (await page.locator('#stat-ops').innerText()).trim();
  await page.waitForFunction(
    ([keys, ops]) => {
      const k = document.getElementById('stat-keys').textContent.trim();
      const o = document.getElementById('stat-ops').textContent.trim();
      return k !== keys || (o !== ops && o !== '0');
    },
    [initialKeys, opsBefore],
    { timeout: STEP_TIMEOUT_MS },
  );
  return `keys ${initialKeys} -> ${await statKeys()}`;
});

await check('GET shows the value (200)', async () => {
  await page.fill('#value', '');
  const e = await act('btn-get');
  assert(e.head.includes('GET') && e.head.includes(encodedPath), `unexpected entry ${e.head}`);
  assert(e.head.includes('200'), `expected 200, got ${e.head}`);
  assert(bodyJson(e).value === value1, `output shows ${e.body}`);
  assert((await page.inputValue('#value')) === value1, 'the value field was not filled');
});

await check('UPDATE replaces the value (PUT -> 200)', async () => {
  await page.fill('#value', value2);
  const e = await act('btn-update');
  assert(e.head.includes('PUT') && e.head.includes('200'), `unexpected entry ${e.head}`);
  assert(bodyJson(e).value === value2, `output shows ${e.body}`);
});

await check('SET on an existing key answers 409 and points to UPDATE', async () => {
  const e = await act('btn-set');
  assert(e.head.includes('409'), `expected 409, got ${e.head}`);
  const msg = await page.locator('#form-msg').innerText();
  assert(/UPDATE/.test(msg), `the message does not mention UPDATE: ${msg}`);
});

await check('key browser: prefix search finds the key, click loads it', async () => {
  await page.fill('#key', '');
  await page.fill('#value', '');
  await page.fill('#prefix', prefix);
  await page.press('#prefix', 'Enter');
  const button = page.locator('#key-list .key-btn', { hasText: key });
  // The mock and the real server may need several pages; follow "Load more" a bounded number of times.
  for (let i = 0; i < 20 && (await button.count()) === 0; i++) {
    await page.waitForFunction(
      () => !/Loading/.test(document.getElementById('browse-status').textContent),
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    if ((await button.count()) > 0) break;
    if (await page.locator('#more').isHidden()) break;
    await page.click('#more');
  }
  await button.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  const listed = await page.locator('#key-list .key-btn').allInnerTexts();
  assert(listed.every((k) => k.startsWith(prefix)), `keys outside the prefix listed: ${listed.join(', ')}`);
  const before = await entries.count();
  await button.first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#output > li').length > n, before, {
    timeout: STEP_TIMEOUT_MS,
  });
  assert((await page.inputValue('#key')) === key, 'the key field was not filled');
  const head = (await newest.locator('.entry-head').innerText()).replace(/\s+/g, ' ');
  assert(head.includes('GET') && head.includes('200'), `unexpected entry ${head}`);
  assert((await page.inputValue('#value')) === value2, 'the value field does not show the value');
  return `${listed.length} key(s) listed`;
});

await check('DELETE removes the key (200 {"deleted": true})', async () => {
  const e = await act('btn-delete');
  assert(e.head.includes('DELETE') && e.head.includes('200'), `unexpected entry ${e.head}`);
  assert(bodyJson(e).deleted === true, `output shows ${e.body}`);
  await page.locator('#key-list .key-btn', { hasText: key }).waitFor({ state: 'detached' });
});

await check('GET after DELETE answers 404', async () => {
  const e = await act('btn-get');
  assert(e.head.includes('404'), `expected 404, got ${e.head}`);
  assert(bodyJson(e).detail === 'Key not found', `output shows ${e.body}`);
});

await check('output is an aria-live region, newest first', async () => {
  assert((await page.getAttribute('#output', 'aria-live')) === 'polite', 'no aria-live on #output');
  const heads = await page.locator('#output .entry-head .method').allInnerTexts();
  assert(heads[0] === 'GET' && heads[1] === 'DELETE', `order is ${heads.slice(0, 3).join(', ')}`);
});

await check('form fields have labels', async () => {
  for (const id of ['key', 'value', 'ttl', 'prefix']) {
    const n = await page.locator(`label[for="${id}"]`).count();
    assert(n === 1, `#${id} has no label`);
  }
});

await check(`screenshot at 1280 px -> ${opts.screenshot}`, async () => {
  await page.fill('#key', 'user:1001');
  await page.waitForTimeout(1200); // let the chart draw a few more samples
  await page.screenshot({ path: opts.screenshot, fullPage: true, timeout: STEP_TIMEOUT_MS });
});

await check(`fits a 375 px window, screenshot -> ${narrowShot}`, async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page is ${overflow} px wider than the window`);
  await page.screenshot({ path: narrowShot, fullPage: true, timeout: STEP_TIMEOUT_MS });
});

await check('/docs renders the OpenAPI document', async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  const res = await page.goto(`${base}/docs`, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  assert(res && res.status() === 200, `GET /docs answered ${res && res.status()}`);
  await page.locator('#op-createItem').waitFor({ state: 'visible' });
  const paths = await page.locator('.op-path').allInnerTexts();
  for (const p of ['/kv/', '/kv/{key}', '/health', '/stats', '/metrics']) {
    assert(paths.includes(p), `${p} is not rendered`);
  }
});

await check('no console errors, page errors or failed assets', async () => {
  assert(problems.length === 0, problems.join(' | '));
  return `${expectedNetworkErrors.length} expected HTTP error messages of provoked requests ignored`;
});

await finish();
