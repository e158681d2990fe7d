// The page's throughput, responsiveness and memory in headless Chromium,
// side by side with two baselines measured in the same run: the native
// CLI on the same file, and the page's I/O ceiling (the file read with
// Blob.slice as the page reads it, and transferred to a worker that does
// nothing). Ratios within one run mean more than absolute times on a
// shared machine.
//
// Builds nothing: run ./build.sh first. Generates bench-data/ logs when
// they are missing (the same directories as tools/bench-native.sh).
//
// Usage: node tools/bench-browser.mjs [--runs N] [--www DIR] [SIZES_MB...]
//   SIZES_MB   operational log sizes (default: 100 1000); a detector
//              log of the smallest size is measured as well
//   --runs N   runs per file (default: $BENCH_RUNS or 3)
//   --www DIR  serve another build of the page (default: www/), to
//              compare two builds on the same machine

import {spawnSync} from 'node:child_process';
import {
  closeSync, existsSync, openSync, readdirSync, readFileSync, statSync,
} from 'node:fs';
import {join, resolve} from 'node:path';
import {chromium} from 'playwright-core';
import {CHROMIUM, CHROMIUM_ARGS, ROOT, WWW, serve} from
  '../tests/e2e/support.mjs';

const CLI = join(ROOT, 'target', 'release', 'npe-lens');
const DATA = join(ROOT, 'bench-data');

/** Log bytes per generated message, by format (as bench-native.sh). */
const BYTES_PER_MESSAGE = {operational: 1000, detector: 1630};

/**
 * The page's memory bound: wasm memory and JS heaps beyond the message
 * and connection records, in bytes, whatever the file size.
 */
const BEYOND_RECORDS_BOUND = 256 * 1e6;

/** How often memory is sampled while the page analyses, in ms. */
const SAMPLE_MS = 250;


/** The longest any one analysis may take before the run is abandoned. */
const RUN_TIMEOUT_MS = 300_000;

/** How long the idle page's frame gaps are watched, for comparison. */
const IDLE_MS = 3000;

/** Progress events the cancel check waits for before pressing Cancel. */
const CANCEL_AFTER_EVENTS = 5;

const MB = 1e6;
const MIB = 1024 * 1024;

// ---- Data and the native baseline --------------------------------------

/**
 * How the page reads a file, taken from its app.js so that the I/O
 * ceiling reads the same way: chunk size, reads kept ahead, and chunks
 * the worker may hold unanswered.
 */
function pageReading(appJs) {
  const source = readFileSync(appJs, 'utf8');
  const constant = (name) => {
    const m = source.match(new RegExp(`const ${name} = ([0-9 *]+);`));
    if (!m) {
      throw new Error(`${appJs}: no ${name}`);
    }
    return m[1].split('*').reduce((product, f) => product * Number(f), 1);
  };
  return [
    constant('CHUNK_BYTES'), constant('READS_AHEAD'),
    constant('MAX_IN_FLIGHT'),
  ];
}

function parseArgs(argv) {
  let runs = Number(process.env.BENCH_RUNS ?? 3);
  let www = WWW;
  const sizes = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      runs = Number(argv[++i]);
    } else if (argv[i] === '--www') {
      www = resolve(argv[++i]);
    } else {
      sizes.push(Number(argv[i]));
    }
  }
  if (!(runs >= 1) || sizes.some((mb) => !(mb > 0))) {
    throw new Error(
        'usage: bench-browser.mjs [--runs N] [--www DIR] [SIZES_MB...]');
  }
  return {runs, www, sizes: sizes.length > 0 ? sizes : [100, 1000]};
}

/** The log file of one data set, generated when missing. */
function dataFile(format, mb) {
  const dir = join(DATA, `${format}-${mb}`);
  if (!existsSync(dir)) {
    const messages = Math.round(mb * MB / BYTES_PER_MESSAGE[format]);
    const args = ['generate', '--scenario', 'mixed', '--seed', '42',
      '--format', format, '--messages', String(messages),
      '--minutes', '1440', '--out', dir];
    if (format === 'detector') {
      args.push('--noise');
    }
    run(CLI, args, 'ignore');
  }
  const log = readdirSync(dir).find((name) => name.endsWith('.log'));
  if (!log) {
    throw new Error(`${dir}: no .log file`);
  }
  return join(dir, log);
}

function run(command, args, stdout) {
  const result = spawnSync(command, args, {stdio: ['ignore', stdout,
    'inherit']});
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')}: exit ${result.status}`);
  }
}

/** Wall time of one native analysis of `file`, in ms. */
function nativeMs(file) {
  // Into a file, as a user would: the JSON is written in full.
  const out = openSync(join(DATA, 'out'), 'w');
  try {
    const start = performance.now();
    run(CLI, ['analyze', '--json', '--tz', 'UTC', file], out);
    return performance.now() - start;
  } finally {
    closeSync(out);
  }
}

// ---- Instrumentation injected into the page ----------------------------

/**
 * Runs in the page before app.js. Watches the worker's replies without
 * touching the app: progress times, the peak of the worker's wasm
 * memory, the chart data; the pick (the file input's change event) and
 * data-state=done are timed with performance.now(). `begin()` arms a
 * requestAnimationFrame loop that records the longest frame gap until
 * the analysis is done.
 */
function instrumentPage() {
  const bench = {};
  window.npeLensBench = bench;
  bench.begin = () => {
    Object.assign(bench, {
      pickedAt: 0, reportAt: 0, doneAt: 0, state: '', progress: [],
      wasmPeak: 0, wasmRead: 0, heapPeak: 0, heapEnd: 0, records: 0,
      frameGap: 0, charts: null, messages: 0,
      cancelAt: 0, idleAt: 0,
    });
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      if (bench.pickedAt > 0) {
        bench.frameGap = Math.max(bench.frameGap, now - last);
      }
      last = now;
      if (!bench.doneAt) {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
  };
  const Base = window.Worker;
  window.Worker = class extends Base {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const reply = event.data;
        bench.wasmPeak = Math.max(bench.wasmPeak, reply.wasmBytes ?? 0);
        if (reply.heap) {
          bench.heapPeak = Math.max(bench.heapPeak, reply.heap.peak);
          bench.heapEnd = reply.heap.live;
          bench.records = reply.heap.messages + reply.heap.connections;
        }
        if (reply.type === 'progress') {
          bench.wasmRead = reply.wasmBytes ?? 0;
          bench.progress.push(performance.now());
        } else if (reply.type === 'report') {
          bench.reportAt = performance.now();
          bench.charts = reply.charts;
          const t = reply.report.totals;
          bench.messages = t.messages_complete + t.message_errors;
        }
      });
    }
  };
  window.addEventListener('click', (event) => {
    if (event.target.id === 'cancel-button') {
      bench.cancelAt = performance.now();
    }
  }, true);
  window.addEventListener('change', (event) => {
    if (event.target.id === 'file-input') {
      bench.pickedAt = performance.now();
    }
  }, true);
  const watch = () => {
    const state = document.body.dataset.state;
    if (state === 'done' || state === 'error') {
      bench.doneAt ||= performance.now();
      bench.state = state;
    } else if (state === 'idle' && bench.cancelAt > 0) {
      bench.idleAt ||= performance.now();
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(watch).observe(document.body,
        {attributes: true, attributeFilter: ['data-state']});
  });
}

/** The page's I/O ceiling; runs in the page. Resolves to ms. */
async function readCeiling([chunkBytes, readsAhead, maxInFlight]) {
  const file = document.getElementById('bench-input').files[0];
  const source = 'onmessage = (e) => postMessage(e.data.byteLength);';
  const url = URL.createObjectURL(new Blob([source]));
  const sink = new Worker(url);
  const acks = [];
  sink.onmessage = () => acks.shift()();
  const start = performance.now();
  const reads = [];
  let offset = 0;
  const readNext = () => {
    if (offset < file.size) {
      reads.push(file.slice(offset, offset + chunkBytes).arrayBuffer());
      offset += chunkBytes;
    }
  };
  for (let i = 0; i < readsAhead; i++) {
    readNext();
  }
  const inFlight = [];
  while (reads.length > 0) {
    const buffer = await reads.shift();
    readNext();
    inFlight.push(new Promise((done) => acks.push(done)));
    sink.postMessage(buffer, [buffer]);
    if (inFlight.length >= maxInFlight) {
      await inFlight.shift();
    }
  }
  await Promise.all(inFlight);
  const ms = performance.now() - start;
  sink.terminate();
  URL.revokeObjectURL(url);
  return ms;
}

/** The longest frame gap of the idle page over `ms`; runs in the page. */
function idleFrameGap(ms) {
  return new Promise((done) => {
    const start = performance.now();
    let last = start;
    let gap = 0;
    const tick = () => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
      if (now - start < ms) {
        requestAnimationFrame(tick);
      } else {
        done(gap);
      }
    };
    requestAnimationFrame(tick);
  });
}

/** Times drawCharts on the last report's data; runs in the page. */
async function chartMs() {
  const {drawCharts} = await import('./charts.js');
  const into = {
    timing: document.createElement('figure'),
    errors: document.createElement('figure'),
    distribution: document.createElement('figure'),
  };
  const start = performance.now();
  await drawCharts(window.npeLensBench.charts, 1136, into);
  return performance.now() - start;
}

// ---- Memory probes -----------------------------------------------------

/**
 * JS heap of the page and of its worker through the DevTools protocol,
 * and the resident size of the browser's renderer processes.
 */
class MemoryProbe {
  constructor(browser, context, page) {
    this.browser = browser;
    this.context = context;
    this.page = page;
    this.nextId = 1;
    this.waiting = new Map();
  }

  async open() {
    this.pageSession = await this.context.newCDPSession(this.page);
    this.browserSession = await this.browser.newBrowserCDPSession();
    this.browserSession.on('Target.receivedMessageFromTarget', (e) => {
      const message = JSON.parse(e.message);
      this.waiting.get(message.id)?.(message.result);
      this.waiting.delete(message.id);
    });
  }

  /** Attaches to a new analysis worker; the page may have restarted it. */
  async attachWorker() {
    const {targetInfos} = await this.browserSession.send('Target.getTargets');
    // By URL: the read-only baseline's sink is a worker too.
    const target = targetInfos.find((t) => t.type === 'worker' &&
      t.url.endsWith('/worker.js') && t.targetId !== this.workerTarget);
    if (!target) {
      return;
    }
    // The non-flat protocol: playwright sessions route flat ones only.
    const {sessionId} = await this.browserSession.send(
        'Target.attachToTarget', {targetId: target.targetId, flatten: false});
    this.workerTarget = target.targetId;
    this.workerSession = sessionId;
  }

  workerHeap() {
    const id = this.nextId++;
    const reply = new Promise((done) => this.waiting.set(id, done));
    this.browserSession.send('Target.sendMessageToTarget', {
      sessionId: this.workerSession,
      message: JSON.stringify({id, method: 'Runtime.getHeapUsage'}),
    });
    // A worker that ended never answers.
    const late = sleep(SAMPLE_MS * 8).then(() => null);
    return Promise.race([reply, late]).then((r) => r?.usedSize ?? 0);
  }

  async sample() {
    const [page, worker] = await Promise.all([
      this.pageSession.send('Runtime.getHeapUsage').then((r) => r.usedSize),
      this.workerHeap(),
    ]);
    return {page, worker, rss: rendererRss()};
  }

  /** Samples until `until` settles; resolves to the peaks seen. */
  async peaksDuring(until) {
    await this.attachWorker();
    const peak = {page: 0, worker: 0, rss: 0};
    let done = false;
    const finished = until.finally(() => {
      done = true;
    });
    while (!done) {
      const s = await this.sample();
      for (const key of Object.keys(peak)) {
        peak[key] = Math.max(peak[key], s[key]);
      }
      await Promise.race([finished, sleep(SAMPLE_MS)]);
    }
    await finished;
    return peak;
  }
}

/** Resident bytes of the renderers of the Chromium this process runs. */
function rendererRss() {
  const parent = new Map();
  const renderers = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces; fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('--type=renderer')) {
        renderers.push(Number(name));
      }
    } catch {
      // The process ended while being read.
    }
  }
  const ours = (pid) => {
    for (let p = parent.get(pid); p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        return true;
      }
    }
    return false;
  };
  let total = 0;
  for (const pid of renderers.filter(ours)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
    } catch {
      // Gone already.
    }
  }
  return total;
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

// ---- One measured analysis ---------------------------------------------

async function analyzeOnce(page, probe, file) {
  await page.evaluate(() => window.npeLensBench.begin());
  const start = performance.now();
  await page.setInputFiles('#file-input', file);
  const settled = page.waitForFunction(
      () => window.npeLensBench.doneAt > 0, null,
      {timeout: RUN_TIMEOUT_MS, polling: 100});
  const peak = await probe.peaksDuring(settled);
  const nodeMs = performance.now() - start;
  const b = await page.evaluate(() => {
    const b = window.npeLensBench;
    const times = [b.pickedAt, ...b.progress];
    let progressGap = 0;
    for (let i = 1; i < times.length; i++) {
      progressGap = Math.max(progressGap, times[i] - times[i - 1]);
    }
    return {
      state: b.state, pageMs: b.doneAt - b.pickedAt,
      reportMs: b.doneAt - b.reportAt, frameGap: b.frameGap,
      progressEvents: b.progress.length, progressGap,
      wasmPeak: b.wasmPeak, wasmRead: b.wasmRead, heapPeak: b.heapPeak,
      heapEnd: b.heapEnd, records: b.records, messages: b.messages,
    };
  });
  if (b.state !== 'done') {
    const text = await page.textContent('#error-text');
    throw new Error(`${file}: the page ended in ${b.state}: ${text}`);
  }
  return {...b, nodeMs, ...peak};
}

/**
 * Presses Cancel during an analysis; resolves to the ms from the click
 * event to the idle state, timed in the page.
 */
async function cancelMs(page, file) {
  await page.evaluate(() => window.npeLensBench.begin());
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(
      (n) => window.npeLensBench.progress.length >= n, CANCEL_AFTER_EVENTS,
      {polling: 10});
  // Forced: the moving progress text keeps the button from counting as
  // stable, and waiting for that is not what is measured.
  await page.click('#cancel-button', {force: true});
  await page.waitForFunction(() => window.npeLensBench.idleAt > 0, null,
      {polling: 10});
  return page.evaluate(() => {
    const b = window.npeLensBench;
    return b.idleAt - b.cancelAt;
  });
}

// ---- Statistics and output ---------------------------------------------

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mid: sorted[Math.floor((sorted.length - 1) / 2)],
    low: sorted[0],
    high: sorted.at(-1),
  };
}

/** `1.234 s (1.200-1.300)`: median and spread of ms values, in s. */
function secs(values) {
  const m = median(values);
  const s = (ms) => (ms / 1000).toFixed(3);
  return `${s(m.mid)} s (${s(m.low)}-${s(m.high)})`;
}

function mib(bytes) {
  return `${(bytes / MIB).toFixed(0)} MiB`;
}

/**
 * Memory beyond the records: the peaks of wasm memory and of both JS
 * heaps, less the bytes of the message and connection records.
 */
function beyondRecords(runs) {
  const peak = (key) => Math.max(...runs.map((r) => r[key]));
  const beyond = peak('wasmPeak') + peak('page') + peak('worker') -
    peak('records');
  const verdict = beyond <= BEYOND_RECORDS_BOUND ? 'within' : 'over';
  return [
    `  records   ${mib(peak('records'))} of messages and connections` +
      ` (${(peak('records') / runs[0].messages).toFixed(0)} bytes per` +
      ' message); wasm heap peak' +
      ` ${mib(peak('heapPeak'))}, ${mib(peak('heapEnd'))} live at the end`,
    `  beyond    ${(beyond / MB).toFixed(0)} MB beyond the records` +
      ' (wasm memory + JS heaps - records),' +
      ` ${verdict} the ${BEYOND_RECORDS_BOUND / MB} MB bound`,
  ];
}

function report(label, bytes, runs, native, ceiling) {
  const col = (key) => runs.map((r) => r[key]);
  const page = median(col('pageMs')).mid;
  const mbs = (ms) => `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`;
  const peak = (key) => Math.max(...col(key));
  const lines = [
    `${label}, ${(bytes / MB).toFixed(0)} MB, ` +
      `${runs[0].messages.toLocaleString('en-US')} messages`,
    `  page      ${secs(col('pageMs'))} ${mbs(page)}` +
      ` (from node: ${secs(col('nodeMs'))})`,
    `  native    ${secs(native)} ${mbs(median(native).mid)}`,
    `  read only ${secs(ceiling)} ${mbs(median(ceiling).mid)}`,
    `  ratios    page/native ${(page / median(native).mid).toFixed(2)}x,` +
      ` page/read-only ${(page / median(ceiling).mid).toFixed(2)}x`,
    `  report    ${secs(col('reportMs'))} from the report reply to done` +
      ' (tables and charts)',
    `  UI        longest frame gap ${median(col('frameGap')).mid.toFixed(0)}` +
      ` ms (max ${peak('frameGap').toFixed(0)}),` +
      ` ${median(col('progressEvents')).mid} progress events,` +
      ` longest gap ${median(col('progressGap')).mid.toFixed(0)} ms`,
    `  memory    wasm ${mib(peak('wasmPeak'))}` +
      ` (${mib(peak('wasmRead'))} when read), JS heap page` +
      ` ${mib(peak('page'))} worker ${mib(peak('worker'))},` +
      ` renderer RSS ${mib(peak('rss'))} (peaks)`,
    ...beyondRecords(runs),
  ];
  console.log(lines.join('\n'));
}

// ---- Main --------------------------------------------------------------

async function main() {
  const {runs, www, sizes} = parseArgs(process.argv.slice(2));
  const reading = pageReading(join(www, 'app.js'));
  // Smallest first: the worker's wasm memory never shrinks, so each
  // file's peak shows only when no larger file went before it.
  const sets = [
    ...sizes.map((mb) => ['operational', mb]),
    ['detector', Math.min(...sizes)],
  ].sort((a, b) => a[1] - b[1]);
  const files = sets.map(([format, mb]) => [format, dataFile(format, mb)]);

  const {origin, server} = await serve(www);
  const browser = await chromium.launch({
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true,
  });
  try {
    const context = await browser.newContext(
        {viewport: {width: 1200, height: 900}});
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.addInitScript(instrumentPage);
    await page.goto(`${origin}/`);
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'file';
      input.id = 'bench-input';
      input.hidden = true;
      document.body.append(input);
    });
    const probe = new MemoryProbe(browser, context, page);
    await probe.open();
    const idle = await page.evaluate(idleFrameGap, IDLE_MS);
    console.log(`idle page   longest frame gap ${idle.toFixed(0)} ms over` +
      ` ${IDLE_MS / 1000} s: what the machine allows before any analysis`);

    let largest = null;
    for (const [format, file] of files) {
      const bytes = statSync(file).size;
      await page.setInputFiles('#bench-input', file);
      const measured = [];
      const native = [];
      const ceiling = [];
      for (let i = 0; i < runs; i++) {
        native.push(nativeMs(file));
        ceiling.push(await page.evaluate(readCeiling, reading));
        measured.push(await analyzeOnce(page, probe, file));
      }
      report(format, bytes, measured, native, ceiling);
      if (format === 'operational') {
        const charts = [];
        for (let i = 0; i < runs; i++) {
          charts.push(await page.evaluate(chartMs));
        }
        console.log(`  charts    ${secs(charts)} to draw all three for` +
          ` ${measured[0].messages.toLocaleString('en-US')} messages`);
        largest = file;
      }
    }
    const cancel = await cancelMs(page, largest);
    console.log(`cancel      ${cancel.toFixed(1)} ms` +
      ` from the click to the idle state, ${CANCEL_AFTER_EVENTS}` +
      ' progress events in');
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
