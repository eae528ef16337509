// A damaged trace in the viewer (the self-contained HTML or `switchscope
// view`): the side panel says so, with the reader's figures, and the rest
// of the page works. Prints PASS/FAIL lines and "N passed, N failed".
//
//   node damaged.test.mjs URL-OR-FILE TEXT...
// TEXT: what the notice must contain (each of them).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { checker, launch, openPage } from "./browser.mjs";

const [where, ...texts] = process.argv.slice(2);
const url = /^https?:/.test(where) ? where : pathToFileURL(path.resolve(where)).href;
const C = checker("damaged"), { check, eq } = C;

const { context, close } = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "ss-chromium-")));
try {
  const { page, errors } = await openPage(context);
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  await page.evaluate(() => window.switchscope.settled());
  const notice = await page.$eval("#summary", (e) => {
    const d = e.querySelector(".damage");
    return d ? d.textContent : null;
  });
  check("the side panel says the trace is damaged", notice !== null && notice.startsWith("Damaged trace"),
    String(notice));
  for (const t of texts) check(`  ... "${t}"`, notice !== null && notice.includes(t), String(notice));
  const switches = await page.$eval("#summary tr[data-k='switches'] td", (e) => e.textContent);
  check("the counts of the intact part are shown", Number(switches.replace(/,/g, "")) > 0, switches);
  eq("no script errors", errors.join("; "), "");
} finally {
  await close();
}
C.done();
