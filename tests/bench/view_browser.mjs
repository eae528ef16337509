// The viewer of `switchscope view` in headless chromium: time from
// navigation to the first frame drawn with data, zoom and pan steps (each
// until its window is loaded and drawn), the records the page holds, the
// JavaScript heap and the browser's processes' memory.
//   node tests/bench/view_browser.mjs URL
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../browser/browser.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-"));
const { context, close } = await launch(dir);

/* Resident memory of the browser's processes (those with our profile, and
 * their children: renderers share the profile's command line). */
function browserRss() {
  const ps = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,args="], { encoding: "utf8" }).trim().split("\n")
    .map((l) => l.trim().split(/\s+/)).map((f) => ({ pid: f[0], ppid: f[1], rss: Number(f[2]), args: f.slice(3).join(" ") }));
  const mine = new Set(ps.filter((p) => p.args.includes(dir)).map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of ps) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  return ps.filter((p) => mine.has(p.pid)).reduce((a, p) => a + p.rss, 0) / 1024;
}

try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(process.argv[2]);
  await page.waitForSelector("body[data-ready='1']", { timeout: 120000 });
  const first = await page.evaluate(async () => {
    await window.switchscope.settled();
    const nav = performance.getEntriesByType("navigation")[0];
    return { at: performance.now(), loaded: nav ? nav.loadEventEnd : 0, n: window.switchscope.model.n };
  });
  const step = (fn) => page.evaluate(async (f) => {
    const S = window.switchscope, R = S.renderer, t = performance.now();
    if (f.zoom) S.zoom(f.zoom);
    else {
      R.view.t0 += f.pan * R.view.w * R.view.scale;
      R.render();
    }
    await S.settled();
    return performance.now() - t;
  }, fn);
  const zoom = [], pan = [];
  let maxN = first.n;
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 6; i++) zoom.push(await step({ zoom: 0.5 }));
    for (let i = 0; i < 4; i++) pan.push(await step({ pan: (i & 1) ? -0.3 : 0.3 }));
    maxN = Math.max(maxN, await page.evaluate(() => window.switchscope.model.n));
    for (let i = 0; i < 6; i++) zoom.push(await step({ zoom: 2 }));
  }
  const all = zoom.concat(pan).sort((a, b) => a - b);
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const heap = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
  const meta = await page.evaluate(() => window.switchscope.model.meta);
  console.log(`bench: view_records_in_trace ${meta.records} records`);
  console.log(`bench: view_first_frame ${Math.round(first.at)} ms (from navigation; page load event at ${Math.round(first.loaded)} ms; target 3000)`);
  console.log(`bench: view_first_frame_after_load ${Math.round(first.at - first.loaded)} ms`);
  console.log(`bench: view_step_median ${med(all).toFixed(1)} ms (target 50)`);
  console.log(`bench: view_zoom_step_median ${med(zoom).toFixed(1)} ms`);
  console.log(`bench: view_pan_step_median ${med(pan).toFixed(1)} ms`);
  console.log(`bench: view_step_max ${all[all.length - 1].toFixed(1)} ms`);
  console.log(`bench: view_page_records_max ${maxN} records (${(maxN / meta.records * 100).toFixed(3)}% of the trace)`);
  console.log(`bench: view_browser_js_heap ${(heap / 1048576).toFixed(1)} MiB`);
  console.log(`bench: view_browser_rss ${browserRss().toFixed(0)} MiB (target 1024)`);
} finally {
  await close();
}
