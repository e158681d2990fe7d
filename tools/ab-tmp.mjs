// A/B: alternate wasm packages, report feed ms and total ms per variant.
import {chromium} from 'playwright-core';
import {cpSync, rmSync} from 'node:fs';
import {CHROMIUM, CHROMIUM_ARGS, WWW, serve} from '/work/wt-bench/tests/e2e/support.mjs';
const [file, rounds, ...pkgs] = process.argv.slice(2);
const sites = [];
for (const [i, pkg] of pkgs.entries()) {
  const dir = `/tmp/ab-www-${i}`;
  rmSync(dir, {recursive: true, force: true});
  cpSync(WWW, dir, {recursive: true});
  rmSync(`${dir}/pkg`, {recursive: true});
  cpSync(pkg, `${dir}/pkg`, {recursive: true});
  sites.push(await serve(dir));
}
const browser = await chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS});
const pages = [];
for (const s of sites) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('err', e.message));
  let last = null;
  page.on('worker', (w) => w.on('console', (m) => { last = m.text(); }));
  await page.goto(s.origin + '/');
  pages.push({page, get last() { return last; }});
}
const res = pkgs.map(() => ({feed: [], total: []}));
for (let r = 0; r < Number(rounds); r++) {
  for (const [i, p] of pages.entries()) {
    await p.page.bringToFront();
    await p.page.evaluate(() => { document.body.dataset.state = 'x'; });
    const t = performance.now();
    await p.page.setInputFiles('#file-input', file);
    await p.page.waitForFunction(() => document.body.dataset.state === 'done', null, {timeout: 120000, polling: 100});
    const total = performance.now() - t;
    await new Promise((d) => setTimeout(d, 50));
    const feed = Number(/feedMs (\S+)/.exec(p.last)?.[1]);
    res[i].feed.push(feed); res[i].total.push(total);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
for (const [i, pkg] of pkgs.entries()) {
  console.log(pkg.padEnd(24), 'feed', med(res[i].feed).toFixed(0), 'total', med(res[i].total).toFixed(0), 'all feed', res[i].feed.map((x) => x.toFixed(0)).join(' '));
}
await browser.close(); for (const s of sites) s.server.close();
