// The viewer's frame time alone: full renders (R.render() with the view's
// data in the page, each after the last one was painted) at several zoom
// levels, the median R.frameMs of each,
// and a hash of the canvas' pixels at each view. With two or more URLs
// (e.g. the same trace served by an old and a new build) the pages are
// measured in turns, round after round, so that a noisy machine weighs on
// them alike; the ratios to the first URL and whether each view's pixels
// are the same as the first URL's are printed.
//   node tests/bench/view_frame.mjs [--rounds N] [--renders N] URL [URL...]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../browser/browser.mjs";

const args = process.argv.slice(2);
let rounds = 5, renders = 20;
const urls = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rounds") rounds = Number(args[++i]);
  else if (args[i] === "--renders") renders = Number(args[++i]);
  else urls.push(args[i]);
}
if (!urls.length) {
  console.error("usage: view_frame.mjs [--rounds N] [--renders N] URL [URL...]");
  process.exit(2);
}

/* The views: the share of the trace's time on screen, centred on its
 * middle (1 is all of it: dense columns in every lane). */
const VIEWS = [1, 1 / 8, 1 / 64, 1 / 512, 1 / 4096];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-"));
const { context, close } = await launch(dir);
try {
  const pages = [];
  for (const u of urls) {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(u);
    await page.waitForSelector("body[data-ready='1']", { timeout: 120000 });
    await page.evaluate(() => window.switchscope.settled());
    pages.push(page);
  }
  /* one view: fitted, its data in, then full renders; the pixels' hash */
  const measure = (page, share, n) => page.evaluate(async ([share, n]) => {
    const S = window.switchscope, R = S.renderer, meta = S.model.meta;
    const span = Math.max(meta.end - meta.from, 1000), mid = meta.from + span / 2;
    S.fit(mid - span * share / 2, mid + span * share / 2);
    await S.settled();
    R.render();
    /* each render after the last one's paint, as in the page: the paint
     * rasterizes what the canvas was given to draw (marks, texts), so
     * that the next frame does not */
    const painted = () => new Promise((res) => requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => res();
      ch.port2.postMessage(0);
    }));
    const ms = [];
    for (let i = 0; i < n; i++) {
      await painted();
      R.render();
      ms.push(R.frameMs);
    }
    const c = R.canvas, d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const w = new Uint32Array(d.buffer);
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
    return { ms: ms, hash: (h >>> 0).toString(16), w: c.width, h: c.height };
  }, [share, n]);
  const times = urls.map(() => VIEWS.map(() => []));
  const hashes = urls.map(() => VIEWS.map(() => new Set()));
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < VIEWS.length; v++) {
      for (let u = 0; u < urls.length; u++) {
        const k = (u + r) % urls.length;   /* who goes first changes each round */
        await pages[k].bringToFront();   /* a page behind draws no frames */
        const res = await measure(pages[k], VIEWS[v], renders);
        times[k][v].push(...res.ms);
        hashes[k][v].add(`${res.w}x${res.h}:${res.hash}`);
      }
    }
  }
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const all = urls.map((_, u) => med(times[u].flat()));
  console.log(`bench: view_frame_load ${os.loadavg()[0].toFixed(2)} (1-minute load average after the runs, ` +
    `${os.cpus().length} CPUs; ${rounds} rounds of ${renders} renders a view)`);
  let same = true;
  for (let u = 0; u < urls.length; u++) {
    for (let v = 0; v < VIEWS.length; v++) {
      const m = med(times[u][v]), h = [...hashes[u][v]].join(",");
      let extra = "";
      if (u > 0) {
        const eq = h === [...hashes[0][v]].join(",") && hashes[u][v].size === 1;
        if (!eq) same = false;
        extra = ` (${(m / med(times[0][v])).toFixed(2)}x url 1; pixels ${eq ? "same" : "DIFFER"})`;
      }
      console.log(`bench: view_frame_median url${u + 1} 1/${Math.round(1 / VIEWS[v])} ${m.toFixed(2)} ms${extra} pixels ${h}`);
    }
    console.log(`bench: view_frame_median url${u + 1} all ${all[u].toFixed(2)} ms` +
      (u > 0 ? ` (${(all[u] / all[0]).toFixed(2)}x url 1)` : ""));
  }
  if (urls.length > 1) console.log(`bench: view_frame_pixels ${same ? "same" : "DIFFER"} at every view`);
  process.exitCode = same ? 0 : 1;
} finally {
  await close();
}
