// Off-CPU sums of `report --offcpu --json` against `report --json` of the
// same trace: for every thread, the time under its stacks, sleeping and
// waiting, must be its sleep_ns and wait_ns (one definition of each, in
// user/analysis/analysis.h). Prints "ok" or the threads that differ.
//
//   node same_totals.mjs REPORT.json OFFCPU.json
import { readFileSync } from "node:fs";
import process from "node:process";

const [rep, off] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));
const bad = [];
for (const t of rep.threads) {
  const o = off.threads.find((x) => x.tid === t.tid);
  let sleep = 0, wait = 0;
  for (const s of o ? o.stacks : []) {
    if (s.kind === "sleep") sleep += s.ns;
    else if (s.kind === "wait") wait += s.ns;
  }
  if (sleep !== t.sleep_ns || wait !== t.wait_ns) {
    bad.push(`${t.tid}: sleep ${sleep} vs ${t.sleep_ns}, wait ${wait} vs ${t.wait_ns}`);
  }
}
process.stdout.write((rep.threads.length && !bad.length ? "ok" : bad.join("; ") || "no threads") + "\n");
