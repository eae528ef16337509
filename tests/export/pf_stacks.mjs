// Checks the stacks of a Perfetto export (the text of `protoc
// --decode=perfetto.protos.Trace` with proto/perfetto_trace.proto) as
// trace_processor reads them (TrackEventParser's ParseCallstack and
// StackProfileSequenceState): a TrackEvent's name_iid and category_iids
// name an interned EventName and EventCategory; its callstack_iid names a
// Callstack interned earlier on its sequence or in its own packet, whose
// frame_ids name interned Frames (bottom, i.e. outermost, first), whose
// function_name_id names an interned function name; a packet that uses
// interned data says SEQ_NEEDS_INCREMENTAL_STATE, and its sequence began
// with SEQ_INCREMENTAL_STATE_CLEARED. Prints JSON:
//
//   events            track events with a callstack_iid
//   unresolved        of those, whose callstack, a frame or a name is not
//                     interned (trace_processor: "invalid callstack_iid",
//                     stackprofile_invalid_*)
//   flag_errors       packets with iids but without the flags above
//   weighted          events with a callstack_weight; weight_mismatch: of
//                     those, slices whose weight is not their duration
//   slices            [name, thread track name, ns, frames root first]
//   instants          [name, frames root first] (wakers, parks)
//
//   node pf_stacks.mjs FILE.txt
import { readFileSync } from "node:fs";
import process from "node:process";

// protoc's text format into objects: every field an array of values.
function parse(text) {
  const toks = text.match(/"(?:[^"\\]|\\.)*"|[{}]|[^\s{}:]+:|[^\s{}]+/g) || [];
  let i = 0;
  function msg() {
    const o = {};
    while (i < toks.length && toks[i] !== "}") {
      const t = toks[i++];
      if (t.endsWith(":")) {
        let v = toks[i++];
        if (v.startsWith("\"")) v = JSON.parse(v.replace(/\\([0-7]{3})/g, (_, d) => String.fromCharCode(parseInt(d, 8))));
        (o[t.slice(0, -1)] ||= []).push(v);
      } else if (toks[i] === "{") {
        i++;
        const v = msg();
        i++;
        (o[t] ||= []).push(v);
      }
    }
    return o;
  }
  return msg();
}

const trace = parse(readFileSync(process.argv[2], "utf8"));
const seqs = new Map();
const tracks = new Map();
const out = { events: 0, unresolved: 0, flag_errors: 0, weighted: 0, weight_mismatch: 0, slices: [], instants: [] };
const open = new Map();
const one = (o, k) => (o && o[k] ? o[k][0] : undefined);

for (const p of trace.packet || []) {
  const sid = one(p, "trusted_packet_sequence_id") || "0";
  const flags = Number(one(p, "sequence_flags") || 0);
  let s = seqs.get(sid);
  if (!s) {
    s = { cleared: false, names: new Map(), frames: new Map(), stacks: new Map(), events: new Map(), cats: new Map() };
    seqs.set(sid, s);
  }
  if (flags & 1) {
    s.cleared = true;
    s.names.clear();
    s.frames.clear();
    s.stacks.clear();
    s.events.clear();
    s.cats.clear();
  }
  const d = one(p, "interned_data");
  if (d) {
    for (const n of d.function_names || []) s.names.set(one(n, "iid"), one(n, "str"));
    for (const f of d.frames || []) s.frames.set(one(f, "iid"), f);
    for (const c of d.callstacks || []) s.stacks.set(one(c, "iid"), c);
    for (const e of d.event_names || []) s.events.set(one(e, "iid"), one(e, "name"));
    for (const e of d.event_categories || []) s.cats.set(one(e, "iid"), one(e, "name"));
  }
  const td = one(p, "track_descriptor");
  if (td) tracks.set(one(td, "uuid"), one(td, "name"));
  const te = one(p, "track_event");
  if (!te) continue;
  const ts = BigInt(one(p, "timestamp"));
  const type = one(te, "type"), track = one(te, "track_uuid");
  if (type === "TYPE_SLICE_END") {
    const b = open.get(track);
    open.delete(track);
    if (b && b.weight !== undefined) {
      const dur = Number(ts - b.ts);
      if (Math.abs(dur - b.weight) > 0.5) out.weight_mismatch++;
      out.slices.push([b.name, tracks.get(track) || "", dur, b.frames]);
    }
    continue;
  }
  const iid = one(te, "callstack_iid");
  if (iid === undefined) continue;
  out.events++;
  if (!(flags & 2) || !s.cleared) out.flag_errors++;
  const c = s.stacks.get(iid);
  const frames = [];
  let ok = !!c;
  for (const fid of (c && c.frame_ids) || []) {
    const f = s.frames.get(fid);
    const name = f && s.names.get(one(f, "function_name_id"));
    if (name === undefined) ok = false;
    frames.push(name + (f && one(f, "kind") === "KIND_KERNEL" ? " [k]" : ""));
  }
  if (!ok || !frames.length) out.unresolved++;
  const w = one(te, "callstack_weight");
  if (w !== undefined) out.weighted++;
  // a name or category by iid must be interned (trace_processor:
  // "invalid name_iid" drops the event)
  const niid = one(te, "name_iid");
  if (niid !== undefined && !s.events.has(niid)) out.unresolved++;
  for (const c of te.category_iids || []) if (!s.cats.has(c)) out.unresolved++;
  const name = niid !== undefined ? s.events.get(niid) || "" : one(te, "name") || "";
  if (type === "TYPE_SLICE_BEGIN") open.set(track, { ts: ts, name: name, frames: frames, weight: w === undefined ? undefined : Number(w) });
  else out.instants.push([name, frames]);
}
process.stdout.write(JSON.stringify(out) + "\n");
