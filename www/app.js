// The page: picks files, streams them to the analysis worker, shows the
// report. No log text is ever parsed as HTML: everything taken from a
// log goes into the page through textContent.

import {drawCharts, loadChartModule} from './charts.js';
import {
  loadSettings, saveSettings, setUpExploring, startExploring,
} from './explore.js';

/**
 * Bytes per chunk sent to the worker. Reading a Blob costs a round trip
 * to the browser process per slice: 16 MiB slices read about half again
 * as fast as 4 MiB ones, and a 1 GB file still reports progress about
 * 60 times.
 */
const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Slices being read at once, ahead of the one handed to the worker, so
 * that reading overlaps parsing.
 */
const READS_AHEAD = 2;

/**
 * Chunks posted to the worker before waiting for its answer: two keep it
 * busy while the next slice is handed over. With the reads ahead, at
 * most about 64 MiB of file is held in flight.
 */
const MAX_IN_FLIGHT = 2;

/** Decompressed gzip output is gathered to this size before sending. */
const GZIP_BATCH_BYTES = 1024 * 1024;

/** The two bytes every gzip stream starts with. */
const GZIP_MAGIC = [0x1f, 0x8b];

/** Steps shown in the table, in pipeline order, with their labels. */
const STEPS = [
  ['receive', 'Receive (rtime)'],
  ['detection', 'Detection (dtime)'],
  ['send', 'Send (mtime − rtime − dtime)'],
  ['total', 'Total (mtime)'],
];

/** Theme button cycle: follow the system, then force light, then dark. */
const THEMES = ['auto', 'light', 'dark'];

const THEME_KEY = 'npe-lens-theme';

function assertExists(value, what) {
  if (value === null || value === undefined) {
    throw new Error(`missing: ${what}`);
  }
  return value;
}

function byId(id) {
  return assertExists(document.getElementById(id), `#${id}`);
}

const ui = {
  body: document.body,
  fileInput: byId('file-input'),
  zoneSelect: byId('zone-select'),
  sampleButton: byId('sample-button'),
  themeButton: byId('theme-button'),
  progressSection: byId('progress-section'),
  progressBar: byId('progress-bar'),
  progressText: byId('progress-text'),
  cancelButton: byId('cancel-button'),
  errorSection: byId('error-section'),
  errorText: byId('error-text'),
  resultsSection: byId('results-section'),
  verdictBox: byId('verdict-box'),
  verdict: byId('verdict'),
  verdictDetail: byId('verdict-detail'),
  formatNotes: byId('format-notes'),
  findings: byId('findings'),
  stepsBody: assertExists(
    byId('steps-table').querySelector('tbody'), 'steps tbody'),
  filesBody: assertExists(
    byId('files-table').querySelector('tbody'), 'files tbody'),
  chartTiming: byId('chart-timing'),
  chartErrors: byId('chart-errors'),
  chartDistribution: byId('chart-distribution'),
  chartNote: byId('chart-note'),
};

// ---- The worker connection -------------------------------------------

/** Raised inside an analysis when the user cancels it. */
class Cancelled extends Error {}

let worker = null;
let nextId = 1;
const pending = new Map();

function startWorker() {
  const source = document.getElementById('worker-source');
  if (source) {
    // The single-file page: the glue, the wasm bytes and the worker code
    // are inlined; a worker cannot be loaded from file:// directly.
    const parts = [
      assertExists(document.getElementById('wasm-glue'), 'glue').textContent,
      assertExists(document.getElementById('wasm-bytes'), 'bytes')
          .textContent,
      source.textContent,
    ];
    const url = URL.createObjectURL(
        new Blob(parts, {type: 'text/javascript'}));
    worker = new Worker(url);
    URL.revokeObjectURL(url);
  } else {
    worker = new Worker(new URL('./worker.js', import.meta.url),
        {type: 'module'});
  }
  worker.onmessage = (event) => settle(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    failAll(new Error(`the analysis worker failed: ${event.message}`));
  };
}

function settle(reply) {
  const call = pending.get(reply.id);
  if (!call) {
    return;
  }
  pending.delete(reply.id);
  if (reply.type === 'error') {
    call.reject(new Error(reply.message));
  } else {
    call.resolve(reply);
  }
}

function failAll(error) {
  for (const call of pending.values()) {
    call.reject(error);
  }
  pending.clear();
}

/** Sends one request; resolves with the worker's reply. */
function request(message, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, {resolve, reject});
    worker.postMessage({...message, id}, transfer);
  });
}

/** Stops the worker at once and starts a fresh one. */
function restartWorker(reason) {
  worker.terminate();
  failAll(reason);
  startWorker();
}

// ---- Reading files ---------------------------------------------------

/** Yields a file's bytes as ArrayBuffers, gunzipped when compressed. */
async function* chunksOf(file, onRead) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    yield* gunzippedChunksOf(file, onRead);
    return;
  }
  const reads = [];
  let offset = 0;
  const readNext = () => {
    if (offset < file.size) {
      const read = file.slice(offset, offset + CHUNK_BYTES).arrayBuffer();
      // Handled where it is awaited; a cancel leaves some unawaited.
      read.catch(() => {});
      reads.push(read);
      offset += CHUNK_BYTES;
    }
  };
  for (let i = 0; i < READS_AHEAD; i++) {
    readNext();
  }
  while (reads.length > 0) {
    const buffer = await reads.shift();
    readNext();
    onRead(buffer.byteLength);
    yield buffer;
  }
}

async function* gunzippedChunksOf(file, onRead) {
  const counter = new TransformStream({
    transform(chunk, controller) {
      onRead(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  const reader = file.stream().pipeThrough(counter)
      .pipeThrough(new DecompressionStream('gzip')).getReader();
  let batch = [];
  let size = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch (e) {
      throw new Error(`${file.name}: not a readable gzip file (${e.message})`);
    }
    if (step.done) {
      break;
    }
    batch.push(step.value);
    size += step.value.byteLength;
    if (size >= GZIP_BATCH_BYTES) {
      yield joined(batch, size);
      batch = [];
      size = 0;
    }
  }
  if (size > 0) {
    yield joined(batch, size);
  }
}

function joined(parts, size) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out.buffer;
}

// ---- One analysis ----------------------------------------------------

let running = null;

/** The files of the last analysis, read again when the zone changes. */
let lastFiles = [];

async function analyze(files) {
  lastFiles = files;
  if (running) {
    restartWorker(new Cancelled('replaced by a new analysis'));
  }
  const run = {cancelled: false};
  running = run;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let read = 0;
  let progress = {bytes: 0, lines: 0, messages: 0};
  setState('loading');
  showProgress(0, total, progress);
  try {
    await request({type: 'start', zone: ui.zoneSelect.value});
    for (const [i, file] of files.entries()) {
      // Told which file is the last, the worker keeps nothing for
      // comparing it with later ones; a lone file's lines go unhashed.
      const last = i === files.length - 1;
      await request({type: 'begin', name: file.name, last});
      const inFlight = [];
      const onRead = (n) => {
        read += n;
      };
      for await (const buffer of chunksOf(file, onRead)) {
        throwIfCancelled(run);
        const reply = request({type: 'chunk', bytes: buffer}, [buffer])
            .then((r) => {
              progress = r.progress;
              showProgress(read, total, progress);
            });
        // Handled where it is awaited; after a cancel or an error some
        // are never awaited, and their rejection is expected.
        reply.catch(() => {});
        inFlight.push(reply);
        if (inFlight.length >= MAX_IN_FLIGHT) {
          await inFlight.shift();
        }
      }
      await Promise.all(inFlight);
      await request({type: 'end'});
    }
    const width = chartWidth();
    const reply = await request({type: 'finish', width});
    throwIfCancelled(run);
    await startExploring({
      ask: request, files, width, charts: reply.charts,
      facets: reply.facets, zone: reply.report.zone.name,
      render: (report, charts) => showReport(report, charts, width),
      formatTime: (t) => formatTime(t, reply.report.zone.name),
    });
    throwIfCancelled(run);
    setState('done');
  } catch (e) {
    if (e instanceof Cancelled || run.cancelled) {
      return;
    }
    showError(e);
  } finally {
    if (running === run) {
      running = null;
      ui.progressSection.hidden = true;
    }
  }
}

function throwIfCancelled(run) {
  if (run.cancelled) {
    throw new Cancelled('cancelled');
  }
}

function cancel() {
  if (!running) {
    return;
  }
  running.cancelled = true;
  running = null;
  restartWorker(new Cancelled('cancelled by the user'));
  ui.progressSection.hidden = true;
  setState('idle');
}

function showError(error) {
  restartWorker(new Cancelled('restarted after an error'));
  ui.errorText.textContent = error.message || String(error);
  ui.errorSection.hidden = false;
  ui.resultsSection.hidden = true;
  setState('error');
}

function setState(state) {
  ui.body.dataset.state = state;
  ui.progressSection.hidden = state !== 'loading';
  if (state === 'loading') {
    ui.errorSection.hidden = true;
  }
}

function showProgress(read, total, progress) {
  const percent = total > 0 ? Math.min(100, (100 * read) / total) : 100;
  ui.progressBar.value = percent;
  ui.progressText.textContent = `${formatBytes(read)} of ` +
    `${formatBytes(total)} (${percent.toFixed(0)} %), ` +
    `${grouped(progress.lines)} lines, ` +
    `${grouped(progress.messages)} messages found`;
}

function chartWidth() {
  const box = ui.resultsSection.parentElement.getBoundingClientRect();
  return Math.max(600, Math.min(1400, Math.round(box.width)));
}

// ---- The report ------------------------------------------------------

async function showReport(report, charts, width) {
  const zone = report.zone.name;
  showVerdict(report);
  showFormatNotes(report);
  showFindings(report.findings, zone);
  showSteps(report.timings);
  showFiles(report.files, zone);
  ui.errorSection.hidden = true;
  ui.resultsSection.hidden = false;
  await drawCharts(charts, width, {
    timing: ui.chartTiming,
    errors: ui.chartErrors,
    distribution: ui.chartDistribution,
  });
  ui.chartNote.textContent = charts.untimed_messages > 0 ?
    `${grouped(charts.untimed_messages)} message(s) had no timestamp: ` +
      'they are in the distribution, not on the time axis.' :
    '';
}

function showVerdict(report) {
  const t = report.totals;
  const messages = t.messages_complete + t.message_errors;
  const top = report.findings.find((f) => f.severity !== 'info') ??
    report.findings[0];
  ui.verdictBox.className = `verdict ${top ? top.severity : 'info'}`;
  ui.verdict.textContent = top ? top.title :
    messages === 0 ? 'No Network Prevent messages found' : 'No findings';
  ui.verdictDetail.textContent = `${grouped(messages)} message(s) ` +
    `(${grouped(t.message_errors)} errors) in ${grouped(t.lines)} ` +
    `lines of ${t.files} file(s); times shown in ${report.zone.name}.`;
}

// The core words each problem with a file (empty, not an NPE log,
// unrecognized or overlong lines, records out of order) in one sentence
// that names the file; the CLI prints the same sentences on stderr.
function showFormatNotes(report) {
  const notes = report.files.flatMap((f) => f.notes ?? []).map((note) => {
    const p = element('p', 'note');
    p.textContent = note;
    return p;
  });
  ui.formatNotes.replaceChildren(...notes);
}

function showFindings(findings, zone) {
  if (findings.length === 0) {
    const p = element('p', 'hint');
    p.textContent = 'No findings: no message records were read.';
    ui.findings.replaceChildren(p);
    return;
  }
  ui.findings.replaceChildren(...findings.map((f) => findingElement(f, zone)));
}

function findingElement(finding, zone) {
  const box = element('article', `finding ${finding.severity}`);
  box.dataset.findingId = finding.id;
  const title = element('h3');
  const badge = element('span', `badge ${finding.severity}`);
  badge.textContent = finding.severity;
  title.append(badge, finding.title);
  box.append(title);
  const meta = element('p', 'meta');
  meta.textContent = `${finding.id} · confidence ${finding.confidence}` +
    (finding.first ? ` · ${timeRange(finding.first, finding.last, zone)}` :
      '');
  box.append(meta, textElement('p', finding.explanation));
  if (finding.evidence.length > 0) {
    box.append(textElement('h4', 'Evidence'),
        listElement('ul', finding.evidence));
  }
  if (finding.samples.length > 0) {
    const pre = element('pre');
    pre.textContent = finding.samples
        .map((s) => `${s.file}:${s.line}: ${s.text}`)
        .join('\n');
    box.append(textElement('h4', 'Log lines'), pre);
  }
  if (finding.next_steps.length > 0) {
    box.append(textElement('h4', 'What to check'),
        listElement('ol', finding.next_steps));
  }
  return box;
}

function showSteps(timings) {
  const rows = STEPS.map(([key, label]) => {
    const s = timings[key];
    return tableRow([
      label,
      grouped(s.count),
      seconds(s.p50),
      seconds(s.p95),
      seconds(s.p99),
      seconds(s.max),
    ]);
  });
  ui.stepsBody.replaceChildren(...rows);
}

function showFiles(files, zone) {
  const rows = files.map((f) => tableRow([
    f.name,
    f.format,
    f.first ? formatTime(f.first, zone) : '—',
    f.last ? formatTime(f.last, zone) : '—',
    grouped(f.lines),
    grouped(f.unrecognized_lines),
    f.duplicate_of ?? '—',
  ]));
  ui.filesBody.replaceChildren(...rows);
}

// ---- Small DOM and format helpers ------------------------------------

function element(tag, className) {
  const el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  return el;
}

function textElement(tag, text) {
  const el = element(tag);
  el.textContent = text;
  return el;
}

function listElement(tag, items) {
  const list = element(tag);
  list.append(...items.map((item) => textElement('li', item)));
  return list;
}

function tableRow(cells) {
  const row = element('tr');
  row.append(...cells.map((text, i) => textElement(i ? 'td' : 'th', text)));
  row.firstChild.setAttribute('scope', 'row');
  return row;
}

function grouped(n) {
  return Number(n).toLocaleString('en-US');
}

function seconds(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

const timeFormats = new Map();

/** An RFC 3339 time as `2012-06-12 08:32:31` in the report's zone. */
function formatTime(rfc3339, zone) {
  if (!timeFormats.has(zone)) {
    let format = null;
    try {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric',
        month: '2-digit', day: '2-digit', hour: '2-digit',
        minute: '2-digit', second: '2-digit',
      });
    } catch {
      // An offset such as +05:30 is not an Intl zone: show UTC.
    }
    timeFormats.set(zone, format);
  }
  const format = timeFormats.get(zone);
  const date = new Date(rfc3339);
  if (!format) {
    return rfc3339.replace('T', ' ').slice(0, 19) + ' UTC';
  }
  return format.format(date).replace(', ', ' ');
}

function timeRange(first, last, zone) {
  const a = formatTime(first, zone);
  return last && last !== first ? `${a} to ${formatTime(last, zone)}` : a;
}

// ---- Controls --------------------------------------------------------

function fillZones() {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const zones = typeof Intl.supportedValuesOf === 'function' ?
    Intl.supportedValuesOf('timeZone') : [];
  const names = [...new Set(['UTC', local, ...zones])];
  ui.zoneSelect.replaceChildren(...names.map((name) => {
    const option = element('option');
    option.value = name;
    option.textContent = name === local ? `${name} (this computer)` : name;
    return option;
  }));
  const saved = loadSettings().zone;
  ui.zoneSelect.value = names.includes(saved) ? saved : local;
}

async function loadSample() {
  try {
    const base = new URL('sample/', document.baseURI);
    const index = await fetchOk(new URL('index.json', base));
    const {files} = await index.json();
    const blobs = await Promise.all(files.map(async (name) => {
      const response = await fetchOk(new URL(name, base));
      return new File([await response.blob()], name);
    }));
    await analyze(blobs);
  } catch (e) {
    showError(new Error(`the sample could not be loaded: ${e.message}`));
  }
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url.pathname}: HTTP ${response.status}`);
  }
  return response;
}

function applyTheme(theme) {
  if (theme === 'auto') {
    delete document.documentElement.dataset.theme;
  } else {
    document.documentElement.dataset.theme = theme;
  }
  ui.themeButton.textContent = `Theme: ${theme}`;
  ui.themeButton.setAttribute('aria-label', `Colour theme: ${theme}`);
}

function storedTheme() {
  try {
    return localStorage.getItem(THEME_KEY) ?? 'auto';
  } catch {
    return 'auto';
  }
}

function cycleTheme() {
  const now = document.documentElement.dataset.theme ?? 'auto';
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  applyTheme(next);
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // Storage may be off (private windows, file://): the choice then
    // lasts until the page is closed.
  }
}

function listenForDrops() {
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    ui.body.classList.add('dragging');
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) {
      ui.body.classList.remove('dragging');
    }
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    ui.body.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) {
      analyze(files);
    }
  });
}

function main() {
  applyTheme(storedTheme());
  fillZones();
  startWorker();
  listenForDrops();
  ui.fileInput.addEventListener('change', () => {
    const files = [...ui.fileInput.files];
    ui.fileInput.value = '';
    if (files.length > 0) {
      analyze(files);
    }
  });
  ui.cancelButton.addEventListener('click', cancel);
  ui.zoneSelect.addEventListener('change', () => {
    saveSettings(ui.zoneSelect.value);
    if (lastFiles.length > 0 && ui.body.dataset.state === 'done') {
      analyze(lastFiles);
    }
  });
  ui.themeButton.addEventListener('click', cycleTheme);
  setUpExploring();
  if (document.getElementById('worker-source')) {
    // The single-file page cannot fetch: it has no sample next to it.
    ui.sampleButton.hidden = true;
  } else {
    ui.sampleButton.addEventListener('click', loadSample);
  }
  loadChartModule().catch(() => {
    // Reported when the charts are drawn.
  });
}

main();
