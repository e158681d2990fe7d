// The analysis worker: the only code that runs the analyzer.
//
// Message flow. Every request carries an `id`; the reply carries it back.
//
//   app.js                      worker.js             wasm Analyzer
//   {type: 'start', zone}  ───►  new Analyzer(zone) ─► Analysis::new
//   {type: 'begin', name}  ───►  beginFile(name)    ─► begin_file
//   {type: 'begin', name, last: true}
//                          ───►  beginLastFile(name) ─► begin_last_file
//   {type: 'chunk', bytes} ───►  feed(bytes)        ─► feed
//   {type: 'end'}          ───►  endFile()          ─► end_file
//        ◄─── {type: 'progress', progress: {bytes, lines, messages},
//              wasmBytes, heap}
//   {type: 'finish', width} ──►  finish(), chartData(width)
//        ◄─── {type: 'report', report, charts, facets, wasmBytes, heap}
//
// After 'finish' the analyzer keeps the whole dataset for exploring:
//
//   {type: 'view', filter, width} ──► view(filter, width)
//        ◄─── {type: 'view', view: {report, chartData, slowest, codes},
//              wasmBytes, heap}
//   {type: 'story', index}        ──► story(index)
//        ◄─── {type: 'story', story: {message, connection}}
//   {type: 'export', format: 'csv' | 'json' | 'html', filter, redact,
//    charts}                      ──► csv / json / htmlReport
//        ◄─── {type: 'export', text}
//   {type: 'panic'}  ───►  panicForTests(): a panic on purpose, for the
//                          tests of the recovery described below
//   any request that fails
//        ◄─── {type: 'error', message}
//
// For benchmarks: `wasmBytes` is the size of the module's memory, which
// never shrinks; `heap` is {live, peak, messages, connections}, the
// bytes its heap holds now and at most during this analysis, and those
// of the message and connection records.
//
// Bootstrap: `onmessage` is registered first; every handler awaits the
// `ready` promise, which loads the wasm module. A panic inside wasm shows
// up as a RuntimeError, its message in the global `npeLensPanic` (set by
// the module's panic hook); from then on the module's memory cannot be
// trusted, so `aborted` makes this and every later request fail with a
// plain message, and the page starts a new worker when it sees one.
//
// This file assumes no URL of its own: served, it is a module worker
// next to pkg/; in the single-file page the build replaces the import
// below with the inlined glue and starts it from a Blob URL.

import * as wasm from './pkg/npe_lens.js';

self.onmessage = (event) => {
  handle(event.data);
};

/** The analysis in progress, created by 'start'. */
let analyzer = null;

/** Why the module stopped, once a panic has happened. */
let aborted = '';

/** The instantiated module's exports, set by loadWasm. */
let exports = null;

/**
 * The smallest module that uses a SIMD instruction: the analyzer is
 * built with WebAssembly SIMD and cannot load without it.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: v128.const
  ...new Array(16).fill(0), 0x0b, // sixteen zero bytes, end
]);

// After the declarations above: loading reads and sets them at once in
// the single-file page, where initSync runs before the first await.
const ready = loadWasm();

async function loadWasm() {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('this browser lacks WebAssembly SIMD, which the ' +
      'analyzer needs; use a current Chrome, Edge, Firefox or Safari');
  }
  // The single-file page defines the bytes; served, the glue fetches
  // pkg/npe_lens_bg.wasm next to itself.
  if (typeof globalThis.npeLensWasmBytes === 'function') {
    exports = wasm.initSync({module: globalThis.npeLensWasmBytes()});
  } else {
    exports = await wasm.default();
  }
}

async function handle(request) {
  try {
    await ready;
    if (aborted) {
      throw new Error(stoppedMessage());
    }
    const {reply, transfer} = answer(request);
    self.postMessage({id: request.id, ...reply}, transfer);
  } catch (e) {
    let message = e instanceof Error ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError) {
      aborted = self.npeLensPanic || e.message;
      message = stoppedMessage();
    }
    self.postMessage({id: request.id, type: 'error', message});
  }
}

function stoppedMessage() {
  return `The analyzer stopped after an internal error (${aborted}). ` +
    'Your files are untouched and nothing was sent anywhere: pick them ' +
    'again to start a new analysis. If it happens again, please report ' +
    'this message.';
}

function answer(request) {
  switch (request.type) {
    case 'start':
      analyzer?.free();
      analyzer = new wasm.Analyzer(request.zone ?? '');
      return progressReply();
    case 'begin':
      if (request.last) {
        current().beginLastFile(request.name);
      } else {
        current().beginFile(request.name);
      }
      return progressReply();
    case 'chunk':
      current().feed(new Uint8Array(request.bytes));
      return progressReply();
    case 'end':
      current().endFile();
      return progressReply();
    case 'finish': {
      const report = current().finish();
      const charts = current().chartData(request.width ?? 800);
      const facets = current().facets();
      return {
        reply: {
          type: 'report',
          report,
          charts,
          facets,
          ...memory(),
        },
        transfer: [],
      };
    }
    case 'view': {
      const view = current().view(request.filter, request.width ?? 800);
      return {reply: {type: 'view', view, ...memory()}, transfer: []};
    }
    case 'story':
      return {
        reply: {type: 'story', story: current().story(request.index)},
        transfer: [],
      };
    case 'export':
      return {reply: {type: 'export', text: exported(request)}, transfer: []};
    case 'panic':
      wasm.panicForTests();
      throw new Error('the module did not panic');
    default:
      throw new Error(`unknown request type: ${request.type}`);
  }
}

function exported({format, filter, redact, charts}) {
  switch (format) {
    case 'csv':
      return current().csv(filter, Boolean(redact));
    case 'json':
      return current().json(filter, Boolean(redact));
    case 'html':
      return current().htmlReport(filter, charts ?? [], Boolean(redact));
    default:
      throw new Error(`unknown export format: ${format}`);
  }
}

function current() {
  if (!analyzer) {
    throw new Error('no analysis started');
  }
  return analyzer;
}

function progressReply() {
  return {
    reply: {
      type: 'progress',
      progress: current().progress(),
      ...memory(),
    },
    transfer: [],
  };
}

function memory() {
  return {
    wasmBytes: exports.memory.buffer.byteLength,
    heap: current().heapBytes(),
  };
}
