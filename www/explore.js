// Exploring a finished analysis: a time window brushed on the charts,
// filters with removable chips, the tables, a message's story with its
// raw log lines, and the downloads.
//
// The worker keeps the whole dataset; every change of window or filter
// asks it for a new view (report, chart data, tables), and the page
// redraws figures, findings, charts and tables from that one view. Raw
// lines are never in the worker: a message's lines are read again from
// the user's File with Blob.slice. Log text enters the page through
// textContent only.

import {chartPlotX} from './charts.js';

/** Bytes read before a message when its connection's start is unknown. */
const STORY_BEFORE_BYTES = 64 * 1024;

/** Bytes read after a message, for the lines that close its connection. */
const STORY_AFTER_BYTES = 16 * 1024;

/** A connection's start farther back than this is not read from. */
const STORY_MAX_BYTES = 1024 * 1024;

/** Lines shown in a story at most. */
const STORY_MAX_LINES = 200;

/** Minute rows of the errors table at most. */
const MINUTE_ROWS = 240;

/** A drag narrower than this many pixels is a click, not a window. */
const MIN_BRUSH_PX = 6;

/** Settings remembered between visits: never log content. */
const SETTINGS_KEY = 'npe-lens-settings';

/** Filters remembered: their values are vocabulary, not log content. */
const REMEMBERED_FILTERS = ['code', 'disposition', 'min_size', 'max_size'];

/** Filter keys with their chip labels, in chip order. */
const FILTER_LABELS = [
  ['host', 'downstream host'],
  ['code', 'reply code'],
  ['disposition', 'disposition'],
  ['sender_domain', 'sender domain'],
  ['min_size', 'size at least'],
  ['max_size', 'size at most'],
  ['search', 'search'],
];

/** Sortable columns of the slowest-messages table. */
const SLOWEST_COLUMNS = [
  ['time', 'Time', false],
  ['receive', 'Receive', true],
  ['detection', 'Detection', true],
  ['send', 'Send', true],
  ['total', 'Total', true],
  ['size', 'Size', true],
  ['code', 'Code', false],
  ['downstream', 'Downstream host', false],
];

/** The state of the exploration of one finished analysis. */
const state = {
  ask: null,
  files: [],
  render: null,
  formatTime: null,
  width: 800,
  filter: {},
  full: null,
  series: null,
  view: null,
  sort: {key: 'total', descending: true},
  busy: Promise.resolve(),
};

function byIdX(id) {
  const found = document.getElementById(id);
  if (!found) {
    throw new Error(`missing: #${id}`);
  }
  return found;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function count(n) {
  return Number(n).toLocaleString('en-US');
}

function secs(x) {
  if (x === null || x === undefined) {
    return '—';
  }
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function bytes(n) {
  if (n === null || n === undefined) {
    return '—';
  }
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` :
    n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

// ---- Settings --------------------------------------------------------

/** The remembered settings, or an empty object. */
export function loadSettings() {
  try {
    return JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

/** Remembers the zone and the vocabulary filters, nothing else. */
export function saveSettings(zone) {
  const filters = {};
  for (const key of REMEMBERED_FILTERS) {
    if (state.filter[key] !== undefined) {
      filters[key] = state.filter[key];
    }
  }
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify({zone, filters}));
  } catch {
    // Storage may be off: settings then last until the page closes.
  }
}

// ---- Starting ----------------------------------------------------------

/**
 * Starts exploring a finished analysis.
 * @param {object} o
 * @param {Function} o.ask sends a request to the worker, resolves to
 *   its reply
 * @param {File[]} o.files the files, in the order analysed
 * @param {Function} o.render draws report and chart data; async
 * @param {Function} o.formatTime formats an RFC 3339 time in the zone
 * @param {object} o.charts the full chart data
 * @param {object} o.facets values the filters can take
 * @param {number} o.width chart width in pixels
 * @param {string} o.zone the zone name, remembered
 */
export async function startExploring(o) {
  Object.assign(state, {
    ask: o.ask, files: o.files, render: o.render,
    formatTime: o.formatTime, width: o.width, zone: o.zone,
    full: o.charts, series: o.charts, view: null,
  });
  delete state.filter.from;
  delete state.filter.to;
  dropAbsentValues(o.facets);
  fillFacets(o.facets);
  byIdX('story-section').hidden = true;
  byIdX('explore-section').hidden = false;
  await refresh();
}

/** Forgets filter values the new analysis does not have. */
function dropAbsentValues(facets) {
  const present = {
    host: facets.hosts,
    code: facets.codes,
    disposition: facets.dispositions,
    sender_domain: facets.sender_domains,
  };
  for (const [key, values] of Object.entries(present)) {
    if (state.filter[key] !== undefined &&
      !values.includes(state.filter[key])) {
      delete state.filter[key];
    }
  }
}

/** Asks the worker for the view of the current window and filters. */
function refresh() {
  const filter = {...state.filter};
  state.busy = state.busy.then(async () => {
    const error = byIdX('filter-error');
    try {
      const reply = await state.ask({type: 'view', filter, width: state.width});
      error.textContent = '';
      error.hidden = true;
      state.view = reply.view;
      state.series = reply.view.chartData;
      await state.render(reply.view.report, reply.view.chartData);
      showWindow();
      showChips();
      showTables(reply.view);
      saveSettings(state.zone);
      document.body.dataset.view = String(reply.view.messages);
    } catch (e) {
      error.textContent = e.message || String(e);
      error.hidden = false;
    }
  });
  return state.busy;
}

// ---- Filters and chips -----------------------------------------------

function fillFacets(facets) {
  fillSelect('filter-host', facets.hosts, 'any host');
  fillSelect('filter-code', facets.codes.map(String), 'any code');
  fillSelect('filter-disposition', facets.dispositions, 'any disposition');
  const list = byIdX('filter-domains');
  list.replaceChildren(...facets.sender_domains.map((d) => {
    const option = el('option');
    option.value = d;
    return option;
  }));
  syncInputs();
}

function fillSelect(id, values, anyLabel) {
  const select = byIdX(id);
  const any = el('option', '', anyLabel);
  any.value = '';
  select.replaceChildren(any, ...values.map((v) => {
    const option = el('option', '', v);
    option.value = v;
    return option;
  }));
}

/** Puts the filter's values into the form controls. */
function syncInputs() {
  const f = state.filter;
  byIdX('filter-host').value = f.host ?? '';
  byIdX('filter-code').value = f.code === undefined ? '' : String(f.code);
  byIdX('filter-disposition').value = f.disposition ?? '';
  byIdX('filter-domain').value = f.sender_domain ?? '';
  byIdX('filter-min-size').value = f.min_size ?? '';
  byIdX('filter-max-size').value = f.max_size ?? '';
  byIdX('filter-search').value = f.search ?? '';
}

/** Reads the form controls into the filter. */
function readInputs() {
  const text = (id) => byIdX(id).value.trim() || undefined;
  const number = (id) => {
    const v = byIdX(id).value.trim();
    return v === '' || !Number.isFinite(Number(v)) ? undefined :
      Math.max(0, Math.round(Number(v)));
  };
  const code = text('filter-code');
  Object.assign(state.filter, {
    host: text('filter-host'),
    code: code === undefined ? undefined : Number(code),
    disposition: text('filter-disposition'),
    sender_domain: text('filter-domain'),
    min_size: number('filter-min-size'),
    max_size: number('filter-max-size'),
    search: text('filter-search'),
  });
  for (const key of Object.keys(state.filter)) {
    if (state.filter[key] === undefined) {
      delete state.filter[key];
    }
  }
}

function showChips() {
  const chips = FILTER_LABELS
      .filter(([key]) => state.filter[key] !== undefined)
      .map(([key, label]) => {
        const value = state.filter[key];
        const shown = key.endsWith('size') ? bytes(value) : String(value);
        const chip = el('button', 'chip', `${label}: ${shown} ×`);
        chip.type = 'button';
        chip.dataset.filter = key;
        chip.setAttribute('aria-label', `Remove filter ${label} ${shown}`);
        chip.addEventListener('click', () => {
          delete state.filter[key];
          syncInputs();
          refresh();
          byIdX('filter-search').focus();
        });
        return chip;
      });
  byIdX('filter-chips').replaceChildren(...chips);
}

function listenToFilters() {
  const apply = () => {
    readInputs();
    refresh();
  };
  for (const id of ['filter-host', 'filter-code', 'filter-disposition',
    'filter-domain', 'filter-min-size', 'filter-max-size']) {
    byIdX(id).addEventListener('change', apply);
  }
  let timer = 0;
  byIdX('filter-search').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 300);
  });
  byIdX('filter-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    apply();
  });
  byIdX('filter-clear').addEventListener('click', () => {
    for (const [key] of FILTER_LABELS) {
      delete state.filter[key];
    }
    syncInputs();
    refresh();
  });
}

// ---- The time window ---------------------------------------------------

/** The full time range, UTC milliseconds, or null without times. */
function fullRange() {
  const s = state.full;
  if (!s || s.buckets.length === 0) {
    return null;
  }
  return [s.start, s.start + s.buckets.length * s.bucket_ms];
}

function setWindow(from, to) {
  const range = fullRange();
  if (!range) {
    return;
  }
  from = Math.max(range[0], Math.round(from));
  to = Math.min(range[1], Math.round(to));
  if (to - from < 60_000 || (from <= range[0] && to >= range[1])) {
    delete state.filter.from;
    delete state.filter.to;
  } else {
    state.filter.from = from;
    state.filter.to = to;
  }
  refresh();
}

function resetWindow() {
  delete state.filter.from;
  delete state.filter.to;
  refresh();
}

function showWindow() {
  const f = state.filter;
  const text = byIdX('window-text');
  const iso = (ms) => new Date(ms).toISOString();
  text.textContent = f.from === undefined ? 'Showing all times.' :
    `Showing ${state.formatTime(iso(f.from))} to ` +
      `${state.formatTime(iso(f.to))}.`;
  byIdX('window-reset').disabled = f.from === undefined;
  const note = state.view ? `${count(state.view.messages)} message(s) ` +
    'in view.' : '';
  byIdX('view-count').textContent = note;
}

/** Maps a pointer's x on a chart figure to a time, or null. */
function timeAt(figure, clientX) {
  const svg = figure.querySelector('svg');
  const s = state.series;
  if (!svg || !s || s.buckets.length === 0) {
    return null;
  }
  const width = Number(svg.getAttribute('width')) || state.width;
  const box = svg.getBoundingClientRect();
  const [left, right] = chartPlotX(width);
  const x = (clientX - box.left) * width / box.width;
  const share = Math.min(1, Math.max(0, (x - left) / (right - left)));
  return s.start + share * s.buckets.length * s.bucket_ms;
}

function listenToBrush(figure) {
  const band = el('div', 'brush-band');
  band.hidden = true;
  const tip = el('div', 'chart-tip');
  tip.hidden = true;
  tip.setAttribute('role', 'status');
  figure.append(band, tip);
  let startX = null;
  figure.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) {
      return;
    }
    startX = e.clientX;
    figure.setPointerCapture?.(e.pointerId);
  });
  figure.addEventListener('pointermove', (e) => {
    if (startX === null) {
      showTip(figure, tip, e);
      return;
    }
    const box = figure.getBoundingClientRect();
    const a = Math.min(startX, e.clientX) - box.left;
    const b = Math.max(startX, e.clientX) - box.left;
    Object.assign(band.style, {left: `${a}px`, width: `${b - a}px`});
    band.hidden = false;
    tip.hidden = true;
  });
  figure.addEventListener('pointerleave', () => {
    tip.hidden = true;
  });
  figure.addEventListener('pointerup', (e) => {
    const from = startX;
    startX = null;
    band.hidden = true;
    if (from === null) {
      return;
    }
    if (Math.abs(e.clientX - from) < MIN_BRUSH_PX) {
      const t = timeAt(figure, e.clientX);
      const slow = t === null ? null : slowestIn(bucketAt(t));
      if (slow) {
        openStory(slow.index);
      }
      return;
    }
    const a = timeAt(figure, Math.min(from, e.clientX));
    const b = timeAt(figure, Math.max(from, e.clientX));
    if (a !== null && b !== null) {
      setWindow(a, b);
    }
  });
  figure.addEventListener('keydown', (e) => windowKey(e));
}

/** Shows the figures of the bucket under the pointer. */
function showTip(figure, tip, e) {
  const t = timeAt(figure, e.clientX);
  const s = state.series;
  if (t === null) {
    tip.hidden = true;
    return;
  }
  const i = bucketAt(t);
  const b = s.buckets[i];
  const start = new Date(s.start + i * s.bucket_ms).toISOString();
  const spread = (name, x) => x ?
    `${name} median ${secs(x.p50)} s, max ${secs(x.max)} s` :
    `${name} —`;
  const slow = slowestIn(i);
  const slowLine = slow ? `slowest listed: ${state.formatTime(slow.time)}, ` +
    `receive ${secs(slow.receive)} s, detection ${secs(slow.detection)} ` +
    `s, send ${secs(slow.send)} s, ${bytes(slow.size)}, code ` +
    `${slow.code ?? '—'} (click to open)` : '';
  tip.textContent = [
    `${state.formatTime(start)}: ${count(b.messages)} message(s), ` +
      `${count(b.rejected)} refused, ${count(b.forward_errors)} ` +
      'forward errors',
    spread('receive', b.receive),
    spread('detection', b.detection),
    spread('send', b.send),
    slowLine,
  ].filter(Boolean).join('\n');
  const box = figure.getBoundingClientRect();
  const x = e.clientX - box.left;
  tip.style.left = `${Math.max(0, Math.min(x + 12, box.width - 300))}px`;
  tip.style.top = `${e.clientY - box.top + 12}px`;
  tip.hidden = false;
}

/** The index of the bucket holding time `t`. */
function bucketAt(t) {
  const s = state.series;
  return Math.max(0, Math.min(s.buckets.length - 1,
      Math.floor((t - s.start) / s.bucket_ms)));
}

/** The slowest listed message (see the table) logged in bucket `i`. */
function slowestIn(i) {
  const s = state.series;
  const from = s.start + i * s.bucket_ms;
  const to = from + s.bucket_ms;
  let found = null;
  for (const r of state.view?.slowest ?? []) {
    const t = r.time ? Date.parse(r.time) : NaN;
    if (t >= from && t < to && (found === null ||
      (r.total ?? -1) > (found.total ?? -1))) {
      found = r;
    }
  }
  return found;
}

/** Arrow keys move the window, [ narrows it, ] widens it, Escape resets. */
function windowKey(e) {
  const range = fullRange();
  if (!range) {
    return;
  }
  const from = state.filter.from ?? range[0];
  const to = state.filter.to ?? range[1];
  const span = to - from;
  const moves = {
    'ArrowLeft': [-span / 4, -span / 4],
    'ArrowRight': [span / 4, span / 4],
    '[': [span / 4, -span / 4],
    ']': [-span / 2, span / 2],
  };
  if (e.key === 'Escape') {
    e.preventDefault();
    resetWindow();
    return;
  }
  const move = moves[e.key];
  if (!move) {
    return;
  }
  e.preventDefault();
  let [a, b] = [from + move[0], to + move[1]];
  if (a < range[0]) {
    [a, b] = [range[0], b + range[0] - a];
  }
  if (b > range[1]) {
    [a, b] = [a - (b - range[1]), range[1]];
  }
  setWindow(a, b);
}

// ---- Tables ------------------------------------------------------------

function showTables(view) {
  showSlowest(view.slowest);
  showHosts(view.report.downstream_hosts);
  showCodes(view.codes);
  showEvents(view.report.events);
  showMinutes(view.report.minutes);
}

function sortedRows(rows) {
  const {key, descending} = state.sort;
  const value = (r) => key === 'time' ? (r.time ?? '') : r[key] ?? -1;
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

function showSlowest(rows) {
  const table = byIdX('slowest-table');
  const head = el('tr');
  for (const [key, label, numeric] of SLOWEST_COLUMNS) {
    const th = el('th');
    th.scope = 'col';
    const sorted = state.sort.key === key;
    th.setAttribute('aria-sort', sorted ?
      (state.sort.descending ? 'descending' : 'ascending') : 'none');
    const button = el('button', 'sort', label);
    button.type = 'button';
    button.dataset.sort = key;
    button.addEventListener('click', () => {
      state.sort = {key, descending: sorted ? !state.sort.descending :
        numeric};
      showSlowest(rows);
      table.querySelector(`button[data-sort="${key}"]`)?.focus();
    });
    th.append(button);
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const body = sortedRows(rows).map((r) => slowestRow(r));
  table.tBodies[0].replaceChildren(...body);
  byIdX('slowest-note').textContent = rows.length === 0 ?
    'No message in view.' :
    `The ${count(rows.length)} slowest or largest messages in view; ` +
      'open one to see its connection and its log lines.';
}

function slowestRow(r) {
  const tr = el('tr');
  const open = el('button', 'link', r.time ? state.formatTime(r.time) :
    `${r.file}:${r.line}`);
  open.type = 'button';
  open.dataset.index = String(r.index);
  open.setAttribute('aria-label', `Open the story of the message at ` +
    `${r.file} line ${r.line}`);
  open.addEventListener('click', () => openStory(r.index));
  const first = el('th');
  first.scope = 'row';
  first.append(open);
  tr.append(first);
  for (const text of [secs(r.receive), secs(r.detection), secs(r.send),
    secs(r.total), bytes(r.size), r.code ?? '—', r.downstream || '—']) {
    tr.append(el('td', '', String(text)));
  }
  return tr;
}

function fillTable(id, rows) {
  const body = byIdX(id).tBodies[0];
  body.replaceChildren(...rows.map((cells) => {
    const tr = el('tr');
    cells.forEach((text, i) => {
      const cell = el(i ? 'td' : 'th', '', String(text));
      if (!i) {
        cell.scope = 'row';
      }
      tr.append(cell);
    });
    return tr;
  }));
}

function showHosts(hosts) {
  fillTable('hosts-table', hosts.map((h) => [h.host, count(h.messages),
    count(h.rejected), count(h.forward_connections),
    count(h.forward_errors), secs(h.send.p50), secs(h.send.p95)]));
}

function showCodes(codes) {
  fillTable('codes-table', codes.map((c) => [c.code ?? 'none',
    count(c.messages), count(c.rejected)]));
}

function showEvents(events) {
  const time = (t) => t ? state.formatTime(t) : '—';
  fillTable('events-table', events.filter((e) => e.error).map((e) => [
    e.name, e.code ?? '—', count(e.count), time(e.first), time(e.last)]));
}

function showMinutes(minutes) {
  const busy = minutes.filter((m) => m.errors > 0 || m.rejected > 0);
  fillTable('minutes-table', busy.slice(0, MINUTE_ROWS).map((m) => [
    state.formatTime(new Date(m.start).toISOString()), count(m.messages),
    count(m.rejected), count(m.errors), count(m.forward_errors)]));
  byIdX('minutes-note').textContent = busy.length === 0 ?
    'No error event and no refused message in this time range.' :
    busy.length > MINUTE_ROWS ?
      `The first ${MINUTE_ROWS} of ${count(busy.length)} minutes.` : '';
}

// ---- A message's story -------------------------------------------------

async function openStory(index) {
  const section = byIdX('story-section');
  const reply = await state.ask({type: 'story', index});
  const {message: m, connection: c} = reply.story;
  byIdX('story-title').textContent = `Message at ${m.file}:${m.line}`;
  const events = [];
  if (c?.opened) {
    events.push(`${state.formatTime(c.opened)}  connection ${c.cid} ` +
      `accepted from ${c.remote || 'an unnamed host'}`);
  }
  events.push(`${m.time ? state.formatTime(m.time) : 'no time'}  ` +
    `message ${m.outcome}, code ${m.code ?? '—'}: receive ` +
    `${secs(m.receive)} s, detection ${secs(m.detection)} s, send ` +
    `${secs(m.send)} s, total ${secs(m.total)} s, size ${bytes(m.size)}` +
    (m.downstream ? `, to ${m.downstream}` : ''));
  if (c?.closed) {
    events.push(`${state.formatTime(c.closed)}  connection closed` +
      (c.messages === null ? '' : ` after ${c.messages} message(s)`));
  }
  const list = byIdX('story-events');
  list.replaceChildren(...events.map((t) => el('li', '', t)));
  const pre = byIdX('story-lines');
  pre.textContent = 'Reading the log lines…';
  section.hidden = false;
  section.scrollIntoView({block: 'nearest'});
  byIdX('story-title').focus();
  pre.textContent = await storyLines(m, c);
}

/** The raw lines of a message's connection and thread, as text. */
async function storyLines(m, c) {
  const file = state.files[m.file_index];
  if (!file) {
    return 'The file of this message is no longer open.';
  }
  const anchored = c && c.file_index === m.file_index &&
    c.offset <= m.offset && m.offset - c.offset <= STORY_MAX_BYTES;
  const start = anchored ? c.offset :
    Math.max(0, m.offset - STORY_BEFORE_BYTES);
  const end = m.offset + STORY_AFTER_BYTES;
  let data;
  try {
    data = await readRange(file, start, end);
  } catch (e) {
    return `The lines could not be read again: ${e.message}`;
  }
  const lines = splitLines(data, start, anchored ? c.line : null, m);
  const cid = m.cid || c?.cid || '';
  const kept = lines.filter((l) => belongs(l, cid, m.tid, m.line));
  if (kept.length === 0) {
    return 'No line of this connection was found around the message.';
  }
  return kept.slice(0, STORY_MAX_LINES)
      .map((l) => `${file.name}:${l.number}: ${l.text}`).join('\n');
}

function belongs(line, cid, tid, messageLine) {
  const has = (key, value) => value !== '' && value !== undefined &&
    new RegExp(`\\b${key}=${escapeRegExp(value)}(?![\\w-])`)
        .test(line.text);
  return has('cid', cid) || (line.number <= messageLine + 2 &&
    has('tid', tid));
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits bytes read from `start` into numbered lines. With `firstLine`
 * the bytes start at that line; otherwise they are numbered from the
 * message's own line and a partial first line is dropped.
 */
function splitLines(data, start, firstLine, m) {
  const decoder = new TextDecoder();
  const out = [];
  let at = 0;
  while (at < data.length) {
    let nl = data.indexOf(10, at);
    if (nl < 0) {
      nl = data.length;
    }
    out.push({offset: start + at, text: decoder.decode(
        data.subarray(at, nl)).replace(/\r$/, '')});
    at = nl + 1;
  }
  if (firstLine !== null) {
    out.forEach((l, i) => {
      l.number = firstLine + i;
    });
    return out;
  }
  const own = out.findIndex((l) => l.offset === m.offset);
  if (own < 0) {
    return [];
  }
  out.forEach((l, i) => {
    l.number = m.line + i - own;
  });
  return start > 0 ? out.slice(1) : out;
}

/** Bytes `[start, end)` of a file, gunzipped first when compressed. */
async function readRange(file, start, end) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    return new Uint8Array(await file.slice(start, end).arrayBuffer());
  }
  const reader = file.stream()
      .pipeThrough(new DecompressionStream('gzip')).getReader();
  const parts = [];
  let at = 0;
  while (at < end) {
    const step = await reader.read();
    if (step.done) {
      break;
    }
    const chunk = step.value;
    const a = Math.max(0, start - at);
    const b = Math.min(chunk.length, end - at);
    if (a < b) {
      parts.push(chunk.subarray(a, b));
    }
    at += chunk.length;
  }
  reader.cancel().catch(() => {});
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

// ---- Downloads -------------------------------------------------------

const EXPORTS = {
  csv: ['npe-lens-messages.csv', 'text/csv'],
  json: ['npe-lens-report.json', 'application/json'],
  html: ['npe-lens-report.html', 'text/html'],
};

async function download(format) {
  const redact = byIdX('export-redact').checked;
  const charts = format === 'html' ? chartImages() : [];
  const status = byIdX('export-status');
  try {
    const reply = await state.ask({type: 'export', format,
      filter: {...state.filter}, redact, charts});
    const [name, type] = EXPORTS[format];
    const url = URL.createObjectURL(new Blob([reply.text], {type}));
    const link = el('a');
    link.href = url;
    link.download = redact ? name.replace('npe-lens-', 'npe-lens-redacted-') :
      name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `Saved ${link.download}.`;
  } catch (e) {
    status.textContent = `Could not export: ${e.message}`;
  }
}

/** The charts as drawn on the page, as standalone SVG documents. */
function chartImages() {
  const serializer = new XMLSerializer();
  return [...document.querySelectorAll('figure.chart')].map((figure) => {
    const svg = figure.querySelector('svg');
    return svg && {
      title: figure.getAttribute('aria-label')?.replace(/\s+/g, ' ') ?? '',
      svg: serializer.serializeToString(svg),
    };
  }).filter(Boolean);
}

// ---- Wiring ------------------------------------------------------------

/** Connects the controls once, when the page starts. */
export function setUpExploring() {
  listenToFilters();
  for (const id of ['chart-timing', 'chart-errors']) {
    listenToBrush(byIdX(id));
  }
  byIdX('window-reset').addEventListener('click', resetWindow);
  byIdX('story-close').addEventListener('click', () => {
    byIdX('story-section').hidden = true;
  });
  for (const format of Object.keys(EXPORTS)) {
    byIdX(`export-${format}`).addEventListener('click',
        () => download(format));
  }
  byIdX('export-print').addEventListener('click', () => window.print());
  const saved = loadSettings().filters ?? {};
  for (const key of REMEMBERED_FILTERS) {
    if (saved[key] !== undefined && saved[key] !== null) {
      state.filter[key] = saved[key];
    }
  }
}
