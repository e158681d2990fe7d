// The analysis worker: the only code that runs the analyzer.
//
// Message flow. Every request carries an `id`; the reply carries it back.
//
//   app.js                      worker.js             wasm Analyzer
//   {type: 'start', zone}  ───►  new Analyzer(zone) ─► Analysis::new
//   {type: 'begin', name}  ───►  beginFile(name)    ─► begin_file
//   {type: 'chunk', bytes} ───►  feed(bytes)        ─► feed
//   {type: 'end'}          ───►  endFile()          ─► end_file
//        ◄─── {type: 'progress', progress: {bytes, lines, messages},
//              wasmBytes}
//   {type: 'finish', width} ──►  finish(), chartData(width)
//        ◄─── {type: 'report', report, charts, wasmBytes}
//   any request that fails
//        ◄─── {type: 'error', message}
//
// `wasmBytes` is the size of the module's memory, for benchmarks.
//
// Bootstrap: `onmessage` is registered first; every handler awaits the
// `ready` promise, which loads the wasm module. A panic inside wasm shows
// up as a RuntimeError; from then on the module's memory cannot be
// trusted, so `aborted` makes every later request fail with a clear
// message and the page starts a new worker.
//
// This file assumes no URL of its own: served, it is a module worker
// next to pkg/; in the single-file page the build replaces the import
// below with the inlined glue and starts it from a Blob URL.

import * as wasm from './pkg/npe_lens.js';

self.onmessage = (event) => {
  handle(event.data);
};

const ready = loadWasm();

/** The analysis in progress, created by 'start'. */
let analyzer = null;

/** Why the module stopped, once a panic has happened. */
let aborted = '';

/** The instantiated module's exports, set by loadWasm. */
let exports = null;

async function loadWasm() {
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
      throw new Error(`the analyzer stopped after an internal error ` +
        `(${aborted}); start a new analysis`);
    }
    const {reply, transfer} = answer(request);
    self.postMessage({id: request.id, ...reply}, transfer);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      aborted = e.message;
    }
    const message = e instanceof Error ? e.message : String(e);
    self.postMessage({id: request.id, type: 'error', message});
  }
}

function answer(request) {
  switch (request.type) {
    case 'start':
      analyzer?.free();
      analyzer = new wasm.Analyzer(request.zone ?? '');
      return progressReply();
    case 'begin':
      current().beginFile(request.name);
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
      analyzer.free();
      analyzer = null;
      return {
        reply: {type: 'report', report, charts, wasmBytes: wasmBytes()},
        transfer: [],
      };
    }
    default:
      throw new Error(`unknown request type: ${request.type}`);
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
      wasmBytes: wasmBytes(),
    },
    transfer: [],
  };
}

function wasmBytes() {
  return exports.memory.buffer.byteLength;
}
