// The viewer served by `switchscope view` in a real browser (Debian's
// chromium through playwright-core), on a big generated trace: the first
// frame, the counts of the whole trace, a 1 us window deep in the trace that
// must show the switch `switchscope timehist` printed there, hover, search,
// a selection, and what the page holds (bounded by the screen, not the
// trace). Prints PASS/FAIL lines and "N passed, N failed".
//
//   node view.test.mjs URL EXPECTED.json SCREENSHOT.png
// EXPECTED: gen_trace's counts plus "switch": { t_ns, cpu, from, to } (tids).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checker, launch, openPage } from "./browser.mjs";

const [url, expectedPath, shot] = process.argv.slice(2);
const want = JSON.parse(fs.readFileSync(expectedPath, "utf8"));
const C = checker("view"), { check, eq } = C;

const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const { page, errors } = await openPage(context);
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  const first = await page.evaluate(async () => {
    await window.switchscope.settled();
    return { at: performance.now(), n: window.switchscope.model.n };
  });
  console.log(`view: first frame ${first.at.toFixed(0)} ms after navigation, ${first.n} records in the page`);
  check(`first frame drawn (${first.at.toFixed(0)} ms after navigation)`, first.n > 0);
  eq("no script errors", errors.join("; "), "");

  const rows = await page.evaluate(() => window.switchscope.rows());
  eq("one lane per CPU", rows.filter((r) => r.kind === "cpu").map((r) => r.label).join(","),
    want.cpus.map((c) => "CPU " + c).join(","));
  const tids = rows.filter((r) => r.kind === "thread").map((r) => Number(r.label.split(" ").pop()));
  eq("one lane per traced thread", tids.sort((a, b) => a - b).join(","),
    want.threads.slice().sort((a, b) => a - b).join(","));
  check("a coroutine lane under its thread", rows.some((r, i) => r.kind === "coro" && rows[i - 1].kind === "thread"));

  const s = await page.evaluate(async () => {
    const x = await window.switchscope.summary();
    return { switches: x.switches, preempted: x.preempted, wakeups: x.wakeups, coro: x.coroSwitches, lost: x.lost };
  });
  eq("whole trace: kernel switches", s.switches, want.switches);
  eq("whole trace: preempted", s.preempted, want.preempted);
  eq("whole trace: wakeups", s.wakeups, want.wakeups);
  eq("whole trace: coroutine switches", s.coro, want.coro_switches);
  const shown = await page.evaluate(() => document.querySelector("#summary tr[data-k=switches] td").textContent);
  eq("the summary panel shows them", shown, Number(want.switches).toLocaleString("en-US"));

  // What the page holds is bounded by the screen: at most ~5 records per
  // pixel and lane (remote.js), whatever the trace's size.
  const lanes = await page.evaluate(() => window.switchscope.model.byId.length);
  check(`the page holds ${first.n} records of a ${want.records}-record trace (bound: 5 per pixel and lane)`,
    first.n <= 5 * 1.5 * 1400 * lanes && first.n * 20 < want.records);

  // Hover over the whole trace: pixel columns fold many slices.
  const cpuRow = rows.findIndex((r) => r.label === "CPU " + want.switch.cpu);
  const rowY = (i) => page.evaluate((k) => {
    const R = window.switchscope.renderer;
    return R.rowY[k] - R.view.scrollY + 30 + 10;
  }, i);
  const yCpu = await rowY(cpuRow);
  const aggTip = await page.evaluate((y) => window.switchscope.hover(700, y), yCpu);
  check("hover on a dense column says how many slices it folds", /slices in this pixel column/.test(aggTip || ""), aggTip);

  // The 1 us window of timehist's switch (timehist truncates to the us).
  const T = want.switch.t_ns;
  await page.evaluate(async (t) => {
    window.switchscope.fit(t, t + 1000);
    await window.switchscope.settled();
  }, T);
  const sw = await page.evaluate((w) => {
    const S = window.switchscope, m = S.model, l = m.cpuLanes[w.cpu], v = S.view();
    const out = [];
    for (let i = 0; i + 1 < l.n; i++) {
      if (l.e[i] !== l.s[i + 1] || l.e[i] < v.t0 || l.e[i] > v.t1) continue;
      out.push({ t: l.e[i], from: m.threads[m.thread(l.r[i])].tid, to: m.threads[m.thread(l.r[i + 1])].tid,
        agg: m.cpu(l.r[i]) === 0xffff || m.cpu(l.r[i + 1]) === 0xffff });
    }
    return { out, t0: v.t0, t1: v.t1 };
  }, want.switch);
  const hit = sw.out.find((x) => x.from === want.switch.from && x.to === want.switch.to);
  check(`1 us window at ${(T / 1e9).toFixed(6)} s: CPU ${want.switch.cpu} switches ${want.switch.from} -> ${want.switch.to} as timehist says`,
    hit && !hit.agg, JSON.stringify(sw));
  if (hit) {
    const x = await page.evaluate((t) => window.switchscope.renderer.xOf(t), hit.t);
    const before = await page.evaluate(([xx, y]) => window.switchscope.hover(xx, y), [x - 40, yCpu]);
    const after = await page.evaluate(([xx, y]) => window.switchscope.hover(xx, y), [x + 40, yCpu]);
    check("hover left of the switch: the task switched out", new RegExp("\\b" + want.switch.from + "\\b").test(before || ""), before);
    check("hover right of the switch: the task switched in", new RegExp("\\b" + want.switch.to + "\\b").test(after || ""), after);
  }
  const sel = await page.evaluate(async (t) => {
    const x = await window.switchscope.select(t, t + 1000);
    return x.switches;
  }, T);
  check(`a selection of that window counts the switch (${sel})`, sel >= 1);
  await page.evaluate(() => window.switchscope.select(null));

  // Zoom out step by step: each step loads its window.
  const steps = [];
  for (let i = 0; i < 8; i++) {
    steps.push(await page.evaluate(async () => {
      const t = performance.now();
      window.switchscope.zoom(4);
      await window.switchscope.settled();
      return performance.now() - t;
    }));
  }
  const arrows = await page.evaluate(() => window.switchscope.view().arrows);
  steps.sort((a, b) => a - b);
  console.log(`view: zoom steps median ${steps[steps.length >> 1].toFixed(0)} ms`);
  check(`zoomed out to ${await page.evaluate(() => { const v = window.switchscope.view(); return ((v.t1 - v.t0) / 1e3).toFixed(0); })} us: lanes still drawn`,
    await page.evaluate(() => window.switchscope.model.n > 0));
  await page.evaluate(async (t) => {
    window.switchscope.fit(t - 50000, t + 50000);
    await window.switchscope.settled();
  }, T);
  const arrows100 = await page.evaluate(() => window.switchscope.view().arrows);
  check(`wakeup arrows in a 100 us window (${arrows100})`, arrows100 > 0, `arrows ${arrows100} (zoomed out: ${arrows})`);

  // Search: names (the client's), coroutines (the server's).
  await page.fill("#search", "server");
  await page.waitForFunction(() => document.getElementById("search-status").textContent !== "");
  const nServer = rows.filter((r) => r.label.toLowerCase().includes("server")).length;
  eq("search by name", await page.textContent("#search-status"), nServer + (nServer === 1 ? " match" : " matches"));
  await page.fill("#search", "coro 3");
  await page.waitForFunction(() => /match/.test(document.getElementById("search-status").textContent) &&
    window.switchscope.renderer.coroMatch === 3);
  const coroHit = await page.evaluate(() => {
    const R = window.switchscope.renderer;
    return Array.from(R.highlight).map((i) => R.rows[i].kind);
  });
  check("search 'coro 3' finds its coroutine lane (server query)", coroHit.includes("coro"), JSON.stringify(coroHit));
  await page.fill("#search", "");

  eq("no script errors after all that", errors.join("; "), "");
  await page.evaluate(async () => {
    const m = window.switchscope.model;
    window.switchscope.fit(m.meta.from, m.meta.end);
    await window.switchscope.settled();
  });
  await page.screenshot({ path: shot });
  const png = fs.readFileSync(shot);
  check("screenshot written", png.length > 20000, `${png.length} bytes`);
} catch (e) {
  check("the test ran", false, String(e.stack || e));
} finally {
  await close();
}
C.done();
