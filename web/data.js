/* switchscope viewer: the data. Decodes the records that
 * user/export/out_html.c embeds and builds the lanes: per CPU, per thread
 * (running / runnable / sleeping) and per thread that runs coroutines.
 *
 * Each lane keeps its slices sorted, as parallel typed arrays (start, end,
 * record index) plus prefix sums of time per state, so that drawing and
 * range summaries cost O(log n) per pixel or per query, not O(n). */
(function (SS) {
  "use strict";

  /* Record layout and codes: user/export/model.h and out_html.c. */
  SS.REC = 32;
  SS.K = { RUN: 1, WAIT: 2, SLEEP: 3, CORO: 4, MARK: 5 };
  SS.END = { OPEN: 0, PREEMPT: 1, YIELD: 2, SLEEP: 3, BLOCK: 4, STOP: 5, EXIT: 6, UNSURE: 7 };
  SS.F = { END: 7, FROM_IDLE: 8, START_UNSURE: 16, CLIP_START: 32, BY_WAKING: 64, CLIP_END: 128 };
  SS.CAUSE = { UNKNOWN: 0, WOKEN: 1, PREEMPT: 2, YIELD: 3, NEW: 4 };
  SS.M = {
    NEWTASK: 1, EXEC: 2, EXIT: 3, LOST: 4, CORO_CREATE: 5, CORO_PARK: 6,
    CORO_READY: 7, CORO_EXIT: 8, CORO_STATS: 9, WAKE: 10, TRIGGER: 11,
  };
  /* enum ss_trigger_kind, as in --trigger and dump file names */
  SS.triggerName = ["", "signal", "dump", "runqlat", "offcpu", "coro-kernel"];
  SS.NOTHREAD = 0xffffffff;

  SS.endName = ["still running", "preempted", "yielded", "sleep (S)", "blocked (D)",
    "stopped", "exited", "taken off by a switch not in the trace"];
  SS.causeName = ["unknown", "woken", "preempted", "yielded", "new task"];
  SS.markName = ["", "new task", "exec", "exit", "lost records", "coroutine created",
    "coroutine parked", "coroutine ready", "coroutine exited", "coroutine stats",
    "wakeup (already runnable)", "trigger"];
  SS.parkReason = ["", "channel", "fd", "sleep", "join", "yield", "other"];

  SS.decodeBase64 = function (text) {
    if (typeof Uint8Array.fromBase64 === "function") {
      return Uint8Array.fromBase64(text);
    }
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  };

  /* First index i in [lo, hi) with a[i] > v (a sorted). */
  SS.upper = function (a, v, lo, hi) {
    if (lo === undefined) lo = 0;
    if (hi === undefined) hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] > v) hi = mid; else lo = mid + 1;
    }
    return lo;
  };

  /* First index i with a[i] >= v. */
  SS.lower = function (a, v, lo, hi) {
    if (lo === undefined) lo = 0;
    if (hi === undefined) hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] >= v) hi = mid; else lo = mid + 1;
    }
    return lo;
  };

  function Lane(type, n) {
    this.type = type;         /* "cpu", "thread", "coro" */
    this.n = 0;
    this.s = new Float64Array(n);
    this.e = new Float64Array(n);
    this.r = new Uint32Array(n);
  }

  Lane.prototype.push = function (t0, t1, rec) {
    const i = this.n++;
    this.s[i] = t0;
    this.e[i] = t1;
    this.r[i] = rec;
  };

  /* Slices arrive in the order they end, which per lane is time order;
   * a lane whose order is broken (damaged input) is sorted. */
  Lane.prototype.finish = function () {
    for (let i = 1; i < this.n; i++) {
      if (this.s[i] < this.e[i - 1]) {
        this.sort();
        break;
      }
    }
  };

  Lane.prototype.sort = function () {
    const idx = Array.from({ length: this.n }, (_, i) => i);
    idx.sort((a, b) => this.s[a] - this.s[b]);
    const s = this.s.slice(), e = this.e.slice(), r = this.r.slice();
    for (let i = 0; i < this.n; i++) {
      this.s[i] = s[idx[i]];
      this.e[i] = e[idx[i]];
      this.r[i] = r[idx[i]];
    }
  };

  /* Prefix sums: cum[k][i] = time of the first i slices in class k. */
  Lane.prototype.prefix = function (classOf, nclass) {
    this.cum = [];
    for (let k = 0; k < nclass; k++) this.cum.push(new Float64Array(this.n + 1));
    for (let i = 0; i < this.n; i++) {
      const c = classOf(this.r[i]);
      for (let k = 0; k < nclass; k++) {
        this.cum[k][i + 1] = this.cum[k][i] + (k === c ? this.e[i] - this.s[i] : 0);
      }
    }
  };

  function Model(meta, bytes) {
    this.meta = meta;
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ?
      bytes.buffer : bytes.slice().buffer;
    this.n = Math.floor(bytes.length / SS.REC);
    this.u8 = new Uint8Array(buf);
    this.u16 = new Uint16Array(buf, 0, this.n * 16);
    this.u32 = new Uint32Array(buf, 0, this.n * 8);
    this.f64 = new Float64Array(buf, 0, this.n * 4);
    this.threads = SS.threadsOf(meta);
    this.build();
  }

  /* The threads of the metadata (out_html.c's meta_json), by index. */
  SS.threadsOf = function (meta) {
    return meta.threads.map((t, i) => ({
      idx: i, tid: t[0], tgid: t[1], comm: t[2], pname: t[3], traced: !!t[4],
      kthread: !!t[5], hasCoro: !!t[6], switches: t[7], preempted: t[8],
      wakeups: t[9], coroSwitches: t[10],
    }));
  };

  Model.prototype.kind = function (i) { return this.u8[i * 32]; };
  Model.prototype.flags = function (i) { return this.u8[i * 32 + 1]; };
  Model.prototype.cpu = function (i) { return this.u16[i * 16 + 1]; };
  Model.prototype.thread = function (i) { return this.u32[i * 8 + 1]; };
  Model.prototype.t0 = function (i) { return this.f64[i * 4 + 1]; };
  Model.prototype.t1 = function (i) { return this.f64[i * 4 + 2]; };
  Model.prototype.a = function (i) { return this.u32[i * 8 + 6]; };
  Model.prototype.b = function (i) { return this.u32[i * 8 + 7]; };

  /* Two passes: count what goes to each lane, then fill exact-size arrays. */
  Model.prototype.build = function () {
    const nt = this.threads.length, ncpu = this.meta.ncpu;
    const cntThread = new Uint32Array(nt), cntCoro = new Uint32Array(nt);
    const cntCpu = new Uint32Array(ncpu), cntMark = new Uint32Array(nt);
    let nlost = 0, nwake = 0, ntrig = 0;
    const u8 = this.u8, u16 = this.u16, u32 = this.u32;
    for (let i = 0; i < this.n; i++) {
      const k = u8[i * 32], t = u32[i * 8 + 1];
      if (k === SS.K.RUN) {
        cntThread[t]++;
        cntCpu[u16[i * 16 + 1]]++;
      } else if (k === SS.K.WAIT || k === SS.K.SLEEP) {
        cntThread[t]++;
      } else if (k === SS.K.CORO) {
        cntCoro[t]++;
      } else if (k === SS.K.MARK) {
        const mk = u8[i * 32 + 1];
        if (mk === SS.M.LOST) nlost++;
        else if (mk === SS.M.WAKE) nwake++;
        else if (mk === SS.M.TRIGGER) ntrig++;
        else if (t < nt) cntMark[t]++;
      }
    }
    this.cpuLanes = [];
    for (let c = 0; c < ncpu; c++) {
      this.cpuLanes.push(cntCpu[c] || this.meta.cpus.indexOf(c) >= 0 ? new Lane("cpu", cntCpu[c]) : null);
      if (this.cpuLanes[c]) this.cpuLanes[c].cpu = c;
    }
    this.threadLanes = [];
    this.coroLanes = [];
    this.marks = [];
    for (let t = 0; t < nt; t++) {
      this.threadLanes.push(new Lane("thread", cntThread[t]));
      this.coroLanes.push(cntCoro[t] || this.threads[t].hasCoro ? new Lane("coro", cntCoro[t]) : null);
      this.marks.push({ n: 0, ts: new Float64Array(cntMark[t]), r: new Uint32Array(cntMark[t]) });
      this.threadLanes[t].thread = this.threads[t];
      if (this.coroLanes[t]) this.coroLanes[t].thread = this.threads[t];
    }
    this.lost = { n: 0, ts: new Float64Array(nlost), r: new Uint32Array(nlost) };
    this.wakes = { n: 0, ts: new Float64Array(nwake), r: new Uint32Array(nwake) };
    /* flight recorder triggers: marks of the whole trace, like lost records */
    this.triggers = { n: 0, ts: new Float64Array(ntrig), r: new Uint32Array(ntrig) };
    const f64 = this.f64;
    for (let i = 0; i < this.n; i++) {
      const k = u8[i * 32], t = u32[i * 8 + 1];
      const t0 = f64[i * 4 + 1], t1 = f64[i * 4 + 2];
      if (k === SS.K.RUN) {
        this.threadLanes[t].push(t0, t1, i);
        this.cpuLanes[u16[i * 16 + 1]].push(t0, t1, i);
      } else if (k === SS.K.WAIT || k === SS.K.SLEEP) {
        this.threadLanes[t].push(t0, t1, i);
      } else if (k === SS.K.CORO) {
        this.coroLanes[t].push(t0, t1, i);
      } else if (k === SS.K.MARK) {
        const mk = u8[i * 32 + 1];
        const list = mk === SS.M.LOST ? this.lost : mk === SS.M.WAKE ? this.wakes :
          mk === SS.M.TRIGGER ? this.triggers : t < nt ? this.marks[t] : null;
        if (list) {
          list.ts[list.n] = t0;
          list.r[list.n++] = i;
        }
      }
    }
    const self = this;
    /* thread lanes: 0 running, 1 runnable, 2 sleeping; CPU lanes: busy;
     * coroutine lanes: 0 a coroutine, 1 the scheduler. */
    const stateClass = (r) => self.kind(r) - 1;
    for (const l of this.threadLanes) {
      l.finish();
      l.prefix(stateClass, 3);
      l.ends = this.runEnds(l);
    }
    for (const l of this.cpuLanes) {
      if (!l) continue;
      l.finish();
      l.prefix(() => 0, 1);
    }
    for (const l of this.coroLanes) {
      if (!l) continue;
      l.finish();
      l.prefix((r) => (self.a(r) === 0 ? 1 : 0), 2);
      l.ids = new Set();
      for (let i = 0; i < l.n; i++) l.ids.add(self.a(l.r[i]));
    }
  };

  /* The kernel switch marks of a thread lane: the ends of its running
   * slices, with prefix counts of preemptions for dense regions. */
  Model.prototype.runEnds = function (l) {
    let n = 0;
    for (let i = 0; i < l.n; i++) if (this.kind(l.r[i]) === SS.K.RUN) n++;
    const ts = new Float64Array(n), end = new Uint8Array(n), pre = new Uint32Array(n + 1);
    let j = 0;
    for (let i = 0; i < l.n; i++) {
      const r = l.r[i];
      if (this.kind(r) !== SS.K.RUN) continue;
      ts[j] = l.e[i];
      end[j] = this.flags(r) & SS.F.END;
      pre[j + 1] = pre[j] + (end[j] === SS.END.PREEMPT ? 1 : 0);
      j++;
    }
    return { n: n, ts: ts, end: end, pre: pre };
  };

  /* Lanes in display order: CPUs, then each traced process with its
   * threads, each thread followed by its coroutine lane. */
  Model.prototype.layout = function () {
    const rows = [];
    for (const l of this.cpuLanes) {
      if (l) rows.push({ kind: "cpu", lane: l, label: "CPU " + l.cpu });
    }
    const procs = new Map();
    for (const t of this.threads) {
      if (!t.traced || this.threadLanes[t.idx].n + this.marks[t.idx].n === 0 && !this.coroLanes[t.idx]) continue;
      if (!procs.has(t.tgid)) procs.set(t.tgid, []);
      procs.get(t.tgid).push(t);
    }
    const pids = Array.from(procs.keys()).sort((a, b) => a - b);
    for (const pid of pids) {
      const list = procs.get(pid).sort((a, b) => a.tid - b.tid);
      const leader = list.find((t) => t.tid === pid);
      rows.push({ kind: "proc", label: (leader ? leader.comm : list[0].pname) + " " + pid, tgid: pid });
      for (const t of list) {
        rows.push({ kind: "thread", lane: this.threadLanes[t.idx], thread: t, label: t.comm + " " + t.tid });
        if (this.coroLanes[t.idx]) {
          rows.push({ kind: "coro", lane: this.coroLanes[t.idx], thread: t, label: "coroutines" });
        }
      }
    }
    return rows;
  };

  /* Counts and costs of everything in [a, b] (ns), by kind. */
  Model.prototype.summary = function (a, b) {
    const K = SS.K, F = SS.F, E = SS.END;
    const s = {
      from: a, to: b, switches: 0, preempted: 0, voluntary: 0, fromIdle: 0, wakeups: 0,
      coroSwitches: 0, coroSwitchNs: 0, coroSwitchMax: 0, newTasks: 0, execs: 0,
      exits: 0, lost: 0, runnableNs: 0, runnableCount: 0, runnableMax: 0,
      threads: new Map(),
    };
    const bump = (t, key, v) => {
      let e = s.threads.get(t);
      if (!e) {
        e = { thread: this.threads[t], switches: 0, preempted: 0, runNs: 0, waitNs: 0, coroSwitches: 0 };
        s.threads.set(t, e);
      }
      e[key] += v;
    };
    /* Switches: every running slice that ends in the range (the switch
     * took the thread off), and every one that starts from idle. */
    for (const l of this.cpuLanes) {
      if (!l) continue;
      const lo = SS.lower(l.e, a), hi = SS.upper(l.s, b);
      for (let i = lo; i < hi; i++) {
        const r = l.r[i], f = this.flags(r), end = f & F.END, t = this.thread(r);
        if (l.e[i] <= b && !(f & F.CLIP_END) && end !== E.OPEN && end !== E.UNSURE) {
          s.switches++;
          if (end === E.PREEMPT) s.preempted++; else s.voluntary++;
          bump(t, "switches", 1);
          if (end === E.PREEMPT) bump(t, "preempted", 1);
        }
        if ((f & F.FROM_IDLE) && !(f & F.CLIP_START) && l.s[i] >= a && l.s[i] <= b) {
          s.switches++;
          s.fromIdle++;
        }
        bump(t, "runNs", Math.min(l.e[i], b) - Math.max(l.s[i], a));
      }
    }
    for (const l of this.threadLanes) {
      const lo = SS.lower(l.e, a), hi = SS.upper(l.s, b);
      for (let i = lo; i < hi; i++) {
        const r = l.r[i];
        if (this.kind(r) !== K.WAIT) continue;
        const f = this.flags(r);
        if ((f & F.BY_WAKING) && !(f & F.CLIP_START) && l.s[i] >= a && l.s[i] <= b) s.wakeups++;
        const d = Math.min(l.e[i], b) - Math.max(l.s[i], a);
        if (l.thread.traced && l.e[i] <= b && !(f & F.CLIP_END)) {
          /* run-queue latency: a whole wait that ended by getting the CPU */
          s.runnableNs += l.e[i] - l.s[i];
          s.runnableCount++;
          s.runnableMax = Math.max(s.runnableMax, l.e[i] - l.s[i]);
        }
        bump(l.thread.idx, "waitNs", d);
      }
    }
    s.wakeups += SS.upper(this.wakes.ts, b, 0, this.wakes.n) - SS.lower(this.wakes.ts, a, 0, this.wakes.n);
    for (const l of this.coroLanes) {
      if (!l) continue;
      const lo = SS.lower(l.s, a), hi = SS.upper(l.s, b);
      for (let i = lo; i < hi; i++) {
        const r = l.r[i];
        if (this.flags(r) & F.CLIP_START) continue;
        const d = this.b(r);
        s.coroSwitches++;
        s.coroSwitchNs += d;
        s.coroSwitchMax = Math.max(s.coroSwitchMax, d);
        bump(l.thread.idx, "coroSwitches", 1);
      }
    }
    for (let t = 0; t < this.marks.length; t++) {
      const m = this.marks[t];
      const lo = SS.lower(m.ts, a, 0, m.n), hi = SS.upper(m.ts, b, 0, m.n);
      for (let i = lo; i < hi; i++) {
        const k = this.flags(m.r[i]);
        if (k === SS.M.NEWTASK) s.newTasks++;
        else if (k === SS.M.EXEC) s.execs++;
        else if (k === SS.M.EXIT) s.exits++;
      }
    }
    const llo = SS.lower(this.lost.ts, a, 0, this.lost.n), lhi = SS.upper(this.lost.ts, b, 0, this.lost.n);
    for (let i = llo; i < lhi; i++) s.lost += this.t1(this.lost.r[i]);
    return s;
  };

  /* Another data source (web/remote.js) fills the same lanes. */
  SS.Lane = Lane;
  SS.Model = Model;

  SS.load = function (doc) {
    const meta = JSON.parse(doc.getElementById("ss-meta").textContent);
    const text = doc.getElementById("ss-data").textContent;
    return new Model(meta, SS.decodeBase64(text));
  };
})(window.SS = window.SS || {});
