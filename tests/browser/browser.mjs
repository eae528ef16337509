// Debian's chromium under playwright-core: no browser is downloaded, no
// service is contacted, and each run gets a fresh profile.
import fs from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.SS_CHROMIUM || "/usr/bin/chromium";

export async function launch(userDataDir) {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// PASS/FAIL lines "PASS <name>: <what>", the counts, and done(): the
// closing "N passed, N failed" line (the exit status follows it).
export function checker(name) {
  const c = { passed: 0, failed: 0 };
  c.check = (what, ok, detail) => {
    if (ok) {
      console.log(`PASS ${name}: ${what}`);
      c.passed++;
    } else {
      console.log(`FAIL ${name}: ${what}${detail ? ": " + detail : ""}`);
      c.failed++;
    }
  };
  c.eq = (what, got, want) => c.check(what, got === want,
    `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  c.done = () => {
    console.log(`${c.passed} passed, ${c.failed} failed`);
    process.exit(c.failed ? 1 : 0);
  };
  return c;
}

// A page of the viewer's size that collects script errors and console
// errors: every test ends by checking there were none.
export async function openPage(context) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  return { page, errors };
}
