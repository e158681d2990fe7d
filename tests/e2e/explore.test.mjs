// Exploring the bundled sample end to end, on the served page and on the
// single-file page: a brushed time window, the keyboard equivalent, a
// filter and its chip, a message's story with its raw lines, the CSV
// against the CLI's, and the redacted HTML report opened offline.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {
  existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {pathToFileURL} from 'node:url';
import {
  ROOT, SINGLE_FILE, WWW, launch, open, pick, serve, settled,
} from './support.mjs';

const SAMPLE = join(WWW, 'sample');
const CLI = join(ROOT, 'target', 'release', 'npe-lens');
const SHOTS = join(ROOT, 'docs', 'screenshots');

/** The sample's log files, as the build wrote them. */
function sampleFiles() {
  assert.ok(existsSync(SAMPLE), 'run ./build.sh first');
  return readdirSync(SAMPLE).filter((n) => n !== 'index.json').sort();
}

/** Every address written in the sample (`local@domain`). */
function sampleAddresses() {
  const found = new Set();
  for (const name of sampleFiles()) {
    const text = readFileSync(join(SAMPLE, name), 'utf8');
    for (const m of text.matchAll(/[\w.%+=-]+@[\w-]+(?:\.[\w-]+)+/g)) {
      found.add(m[0]);
    }
  }
  return [...found];
}

/** The CLI's CSV of the sample, written from the sample's folder. */
function cliCsv() {
  const dir = mkdtempSync(join(tmpdir(), 'npe-lens-csv-'));
  try {
    const out = join(dir, 'messages.csv');
    execFileSync(CLI, ['analyze', '--tz', 'UTC', '--csv', out,
      ...sampleFiles()], {cwd: SAMPLE, stdio: 'ignore'});
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

/** Messages in the current view, as the page states it. */
async function inView(page) {
  return Number(await page.getAttribute('body', 'data-view'));
}

/** Waits for the view to hold another number of messages than `was`. */
async function viewChange(page, was) {
  await page.waitForFunction(
      (n) => document.body.dataset.view !== String(n), was);
  return inView(page);
}

async function download(page, selector) {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.click(selector),
  ]);
  return {name: file.suggestedFilename(),
    text: readFileSync(await file.path(), 'utf8')};
}

const variants = [
  {name: 'served page', served: true},
  {name: 'single-file page', served: false},
];

for (const variant of variants) {
  describe(`${variant.name}: exploring`, () => {
    let browser;
    let server;
    let url;
    let origin = null;

    before(async () => {
      if (variant.served) {
        ({origin, server} = await serve(WWW));
        url = `${origin}/index.html`;
      } else {
        assert.ok(existsSync(SINGLE_FILE), 'run ./build.sh first');
        url = pathToFileURL(SINGLE_FILE).href;
      }
      browser = await launch();
    });

    after(async () => {
      await browser.close();
      server?.close();
    });

    it('zooms, filters and tells a message\'s story', async () => {
      const {page, errors} = await open(browser.context, url);
      await pick(page, sampleFiles().map((n) => join(SAMPLE, n)));
      assert.equal(await settled(page), 'done');
      const all = await inView(page);
      assert.ok(all > 1000, `${all} messages`);
      const events = await page.locator('#events-table tbody th')
          .allTextContents();
      assert.ok(events.includes('forward-error'), events.join());
      assert.match(await page.textContent('#verdict-detail'),
          new RegExp(`^${all.toLocaleString('en-US')} message`));

      // Brush the middle third of the timing chart.
      const chart = page.locator('#chart-timing svg');
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.35, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, y, {steps: 4});
      await page.mouse.move(box.x + box.width * 0.65, y, {steps: 4});
      await page.mouse.up();
      const zoomed = await viewChange(page, all);
      assert.ok(zoomed > 0 && zoomed < all, `${zoomed} of ${all}`);
      assert.match(await page.textContent('#window-text'), /^Showing .+ to /);
      assert.match(await page.textContent('#verdict-detail'),
          new RegExp(`^${zoomed.toLocaleString('en-US')} message`));
      if (variant.served) {
        await page.mouse.move(box.x + box.width * 0.5, y);
        await page.waitForSelector('#chart-timing .chart-tip',
            {state: 'visible'});
        assert.match(await page.textContent('#chart-timing .chart-tip'),
            /message\(s\)[\s\S]*send median/);
        await page.screenshot({path: join(SHOTS, 'zoom.png')});
      }

      // The keyboard narrows the window, Escape shows all times again.
      await page.focus('#chart-errors');
      await page.keyboard.press('[');
      const narrower = await viewChange(page, zoomed);
      assert.ok(narrower < zoomed, `${narrower} < ${zoomed}`);
      await page.keyboard.press('Escape');
      assert.equal(await viewChange(page, narrower), all);

      // A filter narrows every view; its chip removes it.
      const host = await page.$eval('#filter-host',
          (s) => s.options[2].value);
      await page.selectOption('#filter-host', host);
      const filtered = await viewChange(page, all);
      assert.ok(filtered < all, `host ${host}: ${filtered}`);
      const hosts = await page.locator('#hosts-table tbody th')
          .allTextContents();
      assert.deepEqual(hosts, [host]);
      await page.fill('#filter-search', 'lists\\.example');
      await page.press('#filter-search', 'Enter');
      const searched = await viewChange(page, filtered);
      assert.ok(searched < filtered, `${searched} < ${filtered}`);
      assert.equal(await page.locator('#filter-chips button').count(), 2);
      await page.click('#filter-chips button[data-filter="host"]');
      await page.click('#filter-chips button[data-filter="search"]');
      await page.waitForFunction(
          (n) => document.body.dataset.view === String(n), all);
      await page.fill('#filter-search', '(');
      await page.press('#filter-search', 'Enter');
      await page.waitForSelector('#filter-error', {state: 'visible'});
      assert.match(await page.textContent('#filter-error'),
          /invalid search pattern/);
      await page.fill('#filter-search', '');
      await page.press('#filter-search', 'Enter');
      await page.waitForSelector('#filter-error', {state: 'hidden'});

      // Sorting by a header (from the keyboard too), then a message's
      // story with its raw lines.
      const sortOf = (key) => page.getAttribute(
          `#slowest-table th:has(button[data-sort="${key}"])`, 'aria-sort');
      await page.focus('#slowest-table button[data-sort="send"]');
      await page.keyboard.press('Enter');
      assert.equal(await sortOf('send'), 'descending');
      assert.equal(await sortOf('total'), 'none');
      await page.click('#slowest-table button[data-sort="size"]');
      assert.equal(await sortOf('size'), 'descending');
      await page.click('#slowest-table tbody button.link >> nth=0');
      await page.waitForFunction(() => /\.log:\d+: /.test(
          document.getElementById('story-lines').textContent));
      const lines = (await page.textContent('#story-lines')).split('\n');
      assert.ok(lines.length >= 2, lines.join('\n'));
      for (const line of lines) {
        assert.match(line, /^SmtpPrevent_operational\d\.log:\d+: /);
      }
      assert.ok(lines.some((l) => l.includes('Message complete') ||
        l.includes('Error while processing')), lines.join('\n'));
      if (variant.served) {
        await page.locator('#story-section').screenshot(
            {path: join(SHOTS, 'drill-down.png')});
      }
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('downloads the CSV and a redacted HTML report', async () => {
      const {page, errors} = await open(browser.context, url);
      await pick(page, sampleFiles().map((n) => join(SAMPLE, n)));
      assert.equal(await settled(page), 'done');
      const all = await inView(page);

      const csv = await download(page, '#export-csv');
      assert.equal(csv.name, 'npe-lens-messages.csv');
      const rows = csv.text.trimEnd().split('\n');
      const cli = cliCsv().trimEnd().split('\n');
      assert.equal(rows[0], cli[0], 'the header of --csv');
      assert.equal(rows.length - 1, all, 'one row per message');
      assert.deepEqual([...rows].sort(), [...cli].sort());

      await page.check('#export-redact');
      const html = await download(page, '#export-html');
      const addresses = sampleAddresses();
      assert.ok(addresses.length > 10, 'the sample has addresses');
      for (const address of addresses) {
        assert.ok(!html.text.includes(address), `${address} in the report`);
      }
      assert.equal(html.text.match(/<img /g)?.length, 3, 'three charts');
      assert.ok(!html.text.includes('<script'));

      // Printing leaves the controls out and keeps the report.
      await page.emulateMedia({media: 'print'});
      for (const hidden of ['#filter-form', '.exports', '#brush-hint']) {
        assert.ok(await page.isHidden(hidden), `${hidden} printed`);
      }
      assert.ok(await page.isVisible('#findings'));
      assert.ok(await page.isVisible('#chart-timing svg'));
      await page.emulateMedia({media: 'screen'});

      // Only settings are remembered, never log content.
      const saved = await page.evaluate(
          () => localStorage.getItem('npe-lens-settings'));
      assert.ok(saved && JSON.parse(saved).zone, saved);
      assert.ok(!/@|example/.test(saved), saved);
      assert.deepEqual(errors, []);
      await page.close();

      // Opened offline, the report renders with no request and no error.
      const dir = mkdtempSync(join(tmpdir(), 'npe-lens-report-'));
      const reportPath = join(dir, html.name);
      writeFileSync(reportPath, html.text);
      try {
        const seen = [];
        const report = await open(browser.context,
            pathToFileURL(reportPath).href);
        report.page.on('request', (r) => seen.push(r.url()));
        await report.page.reload();
        assert.ok(await report.page.locator('[data-finding-id]').count() > 0);
        const drawn = await report.page.$$eval('img', (all) =>
          all.filter((i) => i.complete && i.naturalWidth > 0).length);
        assert.equal(drawn, 3);
        const foreign = seen.filter((u) => !u.startsWith('file:') &&
          !u.startsWith('data:'));
        assert.deepEqual(foreign, []);
        if (variant.served) {
          await report.page.screenshot(
              {path: join(SHOTS, 'redacted-report.png')});
        }
        assert.deepEqual(report.errors, []);
        await report.page.close();
      } finally {
        rmSync(dir, {recursive: true, force: true});
      }
    });
  });
}
