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
