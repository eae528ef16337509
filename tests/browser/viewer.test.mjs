// The HTML viewer in a real browser (Debian's chromium through
// playwright-core; nothing is downloaded). Loads an exported HTML file and
// checks that what it shows equals the counts of the trace, then zooms,
// pans, hovers, selects, searches and saves a screenshot that must not be
// blank. Prints PASS/FAIL lines and "N passed, N failed".
//
//   node viewer.test.mjs FILE.html EXPECTED.json SCREENSHOT.png [--coro]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checker, launch, openPage } from "./browser.mjs";

const [html, expectedPath, shot] = process.argv.slice(2);
const wantCoro = process.argv.includes("--coro");
const expected = JSON.parse(fs.readFileSync(expectedPath, "utf8"));
const name = path.basename(html);
const C = checker(name), { check, eq } = C;

const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const { page, errors } = await openPage(context);
  const requests = [];
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  await page.goto("file://" + path.resolve(html));
  await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
  eq("no script errors", errors.join("; "), "");
  eq("no network requests (self-contained)", requests.join(" "), "");

  const rows = await page.evaluate(() => window.switchscope.rows());
  const cpuRows = rows.filter((r) => r.kind === "cpu").map((r) => r.label);
  eq("one lane per CPU", cpuRows.join(","), expected.cpus.map((c) => "CPU " + c).join(","));
  const threadTids = rows.filter((r) => r.kind === "thread").map((r) => Number(r.label.split(" ").pop()));
  eq("one lane per traced thread", threadTids.sort((a, b) => a - b).join(","),
    expected.threads.slice().sort((a, b) => a - b).join(","));
  const coroRows = rows.filter((r) => r.kind === "coro");
  if (wantCoro) {
    check("coroutine lanes nested under their thread", coroRows.length > 0 &&
      rows.every((r, i) => r.kind !== "coro" || rows[i - 1].kind === "thread"));
  }

  const s = await page.evaluate(() => {
    const x = window.switchscope.summary();
    return { switches: x.switches, preempted: x.preempted, wakeups: x.wakeups, coro: x.coroSwitches, lost: x.lost };
  });
  eq("kernel switches shown = trace", s.switches, expected.switches);
  eq("preemptions shown = trace", s.preempted, expected.preempted);
  eq("wakeups shown = trace", s.wakeups, expected.wakeups);
  eq("coroutine switches shown = trace", s.coro, expected.coro_switches);
  eq("lost records shown = trace", s.lost, expected.lost);
  const shown = await page.$eval("#summary tr[data-k='switches'] td", (e) => e.textContent);
  eq("summary panel shows the switch count", shown.replace(/,/g, ""), String(expected.switches));

  // zoom: the view narrows and is drawn again (how fast: tests/bench/export_viewer.sh)
  const pixels = () => page.$eval("#timeline", (c) => c.toDataURL());
  const v0 = await page.evaluate(() => window.switchscope.view());
  const p0 = await pixels();
  const ms = await page.evaluate(() => window.switchscope.zoom(0.5));
  const v1 = await page.evaluate(() => window.switchscope.view());
  check("zoom in halves the visible range", Math.abs((v1.t1 - v1.t0) / (v0.t1 - v0.t0) - 0.5) < 0.01,
    `${v0.t1 - v0.t0} -> ${v1.t1 - v1.t0}`);
  check("zoom draws the timeline again", Number.isFinite(ms) && (await pixels()) !== p0, `${ms} ms`);
  await page.click("#timeline", { position: { x: 700, y: 10 } });
  await page.keyboard.press("w");
  await page.waitForTimeout(50);
  const v2 = await page.evaluate(() => window.switchscope.view());
  check("W key zooms in", v2.t1 - v2.t0 < v1.t1 - v1.t0);
  await page.keyboard.press("d");
  await page.waitForTimeout(50);
  const v3 = await page.evaluate(() => window.switchscope.view());
  check("D key pans right", v3.t0 > v2.t0);

  // hover over a running slice of the first thread that has one
  const target = await page.evaluate(() => {
    const R = window.switchscope.renderer, m = window.switchscope.model;
    for (let i = 0; i < R.rows.length; i++) {
      const row = R.rows[i];
      if (row.kind !== "thread") continue;
      const l = row.lane;
      for (let k = 0; k < l.n; k++) {
        if (m.kind(l.r[k]) === 1 && l.e[k] > l.s[k]) {
          R.fit(l.s[k] - (l.e[k] - l.s[k]), l.e[k] + (l.e[k] - l.s[k]));
          R.view.scrollY = Math.max(0, R.rowY[i] - 100);
          R.render();
          const box = R.canvas.getBoundingClientRect();
          return {
            x: box.left + R.xOf((l.s[k] + l.e[k]) / 2),
            y: box.top + R.rowY[i] - R.view.scrollY + window.SS.RULER_H + window.SS.ROW_H.thread / 2,
          };
        }
      }
    }
    return null;
  });
  check("a running slice to hover", target !== null);
  if (target) {
    await page.mouse.move(target.x, target.y);
    await page.waitForTimeout(100);
    const tip = await page.$eval("#tooltip", (e) => (e.style.display === "block" ? e.textContent : ""));
    check("hover shows the slice's details", /running/.test(tip) && /CPU \d+/.test(tip), tip);
  }

  // drag to select: the summary is for the selection
  await page.evaluate(() => window.switchscope.fit(window.switchscope.model.meta.from, window.switchscope.model.meta.end));
  await page.mouse.move(400, 300);
  await page.mouse.down();
  await page.mouse.move(700, 320, { steps: 5 });
  await page.mouse.up();
  const title = await page.$eval("#summary h3", (e) => e.textContent);
  eq("drag selects a range and summarizes it", title, "Selection");
  const part = await page.evaluate(() => window.switchscope.summary().switches);
  check("selection counts a part of the switches", part <= expected.switches, `${part}`);
  await page.keyboard.press("Escape");

  // search by thread name
  const comm = await page.evaluate(() => window.switchscope.renderer.rows.find((r) => r.kind === "thread").thread.comm);
  await page.fill("#search", comm);
  const status = await page.$eval("#search-status", (e) => e.textContent);
  check("search finds the thread", /^[1-9]\d* match/.test(status), status);
  if (wantCoro) {
    await page.fill("#search", "coro 1");
    const cs = await page.$eval("#search-status", (e) => e.textContent);
    check("search finds a coroutine", /^[1-9]\d* match/.test(cs), cs);
  }
  await page.fill("#search", "");
  check("legend present", (await page.$$("#legend li")).length >= 8);

  await page.evaluate(() => window.switchscope.fit(window.switchscope.model.meta.from, window.switchscope.model.meta.end));
  await page.waitForTimeout(100);
  await page.screenshot({ path: shot });
  const colors = await page.evaluate(() => {
    const c = document.getElementById("timeline");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const set = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) set.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return set.size;
  });
  check("screenshot is not blank", fs.statSync(shot).size > 20000 && colors >= 6,
    `${fs.statSync(shot).size} bytes, ${colors} colors`);
} finally {
  await close();
}
C.done();
