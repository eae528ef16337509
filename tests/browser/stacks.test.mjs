// The viewer's stacks in a real browser (Debian's chromium): an HTML export
// of a trace with stacks (tests/stacks/gen_stacks.c, or a recording of
// the blocker workload) is hovered where a thread sleeps, and the panel
// must show the frames that blocked it and the waker's; a selection's
// off-CPU flame graph must hold the frames with the time the trace gives
// them. Prints PASS/FAIL lines and "N passed, N failed".
//
//   node stacks.test.mjs FILE.html BLOCKED_FRAME WAKER_FRAME [SCREENSHOT.png]
//     BLOCKED_FRAME  a function in the stack of a sleep that a waking
//                    ended (the longest such is hovered); WAKER_FRAME one
//                    in its waker's stack
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checker, launch, openPage } from "./browser.mjs";

const [html, blocked, waker, shot] = process.argv.slice(2);
const { check, done } = checker(path.basename(html));

const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const { page, errors } = await openPage(context);
  await page.goto("file://" + path.resolve(html));
  await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
  check("no script errors", errors.length === 0, errors.join("; "));
  check("the export has stacks", await page.evaluate(() => window.SS.hasStacks(window.switchscope.model)));

  // the longest sleep in BLOCKED_FRAME that has a waker's stack: zoom
  // onto it, point at it
  const target = await page.evaluate((blocked) => {
    const R = window.switchscope.renderer, m = window.switchscope.model, SS = window.SS;
    let best = null;
    for (let i = 0; i < R.rows.length; i++) {
      const row = R.rows[i];
      if (row.kind !== "thread") continue;
      const l = row.lane;
      for (let k = 0; k < l.n; k++) {
        const r = l.r[k], lines = [];
        if (m.kind(r) !== SS.K.SLEEP) continue;
        SS.stackHover(m, r, lines);
        const w = lines.findIndex((s) => /woken by/.test(s));
        if (w < 0 || !lines.slice(0, w).some((s) => s.includes(blocked))) continue;
        if (!best || l.e[k] - l.s[k] > best.d) best = { i: i, k: k, d: l.e[k] - l.s[k] };
      }
    }
    if (!best) return null;
    const l = R.rows[best.i].lane, s = l.s[best.k], e = l.e[best.k];
    R.fit(s - (e - s) / 4, e + (e - s) / 4);
    R.view.scrollY = Math.max(0, R.rowY[best.i] - 100);
    R.render();
    const box = R.canvas.getBoundingClientRect();
    return {
      x: box.left + R.xOf((s + e) / 2),
      y: box.top + R.rowY[best.i] - R.view.scrollY + SS.RULER_H + SS.ROW_H.thread / 2,
      s: s, e: e,
    };
  }, blocked);
  check(`a sleep in ${blocked} ended by a waking, with stacks`, target !== null);
  if (target) {
    await page.mouse.move(target.x, target.y);
    await page.waitForTimeout(100);
    const tip = await page.$eval("#tooltip", (e) => (e.style.display === "block" ? e.innerText : ""));
    check("hover panel shows the blocking stack", tip.includes("blocked at") && tip.includes(blocked), tip);
    const w = tip.indexOf("woken by");
    check("hover panel shows the waker's stack", w >= 0 && tip.slice(w).includes(waker), tip);

    // a click on it selects it
    await page.mouse.click(target.x, target.y);
    await page.waitForTimeout(100);
    const sel = await page.evaluate(() => {
      const R = window.switchscope.renderer;
      return R.sel ? [R.sel.a, R.sel.b] : null;
    });
    check("a click selects the interval", sel !== null && sel[0] === target.s && sel[1] === target.e,
      JSON.stringify(sel));
    const title = await page.$eval("#summary h3", (e) => e.textContent);
    check("its flame graph is shown", title === "Selection" && (await page.$$("#flame .fnode")).length > 2);

    // select exactly that sleep: the flame graph is its stacks, all of it
    const flame = await page.evaluate(([a, b]) => {
      window.switchscope.select(a, b);
      const nodes = Array.from(document.querySelectorAll("#flame .fnode"));
      const tree = window.SS.offcpuTree(window.switchscope.model, a, b);
      return { names: nodes.map((n) => n.textContent), titles: nodes.map((n) => n.title), total: tree.v };
    }, [target.s, target.e]);
    check("selection has an off-CPU flame graph", flame.names.length > 2, JSON.stringify(flame.names));
    check("flame graph holds the blocking frame", flame.names.some((n) => n.includes(blocked)),
      JSON.stringify(flame.names));
    check("flame graph's time covers the selected sleep", flame.total >= (target.e - target.s) * 0.999,
      `${flame.total} of ${target.e - target.s}`);
    if (shot) await page.screenshot({ path: shot });
  }
} finally {
  await close();
}
done();
