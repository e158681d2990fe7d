// Shared pieces of the page tests: a static server for www/, the system
// Chromium driven by playwright-core, and request recording.

import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {tmpdir} from 'node:os';
import {extname, join, normalize, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WWW = join(ROOT, 'www');
export const SINGLE_FILE = join(ROOT, 'dist', 'npe-lens.html');
export const FIXTURES = join(ROOT, 'tests', 'fixtures');

/** How long the page may take to analyse a fixture, in milliseconds. */
export const ANALYSIS_TIMEOUT_MS = 30_000;

export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet, offline, container-friendly headless Chromium. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.log': 'text/plain; charset=utf-8',
};

/** Serves a directory on a free localhost port; resolves to its origin. */
export function serve(dir) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) {
        file = join(file, 'index.html');
      }
      const body = readFileSync(file);
      const type = MIME_TYPES[extname(file)] ?? 'application/octet-stream';
      response.writeHead(200, {'content-type': type}).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      done({origin: `http://127.0.0.1:${port}`, server});
    });
  });
}

/** Starts Chromium with a fresh profile; `close()` removes it again. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'npe-lens-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: {width: 1200, height: 900},
  });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  return {
    context,
    requests,
    async close() {
      await context.close();
      rmSync(profile, {recursive: true, force: true});
    },
  };
}

/** Opens a page and collects what it logs as errors. */
export async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      errors.push(m.text());
    }
  });
  await page.goto(url);
  return {page, errors};
}

/** Waits until the body's data-state is one of `states`; returns it. */
export async function settled(page, states = ['done', 'error']) {
  const handle = await page.waitForFunction(
      (wanted) => wanted.includes(document.body.dataset.state) &&
        document.body.dataset.state,
      states, {timeout: ANALYSIS_TIMEOUT_MS});
  return handle.jsonValue();
}

/** Picks files through the page's file input. */
export async function pick(page, files) {
  await page.setInputFiles('#file-input', files);
}
