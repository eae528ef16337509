// The viewer served by `switchscope view` of tests/stacks/gen_stacks.c's
// trace (-T: with flight recorder triggers) in a real browser: the triggers
// on the ruler, and the stacks the generator wrote in the hover panel of a
// sleeping interval, a runnable one and a coroutine park (asked from
// /api/stack as the pointer rests). Prints PASS/FAIL lines and "N passed,
// N failed".
//
//   node view_stacks.test.mjs URL [SCREENSHOT.png]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checker, launch, openPage } from "./browser.mjs";

const [url, shot] = process.argv.slice(2);
const MS = 1e6;
const C = checker("view stacks"), { check, eq } = C;

const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const { page, errors } = await openPage(context);
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await page.evaluate(async () => {
    window.switchscope.fit(0, 20e6);
    await window.switchscope.settled();
  });

  // triggers: the model's list (from /api/meta), drawn on the ruler
  const trig = await page.evaluate(() => {
    const m = window.switchscope.model, t = m.triggers, SS = window.SS;
    return Array.from(t.ts.subarray(0, t.n), (ts, i) => ts + " " + SS.triggerName[t.kind[i]]).join(", ");
  });
  eq("the triggers, their times and kinds", trig, "7000000 runqlat, 12000000 signal");
  const ruler = await page.evaluate(() => {
    const R = window.switchscope.renderer, ctx = R.canvas.getContext("2d"), dpr = R.canvas.width / R.cssW;
    const at = (t) => {
      const x = Math.round(R.xOf(t) * dpr), d = ctx.getImageData(x - 2 * dpr, 2 * dpr, 4 * dpr + 1, 1).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0xe0 && d[i + 1] === 0x70 && d[i + 2] === 0) return true;
      return false;
    };
    return { trig: at(7e6) && at(12e6), none: at(4e6) };
  });
  check("an orange trigger mark on the ruler at each (none elsewhere)", ruler.trig && !ruler.none, JSON.stringify(ruler));

  // point at (t, row of tid's lane of kind), wait for the panel to hold want
  async function hoverFor(tid, kind, t, want) {
    const at = await page.evaluate(([tid, kind, t]) => {
      const R = window.switchscope.renderer, SS = window.SS;
      const i = R.rows.findIndex((r) => r.kind === kind && r.thread && r.thread.tid === tid);
      if (i < 0) return null;
      const box = R.canvas.getBoundingClientRect();
      return { x: box.left + R.xOf(t), y: box.top + R.rowY[i] - R.view.scrollY + SS.RULER_H + SS.ROW_H[kind] / 2 };
    }, [tid, kind, t]);
    if (!at) return "(no " + kind + " row of " + tid + ")";
    await page.mouse.move(at.x, at.y);
    let tip = "";
    for (let k = 0; k < 50; k++) {
      tip = await page.$eval("#tooltip", (e) => (e.style.display === "block" ? e.innerText : ""));
      if (want.every((w) => tip.includes(w))) break;
      await page.waitForTimeout(100);
    }
    return tip;
  }
  let tip = await hoverFor(500, "thread", 3.5 * MS, ["read_pipe_fn", "write_pipe_fn"]);
  check("a sleep's hover: its kernel and user stacks",
    /blocked at/.test(tip) && ["schedule+0x5a", "pipe_read+0x10", "read_pipe_fn+0x10", "main+0x10"].every((f) => tip.includes(f)), tip);
  const w = tip.indexOf("woken by writer 501");
  check("  ... and the waker's", w > 0 && tip.slice(w).includes("try_to_wake_up+0x8") && tip.slice(w).includes("write_pipe_fn+0x10"), tip);
  tip = await hoverFor(501, "thread", 8 * MS, ["spin_fn"]);
  check("a runnable interval's hover: where it left the CPU", /(blocked|preempted) at/.test(tip) &&
    tip.includes("preempt_schedule+0x4") && tip.includes("spin_fn+0x10") && /one frame/.test(tip), tip);
  tip = await hoverFor(500, "coro", 0.5 * MS, ["chan_recv_fn"]);
  check("a coroutine park's hover: its stack", /parked at/.test(tip) && tip.includes("chan_recv_fn+0x10"), tip);
  tip = await hoverFor(501, "thread", 15 * MS, ["not in the trace"]);
  check("a stack the trace lacks: said so", /kernel stack not in the trace/.test(tip), tip);

  // the flame graph of a selection, from /api/offcpu: [0, 20 ms] holds all
  // 29 ms of off-CPU time with stacks (11 + 5 + 1 blocker's, 10 + 2
  // writer's); [2 ms, 4 ms] 2 ms of the pipe read
  const flame = (a, b) => page.evaluate(async ([a, b]) => {
    await window.switchscope.select(a, b);
    const h = document.querySelector("#flame h4"), boxes = document.querySelectorAll("#flame .fnode");
    return (h ? h.textContent : "(no flame graph)") + " | " + Array.from(boxes, (e) => e.textContent).join(",");
  }, [a, b]);
  let fl = await flame(0, 20 * MS);
  check("the flame graph of the whole trace: all its off-CPU time, by stack",
    fl.startsWith("Off-CPU by stack (29.00 ms)") && ["futex_wait_fn", "read_pipe_fn", "write_pipe_fn", "spin_fn", "pipe_read [k]"].every((f) => fl.includes(f)), fl);
  fl = await flame(2 * MS, 4 * MS);
  check("  ... of a selection inside the pipe read's sleep: that stack alone",
    fl.startsWith("Off-CPU by stack (2.00 ms)") && fl.includes("read_pipe_fn") && !fl.includes("futex_wait_fn"), fl);
  if (shot) await page.screenshot({ path: shot });
  eq("no script errors", errors.join("; "), "");
} catch (e) {
  check("the test ran", false, String(e && e.stack || e));
} finally {
  await close();
}
C.done();
