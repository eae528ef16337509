// The HTML viewer on a 1,000,000-record trace in headless chromium: time
// to the first frame (from navigation start: parsing, decoding, building
// the lanes, drawing) and the redraw time of zoom steps.
//   node tests/bench/export_browser.mjs FILE.html
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../browser/browser.mjs";

const html = path.resolve(process.argv[2]);
const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  const t0 = Date.now();
  await page.goto("file://" + html);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  const wall = Date.now() - t0;
  const r = await page.evaluate(() => ({
    first: window.switchscope.firstFrameMs,
    decode: window.switchscope.loadMs,
    items: window.switchscope.model.n,
    records: window.switchscope.model.meta.records,
  }));
  const steps = [];
  for (let i = 0; i < 12; i++) steps.push(await page.evaluate(() => window.switchscope.zoom(0.6)));
  for (let i = 0; i < 12; i++) steps.push(await page.evaluate(() => window.switchscope.zoom(1 / 0.6)));
  steps.sort((a, b) => a - b);
  console.log(`bench: viewer_records ${r.records} records`);
  console.log(`bench: viewer_items ${r.items} slices+marks`);
  console.log(`bench: viewer_first_frame ${Math.round(r.first)} ms`);
  console.log(`bench: viewer_load_wall ${wall} ms`);
  console.log(`bench: viewer_decode_build ${Math.round(r.decode)} ms`);
  console.log(`bench: viewer_zoom_step_median ${steps[steps.length >> 1].toFixed(1)} ms`);
  console.log(`bench: viewer_zoom_step_max ${steps[steps.length - 1].toFixed(1)} ms`);
} finally {
  await close();
}
