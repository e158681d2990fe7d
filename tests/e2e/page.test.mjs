// The page end to end, served over http and as the single-file build
// opened from disk: analysis, findings, charts, safety of log text, bad
// input, and that no request leaves the page's own files.

import assert from 'node:assert/strict';
import {
  existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';
import {after, before, describe, it} from 'node:test';
import {pathToFileURL} from 'node:url';
import {
  FIXTURES, ROOT, SINGLE_FILE, WWW, launch, open, pick, serve, settled,
} from './support.mjs';

const KB160660 = join(FIXTURES, 'samples', 'kb160660-operational.log');

/** Bytes of the junk file: enough to span several lines and chunks. */
const JUNK_BYTES = 200_000;

/**
 * Size of the file the cancel test stops: large enough that reading it
 * takes about two seconds, so Cancel is pressed while it is still running.
 */
const LARGE_BYTES = 256 * 1024 * 1024;

/** Writes a large operational log to a temporary directory. */
function largeLog() {
  const dir = mkdtempSync(join(tmpdir(), 'npe-lens-large-'));
  const lines = readFileSync(join(FIXTURES, 'SmtpPrevent_operational1.log'));
  const copies = Math.ceil(LARGE_BYTES / lines.length);
  const path = join(dir, 'SmtpPrevent_operational9.log');
  writeFileSync(path, Buffer.concat(Array(copies).fill(lines)));
  return {path, remove: () => rmSync(dir, {recursive: true, force: true})};
}

/** Deterministic binary junk (a linear congruential generator). */
function junk() {
  const bytes = Buffer.alloc(JUNK_BYTES);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  const mimeType = 'application/octet-stream';
  return {name: 'junk.bin', mimeType, buffer: bytes};
}

/** The damaged and oddly encoded fixtures, one per kind of trouble. */
function messyFixtures() {
  const dir = join(FIXTURES, 'messy');
  return readdirSync(dir)
      .filter((name) => name.endsWith('.log'))
      .sort()
      .map((name) => join(dir, name));
}

/**
 * Physical lines as a person counts them: a line ends at LF, CR LF or a
 * lone CR, and a last line without an end counts too. UTF-16 files (with
 * a byte-order mark) are counted on their code units.
 */
function physicalLines(bytes) {
  let units = bytes;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    units = new Uint16Array(bytes.buffer.slice(bytes.byteOffset + 2,
        bytes.byteOffset + bytes.length));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    units = Array.from({length: (bytes.length - 2) / 2},
        (_, i) => bytes[2 + 2 * i] * 256 + bytes[3 + 2 * i]);
  }
  let lines = 0;
  let open = false;
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (u === 10 || (u === 13 && units[i + 1] !== 10)) {
      lines += 1;
      open = false;
    } else if (u !== 13) {
      open = true;
    }
  }
  return lines + (open ? 1 : 0);
}

async function text(page, selector) {
  return (await page.textContent(selector)) ?? '';
}

/** Asserts that every chart figure holds an SVG with drawn shapes. */
async function assertChartsDrawn(page) {
  for (const id of ['chart-timing', 'chart-errors', 'chart-distribution']) {
    const shapes = await page.locator(
        `#${id} svg :is(path, polyline, rect, line)`).count();
    assert.ok(shapes > 5, `#${id}: ${shapes} shapes drawn`);
    const labels = await page.locator(`#${id} svg text`).count();
    assert.ok(labels > 3, `#${id}: ${labels} labels`);
  }
}

function assertOnlyOwnRequests(requests, origin) {
  const foreign = requests.filter((url) => !(
    (origin && url.startsWith(`${origin}/`)) || url.startsWith('file:') ||
    url.startsWith('blob:') || url.startsWith('data:')));
  assert.deepEqual(foreign, [], 'requests outside the page');
}

const variants = [
  {name: 'served page', served: true},
  {name: 'single-file page', served: false},
];

for (const variant of variants) {
  describe(variant.name, () => {
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
      assertOnlyOwnRequests(browser.requests, origin);
      await browser.close();
      server?.close();
    });

    it('analyses KB 160660 and draws the charts', async () => {
      const {page, errors} = await open(browser.context, url);
      assert.equal(await page.getAttribute('body', 'data-state'), 'idle');
      await pick(page, KB160660);
      assert.equal(await settled(page), 'done');
      const detail = await text(page, '#verdict-detail');
      assert.match(detail, /^1 message\(s\) \(0 errors\) in 4 lines/);
      assert.ok(await page.locator('[data-finding-id]').count() > 0);
      const found = page.locator(
          '[data-finding-id="forward-hosts-unavailable"]');
      assert.equal(await found.count(), 1);
      const send = await text(page, '#steps-table tbody tr:nth-child(3)');
      assert.match(send, /89\.5/);
      await assertChartsDrawn(page);
      await page.selectOption('#zone-select', 'America/Chicago');
      await page.waitForFunction(() => document.getElementById(
          'verdict-detail').textContent.includes('America/Chicago'));
      assert.equal(await settled(page), 'done');
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('reads several files in both formats', async () => {
      const {page, errors} = await open(browser.context, url);
      await pick(page, [
        join(FIXTURES, 'SmtpPrevent_operational0.log'),
        join(FIXTURES, 'RequestProcessor0.log'),
        join(FIXTURES, 'SmtpPrevent_operational1.log'),
      ]);
      assert.equal(await settled(page), 'done');
      const formats = await page.locator(
          '#files-table tbody td:nth-of-type(1)').allTextContents();
      assert.deepEqual(formats, ['operational', 'detector', 'operational']);
      const detail = await text(page, '#verdict-detail');
      assert.match(detail, /^4 message\(s\) \(1 errors\) in /);
      await assertChartsDrawn(page);
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('shows HTML in log lines as text and runs none of it', async () => {
      const {page, errors} = await open(browser.context, url);
      await pick(page, join(FIXTURES, 'html-payload.log'));
      assert.equal(await settled(page), 'done');
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate(() => window.__npeLensPwned), undefined);
      assert.equal(await page.locator('img').count(), 0);
      const scripts = await page.locator('script').evaluateAll(
          (all) => all.filter((s) => s.textContent.includes('Pwned')).length);
      assert.equal(scripts, 0);
      assert.match(await text(page, 'body'), /1 message\(s\)/);
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('keeps to its content security policy', async () => {
      const page = await browser.context.newPage();
      // Registered before the page's own scripts run, so that nothing
      // they do escapes it.
      await page.addInitScript(() => {
        window.npeLensViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.npeLensViolations.push(e.effectiveDirective);
        });
      });
      await page.goto(url);
      await pick(page, KB160660);
      assert.equal(await settled(page), 'done');
      await assertChartsDrawn(page);
      const violations = () => page.evaluate(() => window.npeLensViolations);
      assert.deepEqual(await violations(), [], 'the analysis broke the policy');
      // The policy is in force: what it forbids is refused and reported.
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.npeLensInline = true;';
        document.body.append(script);
        document.body.setAttribute('style', 'outline: 1px solid red');
      });
      // Reports arrive as events after the fact; without a policy, none.
      await page.waitForFunction(() => window.npeLensViolations.length >= 2,
          null, {timeout: 5_000}).catch(() => {});
      assert.equal(await page.evaluate(() => window.npeLensInline), undefined,
          'an inline script ran');
      assert.deepEqual((await violations()).sort(),
          ['script-src-elem', 'style-src-attr'], 'no policy in force');
      await page.close();
    });

    it('reads damaged and oddly encoded files without losing a line',
        async () => {
          const {page, errors} = await open(browser.context, url);
          const files = messyFixtures();
          await pick(page, files);
          assert.equal(await settled(page), 'done');
          const lines = files
              .map((f) => physicalLines(readFileSync(f)))
              .reduce((a, b) => a + b, 0);
          const detail = await text(page, '#verdict-detail');
          assert.match(detail, new RegExp(`in ${lines.toLocaleString('en')} ` +
              `lines of ${files.length} file`), detail);
          const notes = await text(page, '#format-notes');
          assert.match(notes, /empty\.log: the file is empty/);
          assert.match(notes, /binary-junk\.log: this is not an NPE log/);
          assert.match(notes, /out-of-order\.log: 1 records are earlier/);
          assert.deepEqual(errors, []);
          await page.close();
        });

    it('counts the records of two overlapping copies once', async () => {
      const {page, errors} = await open(browser.context, url);
      const dir = join(FIXTURES, 'messy');
      const copies = ['overlap-monday.log', 'overlap-tuesday.log']
          .map((name) => join(dir, name));
      const [monday, tuesday] = copies.map(
          (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
      const distinct = new Set([...monday, ...tuesday]);
      const messages = [...distinct]
          .filter((l) => l.includes('Message complete')).length;
      const shared = tuesday.filter((l) => monday.includes(l)).length;
      assert.ok(shared > 0);
      // The newer copy first: the order must not matter.
      await pick(page, [copies[1], copies[0]]);
      assert.equal(await settled(page), 'done');
      assert.match(await text(page, '#verdict-detail'),
          new RegExp(`^${messages} message\\(s\\) \\(0 errors\\) in ` +
              `${monday.length + tuesday.length} lines of 2 file`));
      assert.match(await text(page, '#format-notes'), new RegExp(
          `overlap-monday\\.log: ${shared} of its records are also in ` +
          'overlap-tuesday\\.log, an overlapping copy'));
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('turns a panic in the module into an error, then recovers',
        async () => {
          const {page, errors} = await open(browser.context, url);
          await pick(page, KB160660);
          assert.equal(await settled(page), 'done');
          // No input is known to panic the analyzer, so the worker is
          // asked to through its test request, out of the page's sight.
          const worker = page.workers().at(-1);
          const panic = await worker.evaluate(() => new Promise((done) => {
            self.onmessage({data: {id: -1, type: 'panic'}});
            const poll = setInterval(() => {
              if (self.npeLensPanic) {
                clearInterval(poll);
                done(self.npeLensPanic);
              }
            }, 10);
          }));
          assert.match(panic, /a panic requested by a test/);
          // The next analysis meets the stopped module: the page says so
          // in plain words and starts a fresh worker.
          await pick(page, KB160660);
          assert.equal(await settled(page, ['error']), 'error');
          const message = await text(page, '#error-text');
          assert.match(message, /^The analyzer stopped after an internal /);
          assert.match(message, /a panic requested by a test/);
          assert.match(message, /pick them again/);
          await pick(page, KB160660);
          assert.equal(await settled(page), 'done');
          assert.match(await text(page, '#verdict-detail'), /^1 message/);
          // The only errors logged are the panic's own.
          assert.ok(errors.length > 0);
          for (const e of errors) {
            assert.match(e, /a panic requested by a test/);
          }
          await page.close();
        });

    it('says so for a file that is not a log, then reads another',
        async () => {
          const {page, errors} = await open(browser.context, url);
          await pick(page, junk());
          const state = await settled(page);
          if (state === 'done') {
            assert.match(await text(page, '#format-notes'),
                /junk\.bin: this is not an NPE log/);
            assert.ok(await page.isVisible('#format-notes .note'));
          } else {
            assert.ok(await page.isVisible('#error-text'));
          }
          await pick(page, KB160660);
          await page.waitForFunction(() => /^1 message/.test(
              document.getElementById('verdict-detail').textContent));
          assert.equal(await settled(page), 'done');
          assert.deepEqual(errors, []);
          await page.close();
        });

    it('reads a gzip-compressed log', async () => {
      const {page, errors} = await open(browser.context, url);
      await pick(page, {
        name: 'SmtpPrevent_operational0.log.gz',
        mimeType: 'application/gzip',
        buffer: gzipSync(readFileSync(KB160660)),
      });
      assert.equal(await settled(page), 'done');
      assert.match(await text(page, '#verdict-detail'),
          /^1 message\(s\) \(0 errors\) in 4 lines/);
      assert.deepEqual(errors, []);
      await page.close();
    });

    it('cancels a long analysis, then reads another file', async () => {
      const large = largeLog();
      try {
        const {page, errors} = await open(browser.context, url);
        await pick(page, large.path);
        await page.waitForSelector('#cancel-button', {state: 'visible'});
        await page.click('#cancel-button');
        assert.equal(await page.getAttribute('body', 'data-state'), 'idle');
        assert.ok(await page.isHidden('#progress-section'));
        await pick(page, KB160660);
        assert.equal(await settled(page), 'done');
        assert.match(await text(page, '#verdict-detail'), /^1 message/);
        assert.deepEqual(errors, []);
        await page.close();
      } finally {
        large.remove();
      }
    });

    it('reaches every control from the keyboard', async () => {
      const {page, errors} = await open(browser.context, url);
      const reached = new Set();
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        reached.add(await page.evaluate(() => document.activeElement?.id));
      }
      for (const id of ['theme-button', 'file-input', 'zone-select']) {
        assert.ok(reached.has(id), `${id} not reached: ${[...reached]}`);
      }
      if (variant.served) {
        assert.ok(reached.has('sample-button'));
      }
      assert.deepEqual(errors, []);
      await page.close();
    });

    if (variant.served) {
      it('loads the bundled sample and takes screenshots', async () => {
        const {page, errors} = await open(browser.context, url);
        await page.click('#sample-button');
        assert.equal(await settled(page), 'done');
        assert.ok(await page.locator('#files-table tbody tr').count() >= 2);
        await assertChartsDrawn(page);
        const shots = join(ROOT, 'docs', 'screenshots');
        await page.emulateMedia({colorScheme: 'light'});
        await page.screenshot({path: join(shots, 'page-light.png'),
          fullPage: true});
        await page.emulateMedia({colorScheme: 'dark'});
        await page.screenshot({path: join(shots, 'page-dark.png'),
          fullPage: true});
        assert.deepEqual(errors, []);
        await page.close();
      });
    }
  });
}
