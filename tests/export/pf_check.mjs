// Checks a Perfetto export (the text of `protoc --decode=perfetto.protos.Trace`
// with proto/perfetto_trace.proto) against the rules trace_processor applies
// when it imports it, and prints what it found as JSON. Switches and wakings
// in a bundle's compact_sched are read back as trace_processor does
// (FtraceTokenizer::TokenizeFtraceCompactSched, FtraceSchedEventTracker::
// PushSchedSwitchCompact): timestamps summed, prev_pid and prev_prio those
// of the CPU's previous switch (full or compact), a waking's waker the task
// that switch put on the CPU; then the same rules apply to them. Its order:
// a CPU's compact switches, compact wakings and full events go to three
// queues, each in file order (a bundle's compact switches first, then its
// compact wakings, then its full events), created when the first event of
// that kind for that CPU or a higher one comes (ProtoImporterModuleContext::
// PushToStream); events are taken by timestamp, and at equal timestamps
// from the queue created first (TraceSorter::SortAndExtractEventsUntilAllocId).
//
//   switches          sched_switch events, full and compact
//   gap_switches      of those, switches the export adds at a gap in a CPU's
//                     chain: at the time of the CPU's next switch, whose
//                     prev_pid they put on the CPU for 0 ns; or to idle, 1 ns
//                     before the task they take off switches in on another
//                     CPU
//   mismatched        switches whose prev_pid is not the previous switch's
//                     next_pid on that CPU: trace_processor then leaves the
//                     earlier CPU slice open (dur -1) and the task Running to
//                     the end (FtraceSchedEventTracker::PushSchedSwitch counts
//                     them as mismatched_sched_switch_tids)
//   overlaps          CPU slices of a task that overlap another of its CPU
//                     slices (it would run on two CPUs at once; the
//                     thread state after that is wrong: trace_processor's
//                     ThreadStateTracker leaves a state open to the end)
//   coro_slices       coroutine slices (track events on a thread's child track)
//   coro_after_exit   of those, slices that end after their thread's
//                     sched_process_exit; coro_past_exit_max_ns: by how much
//   coro_at_exit      slices that end exactly at their thread's exit
//   tasks             distinct pids/tids in sched and task events (0 excluded)
//   undescribed       of those, tasks with neither a ProcessTree thread (tid
//                     and tgid) nor a thread TrackDescriptor nor a
//                     task_newtask that creates them; the first few in
//                     undescribed_list
//   names             tid -> the name its last descriptor gives
//   wakings           sched_waking events, full and compact
//   compact_switches, compact_wakings   of those, the compact ones
//   compact_skipped   compact switches and wakings trace_processor drops
//                     because no switch came before them on their CPU
//                     (compact_sched_switch_skipped, _waking_skipped)
//   compact_errors    compact_sched columns of a kind of unequal lengths,
//                     or comm indexes past the intern table
//                     (compact_sched_has_parse_errors)
//
//   node pf_check.mjs FILE.txt [--dump OUT]
//
// --dump writes the switches and wakings as trace_processor reads them, per
// CPU in its order: "S cpu ts prev_pid prev_prio prev_state next_pid
// next_prio next_comm" and "W cpu ts pid waker target_cpu prio comm"; the
// full and the compact encodings of one trace dump the same.
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";

// protoc's text format: "name {", "}" and "name: value", one a line as
// protoc writes them or several on a line.
function parse(text) {
  const root = {};
  const stack = [root];
  const tok = /(\w+) \{|\}|(\w+): ("(?:[^"\\]|\\.)*"|[^\s}]+)|(\S+)/g;
  for (const m of text.matchAll(tok)) {
    const top = stack[stack.length - 1];
    if (m[4]) throw new Error("cannot parse: " + m[4]);
    if (m[1]) {
      const o = {};
      (top[m[1]] ||= []).push(o);
      stack.push(o);
    } else if (m[2]) {
      let v = m[3];
      if (v.startsWith('"'))
        v = JSON.parse(v.replace(/\\([0-7]{3})/g, (_, o) => "\\u00" + parseInt(o, 8).toString(16).padStart(2, "0")).replace(/\\'/g, "'"));
      else if (/^-?\d+$/.test(v)) v = Number.isSafeInteger(Number(v)) ? Number(v) : BigInt(v);
      (top[m[2]] ||= []).push(v);
    } else {
      stack.pop();
    }
  }
  return root;
}

const one = (o, k) => (o && o[k] ? o[k][0] : undefined);
const all = (o, k) => (o && o[k]) || [];

const tr = parse(readFileSync(process.argv[2], "utf8"));
const dumpTo = process.argv[3] === "--dump" ? process.argv[4] : undefined;
let compactSwitches = 0, compactWakings = 0, compactErrors = 0;

// A timestamp column: the first absolute, then deltas (int64 in effect).
function sums(col) {
  let acc = 0;
  return col.map((v) => {
    acc = typeof v === "bigint" || !Number.isSafeInteger(acc + v)
      ? Number(BigInt.asIntN(64, BigInt(acc) + BigInt(v))) : acc + v;
    return acc;
  });
}
// A bundle's compact_sched as events, switches then wakings, as
// trace_processor tokenizes them; columns that do not line up are errors
// and end the kind there.
function compactEvents(cs) {
  const out = [];
  const table = all(cs, "intern_table");
  const kinds = [
    ["compact_switch", "switch_", ["timestamp", "prev_state", "next_pid", "next_prio", "next_comm_index"]],
    ["compact_waking", "waking_", ["timestamp", "pid", "target_cpu", "prio", "comm_index"]],
  ];
  for (const [kind, pre, cols] of kinds) {
    const c = cols.map((k) => all(cs, pre + k));
    const n = Math.min(...c.map((x) => x.length));
    if (c.some((x) => x.length !== n)) compactErrors++;
    const ts = sums(c[0]);
    for (let i = 0; i < n; i++) {
      if (c[4][i] >= table.length) {
        compactErrors++;
        break;
      }
      const o = {};
      cols.forEach((k, j) => { o[k] = c[j][i]; });
      o.comm = table[c[4][i]];
      out.push({ ts: ts[i], e: { [kind]: [o] } });
    }
  }
  return out;
}
const threads = new Map();	// tid -> { tgid, name }
const created = new Set();	// tids a task_newtask creates
const exits = new Map();	// tid -> ts of its first sched_process_exit
const used = new Set();
const percpu = new Map();
const trackTid = new Map(), trackParent = new Map();
const trackEvents = [];
let order = 0;
// Queue ids by kind and CPU, numbered in the order trace_processor makes them.
const queues = { S: [], W: [], F: [] };
let nqueues = 0;
function queue(kind, cpu) {
  const q = queues[kind];
  while (q.length <= cpu) q.push(++nqueues);
  return q[cpu];
}

for (const pk of all(tr, "packet")) {
  for (const pt of all(pk, "process_tree")) {
    for (const t of all(pt, "threads")) {
      const tid = one(t, "tid");
      const prev = threads.get(tid) || {};
      threads.set(tid, { tgid: one(t, "tgid") ?? prev.tgid, name: one(t, "name") ?? prev.name });
    }
  }
  const td = one(pk, "track_descriptor");
  if (td) {
    const th = one(td, "thread");
    if (th) {
      trackTid.set(one(td, "uuid"), one(th, "tid"));
      threads.set(one(th, "tid"), { tgid: one(th, "pid"), name: one(th, "thread_name") });
    }
    if (one(td, "parent_uuid") !== undefined) trackParent.set(one(td, "uuid"), one(td, "parent_uuid"));
  }
  const te = one(pk, "track_event");
  if (te) trackEvents.push({ ts: one(pk, "timestamp"), q: 0, idx: order++, te });
  for (const b of all(pk, "ftrace_events")) {
    const cpu = one(b, "cpu");
    if (!percpu.has(cpu)) percpu.set(cpu, []);
    for (const cs of all(b, "compact_sched"))
      for (const { ts, e } of compactEvents(cs))
        percpu.get(cpu).push({ ts, q: queue(e.compact_switch ? "S" : "W", cpu), idx: order++, e });
    for (const e of all(b, "event")) percpu.get(cpu).push({ ts: one(e, "timestamp"), q: queue("F", cpu), idx: order++, e });
  }
}

// trace_processor's order: timestamp, queue, position in the file.
const byTime = (a, b) => a.ts - b.ts || a.q - b.q || a.idx - b.idx;
let switches = 0, mismatched = 0, gapSwitches = 0, wakings = 0, compactSkipped = 0;
const dump = [];
const norm = new Map();	// cpu -> [{ ts, prev_pid, next_pid }]: the switches as read
const slices = new Map();	// tid -> [[start, end]] on the CPU tracks
const switchIns = new Map();	// "tid@ts" -> cpu, for take-offs
const lastTs = new Map();	// cpu -> ts of its last event
const addSlice = (tid, t0, t1) => {
  if (tid && t0 !== undefined) (slices.get(tid) || slices.set(tid, []).get(tid)).push([t0, t1]);
};
const use = (tid) => { if (tid) used.add(tid); };
for (const [cpu, evs] of percpu) {
  evs.sort(byTime);
  let last, lastPrio, lastSw, since;
  const nsw = [];
  norm.set(cpu, nsw);
  for (const { ts, e } of evs) {
    use(one(e, "pid"));
    let sw = one(e, "sched_switch");
    const csw = one(e, "compact_switch");
    if (csw) {
      compactSwitches++;
      if (last === undefined) {
        // The CPU's first compact switch: no prev_*, no slice.
        compactSkipped++;
        last = csw.next_pid;
        lastPrio = csw.next_prio;
        since = undefined;
        use(last);
        continue;
      }
      sw = { prev_pid: [last], prev_prio: [lastPrio], prev_state: [csw.prev_state],
        next_pid: [csw.next_pid], next_prio: [csw.next_prio], next_comm: [csw.comm] };
    }
    if (sw) {
      switches++;
      if (lastSw && lastSw.ts === ts && one(lastSw.sw, "next_pid") === one(sw, "prev_pid")) gapSwitches++;
      lastSw = { ts, sw };
      if (last !== undefined) {
        const chained = one(sw, "prev_pid") === last;

        if (!chained) mismatched++;
        // trace_processor leaves a slice it cannot close open (dur -1)
        addSlice(last, since, chained ? ts : Infinity);
      }
      last = one(sw, "next_pid");
      lastPrio = one(sw, "next_prio");
      since = ts;
      use(one(sw, "prev_pid"));
      use(one(sw, "next_pid"));
      nsw.push({ ts, prev_pid: one(sw, "prev_pid"), next_pid: last });
      if (dumpTo) dump.push([cpu, "S", cpu, ts, ...["prev_pid", "prev_prio", "prev_state", "next_pid", "next_prio", "next_comm"].map((k) => one(sw, k))]);
    }
    const cwk = one(e, "compact_waking");
    if (cwk) {
      compactWakings++;
      use(cwk.pid);
      if (last === undefined) {
        compactSkipped++;
        continue;
      }
    }
    const wk = cwk ? { ...cwk, waker: last } : one(e, "sched_waking") &&
      { pid: one(one(e, "sched_waking"), "pid"), waker: one(e, "pid"), ...Object.fromEntries(
        ["target_cpu", "prio", "comm"].map((k) => [k, one(one(e, "sched_waking"), k)])) };
    if (wk) {
      wakings++;
      if (dumpTo) dump.push([cpu, "W", cpu, ts, wk.pid, wk.waker, wk.target_cpu, wk.prio, wk.comm]);
    }
    for (const k of ["sched_waking", "sched_wakeup", "sched_wakeup_new", "task_rename", "sched_process_exec"])
      for (const x of all(e, k)) use(one(x, "pid"));
    for (const x of all(e, "task_newtask")) created.add(one(x, "pid"));
    for (const x of all(e, "sched_process_exit")) {
      use(one(x, "pid"));
      if (!exits.has(one(x, "pid"))) exits.set(one(x, "pid"), ts);
    }
  }
  if (last !== undefined) addSlice(last, since, Infinity);
  if (evs.length) lastTs.set(cpu, evs[evs.length - 1].ts);
}
for (const [cpu, sws] of norm)
  for (const sw of sws)
    if (sw.next_pid) switchIns.set(sw.next_pid + "@" + sw.ts, cpu);
// A take-off: a switch to idle at ts written because the task switched in
// on another CPU at ts + 1 (or ts).
for (const [cpu, sws] of norm)
  for (const { ts, prev_pid: prev, next_pid: next } of sws) {
    if (next !== 0 || !prev) continue;
    for (const t of [ts + 1, ts]) {
      const c = switchIns.get(prev + "@" + t);
      if (c !== undefined && c !== cpu) {
        gapSwitches++;
        break;
      }
    }
  }
// A task on two CPUs at once: its CPU slices overlap.
let overlaps = 0;
for (const sl of slices.values()) {
  sl.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sl.length; i++) if (sl[i][0] < sl[i - 1][1]) overlaps++;
}

// Coroutine slices: begin/end pairs on a track whose parent is a thread's.
trackEvents.sort(byTime);
const open = new Map();
let coroSlices = 0, coroAfterExit = 0, coroAtExit = 0, coroPastMax = 0;
for (const { ts, te } of trackEvents) {
  const uuid = one(te, "track_uuid");
  const tid = trackTid.get(trackParent.get(uuid));
  if (tid === undefined) continue;
  const type = one(te, "type");
  if (type === "TYPE_SLICE_BEGIN") {
    (open.get(uuid) || open.set(uuid, []).get(uuid)).push(ts);
  } else if (type === "TYPE_SLICE_END") {
    const b = (open.get(uuid) || []).pop();
    const ex = exits.get(tid);
    coroSlices++;
    if (b !== undefined && ex !== undefined && ex >= b && ts > ex) {
      coroPastMax = Math.max(coroPastMax, ts - ex);
      coroAfterExit++;
    }
    if (ex !== undefined && ts === ex) coroAtExit++;
  }
}

const undescribed = [...used].filter((t) => !created.has(t) &&
  !(threads.has(t) && threads.get(t).tgid !== undefined));
const names = {};
for (const [tid, t] of threads) names[tid] = t.name ?? null;
process.stdout.write(JSON.stringify({
  switches, gap_switches: gapSwitches, mismatched, overlaps, coro_slices: coroSlices, coro_after_exit: coroAfterExit,
  coro_at_exit: coroAtExit, coro_past_exit_max_ns: coroPastMax, tasks: used.size, undescribed: undescribed.length,
  undescribed_list: undescribed.slice(0, 8), names, wakings, compact_switches: compactSwitches,
  compact_wakings: compactWakings, compact_skipped: compactSkipped, compact_errors: compactErrors,
}) + "\n");
if (dumpTo) {
  dump.sort((a, b) => a[0] - b[0]);
  writeFileSync(dumpTo, dump.map((d) => d.slice(1).join(" ")).join("\n") + "\n");
}
