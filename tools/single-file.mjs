// Builds dist/npe-lens.html: the page as one self-contained file that
// works when opened straight from disk.
//
// Opened from file://, Chrome refuses module imports, worker scripts and
// fetch of the .wasm, so everything is inlined:
//
//   <style>                     style.css
//   <script id="wasm-glue">     pkg/npe_lens.js made a classic script
//                               that defines globalThis.npeLensGlue
//   <script id="wasm-bytes">    the .wasm as base64, decoded on demand
//                               by globalThis.npeLensWasmBytes()
//   <script type="text/plain"   worker.js with its import replaced; the
//           id="worker-source"> page starts it from a Blob URL of
//                               glue + bytes + this text
//   <script type="module">      charts.js + explore.js + app.js with
//                               their imports replaced
//
// The Content-Security-Policy allows exactly these inline scripts and
// the style by their sha256 hashes, and no network at all.
//
// Usage: node tools/single-file.mjs WWW_DIR OUT_FILE

import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';

const PKG_IMPORT = `import * as wasm from './pkg/npe_lens.js';`;
/** `import {…} from './x.js';` of the page's own modules, on any lines. */
const LOCAL_IMPORT = /^import \{[^}]*\} from '\.\/[\w-]+\.js';\n/gm;
const GLUE_EXPORT = 'export { initSync, __wbg_init as default };';

function main([wwwDir, outFile]) {
  if (!wwwDir || !outFile) {
    throw new Error('usage: node tools/single-file.mjs WWW_DIR OUT_FILE');
  }
  const read = (name) => readFileSync(join(wwwDir, name), 'utf8');
  const glue = classicGlue(read('pkg/npe_lens.js'));
  const bytes = wasmBytesScript(readFileSync(join(wwwDir,
      'pkg/npe_lens_bg.wasm')));
  const worker = replaceOnce(read('worker.js'), PKG_IMPORT,
      'const wasm = globalThis.npeLensGlue;');
  const charts = replaceOnce(read('charts.js'), PKG_IMPORT,
      'const wasm = globalThis.npeLensGlue;').replace(/^export /gm, '');
  // One module scope: the page's modules in dependency order, with their
  // imports of each other removed.
  const local = (name) => read(name).replace(LOCAL_IMPORT, '')
      .replace(/^export /gm, '');
  const module = [charts, local('explore.js'), local('app.js')].join('\n');
  const css = read('style.css');
  for (const [name, text] of [['glue', glue], ['worker', worker],
    ['app', module], ['style', css]]) {
    if (/<\/(script|style)/i.test(text)) {
      throw new Error(`${name}: holds a closing tag; cannot be inlined`);
    }
  }

  let html = read('index.html');
  const measureHashes = chartMeasureHashes(html);
  const policy = [
    `default-src 'none'`,
    `script-src ${hash(glue)} ${hash(bytes)} ${hash(module)} ` +
      `'wasm-unsafe-eval'`,
    `worker-src blob:`,
    `style-src ${hash(css)} ${measureHashes}`,
    `img-src data: blob:`,
    `connect-src 'none'`,
  ].join('; ');
  html = html.replace(
      /(http-equiv="Content-Security-Policy" content=")[^"]*"/,
      (_, start) => `${start}${policy}"`);
  html = replaceOnce(html, '<link rel="stylesheet" href="style.css">',
      `<style>${css}</style>`);
  html = replaceOnce(html, '<script type="module" src="app.js"></script>',
      `<script id="wasm-glue">${glue}</script>\n` +
      `  <script id="wasm-bytes">${bytes}</script>\n` +
      `  <script type="text/plain" id="worker-source">${worker}</script>\n` +
      `  <script type="module">${module}</script>`);
  if (!html.includes(`connect-src 'none'`)) {
    throw new Error('index.html: Content-Security-Policy meta not found');
  }
  mkdirSync(dirname(outFile), {recursive: true});
  writeFileSync(outFile, html);
}

/** The `--target web` glue as a classic script defining a global. */
function classicGlue(source) {
  const names = [];
  let body = source.replace(
      /^export (class|function|const|let) (\w+)/gm,
      (_, kind, name) => {
        names.push(name);
        return `${kind} ${name}`;
      });
  body = replaceOnce(body, GLUE_EXPORT, '');
  // Only reached when init is called without bytes, which this page
  // never does; a classic script may not mention import.meta at all.
  body = body.replaceAll('import.meta.url', 'self.location.href');
  if (/^\s*(import|export)\b/m.test(body) || body.includes('import.meta')) {
    throw new Error('pkg/npe_lens.js: unexpected import or export left');
  }
  const exported = ['initSync', 'default: __wbg_init', ...names].join(', ');
  return `globalThis.npeLensGlue = (() => {\n${body}\n` +
    `return {${exported}};\n})();\n`;
}

function wasmBytesScript(bytes) {
  return `globalThis.npeLensWasmBytes = () => {\n` +
    `  const text = atob('${bytes.toString('base64')}');\n` +
    `  const out = new Uint8Array(text.length);\n` +
    `  for (let i = 0; i < text.length; i++) {\n` +
    `    out[i] = text.charCodeAt(i);\n` +
    `  }\n` +
    `  return out;\n` +
    `};\n`;
}

/**
 * The served page's allowance for the style attribute plotters sets on
 * the span it measures chart text with: kept identical here.
 */
function chartMeasureHashes(html) {
  const style = /style-src 'self' ('unsafe-hashes'(?:\s+'sha256-[^']+')+);/
      .exec(html);
  if (!style) {
    throw new Error('index.html: no style hashes for chart text found');
  }
  // The served page writes its policy over several lines.
  return style[1].replace(/\s+/g, ' ');
}

function replaceOnce(text, from, to) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`expected exactly one: ${from}`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

function hash(text) {
  const digest = createHash('sha256').update(text, 'utf8').digest('base64');
  return `'sha256-${digest}'`;
}

main(process.argv.slice(2));
