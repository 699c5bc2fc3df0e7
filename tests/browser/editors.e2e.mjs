// The editors in a real browser: Debian's chromium, driven by playwright-core, against the harness
// page (tests/browser/page, built into dist-harness/ by `npm run build:harness`, webpack config
// tests/browser/webpack.config.ts) served by tests/browser/server, which answers the editors'
// resource calls and queries through the BUILT plugin binary and the sandbox of the three upstream
// APIs.
//
//   npm run build && npm run build:harness && npm run test:browser
//
// It builds nothing: it runs dist-harness/harness-server (or `go run ./tests/browser/server` when
// that is missing). Every step checks the query model (or the settings) the editor left, exactly.
// Any console error, uncaught page error or failed HTTP call fails the test it happened in.
// It ends with the line `browser: N passed, M failed` and exits non-zero on any failure.
//
// Screenshots of each editor go to dist-harness/screenshots/ (a build folder, gitignored) on every
// run. docs/img/ (the README's pictures) changes only on purpose:
//
//   UPDATE_SCREENSHOTS=1 npm run test:browser
//
// copies them there once every test has passed (never after a failure).
//
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOTS=0 (take none), UPDATE_SCREENSHOTS=1
// (copy them to docs/img/), VERBOSE=1 (each step with its time), SLOW_MO (ms between actions, for
// watching).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect, isDeepStrictEqual } from 'node:util';

import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT_DIR = path.join(root, 'dist-harness', 'screenshots');
const DOCS_IMG_DIR = path.join(root, 'docs', 'img');
const TAKE_SCREENSHOTS = process.env.SCREENSHOTS !== '0';
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
/** The screenshots this run took, by file name. */
const screenshotsTaken = [];
const VIEWPORT = { width: 1280, height: 900 };
const VERBOSE = process.env.VERBOSE === '1';
let stepClock = Date.now();
/** With VERBOSE=1, prints each step with the time since the previous one. */
function trace(step) {
  if (VERBOSE) {
    console.log(`       +${Date.now() - stepClock} ms  ${step}`);
  }
  stepClock = Date.now();
}
/** How long one expectation or action may take (a slow, shared 2-core machine). */
const WAIT_MS = 30_000;
/** How long a query run may take: the plugin paces OVHcloud calls (60 a minute by default). */
const RUN_WAIT_MS = 90_000;

const DS_REF = { type: 'opsdeck-servicestats-datasource', uid: 'servicestats' };
const RESOURCES = '/api/datasources/uid/servicestats/resources/';

// -------------------------------------------------------------------------------------------------
// A tiny runner: each test gets a verdict; problems seen by the page during a test fail it.
// -------------------------------------------------------------------------------------------------

const results = [];
/** Console errors, page errors and failed HTTP calls, in order. */
const problems = [];
const warnings = [];
/** API calls the page made, as "STATUS METHOD /path?query". */
const apiCalls = [];

async function test(name, fn) {
  const started = Date.now();
  const problemsBefore = problems.length;
  const callsBefore = apiCalls.length;
  let error;
  try {
    await fn({ calls: () => apiCalls.slice(callsBefore) });
  } catch (err) {
    error = err;
  }
  const seen = dedupe(problems.slice(problemsBefore));
  if (!error && seen.length > 0) {
    error = new Error(`the page reported ${seen.length} problem(s):\n    ${seen.join('\n    ')}`);
  }
  const ms = Date.now() - started;
  results.push({ name, ok: !error, ms });
  if (error) {
    console.log(`FAIL ${name} (${ms} ms)\n  ${String(error.stack || error).replaceAll('\n', '\n  ')}`);
    if (seen.length > 0 && !String(error.message).startsWith('the page reported')) {
      console.log(`  the page also reported:\n    ${seen.join('\n    ')}`);
    }
  } else {
    console.log(`ok   ${name} (${ms} ms)`);
  }
}

/** Identical lines once each, with their count. */
function dedupe(lines) {
  const counts = new Map();
  for (const line of lines) {
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, n]) => (n > 1 ? `${line} (×${n})` : line));
}

function fail(message) {
  throw new Error(message);
}

function show(value) {
  return inspect(value, { depth: 8, breakLength: 120, sorted: true });
}

/** Polls `read` until `check` accepts its value; fails with the last value seen. */
async function waitFor(what, read, check, timeout = WAIT_MS) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await read();
      if (check(last)) {
        return last;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      fail(`timed out after ${timeout} ms waiting for ${what}; last seen:\n${show(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// -------------------------------------------------------------------------------------------------
// The harness server
// -------------------------------------------------------------------------------------------------

/** Starts tests/browser/server; resolves with its URL and a stop function. */
function startServer() {
  const prebuilt = path.join(root, 'dist-harness', 'harness-server');
  const [command, args] = existsSync(prebuilt) ? [prebuilt, []] : ['go', ['run', './tests/browser/server']];
  // stdin stays an open pipe: the server exits when it closes, even if this process dies.
  const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGTERM'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`harness server not ready after 180 s:\n${output}`)), 180_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`harness server exited (${code ?? signal}):\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /^harness: (http:\/\/\S+)/m.exec(output);
      if (match) {
        clearTimeout(timer);
        console.log(output.trim());
        resolve({ url: match[1], stop });
      }
    });
  });
}

// -------------------------------------------------------------------------------------------------
// Page helpers
// -------------------------------------------------------------------------------------------------

function watch(page) {
  page.on('console', (message) => {
    const where = message.location()?.url ? ` (${message.location().url}:${message.location().lineNumber})` : '';
    if (message.type() === 'error') {
      problems.push(`console error: ${message.text()}${where}`);
    } else if (message.type() === 'warning') {
      warnings.push(`console warning: ${message.text()}${where}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack || error.message}`));
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/api/')) {
      apiCalls.push(`${response.status()} ${response.request().method()} ${url.pathname}${url.search}`);
    }
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()} ${response.request().method()} ${url.pathname}${url.search}`);
    }
  });
  page.on('requestfailed', (request) => {
    // A new query run cancels the one in flight, as Grafana's does, and a navigation to the next
    // editor cancels every call in flight: aborted calls are not failures.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') {
      problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    }
  });
}

/** Opens the harness page of one editor and waits until it is rendered. */
async function open(page, url, editor) {
  trace(`load ?editor=${editor}`);
  await page.goto(`${url}/?editor=${editor}`);
  await page.getByTestId('harness-editor').waitFor({ timeout: WAIT_MS });
  return page.evaluate(() => window.servicestatsSelectors);
}

async function readJSON(page, testId) {
  const text = await page.getByTestId(testId).textContent({ timeout: WAIT_MS });
  return JSON.parse(text);
}

const model = (page) => readJSON(page, 'harness-model');

/** Waits until the page shows exactly this model (the editor's query, settings or variable query). */
async function expectModel(page, expected, step) {
  trace(`${step}: waiting for the model`);
  try {
    await waitFor(
      `the model after "${step}"`,
      () => model(page),
      (actual) => isDeepStrictEqual(actual, expected)
    );
  } catch (err) {
    fail(`${step}: model is not as expected.\nexpected:\n${show(expected)}\n${err.message}`);
  }
}

/**
 * The options of the open Combobox menu: value (from the option id) and label (its first line; the
 * description, when there is one, is the second).
 */
function menuOptions(page) {
  return page.$$eval('[role="option"]', (elements) =>
    elements.map((element) => ({
      value: element.id.replace(/^combobox-option-/, ''),
      label: element.innerText.split('\n')[0].trim(),
    }))
  );
}

/** Opens a Combobox or MultiCombobox by test id (unless open) and waits for its options. */
async function openMenu(page, testId, expectedValues) {
  trace(`open ${testId}`);
  const input = page.getByTestId(testId);
  if ((await input.getAttribute('aria-expanded')) !== 'true') {
    await input.click();
  }
  return waitFor(
    `the options of ${testId}`,
    () => menuOptions(page),
    (options) => expectedValues.every((value) => options.some((option) => option.value === value))
  );
}

/** Clicks the option with this value in the open menu. */
async function clickOption(page, value) {
  await page.locator(`[role="option"][id="combobox-option-${value}"]`).click({ timeout: WAIT_MS });
}

async function closeMenu(page, testId) {
  const input = page.getByTestId(testId);
  if ((await input.getAttribute('aria-expanded')) === 'true') {
    await page.keyboard.press('Escape');
  }
  await waitFor(
    `${testId} to close`,
    () => input.getAttribute('aria-expanded'),
    (expanded) => expanded !== 'true'
  );
}

/** Picks one option of a (single) Combobox by value. */
async function pick(page, testId, value) {
  await openMenu(page, testId, [value]);
  await clickOption(page, value);
  await waitFor(
    `${testId} to close`,
    () => page.getByTestId(testId).getAttribute('aria-expanded'),
    (e) => e !== 'true'
  );
}

/**
 * Clicks the option of a RadioButtonGroup by its label (unique on each editor). Not by the group's
 * data-testid: Grafana 12.3's RadioButtonGroup drops it.
 */
async function radio(page, label) {
  // The radio input lies over its label and takes the click.
  await page.getByRole('radio', { name: label, exact: true }).click({ timeout: WAIT_MS });
}

function expectOptions(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    fail(`${what}: options are not as expected.\nexpected:\n${show(expected)}\nactual:\n${show(actual)}`);
  }
}

/** Each expected call was made; one without a query string matches that call with any query string. */
function expectCalled(calls, expected) {
  for (const call of expected) {
    if (!calls.some((made) => made === call || (!call.includes('?') && made.startsWith(`${call}?`)))) {
      fail(`expected the call "${call}"; the page made:\n    ${calls.join('\n    ')}`);
    }
  }
}

/** Waits for the query run of exactly this model to be done, and returns its frames. */
async function expectRun(page, expected, step) {
  trace(`${step}: waiting for the query run`);
  const result = await waitFor(
    `the query run of the model after "${step}"`,
    () => readJSON(page, 'harness-result'),
    (run) => isDeepStrictEqual(run.query, expected) && run.state !== undefined,
    RUN_WAIT_MS
  );
  if (result.state !== 'Done') {
    fail(`${step}: the query run ended ${result.state}: ${result.error ?? ''}`);
  }
  if (result.frames.length === 0 || result.frames.some((frame) => frame.rows === 0)) {
    fail(`${step}: the query answered empty frames:\n${show(result.frames)}`);
  }
  return result.frames;
}

/**
 * Lines options with the text the backend gives when it has no spare OVHcloud turn to read a line's
 * description (the line's number) replaced by the description the sandbox holds, sorted by text as
 * the backend sorts them (All lines first, variables last), so that a list compares equal either
 * way. `key` names the text field: `label` (drop-down options) or `text` (variable values).
 */
function withSandboxDescriptions(options, key = 'label') {
  const descriptions = {
    '0033123456789': 'Reception desk',
    '0033123456790': 'Support hotline',
    '0033123456791': 'Sales floor',
  };
  const named = options.map((option) =>
    option[key] === option.value && descriptions[option.value]
      ? { ...option, [key]: descriptions[option.value] }
      : option
  );
  const isLine = (option) => option.value !== '*' && !option.value.startsWith('$');
  return [
    ...named.filter((option) => option.value === '*'),
    ...named.filter(isLine).sort((x, y) => x[key].localeCompare(y[key])),
    ...named.filter((option) => option.value.startsWith('$')),
  ];
}

/** The labels of every value field of the frames. */
const seriesLabels = (frames) => frames.flatMap((frame) => frame.fields.map((field) => field.labels ?? {}));

/** The secondary texts of the open menu's options, by value. */
function menuDescriptions(page) {
  return page.$$eval('[role="option"]', (elements) =>
    Object.fromEntries(
      elements.map((element) => [
        element.id.replace(/^combobox-option-/, ''),
        element.innerText.split('\n').slice(1).join(' ').trim(),
      ])
    )
  );
}

const sortedJSON = (items) => items.map((item) => JSON.stringify(item)).sort();

/**
 * Screenshots the editor (or `part` of it) into SCREENSHOT_DIR/<file>, with the open `menus` that
 * overflow it (they live in a portal and may reach below the panel). The page's model JSON is
 * hidden while the menus are in the picture.
 */
async function screenshot(page, file, menus = [], part = undefined) {
  if (!TAKE_SCREENSHOTS) {
    return;
  }
  const target = path.join(SCREENSHOT_DIR, file);
  const editor = part ?? page.getByTestId('harness-editor');
  if (menus.length === 0) {
    // No focus ring in the picture.
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  }
  // Let the fonts, icons and transitions settle.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  if (menus.length === 0) {
    await editor.screenshot({ path: target });
  } else {
    const state = page.getByTestId('harness-state');
    await state.evaluate((element) => (element.style.visibility = 'hidden'));
    const boxes = [await editor.boundingBox(), ...(await Promise.all(menus.map((menu) => menu.boundingBox())))];
    const x = Math.min(...boxes.map((b) => b.x));
    const y = Math.min(...boxes.map((b) => b.y));
    const right = Math.max(...boxes.map((b) => b.x + b.width));
    const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + 8;
    await page.screenshot({ path: target, clip: { x, y, width: right - x, height: bottom - y }, fullPage: true });
    await state.evaluate((element) => (element.style.visibility = ''));
  }
  screenshotsTaken.push(file);
  console.log(`     screenshot ${path.relative(root, target)}`);
}

// -------------------------------------------------------------------------------------------------
// The tests
// -------------------------------------------------------------------------------------------------

const TEMPLATE_VARIABLES = ['$billingAccount', '$line', '$enterprise'];

async function queryEditorTests(page, url) {
  let ids;
  await test('query editor: telephony — account, lines and metrics from the sandbox', async ({ calls }) => {
    ids = await open(page, url, 'query');
    const t = ids.QueryEditor.telephony;
    const base = { refId: 'A', datasource: DS_REF, queryType: 'telephony', timeframe: 'auto', mosScale: 'raw' };

    // A new query picks the first account the plugin lists, with All lines.
    await expectModel(
      page,
      { ...base, billingAccount: 'ab12345-ovh-1', lines: ['*'], metrics: ['rtpMos'] },
      'new query'
    );

    const accounts = await openMenu(page, t.billingAccount, ['ab12345-ovh-1']);
    expectOptions(
      accounts,
      [
        { value: '*', label: 'All accounts' },
        { value: 'ab12345-ovh-1', label: 'ab12345-ovh-1 — Head office' },
        { value: 'cd67890-ovh-1', label: 'cd67890-ovh-1 — Warehouse' },
        { value: 'zz99999-ovh-1', label: 'zz99999-ovh-1 — Legacy PBX' },
        ...TEMPLATE_VARIABLES.map((v) => ({ value: v, label: v })),
      ],
      'billing accounts'
    );
    await clickOption(page, 'cd67890-ovh-1');
    await expectModel(
      page,
      { ...base, billingAccount: 'cd67890-ovh-1', lines: ['*'], metrics: ['rtpMos'] },
      'pick account cd67890-ovh-1'
    );

    await pick(page, t.billingAccount, 'ab12345-ovh-1');
    const allLinesModel = { ...base, billingAccount: 'ab12345-ovh-1', lines: ['*'], metrics: ['rtpMos'] };
    await expectModel(page, allLinesModel, 'pick account ab12345-ovh-1');

    // All lines runs through the plugin: one series per line of the account, listed at query time.
    const allLines = ['0033123456789', '0033123456790', '0033123456791'];
    const allFrames = await expectRun(page, allLinesModel, 'All lines');
    expectOptions(
      sortedJSON(seriesLabels(allFrames)),
      sortedJSON(allLines.map((line) => ({ billingAccount: 'ab12345-ovh-1', line, metric: 'rtpMos' }))),
      'series of All lines'
    );

    // All accounts: the lines lookup and the query read every account the credentials see (the
    // retired one is left out of the series, with a notice). The statistics are cached by now.
    await pick(page, t.billingAccount, '*');
    const allAccountsModel = { ...allLinesModel, billingAccount: '*' };
    await expectModel(page, allAccountsModel, 'pick All accounts');
    const everyLine = ['0033123456789', '0033123456790', '0033123456791', '0033987654321', '0033987654322'];
    await openMenu(page, t.lines, ['*', ...everyLine]);
    await closeMenu(page, t.lines);
    const everyFrames = await expectRun(page, allAccountsModel, 'All accounts');
    const linesSeen = [...new Set(seriesLabels(everyFrames).map((labels) => labels.line))].sort();
    expectOptions(linesSeen, everyLine, 'lines of All accounts');

    await pick(page, t.billingAccount, 'ab12345-ovh-1');
    await expectModel(page, allLinesModel, 'pick account ab12345-ovh-1 again');

    // The lines the sandbox lists for ab12345-ovh-1, after All lines, each labelled by its number
    // (the chips show numbers), its description beside it once the backend had a spare OVHcloud turn
    // to read it; the screenshot shows All lines selected with the menu open.
    const lines = await openMenu(page, t.lines, ['*', ...allLines]);
    expectOptions(
      lines,
      [
        { value: '*', label: 'All lines' },
        ...lines.filter((o) => allLines.includes(o.value)).map((o) => ({ value: o.value, label: o.value })),
        ...TEMPLATE_VARIABLES.map((v) => ({ value: v, label: v })),
      ],
      'lines of ab12345-ovh-1 (labels)'
    );
    expectOptions(
      lines
        .filter((o) => allLines.includes(o.value))
        .map((o) => o.value)
        .sort(),
      allLines,
      'lines of ab12345-ovh-1'
    );
    const descriptions = await menuDescriptions(page);
    const sandboxDescriptions = withSandboxDescriptions(allLines.map((value) => ({ value, label: value })));
    for (const { value, label } of sandboxDescriptions) {
      if (descriptions[value] !== '' && !descriptions[value].startsWith(label)) {
        fail(`line ${value}: description "${descriptions[value]}", expected "${label}" (or none)`);
      }
    }
    await screenshot(page, 'query-editor-telephony-all-lines.png', [page.getByRole('listbox')]);

    // Picking a line replaces All lines; a second line joins it.
    await clickOption(page, '0033123456789');
    await expectModel(
      page,
      { ...base, billingAccount: 'ab12345-ovh-1', lines: ['0033123456789'], metrics: ['rtpMos'] },
      'pick Reception desk after All lines'
    );
    await clickOption(page, '0033123456790');
    const twoLines = ['0033123456789', '0033123456790'];
    await expectModel(
      page,
      { ...base, billingAccount: 'ab12345-ovh-1', lines: twoLines, metrics: ['rtpMos'] },
      'pick Support hotline'
    );
    await closeMenu(page, t.lines);

    const metrics = await openMenu(page, t.metrics, ['maxJitter', 'sumRtpLost']);
    expectOptions(
      metrics.map((option) => option.value),
      ['maxDelay', 'maxJitter', 'rtpMos', 'sumRtpLost', ...TEMPLATE_VARIABLES],
      'metrics'
    );
    await clickOption(page, 'maxJitter');
    await clickOption(page, 'sumRtpLost');
    const telephonyModel = {
      ...base,
      billingAccount: 'ab12345-ovh-1',
      lines: twoLines,
      metrics: ['rtpMos', 'maxJitter', 'sumRtpLost'],
    };
    await expectModel(page, telephonyModel, 'pick metrics maxJitter and sumRtpLost');
    await closeMenu(page, t.metrics);

    await pick(page, t.timeframe, 'daily');
    // The MOS scale is offered while MOS is among the metrics.
    await radio(page, 'MOS (1–5)');
    const finalModel = { ...telephonyModel, timeframe: 'daily', mosScale: 'mos' };
    await expectModel(page, finalModel, 'timeframe Last 24 hours, MOS scale 1–5');

    // The query the editor left runs through the plugin: one series per (line, metric).
    const frames = await expectRun(page, finalModel, 'telephony');
    const expectedSeries = twoLines.flatMap((line) =>
      ['rtpMos', 'maxJitter', 'sumRtpLost'].map((metric) => ({ billingAccount: 'ab12345-ovh-1', line, metric }))
    );
    expectOptions(sortedJSON(seriesLabels(frames)), sortedJSON(expectedSeries), 'telephony series');

    // The screenshot shows the lines drop-down open, as the sandbox answered it.
    await openMenu(page, t.lines, twoLines);
    await screenshot(page, 'query-editor-telephony.png', [page.getByRole('listbox')]);
    await closeMenu(page, t.lines);

    // Without MOS among the metrics, no MOS scale.
    await openMenu(page, t.metrics, ['rtpMos']);
    await clickOption(page, 'rtpMos');
    await closeMenu(page, t.metrics);
    await expectModel(page, { ...finalModel, metrics: ['maxJitter', 'sumRtpLost'] }, 'remove MOS');
    await page.getByRole('radio', { name: 'MOS (1–5)' }).waitFor({ state: 'detached', timeout: WAIT_MS });

    expectCalled(calls(), [
      `200 GET ${RESOURCES}telephony/billing-accounts`,
      `200 GET ${RESOURCES}telephony/lines?billingAccount=ab12345-ovh-1`,
      `200 GET ${RESOURCES}telephony/lines?billingAccount=cd67890-ovh-1`,
      `200 GET ${RESOURCES}telephony/lines?billingAccount=*`,
      `200 GET ${RESOURCES}telephony/metrics`,
      '200 POST /api/ds/query',
    ]);
  });

  await test('query editor: cdnBandwidth — MBPS by location, one resource', async ({ calls }) => {
    if (!ids) {
      ids = await open(page, url, 'query');
    }
    const c = ids.QueryEditor.cdn;
    await radio(page, 'CDN bandwidth');
    const base = { refId: 'A', datasource: DS_REF, queryType: 'cdnBandwidth', resources: [], locations: [] };
    await expectModel(page, { ...base, type: 'GB', groupBy: '' }, 'switch to CDN bandwidth');

    await radio(page, 'Bandwidth (Mbit/s)');
    await expectModel(page, { ...base, type: 'MBPS', groupBy: '' }, 'type Bandwidth (Mbit/s)');
    await radio(page, 'Location');
    await expectModel(page, { ...base, type: 'MBPS', groupBy: 'location' }, 'group by Location');

    const resources = await openMenu(page, c.resources, ['977655738']);
    expectOptions(
      resources,
      [
        { value: '864201953', label: 'assets.example.org' },
        { value: '389478438', label: 'downloads.example.com' },
        { value: '512904377', label: 'images.example.net' },
        { value: '977655738', label: 'static.example.com' },
        { value: '725618714', label: 'video.example.com' },
        ...TEMPLATE_VARIABLES.map((v) => ({ value: v, label: v })),
      ],
      'CDN resources'
    );
    await clickOption(page, '977655738');
    const finalModel = { ...base, type: 'MBPS', groupBy: 'location', resources: ['977655738'] };
    await expectModel(page, finalModel, 'pick resource static.example.com');
    await closeMenu(page, c.resources);

    const locations = await openMenu(page, c.locations, ['532']);
    expectOptions(
      locations.map((option) => option.label),
      [
        'Frankfurt, Germany',
        'London, United Kingdom',
        'New York, United States',
        'Paris, France',
        'Singapore, Singapore',
        ...TEMPLATE_VARIABLES,
      ],
      'CDN locations'
    );
    await closeMenu(page, c.locations);

    // One series per location, each split into cached and non-cached traffic.
    const frames = await expectRun(page, finalModel, 'cdnBandwidth');
    const expectedSeries = ['207', '331', '418', '532', '615'].flatMap((location) =>
      ['cached', 'non_cached'].map((traffic) => ({ location, traffic }))
    );
    expectOptions(sortedJSON(seriesLabels(frames)), sortedJSON(expectedSeries), 'CDN series');

    expectCalled(calls(), [`200 GET ${RESOURCES}cdn/resources`, `200 GET ${RESOURCES}cdn/locations`]);
    await screenshot(page, 'query-editor-cdn.png');
  });

  await test('query editor: usage — latency split by route, one enterprise', async ({ calls }) => {
    if (!ids) {
      ids = await open(page, url, 'query');
    }
    const u = ids.QueryEditor.usage;
    await radio(page, 'Usage');
    const base = { refId: 'A', datasource: DS_REF, queryType: 'usage', enterpriseId: '', limit: 500 };
    await expectModel(page, { ...base, report: 'requests' }, 'switch to Usage');

    await pick(page, u.report, 'latency');
    await expectModel(page, { ...base, report: 'latency' }, 'report Execution time p50/p95/max');
    await radio(page, 'Route');
    await expectModel(page, { ...base, report: 'latency', splitBy: 'route' }, 'split by Route');

    const enterprises = await openMenu(page, u.enterprise, ['ent-globex']);
    expectOptions(
      enterprises,
      [
        { value: 'ent-acme', label: 'Acme Corp' },
        { value: 'ent-globex', label: 'Globex' },
        { value: 'ent-initech', label: 'Initech' },
        { value: 'ent-umbrella', label: 'Umbrella' },
        ...TEMPLATE_VARIABLES.map((v) => ({ value: v, label: v })),
      ],
      'enterprises'
    );
    await clickOption(page, 'ent-globex');
    const finalModel = { ...base, report: 'latency', splitBy: 'route', enterpriseId: 'ent-globex' };
    await expectModel(page, finalModel, 'pick enterprise Globex');

    // p50, p95 and max per route, all of Globex.
    const frames = await expectRun(page, finalModel, 'usage');
    const labels = seriesLabels(frames);
    const routes = [...new Set(labels.map((l) => l.route))].sort();
    const expectedSeries = routes.flatMap((route) =>
      ['p50', 'p95', 'max'].map((stat) => ({ enterprise: 'ent-globex', route, stat }))
    );
    if (routes.length === 0 || routes.includes(undefined)) {
      fail(`usage: expected series per route, got:\n${show(labels)}`);
    }
    expectOptions(sortedJSON(labels), sortedJSON(expectedSeries), 'usage series');

    expectCalled(calls(), [`200 GET ${RESOURCES}usage/enterprises`]);
    await screenshot(page, 'query-editor-usage.png');

    // A page size of 0 is red and says why; it is not committed.
    const limit = page.getByTestId(u.limit);
    await limit.fill('0');
    await limit.press('Enter');
    await page.getByText('A whole number from 1 to 5000, or empty for the default').waitFor({ timeout: WAIT_MS });
    await expectModel(page, finalModel, 'page size 0 refused');
    await screenshot(page, 'query-editor-validation.png');
    await limit.fill('500');
    await limit.press('Enter');
    await page
      .getByText('A whole number from 1 to 5000, or empty for the default')
      .waitFor({ state: 'detached', timeout: WAIT_MS });

    // Bypass cache lies in the collapsed Options row.
    if (await page.getByTestId(ids.QueryEditor.noCache).isVisible()) {
      fail('Bypass cache is shown before the Options row is opened');
    }
    await page.getByRole('button', { name: /Options/ }).click();
    await page.getByText('Bypass cache', { exact: true }).click();
    await expectModel(page, { ...finalModel, noCache: true }, 'bypass the cache');
  });
}

async function configEditorTest(page, url) {
  await test('config editor: Pulse URL and token, OVHcloud custom URL with OAuth2, OnApp reports, timeout', async () => {
    const ids = (await open(page, url, 'config')).ConfigEditor;
    const options = async () => {
      const { jsonData, secureJsonData, secureJsonFields } = await model(page);
      return { jsonData, secureJsonData, secureJsonFields };
    };
    const expectOptionsJSON = async (expected, step) => {
      try {
        await waitFor(step, options, (actual) => isDeepStrictEqual(actual, expected));
      } catch (err) {
        fail(`${step}: options are not as expected.\nexpected:\n${show(expected)}\n${err.message}`);
      }
    };
    await expectOptionsJSON({ jsonData: {}, secureJsonData: undefined, secureJsonFields: {} }, 'new data source');

    await page.getByTestId(ids.pulse.url).fill('https://pulse.example.com');
    await page.getByTestId(ids.pulse.token).fill('pulse-token-1');
    await expectOptionsJSON(
      {
        jsonData: { pulseUrl: 'https://pulse.example.com' },
        secureJsonData: { pulseToken: 'pulse-token-1' },
        secureJsonFields: {},
      },
      'fill the Pulse URL and token'
    );

    // "Custom URL" shows the base URL field, flagged until it is filled.
    await pick(page, ids.ovh.endpoint, 'custom');
    const customUrl = page.getByTestId(ids.ovh.customUrl);
    await customUrl.waitFor({ timeout: WAIT_MS });
    await page.getByText('Enter the base URL').waitFor({ timeout: WAIT_MS });
    await expectOptionsJSON(
      {
        jsonData: { pulseUrl: 'https://pulse.example.com', ovhEndpoint: '' },
        secureJsonData: { pulseToken: 'pulse-token-1' },
        secureJsonFields: {},
      },
      'pick the Custom URL endpoint'
    );
    await customUrl.fill('https://ovh-proxy.example.com/1.0');
    await radio(page, 'OAuth2');
    await page.getByTestId(ids.ovh.clientId).fill('grafana-reader');
    await page.getByTestId(ids.ovh.clientSecret).fill('client-secret-1');
    // A custom URL takes a token URL.
    await page.getByTestId(ids.ovh.tokenUrl).fill('https://ovh-proxy.example.com/auth/oauth2/token');
    await radio(page, 'Reports');
    await page.getByRole('button', { name: 'Expand section Advanced' }).click();
    await page.getByTestId(ids.advanced.timeoutSeconds).fill('15');
    // A share is a decimal below 1.
    await page.getByTestId(ids.advanced.ovhAlertingShare).fill('0.25');
    await expectOptionsJSON(
      {
        jsonData: {
          pulseUrl: 'https://pulse.example.com',
          ovhEndpoint: 'https://ovh-proxy.example.com/1.0',
          ovhAuthMethod: 'oauth2',
          ovhClientId: 'grafana-reader',
          ovhTokenUrl: 'https://ovh-proxy.example.com/auth/oauth2/token',
          onappApi: 'reports',
          timeoutSeconds: 15,
          ovhAlertingShare: 0.25,
        },
        secureJsonData: { pulseToken: 'pulse-token-1', ovhClientSecret: 'client-secret-1' },
        secureJsonFields: {},
      },
      'custom URL, OAuth2 client, OnApp reports, timeout 15 s, alerting share 0.25'
    );
    if (await page.getByText('Enter the base URL').isVisible()) {
      fail('the base URL is still flagged once filled');
    }
    await screenshot(page, 'config-editor.png');
  });

  await test('config editor: OnApp TLS with a CA and a client certificate, Secure SOCKS proxy', async () => {
    const ids = (await open(page, url, 'config')).ConfigEditor;
    const tls = ids.onapp.tls;
    const part = page.getByTestId(tls.section);
    const pems = {
      caCert: '-----BEGIN CERTIFICATE-----\nMIIBcompanyCA\n-----END CERTIFICATE-----\n',
      clientCert: '-----BEGIN CERTIFICATE-----\nMIIBgrafana\n-----END CERTIFICATE-----\n',
      // Not a key: the PEM markers are joined at run time so that secret scanners do not flag the file.
      clientKey: ['-----BEGIN', 'PRIVATE KEY-----\nMIIEgrafana\n-----END', 'PRIVATE KEY-----\n'].join(' '),
    };
    await page.getByTestId(ids.onapp.url).fill('https://cp.internal.example.com');

    // Collapsed: no switch until the part is opened.
    if (await part.getByTestId(tls.withCACert).isVisible()) {
      fail('the OnApp TLS part is open before it is expanded');
    }
    await part.getByRole('button', { name: 'Expand section TLS' }).click();
    await toggle(page, tls.withCACert);
    await page.getByTestId(tls.caCert).fill(pems.caCert);
    await toggle(page, tls.clientAuth);
    await page.getByTestId(tls.clientCert).fill(pems.clientCert);
    await page.getByTestId(tls.clientKey).fill(pems.clientKey);
    // Skipping verification warns, and off again the warning goes.
    await toggle(page, tls.skipVerify);
    await page.getByTestId(tls.skipVerifyWarning).waitFor({ timeout: WAIT_MS });
    await toggle(page, tls.skipVerify);
    await page.getByTestId(tls.skipVerifyWarning).waitFor({ state: 'detached', timeout: WAIT_MS });

    await toggle(page, ids.secureSocksProxy);
    await expectModelPart(
      page,
      {
        jsonData: {
          onappUrl: 'https://cp.internal.example.com',
          onappTlsAuthWithCACert: true,
          onappTlsAuth: true,
          enableSecureSocksProxy: true,
        },
        secureJsonData: {
          onappTlsCACert: pems.caCert,
          onappTlsClientCert: pems.clientCert,
          onappTlsClientKey: pems.clientKey,
        },
      },
      'OnApp URL, CA certificate, client certificate and key, Secure SOCKS proxy on'
    );
    // The Pulse part stayed collapsed.
    if (await page.getByTestId(ids.pulse.tls.withCACert).isVisible()) {
      fail('the Pulse TLS part opened with the OnApp one');
    }
    await screenshot(page, 'config-editor-tls.png', [], page.getByTestId(ids.onapp.tls.section));
  });
}

/** Flips the switch with this test id (or the one inside the element with it). */
async function toggle(page, testId) {
  const element = page.getByTestId(testId);
  const target = (await element.getAttribute('role')) === 'switch' ? element : element.getByRole('switch');
  const before = await target.isChecked();
  // The switch's input is drawn over by its styled label, which takes the click.
  await target.click({ force: true });
  await waitFor(
    `${testId} to flip`,
    () => target.isChecked(),
    (checked) => checked !== before
  );
}

/** Waits until the settings' jsonData and secureJsonData are exactly these. */
async function expectModelPart(page, expected, step) {
  const read = async () => {
    const { jsonData, secureJsonData } = await model(page);
    return { jsonData, secureJsonData };
  };
  try {
    await waitFor(step, read, (actual) => isDeepStrictEqual(actual, expected));
  } catch (err) {
    fail(`${step}: settings are not as expected.\nexpected:\n${show(expected)}\n${err.message}`);
  }
}

async function variableEditorTest(page, url) {
  await test('variable editor: lines of an account', async ({ calls }) => {
    const ids = (await open(page, url, 'variable')).VariableQueryEditor;
    // A new variable: Grafana's empty query, which lists billing accounts.
    await expectModel(page, '', 'new variable');
    const accounts = ['ab12345-ovh-1', 'cd67890-ovh-1', 'zz99999-ovh-1'];
    await waitFor(
      'the preview of billing accounts',
      () => readJSON(page, 'harness-preview'),
      (preview) =>
        isDeepStrictEqual(
          preview.values?.map((v) => v.value),
          accounts
        )
    );

    await pick(page, ids.kind, 'lines');
    await expectModel(page, { refId: 'ServiceStatsVariableQuery', kind: 'lines', billingAccount: '' }, 'list Lines');
    const options = await openMenu(page, ids.billingAccount, accounts);
    expectOptions(
      options.map((option) => option.value),
      ['*', ...accounts, ...TEMPLATE_VARIABLES],
      'billing accounts of the variable editor'
    );
    await clickOption(page, 'ab12345-ovh-1');
    await expectModel(
      page,
      { refId: 'ServiceStatsVariableQuery', kind: 'lines', billingAccount: 'ab12345-ovh-1' },
      'pick account ab12345-ovh-1'
    );
    const preview = await waitFor(
      'the preview of the lines of ab12345-ovh-1',
      () => readJSON(page, 'harness-preview'),
      (p) => p.query?.billingAccount === 'ab12345-ovh-1'
    );
    expectOptions(
      withSandboxDescriptions(preview.values, 'text'),
      [
        { text: 'Reception desk', value: '0033123456789' },
        { text: 'Sales floor', value: '0033123456791' },
        { text: 'Support hotline', value: '0033123456790' },
      ],
      'lines listed by the variable'
    );
    expectCalled(calls(), [`200 GET ${RESOURCES}telephony/lines?billingAccount=ab12345-ovh-1`]);
    await screenshot(page, 'variable-editor.png');
  });
}

// -------------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  if (!existsSync(path.join(root, 'dist-harness', 'index.html'))) {
    fail('dist-harness/ is not built: run npm run build:harness first');
  }
  if (!existsSync(CHROMIUM)) {
    fail(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  const server = await startServer();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'servicestats-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORT,
      slowMo: Number(process.env.SLOW_MO ?? 0),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    console.log(`using ${CHROMIUM} ${context.browser()?.version() ?? ''}`.trim());
    // A fresh page (tab) per editor, so that a page wedged by one editor fails that editor only.
    for (const run of [queryEditorTests, configEditorTest, variableEditorTest]) {
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.setDefaultNavigationTimeout(WAIT_MS);
      watch(page);
      await run(page, server.url);
      await Promise.race([page.close(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
  } finally {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await server.stop();
  }

  if (warnings.length > 0) {
    console.log(`console warnings (not failures):\n    ${dedupe(warnings).join('\n    ')}`);
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (UPDATE_SCREENSHOTS) {
    updateDocsScreenshots(failed);
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
}

/** Copies this run's screenshots to docs/img/ (UPDATE_SCREENSHOTS=1), only after a run without failures. */
function updateDocsScreenshots(failed) {
  if (failed > 0 || results.length === 0 || screenshotsTaken.length === 0) {
    console.log('docs/img/ left as it was: the run failed or took no screenshot');
    return;
  }
  mkdirSync(DOCS_IMG_DIR, { recursive: true });
  for (const file of screenshotsTaken) {
    copyFileSync(path.join(SCREENSHOT_DIR, file), path.join(DOCS_IMG_DIR, file));
    console.log(`     updated docs/img/${file}`);
  }
}

main().catch((error) => {
  console.log(`browser test aborted: ${error.stack || error}`);
  const passed = results.filter((r) => r.ok).length;
  console.log(`browser: ${passed} passed, ${results.length - passed + 1} failed`);
  process.exitCode = 1;
});
