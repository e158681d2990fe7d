// Chart drawing on the page's main thread.
//
// The worker sends back aggregated chart data; this module runs a second
// instance of the same wasm module to turn it into SVG text. It runs here
// and not in the worker because plotters measures caption and legend
// text through `document`, which workers lack. The markup comes from our
// own renderer, which escapes text, and it is parsed as XML, never as
// HTML, before it enters the page.

import * as wasm from './pkg/npe_lens.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Pixel heights of the three charts, at the width they are drawn. */
const TIMING_HEIGHT = 620;
const ERRORS_HEIGHT = 260;
const DISTRIBUTION_HEIGHT = 320;

let ready = null;

/** Starts loading the module; later calls share the first load. */
export function loadChartModule() {
  if (!ready) {
    ready = typeof globalThis.npeLensWasmBytes === 'function' ?
      wasm.default({module_or_path: globalThis.npeLensWasmBytes()}) :
      wasm.default();
  }
  return ready;
}

/**
 * Draws the three charts into their figures.
 * @param {object} series chart data from the worker
 * @param {number} width pixel width to draw at
 * @param {{timing: Element, errors: Element, distribution: Element}} into
 */
export async function drawCharts(series, width, into) {
  await loadChartModule();
  const drawn = [
    [into.timing, wasm.renderTimingChart(series, width, TIMING_HEIGHT)],
    [into.errors, wasm.renderErrorChart(series, width, ERRORS_HEIGHT)],
    [
      into.distribution,
      wasm.renderDistributionChart(series, width, DISTRIBUTION_HEIGHT),
    ],
  ];
  for (const [figure, svgText] of drawn) {
    // Only the drawing is replaced: a figure may hold overlays too.
    figure.querySelector('svg')?.remove();
    figure.prepend(svgElementFrom(svgText));
  }
}

/**
 * The pixel columns `[left, right]` a chart `width` pixels wide plots
 * its time axis on. Call after the module has loaded.
 */
export function chartPlotX(width) {
  return [...wasm.chartPlotX(width)];
}

function svgElementFrom(svgText) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.namespaceURI !== SVG_NS || svg.localName !== 'svg') {
    throw new Error('the chart renderer returned no SVG');
  }
  // Our renderer writes neither, but a chart must never carry code.
  for (const el of svg.querySelectorAll('script, foreignObject')) {
    el.remove();
  }
  const width = svg.getAttribute('width');
  const height = svg.getAttribute('height');
  if (width && height && !svg.hasAttribute('viewBox')) {
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  }
  svg.setAttribute('role', 'img');
  return document.importNode(svg, true);
}
