/* switchscope viewer: drawing. One canvas; lanes are drawn with a level of
 * detail that keeps the cost per frame proportional to the pixels, not to
 * the slices: a slice at least one pixel wide is drawn as it is, a pixel
 * column holding many short slices is drawn once, as the share of time each
 * state takes in it (from the lanes' prefix sums). */
(function (SS) {
  "use strict";

  SS.LABEL_W = 200;
  SS.RULER_H = 30;
  SS.ROW_H = { cpu: 22, proc: 18, thread: 20, coro: 16 };

  SS.color = {
    running: "#2f9e57",
    runnable: "#f0a030",
    sleep: "#b9c7d8",
    blocked: "#c0504d",
    stopped: "#8e7cc3",
    preempt: "#d62728",
    voluntary: "#1f5fb4",
    coro: "#7b3fb8",
    scheduler: "#c9c9c9",
    arrow: "rgba(40,40,40,0.75)",
    lost: "rgba(220,0,0,0.18)",
    lostLine: "#e00000",
    trigger: "#e07000",
    newtask: "#138a36",
    exit: "#222222",
    select: "rgba(60,120,220,0.15)",
    unsure: "rgba(120,120,120,0.35)",
  };

  function hue(n) {
    let x = (n * 2654435761) >>> 0;
    x ^= x >>> 15;
    return x % 360;
  }

  const procColors = new Map();
  SS.procColor = function (tgid) {
    let c = procColors.get(tgid);
    if (!c) {
      c = "hsl(" + hue(tgid) + ",55%,52%)";
      procColors.set(tgid, c);
    }
    return c;
  };

  const coroColors = new Map();
  SS.coroColor = function (id) {
    if (id === 0) return SS.color.scheduler;
    let c = coroColors.get(id);
    if (!c) {
      c = "hsl(" + hue(id + 7919) + ",60%,62%)";
      coroColors.set(id, c);
    }
    return c;
  };

  /* One duration formatter: 3-4 significant digits and a unit. */
  SS.fmtDur = function (ns) {
    const a = Math.abs(ns);
    if (a < 1e3) return ns.toFixed(0) + " ns";
    if (a < 1e6) return (ns / 1e3).toPrecision(a < 1e4 ? 3 : 4) + " us";
    if (a < 1e9) return (ns / 1e6).toPrecision(a < 1e7 ? 3 : 4) + " ms";
    return (ns / 1e9).toPrecision(a < 1e10 ? 4 : 5) + " s";
  };

  /* A style's colour as a little-endian RGBA word and its alpha (0-255),
   * resolved once by the browser's own parser (any CSS colour). */
  const rgba = new Map();
  let probe = null;
  function colorOf(style) {
    let c = rgba.get(style);
    if (c) return c;
    if (!probe) {
      const cv = document.createElement("canvas");
      cv.width = cv.height = 1;
      probe = cv.getContext("2d", { willReadFrequently: true });
    }
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = style;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    c = [(d[0] | d[1] << 8 | d[2] << 16 | 0xff000000) >>> 0, d[3], d[0], d[1], d[2]];
    rgba.set(style, c);
    return c;
  }

  /* The lanes' rectangles, written straight into the pixels of the lane
   * area and put on the canvas at once: a frame holds tens of thousands of
   * them, and the canvas rasterizes a path of that many rectangles (or as
   * many fillRect calls) on the page's thread at 50-150 ms a frame in
   * software; pixels cost a few ms. Edges are whole device pixels (a slice
   * is at least one pixel wide when drawn); a colour with alpha is blended
   * over what is there. Coordinates are css px of the canvas. */
  function Batch() {
    this.img = null;
    this.px = null;
    this.used = 0;   /* pixel rows drawn on, from the top */
  }
  Batch.prototype.begin = function (ctx, x, y, w, h, dpr) {
    const W = Math.max(1, Math.round(w * dpr)), H = Math.max(1, Math.round(h * dpr));
    if (!this.img || this.W !== W || this.H !== H) {
      this.img = ctx.createImageData(W, H);
      this.px = new Uint32Array(this.img.data.buffer);
      this.used = H;
    }
    /* the size as plain numbers: ImageData's width is a call into the
     * browser each time it is read, twice a rectangle */
    this.W = W;
    this.H = H;
    this.px.fill(0xffffffff, 0, this.used * W);   /* what the last frame drew on */
    this.used = 0;
    this.x = x;
    this.y = y;
    this.dpr = dpr;
  };
  /* A rectangle of colour c (colorOf's answer, resolved once by the caller:
   * not a look-up of the style's string a rectangle). */
  Batch.prototype.fill = function (c, x, y, w, h) {
    const d = this.dpr;
    const x0 = Math.round((x - this.x) * d), y0 = Math.round((y - this.y) * d);
    let x1 = Math.round((x + w - this.x) * d), y1 = Math.round((y + h - this.y) * d);
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) {
      if (h * d < 0.5) return;
      y1 = y0 + 1;
    }
    this.pixels(c, x0, y0, x1, y1);
  };
  /* fill(c, x, y, 1, h): the bar of a dense pixel column, the most of a
   * frame's rectangles (x a whole css px). */
  Batch.prototype.bar = function (c, x, y, h) {
    const x0 = this.column(x);
    if (x0 < 0 || c[1] !== 255) this.fill(c, x, y, 1, h);
    else this.rows(c[0], x0, y, h);
  };
  /* The device column of the bar at css x if it is one device pixel wide
   * and in the area, else -1: rows() then draws its bars. */
  Batch.prototype.column = function (x) {
    const d = this.dpr, x0 = Math.round((x - this.x) * d);
    let x1 = Math.round((x + 1 - this.x) * d);
    if (x1 <= x0) x1 = x0 + 1;
    return x1 - x0 === 1 && x0 >= 0 && x0 < this.W ? x0 : -1;
  };
  /* fill(c, x, y, 1, h) at device column x0 (column()'s) for an opaque
   * colour word v: its pixels a row apart, without the loop over a row. */
  Batch.prototype.rows = function (v, x0, y, h) {
    const d = this.dpr;
    let y0 = Math.round((y - this.y) * d), y1 = Math.round((y + h - this.y) * d);
    if (y1 <= y0) {
      if (h * d < 0.5) return;
      y1 = y0 + 1;
    }
    if (y0 < 0) y0 = 0;
    if (y1 > this.H) y1 = this.H;
    if (y0 >= y1) return;
    if (y1 > this.used) this.used = y1;
    const W = this.W, px = this.px;
    for (let i = y0 * W + x0, end = y1 * W; i < end; i += W) px[i] = v;
  };
  /* The device pixels [x0, x1) x [y0, y1), clipped to the area. */
  Batch.prototype.pixels = function (c, x0, y0, x1, y1) {
    const W = this.W, H = this.H, px = this.px;
    if (x0 < 0) x0 = 0;
    if (x1 > W) x1 = W;
    if (y0 < 0) y0 = 0;
    if (y1 > H) y1 = H;
    if (x0 >= x1 || y0 >= y1) return;
    if (y1 > this.used) this.used = y1;
    if (c[1] === 255) {
      const v = c[0], n = x1 - x0, end = y1 * W;
      if (n === 1) {
        for (let i = y0 * W + x0; i < end; i += W) px[i] = v;
      } else if (n > 32) {
        for (let i = y0 * W + x0; i < end; i += W) px.fill(v, i, i + n);
      } else {
        for (let i = y0 * W + x0; i < end; i += W) for (let k = i; k < i + n; k++) px[k] = v;
      }
      return;
    }
    const a = c[1] / 255, b = 1 - a, cr = c[2] * a, cg = c[3] * a, cb = c[4] * a;
    for (let r = y0; r < y1; r++) {
      for (let i = r * W + x0, e = r * W + x1; i < e; i++) {
        const p = px[i];
        px[i] = ((cr + (p & 255) * b) | (cg + (p >>> 8 & 255) * b) << 8 |
          (cb + (p >>> 16 & 255) * b) << 16 | 0xff000000) >>> 0;
      }
    }
  };
  Batch.prototype.flush = function (ctx) {
    /* the rows below were left white by the frame's clearing */
    if (this.used) {
      ctx.putImageData(this.img, Math.round(this.x * this.dpr), Math.round(this.y * this.dpr),
        0, 0, this.img.width, this.used);
    }
  };

  function Renderer(model, canvas) {
    this.m = model;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.rows = model.layout();
    this.rowY = [];
    let y = 0;
    for (const r of this.rows) {
      this.rowY.push(y);
      y += SS.ROW_H[r.kind];
    }
    this.totalH = y;
    this.batch = new Batch();
    this.threadC = [];   /* a thread's process colour (colorOf's), by index */
    this.view = { t0: model.meta.from, scale: 1, w: 1, h: 1, scrollY: 0 };
    this.sel = null;
    this.highlight = new Set();
    this.coroMatch = null;
    this.hover = null;
    this.arrowsShown = 0;
    this.arrowsHidden = false;
    this.frameMs = 0;
    this.threadRow = new Map();
    this.rows.forEach((r, i) => { if (r.kind === "thread") this.threadRow.set(r.thread.idx, i); });
  }

  Renderer.prototype.resize = function (w, h) {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.floor(w * dpr);
    this.canvas.height = Math.floor(h * dpr);
    this.canvas.style.width = w + "px";
    this.canvas.style.height = h + "px";
    this.dpr = dpr;
    this.cssW = w;
    this.cssH = h;
    const oldW = this.view.w;
    this.view.w = Math.max(1, w - SS.LABEL_W);
    this.view.h = h;
    if (oldW > 1) this.view.scale *= oldW / this.view.w;
  };

  Renderer.prototype.fit = function (a, b) {
    if (b <= a) b = a + 1000;
    this.view.t0 = a;
    this.view.scale = (b - a) / this.view.w;
  };

  Renderer.prototype.xOf = function (t) {
    return SS.LABEL_W + (t - this.view.t0) / this.view.scale;
  };

  Renderer.prototype.tOf = function (x) {
    return this.view.t0 + (x - SS.LABEL_W) * this.view.scale;
  };

  /* Index of the row at canvas y (css px), or -1. */
  Renderer.prototype.rowAt = function (y) {
    const yy = y - SS.RULER_H + this.view.scrollY;
    if (y < SS.RULER_H || yy >= this.totalH) return -1;
    let lo = 0, hi = this.rowY.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rowY[mid] > yy) hi = mid; else lo = mid + 1;
    }
    return lo - 1;
  };

  /* A slice's colour, resolved (colorOf's) and cached by number: the
   * lanes' rectangles look no string up. */
  const procRGBA = new Map(), coroRGBA = new Map();
  Renderer.prototype.sliceColor = function (row, r, f) {
    const m = this.m, K = SS.K, C = this.C;
    if (row.kind === "cpu") {
      /* A task that is not traced leaves the CPU unseen: its end is not
       * known, only that it ran from here. */
      const ti = m.thread(r), t = m.threads[ti], e = f & SS.F.END;
      if (e === SS.END.UNSURE || e === SS.END.OPEN && !t.traced) return C.unsure;
      let c = this.threadC[ti];
      if (c === undefined) {
        c = procRGBA.get(t.tgid);
        if (!c) {
          c = colorOf(SS.procColor(t.tgid));
          procRGBA.set(t.tgid, c);
        }
        this.threadC[ti] = c;
      }
      return c;
    }
    if (row.kind === "coro") {
      const id = m.a(r);
      if (id === 0) return C.scheduler;
      let c = coroRGBA.get(id);
      if (!c) {
        c = colorOf(SS.coroColor(id));
        coroRGBA.set(id, c);
      }
      return c;
    }
    const k = m.kind(r);
    if (k === K.RUN) return C.running;
    if (k === K.WAIT) return C.runnable;
    const e = f & SS.F.END;
    return e === SS.END.BLOCK ? C.blocked : e === SS.END.STOP ? C.stopped : C.sleep;
  };

  /* First index i in [lo, hi) with a[i] > v (a sorted), as SS.upper, by
   * steps doubling from lo: the slices or marks of a pixel column are a
   * few, mostly. */
  function upperFrom(a, v, lo, hi) {
    if (lo >= hi || a[lo] > v) return lo;
    let b = 1;
    while (lo + b < hi && a[lo + b] <= v) b *= 2;
    return SS.upper(a, v, lo + (b >>> 1) + 1, Math.min(lo + b, hi));
  }

  /* The slices of one lane, with level of detail. */
  Renderer.prototype.drawLane = function (row, y, h) {
    const l = row.lane, m = this.m, v = this.view, B = this.batch, C = this.C;
    const t0 = v.t0, sc = v.scale, W = v.w, tEnd = t0 + W * sc, X = SS.LABEL_W;
    const thread = row.kind === "thread", cpu = row.kind === "cpu", coro = row.kind === "coro";
    const ls = l.s, le = l.e, lr = l.r, n = l.n, cum0 = l.cum[0], cum1 = thread ? l.cum[1] : null;
    /* the same sums as the rectangles' arguments always were */
    const ySleep = y + h * 0.42, hSleep = h * 0.16, yLow = y + h - 2, hFull = h - 4;
    const vSleep = C.sleep[0], vRun = C.running[0], vWait = C.runnable[0];
    const opaque = C.sleep[1] === 255 && C.running[1] === 255 && C.runnable[1] === 255;
    let i = SS.lower(le, t0, 0, n);
    while (i < n) {
      const s = ls[i];
      if (s > tEnd) break;
      const x0 = (s - t0) / sc, x1 = (le[i] - t0) / sc;
      if (x1 - x0 >= 1) {
        const r = lr[i], f = m.flags(r);
        const a = Math.max(x0, -2), b = Math.min(x1, W + 2);
        const st = this.sliceColor(row, r, f);
        if (thread && m.kind(r) === SS.K.SLEEP) {
          B.fill(st, X + a, ySleep, b - a, hSleep);
        } else {
          B.fill(st, X + a, y + 2, b - a, hFull);
          if ((cpu || coro) && b - a > 40) this.labels.push([X + a, X + b, y + h / 2, r]);
        }
        i++;
        continue;
      }
      /* Many slices end inside this pixel column: draw the column once. */
      const col = Math.max(0, Math.floor(x0));
      let j = upperFrom(le, t0 + (col + 1) * sc, i + 1, n);
      if (j <= i) j = i + 1;
      const span = le[j - 1] - s || 1;
      if (thread) {
        const run = (cum0[j] - cum0[i]) / span;
        const wait = (cum1[j] - cum1[i]) / span;
        const hr = hFull * run, hw = hFull * wait, cx = opaque ? B.column(X + col) : -1;
        if (cx >= 0) {
          B.rows(vSleep, cx, ySleep, hSleep);
          if (hr > 0) B.rows(vRun, cx, yLow - hr, hr);
          if (hw > 0) B.rows(vWait, cx, yLow - hr - hw, hw);
        } else {
          B.fill(C.sleep, X + col, ySleep, 1, hSleep);
          if (hr > 0) B.fill(C.running, X + col, yLow - hr, 1, hr);
          if (hw > 0) B.fill(C.runnable, X + col, yLow - hr - hw, 1, hw);
        }
      } else {
        const busy = Math.min(1, (cum0[j] - cum0[i]) / span);
        const st = cpu ? this.sliceColor(row, lr[i], m.flags(lr[i])) : C.coro;
        const hb = Math.max(1, hFull * busy);
        B.bar(st, X + col, yLow - hb, hb);
      }
      i = j;
    }
  };

  /* Marks at sorted times ts[lo..hi): one per pixel column at most. */
  Renderer.prototype.eachMarkColumn = function (ts, n, fn) {
    const v = this.view, t0 = v.t0, sc = v.scale;
    let i = SS.lower(ts, t0, 0, n);
    const hi = SS.upper(ts, t0 + v.w * sc, 0, n);
    while (i < hi) {
      const col = Math.floor((ts[i] - t0) / sc);
      const j = Math.max(i + 1, upperFrom(ts, t0 + (col + 1) * sc, i, hi));
      fn(SS.LABEL_W + (ts[i] - t0) / sc, i, j);
      i = j;
    }
  };

  /* (fill closes each subpath: no closePath, a call per mark less) */
  function tri(ctx, x, y, s) {
    ctx.moveTo(x - s, y);
    ctx.lineTo(x + s, y);
    ctx.lineTo(x, y + s * 1.4);
  }

  function diamond(ctx, x, y, s) {
    ctx.moveTo(x, y - s);
    ctx.lineTo(x + s, y);
    ctx.lineTo(x, y + s);
    ctx.lineTo(x - s, y);
  }

  /* Kernel switch marks on a thread lane: red = preempted (involuntary),
   * blue = the thread blocked or yielded (voluntary). Dense ones (a column
   * each) go with the lanes' pixels (pix), triangles are drawn after. */
  Renderer.prototype.drawSwitchMarks = function (row, y, pix) {
    const ends = row.lane.ends, ctx = this.ctx, B = this.batch;
    const dense = ends.n > 0 && this.view.scale * 3 > 0 &&
      SS.upper(ends.ts, this.view.t0 + this.view.w * this.view.scale, 0, ends.n) -
      SS.lower(ends.ts, this.view.t0, 0, ends.n) > this.view.w / 3;
    if (dense !== pix) return;
    const pre = dense ? null : new Path2D(), vol = dense ? null : new Path2D();
    this.eachMarkColumn(ends.ts, ends.n, (x, i, j) => {
      const np = ends.pre[j] - ends.pre[i], nv = j - i - np;
      const open = j - i === 1 && (ends.end[i] === SS.END.OPEN || ends.end[i] === SS.END.UNSURE);
      if (open) return;
      if (dense) {
        if (np) B.fill(this.C.preempt, x, y, 1, 4);
        if (nv) B.fill(this.C.voluntary, x, y + 4, 1, 3);
      } else {
        if (np) tri(pre, x, y + 1, 3.5);
        else if (nv) tri(vol, x, y + 1, 3);
      }
    });
    if (dense) return;
    ctx.fillStyle = SS.color.preempt;
    ctx.fill(pre);
    ctx.fillStyle = SS.color.voluntary;
    ctx.fill(vol);
  };

  /* Coroutine switch marks: where a coroutine slice begins. */
  Renderer.prototype.drawCoroMarks = function (row, y, h) {
    const l = row.lane, ctx = this.ctx, p = new Path2D();
    this.eachMarkColumn(l.s, l.n, (x) => {
      diamond(p, x, y + h / 2, 3);
    });
    ctx.fillStyle = SS.color.coro;
    ctx.fill(p);
  };

  /* New task, exec and exit on thread lanes; coroutine events on theirs. */
  Renderer.prototype.drawTaskMarks = function (row, y, h) {
    const mk = this.m.marks[row.thread.idx], ctx = this.ctx, m = this.m;
    const coro = row.kind === "coro";
    this.eachMarkColumn(mk.ts, mk.n, (x, i) => {
      const k = m.flags(mk.r[i]);
      const isCoro = k >= SS.M.CORO_CREATE && k <= SS.M.CORO_STATS;
      if (isCoro !== coro) return;
      ctx.beginPath();
      if (k === SS.M.NEWTASK || k === SS.M.CORO_CREATE) {
        ctx.fillStyle = SS.color.newtask;
        ctx.moveTo(x, y + 2);
        ctx.lineTo(x + 6, y + h / 2);
        ctx.lineTo(x, y + h - 2);
      } else if (k === SS.M.EXIT || k === SS.M.CORO_EXIT) {
        ctx.fillStyle = SS.color.exit;
        ctx.rect(x - 1, y + 2, 2, h - 4);
      } else if (k === SS.M.EXEC) {
        ctx.fillStyle = SS.color.voluntary;
        ctx.arc(x, y + h / 2, 3, 0, 2 * Math.PI);
      } else {
        ctx.fillStyle = k === SS.M.CORO_PARK ? SS.color.blocked : SS.color.runnable;
        ctx.rect(x - 1, y + h - 5, 3, 3);
      }
      ctx.fill();
    });
  };

  /* Wakeup arrows, from the waker (when it woke) to the woken thread
   * (when it got a CPU), if few enough are in view to be read. */
  Renderer.prototype.drawArrows = function (vis) {
    const m = this.m, v = this.view, ctx = this.ctx, list = [];
    const t0 = v.t0, t1 = v.t0 + v.w * v.scale, LIMIT = 400;
    this.arrowsHidden = false;
    for (const [ri, y] of vis) {
      const row = this.rows[ri];
      if (row.kind !== "thread") continue;
      const l = row.lane;
      const lo = SS.lower(l.e, t0, 0, l.n), hi = SS.upper(l.s, t1, 0, l.n);
      if (hi - lo > LIMIT * 4) {
        this.arrowsHidden = true;
        break;
      }
      for (let i = lo; i < hi; i++) {
        const r = l.r[i];
        if (m.kind(r) !== SS.K.WAIT || !m.a(r)) continue;
        const wr = this.threadRow.get(m.a(r) - 1);
        if (wr === undefined) continue;
        list.push([this.rowY[wr] + SS.RULER_H - v.scrollY + SS.ROW_H.thread / 2, l.s[i], y + SS.ROW_H.thread / 2, l.e[i]]);
      }
      if (list.length > LIMIT) {
        this.arrowsHidden = true;
        break;
      }
    }
    if (this.arrowsHidden) {
      this.arrowsShown = 0;
      return;
    }
    ctx.strokeStyle = SS.color.arrow;
    ctx.fillStyle = SS.color.arrow;
    ctx.lineWidth = 1;
    for (const [ya, ta, yb, tb] of list) {
      const xa = this.xOf(ta), xb = this.xOf(tb);
      ctx.beginPath();
      ctx.moveTo(xa, ya);
      ctx.lineTo(xb, yb);
      ctx.stroke();
      const ang = Math.atan2(yb - ya, xb - xa);
      ctx.beginPath();
      ctx.moveTo(xb, yb);
      ctx.lineTo(xb - 7 * Math.cos(ang - 0.4), yb - 7 * Math.sin(ang - 0.4));
      ctx.lineTo(xb - 7 * Math.cos(ang + 0.4), yb - 7 * Math.sin(ang + 0.4));
      ctx.closePath();
      ctx.fill();
    }
    this.arrowsShown = list.length;
  };

  SS.niceStep = function (ns) {
    const p = Math.pow(10, Math.floor(Math.log10(ns)));
    for (const k of [1, 2, 5, 10]) if (k * p >= ns) return k * p;
    return 10 * p;
  };

  Renderer.prototype.drawRuler = function () {
    const ctx = this.ctx, v = this.view, W = this.cssW;
    ctx.fillStyle = "#f4f5f7";
    ctx.fillRect(0, 0, W, SS.RULER_H);
    ctx.strokeStyle = "#c8ccd2";
    ctx.beginPath();
    ctx.moveTo(0, SS.RULER_H - 0.5);
    ctx.lineTo(W, SS.RULER_H - 0.5);
    ctx.stroke();
    const step = SS.niceStep(v.scale * 90);
    const first = Math.ceil(v.t0 / step) * step;
    ctx.fillStyle = "#333";
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "top";
    ctx.beginPath();
    for (let t = first; t <= v.t0 + v.w * v.scale; t += step) {
      const x = Math.round(this.xOf(t)) + 0.5;
      ctx.moveTo(x, SS.RULER_H - 10);
      ctx.lineTo(x, SS.RULER_H);
      ctx.fillText(SS.fmtDur(t), x + 3, 4);
    }
    ctx.stroke();
    /* lost records: a red mark in the ruler and a band over the lanes */
    const lost = this.m.lost;
    this.eachMarkColumn(lost.ts, lost.n, (x, i, j) => {
      let n = 0;
      for (let k = i; k < j; k++) n += this.m.t1(lost.r[k]);
      ctx.fillStyle = SS.color.lostLine;
      ctx.fillRect(x - 1, 0, 3, SS.RULER_H);
      ctx.fillText("lost " + n, x + 3, 16);
    });
    /* flight recorder triggers: an orange mark in the ruler and a line */
    const trig = this.m.triggers;
    this.eachMarkColumn(trig.ts, trig.n, (x, i) => {
      ctx.fillStyle = SS.color.trigger;
      ctx.fillRect(x - 1, 0, 3, SS.RULER_H);
      const kind = trig.kind ? trig.kind[i] : this.m.a(trig.r[i]);   /* (kind: web/remote.js's) */
      ctx.fillText("trigger " + (SS.triggerName[kind] || "?"), x + 3, 16);
    });
  };

  Renderer.prototype.drawLost = function () {
    const ctx = this.ctx, lost = this.m.lost, trig = this.m.triggers;
    ctx.fillStyle = SS.color.lost;
    this.eachMarkColumn(lost.ts, lost.n, (x) => {
      ctx.fillRect(x - 2, SS.RULER_H, 5, this.cssH - SS.RULER_H);
    });
    ctx.fillStyle = SS.color.trigger;
    this.eachMarkColumn(trig.ts, trig.n, (x) => {
      ctx.fillRect(x, SS.RULER_H, 1, this.cssH - SS.RULER_H);
    });
  };

  Renderer.prototype.drawLabels = function (vis) {
    const ctx = this.ctx, LW = SS.LABEL_W;
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, SS.RULER_H, LW, this.cssH - SS.RULER_H);
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "middle";
    for (const [ri, y] of vis) {
      const row = this.rows[ri], h = SS.ROW_H[row.kind];
      if (this.highlight.has(ri)) {
        ctx.fillStyle = "#ffe680";
        ctx.fillRect(0, y, LW, h);
      }
      if (row.kind === "proc") {
        ctx.fillStyle = "#e8ebf0";
        ctx.fillRect(0, y, this.cssW, h);
        ctx.fillStyle = SS.procColor(row.tgid);
        ctx.fillRect(2, y + 3, 8, h - 6);
        ctx.fillStyle = "#111";
        ctx.font = "bold 12px sans-serif";
        ctx.fillText(row.label, 14, y + h / 2);
        ctx.font = "12px sans-serif";
        continue;
      }
      ctx.fillStyle = row.kind === "coro" ? "#6a3d9a" : "#222";
      const indent = row.kind === "thread" ? 14 : row.kind === "coro" ? 26 : 4;
      ctx.fillText(row.label, indent, y + h / 2, LW - indent - 4);
      ctx.strokeStyle = "#eceef1";
      ctx.beginPath();
      ctx.moveTo(0, y + h - 0.5);
      ctx.lineTo(this.cssW, y + h - 0.5);
      ctx.stroke();
    }
    ctx.strokeStyle = "#c8ccd2";
    ctx.beginPath();
    ctx.moveTo(LW - 0.5, 0);
    ctx.lineTo(LW - 0.5, this.cssH);
    ctx.stroke();
  };

  Renderer.prototype.drawTexts = function () {
    const ctx = this.ctx, m = this.m;
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillStyle = "#fff";
    for (const [xa, xb, y, r] of this.labels) {
      const a = Math.max(xa, SS.LABEL_W) + 3, w = Math.min(xb, this.cssW) - a - 3;
      if (w < 20) continue;
      const k = m.kind(r);
      const text = k === SS.K.CORO ? (m.a(r) ? "coro " + m.a(r) : "scheduler") :
        m.threads[m.thread(r)].comm + " " + m.threads[m.thread(r)].tid;
      ctx.fillStyle = k === SS.K.CORO && !m.a(r) ? "#555" : "#fff";
      ctx.fillText(text, a, y, w);
    }
  };

  /* What a frame shows besides its time range: a frame that differs from
   * the one on the canvas only in time range can be stretched from it. */
  Renderer.prototype.frameKey = function () {
    const v = this.view, s = this.sel, h = this.hover;
    return [v.scrollY, v.w, this.cssH, this.dpr, s ? s.a : "", s ? s.b : "", h ? h.x : "", h ? h.y : "",
      this.highlight.size, this.coroMatch, this.rows.length].join(" ");
  };

  /* While the window on screen is being fetched (web/remote.js), the frame
   * on the canvas stretched and moved to the new time range, with a new
   * ruler: a copy in a few ms, so that the page's thread is free when the
   * answer comes, instead of drawing the lanes' old data at the new scale
   * (as long as a frame with the data). False when that does not apply. */
  Renderer.prototype.stretch = function () {
    const s = this.shown, v = this.view, ctx = this.ctx;
    if (!s || s.key !== this.frameKey()) return false;
    const L = SS.LABEL_W, T = SS.RULER_H, H = this.cssH - T, d = this.dpr;
    const dx = L + (s.t0 - v.t0) / v.scale, dw = v.w * s.scale / v.scale;
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T, v.w, H);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;   /* nearest pixel: cheaper, and sharp */
    ctx.drawImage(this.canvas, L * d, T * d, v.w * d, H * d, dx, T, dw, H);
    ctx.fillStyle = "#ffffff";
    if (dx > L) ctx.fillRect(L, T, dx - L, H);
    if (dx + dw < L + v.w) ctx.fillRect(dx + dw, T, L + v.w - dx - dw, H);
    ctx.restore();
    this.drawRuler();
    s.t0 = v.t0;
    s.scale = v.scale;
    return true;
  };

  Renderer.prototype.render = function () {
    const start = performance.now();
    /* a remote model fetches what is on screen: true while it comes */
    const pending = this.m.want && this.m.want(this);
    if (pending && this.stretch()) {
      this.interim = true;
      this.frameMs = performance.now() - start;
      return;
    }
    this.interim = false;
    const ctx = this.ctx, v = this.view;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.cssW, this.cssH);
    this.labels = [];
    /* visible rows and their y */
    const vis = [];
    let ri = Math.max(0, this.rowAt(SS.RULER_H));
    for (; ri < this.rows.length; ri++) {
      const y = this.rowY[ri] - v.scrollY + SS.RULER_H;
      if (y > this.cssH) break;
      vis.push([ri, y]);
    }
    /* the lanes' colours resolved once a frame */
    this.C = {};
    for (const k in SS.color) this.C[k] = colorOf(SS.color[k]);
    this.batch.begin(ctx, SS.LABEL_W, SS.RULER_H, v.w, this.cssH - SS.RULER_H, this.dpr);
    for (const [i, y] of vis) {
      const row = this.rows[i];
      if (row.lane && row.lane.n) this.drawLane(row, y, SS.ROW_H[row.kind]);
      if (row.kind === "thread") this.drawSwitchMarks(row, y, true);
    }
    this.batch.flush(ctx);
    ctx.save();
    ctx.beginPath();
    ctx.rect(SS.LABEL_W, SS.RULER_H, v.w, this.cssH - SS.RULER_H);
    ctx.clip();
    this.drawTexts();
    for (const [i, y] of vis) {
      const row = this.rows[i];
      if (row.kind === "thread") {
        this.drawSwitchMarks(row, y, false);
        this.drawTaskMarks(row, y, SS.ROW_H.thread);
      } else if (row.kind === "coro") {
        this.drawCoroMarks(row, y, SS.ROW_H.coro);
        this.drawTaskMarks(row, y, SS.ROW_H.coro);
      }
      if (this.coroMatch !== null && row.kind === "coro") this.outlineCoro(row, y);
    }
    this.drawArrows(vis);
    this.drawLost();
    if (this.sel) {
      const a = this.xOf(Math.min(this.sel.a, this.sel.b)), b = this.xOf(Math.max(this.sel.a, this.sel.b));
      ctx.fillStyle = SS.color.select;
      ctx.fillRect(a, SS.RULER_H, Math.max(1, b - a), this.cssH);
      ctx.strokeStyle = "rgba(60,120,220,0.8)";
      ctx.strokeRect(a + 0.5, SS.RULER_H, Math.max(1, b - a), this.cssH);
    }
    if (this.hover) {
      ctx.strokeStyle = "rgba(0,0,0,0.35)";
      ctx.beginPath();
      ctx.moveTo(this.hover.x + 0.5, SS.RULER_H);
      ctx.lineTo(this.hover.x + 0.5, this.cssH);
      ctx.stroke();
    }
    ctx.restore();
    this.drawLabels(vis);
    this.drawRuler();
    this.visible = vis;
    this.shown = { t0: v.t0, scale: v.scale, key: this.frameKey() };
    this.frameMs = performance.now() - start;
  };

  /* Search hit for a coroutine: outline its slices. */
  Renderer.prototype.outlineCoro = function (row, y) {
    const l = row.lane, m = this.m, v = this.view, ctx = this.ctx;
    if (!l.ids.has(this.coroMatch)) return;
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    const lo = SS.lower(l.e, v.t0, 0, l.n), hi = SS.upper(l.s, v.t0 + v.w * v.scale, 0, l.n);
    let drawn = 0;
    for (let i = lo; i < hi && drawn < 2000; i++) {
      if (m.a(l.r[i]) !== this.coroMatch) continue;
      const a = this.xOf(l.s[i]), b = this.xOf(l.e[i]);
      ctx.strokeRect(a, y + 1, Math.max(1, b - a), SS.ROW_H.coro - 2);
      drawn++;
    }
    ctx.lineWidth = 1;
  };

  SS.Renderer = Renderer;
})(window.SS = window.SS || {});
