/* switchscope viewer: the data from `switchscope view`'s server instead of
 * the page (user/view/). Only the view's page has this file.
 *
 * The model has the lanes of web/data.js's Model, filled for the window on
 * screen (then again with half a screen each side) from /api/window, sent in a
 * compact form (less to send and to hand to the page) lane by lane and
 * decoded here as each lane comes in (while the server makes the next)
 * into the same 32-byte records; a pixel column with many slices comes as
 * aggregate records (cpu 0xffff, b = slices folded in) that the renderer
 * draws as it draws a dense column. What the browser holds is bounded by the screen:
 * about five records per pixel and lane asked for. Summaries and the
 * coroutine search are the server's (/api/summary, /api/search). */
(function (SS) {
  "use strict";

  const AGG = 0xffff;
  const ALL_LANES = 64;  /* up to this many lanes, every lane is asked */
  const MARGIN = 0.5;    /* of the view's width asked for on each side (pans) */

  const token = new URLSearchParams(location.search).get("token") || "";

  function api(path, args, signal) {
    const q = new URLSearchParams(Object.assign({ token: token }, args || {}));
    return fetch(path + "?" + q.toString(), { cache: "no-store", signal: signal }).then((r) => {
      if (r.ok) return r;
      return r.text().then((t) => { throw new Error(path + ": HTTP " + r.status + ": " + t.trim()); });
    });
  }

  function RemoteModel(meta, info) {
    this.meta = meta;
    this.threads = SS.threadsOf(meta);
    this.info = info;
    this.byId = [];
    this.n = 0;
    this.setBuffer(new ArrayBuffer(0), 0, 0);
    const ncpu = info.ncpu, base = 2 + ncpu, tot = (id) => (info.lanes[id] ? info.lanes[id][2] : 0);
    const marks = (id) => {
      const m = { n: 0, ts: new Float64Array(0), r: new Uint32Array(0), id: id, total: tot(id) };
      this.byId[id] = m;
      return m;
    };
    const lane = (type, id) => {
      const l = new SS.Lane(type, 0);
      l.id = id;
      l.total = tot(id);
      this.byId[id] = l;
      this.fill(l);
      return l;
    };
    this.lost = marks(0);
    this.wakes = marks(1);
    /* flight recorder triggers: the whole list in /api/meta ([time, kind,
     * thread index or -1, measured ns]), their kinds beside (their
     * records are not in the lanes' buffer) */
    const tl = meta.triggers || [];
    this.triggers = { n: tl.length, ts: Float64Array.from(tl, (g) => g[0]), r: new Uint32Array(tl.length),
      kind: tl.map((g) => g[1]) };
    this.stackCache = new Map();   /* "lane:t": an /api/stack answer (null: none) */
    this.cpuLanes = [];
    for (let c = 0; c < ncpu; c++) {
      const l = tot(2 + c) || meta.cpus.indexOf(c) >= 0 ? lane("cpu", 2 + c) : null;
      if (l) l.cpu = c;
      this.cpuLanes.push(l);
    }
    this.threadLanes = [];
    this.coroLanes = [];
    this.marks = [];
    for (let t = 0; t < this.threads.length; t++) {
      const id = base + 3 * t, th = this.threads[t];
      this.threadLanes.push(lane("thread", id));
      this.threadLanes[t].thread = th;
      const cl = tot(id + 1) || th.hasCoro ? lane("coro", id + 1) : null;
      if (cl) {
        cl.thread = th;
        cl.ids = new Set();
      }
      this.coroLanes.push(cl);
      this.marks.push(marks(id + 2));
    }
    this.have = null;      /* the window the lanes hold */
    this.inflight = null;  /* the request out: { have, abort } */
    this.kept = [];        /* the last answers: { have, buf } */
    this.keptBytes = 0;
    this.fetches = 0;      /* answers from the server for a view on screen */
    this.widened = 0;      /* answers of a view with its margins */
    this.hits = 0;         /* views drawn from a kept answer */
    this.lastFetchMs = 0;
    this.error = null;
    this.waiters = [];     /* settled() callers waiting for an answer */
  }
  RemoteModel.prototype = Object.create(SS.Model.prototype);
  RemoteModel.prototype.remote = true;

  RemoteModel.prototype.setBuffer = function (buf, off, n) {
    this.n = n;
    this.u8 = new Uint8Array(buf, off, n * 32);
    this.u16 = new Uint16Array(buf, off, n * 16);
    this.u32 = new Uint32Array(buf, off, n * 8);
    this.f64 = new Float64Array(buf, off, n * 4);
  };

  /* An answer decoded as its bytes come (user/view/vapi.c's top comment)
   * into its own records' buffer and lane arrays, which replace the
   * model's at once when it is complete (done): a frame drawn meanwhile
   * still sees the last answer whole. Each lane is decoded in one pass
   * that also makes what data.js's Lane.prefix would. */
  function Decoder(m, recs) {
    this.m = m;
    this.u8 = new Uint8Array(1 << 16);
    this.len = 0;          /* bytes in u8 */
    this.p = 0;            /* the next byte to decode */
    this.nl = -1;          /* lanes in the answer (-1: header not in yet) */
    this.k = 0;            /* lanes decoded */
    this.n = 0;            /* records decoded */
    this.got = new Map();  /* lane id: its arrays */
    /* recs: a buffer to reuse (the one the model's lanes do not use), or none */
    this.setRecs(recs && recs.byteLength >= 32 * 1024 ? recs : new ArrayBuffer(32 * 4096));
  }

  Decoder.prototype.setRecs = function (buf) {
    this.recs = buf;
    this.u32 = new Uint32Array(buf);
    this.f64 = new Float64Array(buf);
  };

  /* Room for n more records: a larger buffer, the records so far copied. */
  Decoder.prototype.room = function (n) {
    if ((this.n + n) * 32 <= this.recs.byteLength) return;
    let cap = this.recs.byteLength * 2;
    while (cap < (this.n + n) * 32) cap *= 2;
    const nb = new ArrayBuffer(cap);
    new Uint8Array(nb).set(new Uint8Array(this.recs, 0, this.n * 32));
    this.setRecs(nb);
  };

  /* Bytes in: appended, and every lane now whole decoded. */
  Decoder.prototype.feed = function (chunk) {
    if (this.len + chunk.length > this.u8.length) {
      let cap = this.u8.length * 2;
      while (cap < this.len + chunk.length) cap *= 2;
      const nu = new Uint8Array(cap);
      nu.set(this.u8.subarray(0, this.len));
      this.u8 = nu;
    }
    this.u8.set(chunk, this.len);
    this.len += chunk.length;
    const dv = new DataView(this.u8.buffer, 0, this.len);
    if (this.nl < 0) {
      if (this.len < 8) return;
      this.nl = dv.getUint32(0, true);
      this.p = 8;
    }
    while (this.k < this.nl && this.p + 12 <= this.len) {
      const id = dv.getUint32(this.p, true), cnt = dv.getUint32(this.p + 4, true);
      const bytes = dv.getUint32(this.p + 8, true);
      if (this.p + 12 + bytes > this.len) break;
      this.lane(dv, this.p + 12, id, cnt, bytes);
      this.p += 12 + bytes;
      this.k++;
    }
  };

  /* The whole answer is in: false when it was cut short. */
  Decoder.prototype.complete = function () {
    return this.nl >= 0 && this.k === this.nl && this.p === this.len;
  };

  /* Lane id's cnt records from byte p of dv (bytes of them). */
  Decoder.prototype.lane = function (dv, p, id, cnt, bytes) {
    const l = this.m.byId[id];
    if (!l) return;
    const end = p + bytes;
    this.room(cnt);
    const u32 = this.u32, f64 = this.f64, first = this.n;
    const marks = !!l.ts, type = l.type;
    const s = new Float64Array(cnt), e = marks ? null : new Float64Array(cnt), r = new Uint32Array(cnt);
    const nc = type === "thread" ? 3 : type === "coro" ? 2 : 1;
    const cum = [];
    if (!marks) for (let k = 0; k < nc; k++) cum.push(new Float64Array(cnt + 1));
    const c0 = cum[0], c1 = cum[1], c2 = cum[2];
    let sorted = true;
    let w = 0, idx = 0, a = 0, b = 0, t0 = 0, t1 = 0, i = 0;
    for (; i < cnt && p < end; i++) {
      const m = dv.getUint8(p++);
      if (m & 1) { w = dv.getUint32(p, true); p += 4; }
      if (m & 2) { idx = dv.getUint32(p, true); p += 4; }
      if (m & 4) { a = dv.getUint32(p, true); p += 4; }
      if (m & 8) { b = dv.getUint32(p, true); p += 4; }
      const last = t1;
      switch (m & 0x30) {
      case 0x10: t0 = t1; break;
      case 0x30: t0 = t1 + dv.getUint16(p, true) * 0.5; p += 2; break;
      case 0: t0 = t1 + dv.getUint32(p, true) * 0.5; p += 4; break;
      default: t0 = dv.getFloat64(p, true); p += 8;
      }
      switch (m & 0xc0) {
      case 0x80: t1 = t0 + dv.getUint16(p, true) * 0.5; p += 2; break;
      case 0: t1 = t0 + dv.getUint32(p, true) * 0.5; p += 4; break;
      default: t1 = dv.getFloat64(p, true); p += 8;
      }
      const q = first + i;
      u32[q * 8] = w;
      u32[q * 8 + 1] = idx;
      f64[q * 4 + 1] = t0;
      f64[q * 4 + 2] = t1;
      u32[q * 8 + 6] = a;
      u32[q * 8 + 7] = b;
      s[i] = t0;
      r[i] = q;
      if (marks) continue;
      e[i] = t1;
      if (i && t0 < last) sorted = false;
      const d = t1 - t0, kind = w & 255;
      c0[i + 1] = c0[i];
      if (nc > 1) c1[i + 1] = c1[i];
      if (nc > 2) c2[i + 1] = c2[i];
      if (type === "thread") {
        if (kind === SS.K.RUN) c0[i + 1] += d;
        else if (kind === SS.K.WAIT) c1[i + 1] += d;
        else if (kind === SS.K.SLEEP) c2[i + 1] += d;
      } else if (type === "cpu") {
        c0[i + 1] += d;
      } else if (a) {
        c0[i + 1] += d;
      } else {
        c1[i + 1] += d;
      }
    }
    this.n += i;
    const g = { n: i, s: s, e: e, r: r, cum: cum, sorted: sorted };
    if (i < cnt) g.n = 0;   /* bytes short of the records: none of them */
    this.got.set(id, g);
  };

  /* The model gets the answer: its records, its lanes' arrays (a lane
   * the answer lacks is empty). */
  Decoder.prototype.done = function () {
    const m = this.m, old = m.recs;
    m.recs = this.recs;
    m.spare = old;
    m.setBuffer(this.recs, 0, this.n);
    for (const l of m.byId) {
      if (!l) continue;
      const g = this.got.get(l.id);
      if (l.ts) {
        l.n = g ? g.n : 0;
        l.ts = g ? g.s : new Float64Array(0);
        l.r = g ? g.r : new Uint32Array(0);
        continue;
      }
      if (!g || !g.n) {
        m.fill(l);
        continue;
      }
      l.n = g.n;
      l.s = g.s;
      l.e = g.e;
      l.r = g.r;
      if (!g.sorted) {
        /* (damaged input the server could not sort: data.js's way) */
        m.fill(l, true);
        continue;
      }
      l.cum = g.cum;
      if (l.type === "thread") l.ends = m.runEnds(l);
    }
  };

  /* Lane l's prefix sums and switch marks the way data.js makes them,
   * from its arrays (keep: as they are, sorted first; else emptied). */
  RemoteModel.prototype.fill = function (l, keep) {
    if (!keep) {
      l.n = 0;
      l.s = new Float64Array(0);
      l.e = new Float64Array(0);
      l.r = new Uint32Array(0);
    }
    l.finish();
    const self = this;
    if (l.type === "thread") {
      l.prefix((r) => self.kind(r) - 1, 3);
      l.ends = this.runEnds(l);
    } else if (l.type === "cpu") {
      l.prefix(() => 0, 1);
    } else {
      l.prefix((r) => (self.a(r) === 0 ? 1 : 0), 2);
    }
  };

  /* Rows as data.js lays them out, from the whole trace's counts. */
  RemoteModel.prototype.layout = function () {
    const all = this.threadLanes.concat(this.marks);
    for (const l of all) l.n = l.total;
    const rows = SS.Model.prototype.layout.call(this);
    for (const l of all) l.n = 0;
    return rows;
  };

  /* The lanes of the rows within a screen of the visible ones. */
  RemoteModel.prototype.wanted = function (R) {
    if (this.byId.length <= ALL_LANES) return null;
    const ids = new Set([0, 1]);
    const y0 = R.view.scrollY - R.cssH, y1 = R.view.scrollY + 2 * R.cssH;
    R.rows.forEach((row, i) => {
      const y = R.rowY[i];
      if (y < y0 || y > y1 || !row.lane) return;
      ids.add(row.lane.id);
      if (row.kind === "thread") ids.add(row.lane.id + 2);
    });
    return ids;
  };

  /* Answer h (the lanes', or a kept one) holds R's view when it holds
   * its time range and lanes, at its scale, in pixel columns where R's are:
   * a column of aggregates cut in two would draw wrong. A zoom asks again,
   * so does a pan by a fraction of a pixel; a drag (whole pixels) within
   * the margin does not. */
  RemoteModel.prototype.covered = function (R, h) {
    const v = R.view;
    if (h === undefined) h = this.have;
    if (!h) return false;
    if (v.scale !== h.scale) return false;
    const k = Math.abs((v.t0 - h.t0) / h.scale), off = Math.abs(k - Math.round(k));
    if (off > 1e-3 && off * h.scale > 1e-3) return false;   /* (t0 is sent to 1e-3 ns) */
    const t0 = v.t0, t1 = v.t0 + v.w * v.scale;
    if (t1 <= 0 && h.t0 < h.scale) return true;
    if (Math.max(t0, 0) < h.t0 - h.scale * 1e-3 && h.t0 >= h.scale) return false;
    if (t1 > h.t1 + Math.max(h.scale * 1e-3, 2e-3) && h.t1 < h.end) return false;   /* (t1 too) */
    const ids = this.wanted(R);
    if (ids) for (const id of ids) if (!h.ids.has(id)) return false;
    return true;
  };

  /* The last answers, kept (newest last) so that a zoom or a pan back to
   * a view seen before is drawn at once, without asking: up to KEEP bytes
   * of them, in their compact form (decoded again when used; an answer is
   * bounded by the screen: about 5 records of 3 to 33 bytes per pixel and
   * lane, 0.5 MB for the 24 lanes of 1000 px of tests/view's trace). */
  const KEEP = 64 << 20;

  RemoteModel.prototype.keep = function (e) {
    this.kept.push(e);
    this.keptBytes += e.buf.byteLength;
    while (this.kept.length > 1 && this.keptBytes > KEEP) this.keptBytes -= this.kept.shift().buf.byteLength;
  };

  /* The request out is not needed any more: its waiters check again. */
  RemoteModel.prototype.drop = function () {
    if (!this.inflight) return;
    this.inflight.abort.abort();
    this.inflight = null;
    const w = this.waiters;
    this.waiters = [];
    Promise.resolve().then(() => { for (const f of w) f(); });   /* after this frame */
  };

  /* Called by the renderer before each frame: when the lanes do not hold
   * the window on screen, take a kept answer that does or ask the server
   * (a request still out for another view is dropped: its answer would not
   * be drawn). True while the lanes do not hold it (an answer is awaited).
   * The server is asked for the view alone, then, once that is drawn, for
   * it with MARGIN on each side (widen): the wait is for the view's
   * columns only, and pans within the margin need no request. */
  RemoteModel.prototype.want = function (R) {
    this.stale = false;   /* this frame draws what the lanes hold now */
    if (this.covered(R)) return false;
    for (let k = this.kept.length - 1; k >= 0; k--) {
      const e = this.kept[k];
      if (!this.covered(R, e.have)) continue;
      this.kept.splice(k, 1);
      this.kept.push(e);
      this.drop();
      this.use(e);
      this.hits++;
      this.later(R);
      return false;
    }
    if (this.inflight && this.covered(R, this.inflight.have)) return true;
    if (this.inflight) this.inflight.abort.abort();
    return this.request(R, 0);
  };

  /* After the frame with the view's data is painted: the margins. */
  RemoteModel.prototype.later = function (R) {
    if (this.have.wide) return;
    requestAnimationFrame(() => setTimeout(() => {
      if (!this.inflight && this.covered(R) && !this.have.wide) this.request(R, MARGIN);
    }, 0));
  };

  /* Ask for R's view with margin (of its width) each side. The server's
   * columns are the view's: its scale, whole columns before the view's
   * start (not before 0). */
  RemoteModel.prototype.request = function (R, margin) {
    const v = R.view, sc = v.scale;
    let m = Math.round(v.w * margin);
    if (v.t0 - m * sc < 0) m = Math.floor(v.t0 / sc);
    const px = Math.max(1, Math.min(8192, Math.round(v.w * (1 + margin)) + m));
    const t0 = Number((v.t0 - m * sc).toFixed(3)), t1 = Number((t0 + px * sc).toFixed(3));
    const ids = this.wanted(R);
    const args = { t0: t0.toFixed(3), t1: t1.toFixed(3), px: px };
    if (ids) args.lanes = Array.from(ids).sort((a, b) => a - b).join(",");
    const key = JSON.stringify(args);
    /* (the answer the lanes hold asked for again: a view it should
     * cover but does not would ask at every frame) */
    if (this.have && this.have.key === key) return false;
    const req = { have: { t0: t0, t1: t1, scale: sc, end: this.meta.end, wide: margin > 0,
      ids: ids || new Set(this.byId.keys()), key: key }, abort: new AbortController() };
    this.inflight = req;
    const start = performance.now();
    const dec = new Decoder(this, this.spare);
    let busy = 0;   /* ms of the page's thread spent decoding */
    const feed = (chunk) => {
      const t = performance.now();
      dec.feed(chunk);
      busy += performance.now() - t;
    };
    api("/api/window", args, req.abort.signal).then((r) => {
      const rd = r.body.getReader();
      const more = () => rd.read().then(({ done, value }) => {
        if (this.inflight !== req) return rd.cancel();
        if (done) return null;
        req.lastByte = performance.now();
        feed(value);
        return more();
      });
      return more();
    }).then(() => {
      if (this.inflight !== req) return;
      if (!dec.complete()) throw new Error("/api/window: the answer was cut short");
      const t = performance.now();
      dec.done();
      this.have = req.have;
      this.keep({ have: req.have, buf: dec.u8.slice(0, dec.len) });
      this.lastApplyMs = busy + performance.now() - t;
      this.lastTimes = { start: start, lastByte: req.lastByte, done: performance.now() };
      if (margin) {
        this.widened++;
        return;
      }
      this.stale = true;
      this.fetches++;
      this.lastFetchMs = performance.now() - start;
    }).catch((e) => {
      if (this.inflight !== req) return;   /* dropped */
      this.error = String(e);
      console.error("switchscope view: " + this.error);
    }).finally(() => {
      if (this.inflight !== req) return;
      this.inflight = null;
      /* the frame with the data now, not at the next animation frame (a
       * wider answer of the view drawn is drawn when the view moved) */
      if (!margin || R.interim) R.render();
      if (!margin && !this.error) this.later(R);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    return true;
  };

  /* The lanes get kept answer e (decoded again: answers are kept in
   * their compact form). */
  RemoteModel.prototype.use = function (e) {
    const ta = performance.now(), dec = new Decoder(this, this.spare);
    dec.feed(e.buf);
    dec.done();
    this.lastApplyMs = performance.now() - ta;
    this.have = e.have;
  };

  /* A promise that resolves once the lanes hold what R shows and it is
   * drawn (tests and benchmarks). */
  RemoteModel.prototype.settled = function (R) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.error) {
          reject(new Error(this.error));
          return;
        }
        if (this.covered(R)) {
          if (this.stale) R.render();
          resolve(this.lastFetchMs);
          return;
        }
        if (!this.want(R)) {   /* a kept answer (or nothing better to ask) */
          R.render();
          resolve(this.lastFetchMs);
          return;
        }
        this.waiters.push(check);   /* run when the answer is in */
      };
      check();
    });
  };

  /* The summary of [a, b], from the server: a promise. */
  RemoteModel.prototype.summary = function (a, b) {
    const lo = Math.max(0, Math.floor(Math.min(a, b))), hi = Math.max(lo, Math.ceil(Math.max(a, b)));
    return api("/api/summary", { t0: lo, t1: hi }).then((r) => r.json()).then((s) => {
      const threads = new Map();
      for (const [t, sw, pre, run, wait, coro] of s.threads) {
        threads.set(t, { thread: this.threads[t], switches: sw, preempted: pre, runNs: run,
          waitNs: wait, coroSwitches: coro });
      }
      s.from = a;
      s.to = b;
      s.threads = threads;
      return s;
    });
  };

  /* Before a search: "coro N" asks the server which lanes ran N. */
  RemoteModel.prototype.beforeSearch = function (q) {
    if (!/^coro(?:utine)?\s*#?(\d+)$/.test(q)) return Promise.resolve();
    return api("/api/search", { q: q }).then((r) => r.json()).then((res) => {
      const hit = new Set(res.threads);
      for (const l of this.coroLanes) {
        if (!l) continue;
        l.ids = new Set(hit.has(l.thread.idx) ? [res.coro] : []);
      }
    });
  };

  /* Hover on an aggregate: what it folds in. */
  RemoteModel.prototype.aggInfo = function (r) {
    if (this.cpu(r) !== AGG) return null;
    return ["<b>" + this.b(r).toLocaleString("en-US") + " slices</b> in this pixel column",
      SS.fmtDur(this.t0(r)) + " &ndash; " + SS.fmtDur(this.t1(r)) + ": zoom in to see them one by one"];
  };

  /* The stacks of lane l's interval or park at t (web/stacks.js): the
   * answer if it came, else undefined, and it is asked for; done() is
   * called when it comes. */
  const STACK_KEEP = 512;
  RemoteModel.prototype.stackAt = function (l, t, done) {
    const key = l.id + ":" + t, c = this.stackCache;
    if (c.has(key)) return c.get(key);
    if (c.size >= STACK_KEEP) c.clear();
    c.set(key, undefined);
    api("/api/stack", { lane: l.id, t: String(t) }).then((r) => r.json()).then((s) => {
      c.set(key, s.ref ? s : null);
      done();
    }).catch((e) => {
      c.set(key, null);
      console.error("switchscope view: " + e);
    });
    return undefined;
  };

  /* The off-CPU time of [a, b] by thread and stacks, from the server
   * (/api/offcpu): a promise of web/stacks.js's items (the server's
   * largest 4000; the rest, more_ns, is left out). */
  RemoteModel.prototype.offcpu = function (a, b) {
    const lo = Math.max(0, Math.floor(Math.min(a, b))), hi = Math.max(lo, Math.ceil(Math.max(a, b)));
    return api("/api/offcpu", { t0: lo, t1: hi }).then((r) => r.json()).then((o) => o.items);
  };

  SS.openRemote = function () {
    return Promise.all([
      api("/api/meta").then((r) => r.json()),
      api("/api/lanes").then((r) => r.json()),
    ]).then(([meta, info]) => new RemoteModel(meta, info));
  };
})(window.SS = window.SS || {});
