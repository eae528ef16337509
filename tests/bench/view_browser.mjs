// The viewer of `switchscope view` in headless chromium: time from
// navigation to the first frame drawn with data, zoom and pan steps (each
// until the frame with its window's data is painted; see step below), the
// records the page holds, the JavaScript heap and the browser's processes'
// memory.
//   node tests/bench/view_browser.mjs URL
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../browser/browser.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-"));
const { context, close } = await launch(dir);

/* Memory of the browser's processes (those with our profile on their
 * command line, and their children): the sum of their proportional set
 * sizes (shared pages split between the processes that map them), and of
 * their resident sizes (shared pages counted in each). MiB. */
function browserMem() {
  const ps = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" }).trim().split("\n")
    .map((l) => l.trim().split(/\s+/)).map((f) => ({ pid: f[0], ppid: f[1], args: f.slice(2).join(" ") }));
  const mine = new Set(ps.filter((p) => p.args.includes(dir)).map((p) => p.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of ps) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  let pss = 0, rss = 0;
  for (const pid of mine) {
    try {
      const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      pss += Number((/^Pss:\s+(\d+)/m.exec(t) || [0, 0])[1]);
      rss += Number((/^Rss:\s+(\d+)/m.exec(t) || [0, 0])[1]);
    } catch { /* gone */ }
  }
  return { pss: pss / 1024, rss: rss / 1024, n: mine.size };
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
  /* A step, precisely: from the input (the zoom or pan applied and the
   * frame asked for in one task, as the keys' and the wheel's handlers do)
   * to the end of the page's work on the first frame painted once the
   * lanes hold the new view's data: the frame with the data drawn, then
   * the next animation frame's paint done (a task posted from its
   * requestAnimationFrame callback runs after it). The interim latency:
   * from the input to the end of the first frame painted at the new scale,
   * whatever it shows (the old frame stretched while the data comes, or
   * the data when it came first). A step whose data came from the server
   * is "cold", one drawn from the answers the page keeps is "kept".
   * Parts (medians over the cold steps): the input's own frame, the
   * answer (the request to its last byte in the page: made, sent and
   * decoded lane by lane), of it by the browser's resource timing: before
   * the request is sent, the server's time to the first byte, the rest of
   * the answer, its hand-off to the page; the page's time decoding it, the
   * decoding left after its last byte, the frame with the data. */
  const parts = { first: [], answer: [], queued: [], server: [], body: [], handed: [], apply: [], tail: [], frame: [] };
  const cold = [], kept = [], interim = [];
  const step = (fn) => page.evaluate(async (f) => {
    const S = window.switchscope, R = S.renderer, m = S.model;
    const painted = () => new Promise((res) => requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => res(performance.now());
      ch.port2.postMessage(0);
    }));
    performance.clearResourceTimings();
    const fetches = m.fetches + m.widened, t = performance.now();
    if (f.zoom) S.zoom(f.zoom);
    else {
      R.view.t0 += f.pan * R.view.w * R.view.scale;
      R.render();
    }
    const first = R.frameMs, shown = painted();
    await S.settled();
    const end = await painted(), at = await shown;
    const L = m.lastTimes || {};
    const e = performance.getEntriesByType("resource").filter((x) => x.name.includes("/api/window"))
      .find((x) => Math.abs(x.startTime - L.start) < 1);
    return { total: end - t, interim: at - t, cold: m.fetches + m.widened !== fetches, first, frame: R.frameMs, apply: m.lastApplyMs,
      answer: L.lastByte - L.start, tail: L.done - L.lastByte,
      queued: e ? e.requestStart - e.startTime : NaN, server: e ? e.responseStart - e.requestStart : NaN,
      body: e ? e.responseEnd - e.responseStart : NaN, handed: e ? L.lastByte - e.responseEnd : NaN };
  }, fn).then((r) => {
    if (r.cold) for (const k in parts) parts[k].push(r[k]);
    (r.cold ? cold : kept).push(r.total);
    interim.push(r.interim);
    return r.total;
  });
  const load0 = os.loadavg()[0];
  const zoom = [], pan = [];
  let maxN = first.n;
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 6; i++) zoom.push(await step({ zoom: 0.5 }));
    for (let i = 0; i < 4; i++) pan.push(await step({ pan: (i & 1) ? -0.3 : 0.3 }));
    maxN = Math.max(maxN, await page.evaluate(() => window.switchscope.model.n));
    for (let i = 0; i < 6; i++) zoom.push(await step({ zoom: 2 }));
  }
  /* views never seen: zooms to new scales, pans to new time */
  for (let i = 0; i < 4; i++) await step({ zoom: 0.4 });
  for (let i = 0; i < 8; i++) await step({ pan: 0.6 });
  for (let i = 0; i < 4; i++) await step({ zoom: 0.4 });
  for (let i = 0; i < 8; i++) await step({ pan: -0.6 });
  const load1 = os.loadavg()[0];
  const all = zoom.concat(pan).sort((a, b) => a - b);
  /* (NaN: a part not measured in that step, e.g. no resource entry) */
  const q = (a0, p) => {
    const a = a0.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    return a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : NaN;
  };
  const med = (a) => q(a, 0.5);
  const heap = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize : 0));
  const meta = await page.evaluate(() => window.switchscope.model.meta);
  console.log(`bench: view_records_in_trace ${meta.records} records`);
  console.log(`bench: view_first_frame ${Math.round(first.at)} ms (from navigation; page load event at ${Math.round(first.loaded)} ms; target 3000)`);
  console.log(`bench: view_first_frame_after_load ${Math.round(first.at - first.loaded)} ms`);
  console.log(`bench: view_step_median ${med(all).toFixed(1)} ms (target 50; input to the frame with the data painted; ` +
    `${all.length} steps: zoom in 6x, pan 4x, zoom out 6x, three times)`);
  console.log(`bench: view_step_p90 ${q(all, 0.9).toFixed(1)} ms`);
  console.log(`bench: view_zoom_step_median ${med(zoom).toFixed(1)} ms`);
  console.log(`bench: view_pan_step_median ${med(pan).toFixed(1)} ms`);
  console.log(`bench: view_step_max ${all[all.length - 1].toFixed(1)} ms`);
  console.log(`bench: view_step_cold_median ${med(cold).toFixed(1)} ms (${cold.length} steps whose data came from the server, ` +
    `also the 24 steps to views never seen)`);
  console.log(`bench: view_step_cold_p90 ${q(cold, 0.9).toFixed(1)} ms`);
  console.log(`bench: view_step_kept_median ${med(kept).toFixed(1)} ms (${kept.length} steps back to a view seen before, ` +
    `drawn from the answers the page keeps)`);
  console.log(`bench: view_interim_median ${med(interim).toFixed(1)} ms (input to the first frame painted at the new scale, ` +
    `any data; p90 ${q(interim, 0.9).toFixed(1)} ms)`);
  console.log(`bench: view_step_parts_median (cold steps) frame at once ${med(parts.first).toFixed(1)} ms, ` +
    `answer in ${med(parts.answer).toFixed(1)} ms (request to last byte: in the browser before it is sent ` +
    `${med(parts.queued).toFixed(1)} ms, server to first byte ${med(parts.server).toFixed(1)} ms, the rest of it ` +
    `${med(parts.body).toFixed(1)} ms, to the page ${med(parts.handed).toFixed(1)} ms), decoding ${med(parts.apply).toFixed(1)} ms ` +
    `(of which after the last byte ${med(parts.tail).toFixed(1)} ms), frame with the data ${med(parts.frame).toFixed(1)} ms`);
  console.log(`bench: view_machine_load ${load0.toFixed(2)} before the steps, ${load1.toFixed(2)} after ` +
    `(1-minute load average, ${os.cpus().length} CPUs)`);
  console.log(`bench: view_page_records_max ${maxN} records (${(maxN / meta.records * 100).toFixed(3)}% of the trace)`);
  console.log(`bench: view_browser_js_heap ${(heap / 1048576).toFixed(1)} MiB`);
  const mem = browserMem();
  console.log(`bench: view_browser_pss ${mem.pss.toFixed(0)} MiB (${mem.n} processes; target 1024)`);
  console.log(`bench: view_browser_rss_sum ${mem.rss.toFixed(0)} MiB (shared pages counted per process)`);
} finally {
  await close();
}
