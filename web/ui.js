/* switchscope viewer: the page around the canvas and what the user does.
 *   mouse: ctrl+wheel zooms at the pointer, wheel scrolls the lanes,
 *          shift+wheel or a horizontal wheel pans, drag selects a range
 *          (its summary shows on the right), shift+drag or a drag on the
 *          ruler pans
 *   keys:  W/S zoom in/out, A/D pan (as in Perfetto), F fits the selection
 *          or the whole trace, Esc clears the selection, / searches */
(function (SS) {
  "use strict";

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" })[c]);
  }

  function buildPage(meta) {
    const app = el("div", { id: "app" });
    const top = el("header", { id: "top" });
    top.appendChild(el("span", { class: "brand" }, "switchscope"));
    top.appendChild(el("span", { id: "title" }, meta.title));
    const search = el("input", { id: "search", type: "search", placeholder: "search thread or coroutine (/)" });
    top.appendChild(search);
    top.appendChild(el("span", { id: "search-status" }));
    top.appendChild(el("span", { id: "info" }));
    app.appendChild(top);
    const main = el("div", { id: "main" });
    const wrap = el("div", { id: "canvas-wrap" });
    wrap.appendChild(el("canvas", { id: "timeline", tabindex: "0" }));
    wrap.appendChild(el("div", { id: "tooltip", role: "tooltip" }));
    main.appendChild(wrap);
    const side = el("aside", { id: "side" });
    side.appendChild(el("section", { id: "summary" }));
    side.appendChild(legend());
    main.appendChild(side);
    app.appendChild(main);
    document.body.appendChild(app);
    return app;
  }

  function legend() {
    const s = el("section", { id: "legend" });
    s.appendChild(el("h3", {}, "Legend"));
    const items = [
      ["swatch", SS.color.running, "running (on a CPU)"],
      ["swatch", SS.color.runnable, "runnable (waiting for a CPU)"],
      ["thin", SS.color.sleep, "sleeping (S)"],
      ["thin", SS.color.blocked, "blocked (D)"],
      ["tri", SS.color.preempt, "kernel switch: preempted (involuntary)"],
      ["tri", SS.color.voluntary, "kernel switch: blocked or yielded (voluntary)"],
      ["diamond", SS.color.coro, "coroutine switch (user space)"],
      ["arrow", SS.color.arrow, "wakeup: waker to woken (zoom in to see)"],
      ["newtask", SS.color.newtask, "task or coroutine created"],
      ["bar", SS.color.exit, "exit"],
      ["lost", SS.color.lostLine, "records lost while recording"],
      ["swatch", SS.color.unsure, "CPU: ran tasks not in the trace"],
    ];
    const ul = el("ul");
    for (const [shape, color, text] of items) {
      const li = el("li");
      const sw = el("span", { class: "sym " + shape });
      sw.style.setProperty("--c", color);
      li.appendChild(sw);
      li.appendChild(el("span", {}, text));
      ul.appendChild(li);
    }
    s.appendChild(ul);
    s.appendChild(el("p", { class: "help" },
      "Ctrl+wheel or W/S: zoom. A/D or shift+wheel: pan. Drag: select a range. " +
      "Shift+drag: pan. F: fit. Esc: clear."));
    return s;
  }

  function fmtCount(n) {
    return Number(n).toLocaleString("en-US");
  }

  /* The reader's damage report (meta.damage: out_html.c's damage_json),
   * as the CLI's warnings say it. */
  function damageHtml(d) {
    if (!d) return "";
    const what = [];
    if (d.bytes_dropped || d.bad_chunks || d.bad_records || d.cut_short || d.missing_chunks || d.duplicate_chunks) {
      const parts = [fmtCount(d.bad_chunks) + " bad chunks", fmtCount(d.bad_records) + " bad records"];
      if (d.missing_chunks) parts.push(fmtCount(d.missing_chunks) + " chunks missing");
      if (d.duplicate_chunks) parts.push(fmtCount(d.duplicate_chunks) + " duplicate chunks");
      if (d.cut_short) parts.push("file cut short");
      what.push("from byte " + fmtCount(d.offset) + ", " + fmtCount(d.bytes_dropped) +
        " bytes not read (" + parts.join(", ") + ")");
    }
    if (d.records_expected) what.push("its trailer counts " + fmtCount(d.records_expected) + " records");
    if (d.no_trailer) what.push("no trailer: the recording did not finish cleanly (recorder killed?)");
    return "<p class=\"damage\"><b>Damaged trace</b>: " + what.join("; ") +
      ". What is shown is the intact part.</p>";
  }

  function summaryHtml(m, s, title) {
    const rows = [
      ["kernel switches", fmtCount(s.switches), "switches"],
      ["&nbsp; preempted (involuntary)", fmtCount(s.preempted), "preempted"],
      ["&nbsp; voluntary (block, yield, exit)", fmtCount(s.voluntary), "voluntary"],
      ["&nbsp; from idle", fmtCount(s.fromIdle), "from-idle"],
      ["wakeups", fmtCount(s.wakeups), "wakeups"],
      ["run-queue latency avg", s.runnableCount ? SS.fmtDur(s.runnableNs / s.runnableCount) : "-", "rq-avg"],
      ["run-queue latency max", s.runnableCount ? SS.fmtDur(s.runnableMax) : "-", "rq-max"],
      ["coroutine switches", fmtCount(s.coroSwitches), "coro-switches"],
      ["coroutine switch cost avg", s.coroSwitches ? SS.fmtDur(s.coroSwitchNs / s.coroSwitches) : "-", "coro-avg"],
      ["coroutine switch cost max", s.coroSwitches ? SS.fmtDur(s.coroSwitchMax) : "-", "coro-max"],
      ["new tasks", fmtCount(s.newTasks), "newtasks"],
      ["exits", fmtCount(s.exits), "exits"],
      ["lost records", fmtCount(s.lost), "lost"],
    ];
    let h = damageHtml(m.meta.damage) + "<h3>" + esc(title) + "</h3><p class=\"range\">" + SS.fmtDur(s.from) + " &ndash; " +
      SS.fmtDur(s.to) + " (" + SS.fmtDur(s.to - s.from) + ")</p><table class=\"counts\">";
    for (const [k, v, id] of rows) h += "<tr data-k=\"" + id + "\"><th>" + k + "</th><td>" + v + "</td></tr>";
    h += "</table>";
    const top = Array.from(s.threads.values()).filter((e) => e.thread.traced)
      .sort((a, b) => b.runNs - a.runNs).slice(0, 12);
    if (top.length) {
      h += "<h4>Threads</h4><table class=\"threads\"><tr><th>thread</th><th>run</th><th>runnable</th>" +
        "<th>sw</th><th>pre</th><th>coro sw</th></tr>";
      for (const e of top) {
        h += "<tr><td>" + esc(e.thread.comm) + " " + e.thread.tid + "</td><td>" + SS.fmtDur(e.runNs) +
          "</td><td>" + SS.fmtDur(e.waitNs) + "</td><td>" + fmtCount(e.switches) + "</td><td>" +
          fmtCount(e.preempted) + "</td><td>" + fmtCount(e.coroSwitches) + "</td></tr>";
      }
      h += "</table>";
    }
    return h;
  }

  /* What is under the pointer: a mark near it, else the slice. */
  function hoverInfo(R, x, y) {
    const m = R.m, ri = R.rowAt(y);
    if (ri < 0 || x < SS.LABEL_W) return null;
    const row = R.rows[ri], t = R.tOf(x), tol = 4 * R.view.scale;
    const lines = [];
    if (row.kind === "proc") return null;
    const th = row.thread;
    if (row.kind === "thread") {
      const mk = m.marks[th.idx];
      const k = SS.lower(mk.ts, t - tol, 0, mk.n);
      if (k < mk.n && mk.ts[k] <= t + tol) {
        const r = mk.r[k], kind = m.flags(r);
        if (kind < SS.M.CORO_CREATE) {
          lines.push("<b>" + SS.markName[kind] + "</b>", esc(th.comm) + " " + th.tid + " (pid " + th.tgid + ")",
            "at " + SS.fmtDur(mk.ts[k]));
          if (kind === SS.M.NEWTASK) lines.push("parent " + m.t1(r) + ", a new " + (m.a(r) ? "thread" : "process"));
          if (kind === SS.M.EXIT) lines.push("exit code " + m.t1(r));
          return lines;
        }
      }
      const e = row.lane.ends, j = SS.lower(e.ts, t - tol, 0, e.n);
      if (j < e.n && e.ts[j] <= t + tol && e.end[j] !== SS.END.OPEN && e.end[j] !== SS.END.UNSURE) {
        const pre = e.end[j] === SS.END.PREEMPT;
        lines.push("<b>kernel switch: " + (pre ? "preempted (involuntary)" : SS.endName[e.end[j]] + " (voluntary)") + "</b>",
          esc(th.comm) + " " + th.tid + " left the CPU at " + SS.fmtDur(e.ts[j]));
        return lines;
      }
    }
    if (row.kind === "coro") {
      const park = SS.stackParkHover && SS.stackParkHover(m, th, t, tol); /* web/stacks.js */
      if (park) return park;
      const l = row.lane, j = SS.lower(l.s, t - tol, 0, l.n);
      if (j < l.n && l.s[j] <= t + tol) {
        const r = l.r[j], prev = j > 0 && l.e[j - 1] === l.s[j] ? m.a(l.r[j - 1]) : null;
        lines.push("<b>coroutine switch (user space)</b>",
          (prev === null ? "?" : prev === 0 ? "scheduler" : "coro " + prev) + " &rarr; " +
          (m.a(r) ? "coro " + m.a(r) : "scheduler"),
          "on " + esc(th.comm) + " " + th.tid + " at " + SS.fmtDur(l.s[j]),
          "switch cost " + SS.fmtDur(m.b(r)) + " (measured in user space)");
        return lines;
      }
    }
    const l = row.lane;
    if (!l || !l.n) return null;
    let i = SS.lower(l.e, t, 0, l.n);
    if (i >= l.n || l.s[i] > t) {
      /* a narrow slice near the pointer */
      if (i < l.n && l.s[i] <= t + tol) { /* keep i */ } else if (i > 0 && l.e[i - 1] >= t - tol) i--; else return null;
    }
    const r = l.r[i], f = m.flags(r), k = m.kind(r), dur = SS.fmtDur(l.e[i] - l.s[i]);
    const agg = m.aggInfo && m.aggInfo(r);
    if (agg) return agg;
    const who = m.threads[m.thread(r)];
    if (row.kind === "cpu" || k === SS.K.RUN) {
      lines.push("<b>running</b> on CPU " + m.cpu(r) + ": " + esc(who.comm) + " " + who.tid +
        " (" + esc(who.pname) + " " + who.tgid + ")" + (who.traced ? "" : ", not traced"));
      lines.push(SS.fmtDur(l.s[i]) + " for " + dur + (f & SS.F.START_UNSURE ? " (start not in the trace)" : ""));
      lines.push("then: " + SS.endName[f & SS.F.END] + (f & SS.F.FROM_IDLE ? "; the CPU was idle before" : ""));
    } else if (k === SS.K.WAIT) {
      const w = m.a(r) ? m.threads[m.a(r) - 1] : null;
      lines.push("<b>runnable</b> (waiting for a CPU): " + esc(who.comm) + " " + who.tid);
      lines.push(SS.fmtDur(l.s[i]) + " for " + dur + " (run-queue latency)");
      lines.push("because: " + SS.causeName[f & 7] + (w ? " by " + esc(w.comm) + " " + w.tid : ""));
    } else if (k === SS.K.SLEEP) {
      lines.push("<b>" + SS.endName[f & SS.F.END] + "</b>: " + esc(who.comm) + " " + who.tid);
      lines.push(SS.fmtDur(l.s[i]) + " for " + dur);
    } else if (k === SS.K.CORO) {
      lines.push("<b>" + (m.a(r) ? "coroutine " + m.a(r) : "scheduler") + "</b> on " + esc(who.comm) + " " + who.tid);
      lines.push(SS.fmtDur(l.s[i]) + " for " + dur);
      lines.push("the switch to it cost " + SS.fmtDur(m.b(r)));
    }
    if (SS.stackHover) SS.stackHover(m, r, lines, l, l.s[i]); /* web/stacks.js */
    return lines;
  }

  function start(remote) {
    const t0 = performance.now();
    const model = remote || SS.load(document);
    const tLoad = performance.now();
    const meta = model.meta;
    buildPage(meta);
    const canvas = document.getElementById("timeline");
    const wrap = document.getElementById("canvas-wrap");
    const tip = document.getElementById("tooltip");
    const R = new SS.Renderer(model, canvas);
    const info = document.getElementById("info");
    const c = meta.counts;
    info.textContent = meta.kernel + " · " + meta.host + " · " + fmtCount(meta.records) + " records · " +
      fmtCount(c.switches) + " switches · " + fmtCount(c.coro_switches) + " coroutine switches" +
      (meta.lost ? " · " + fmtCount(meta.lost) + " LOST" : "");
    if (meta.lost) info.classList.add("lost");
    let pending = false;
    function redraw() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        R.render();
      });
    }
    function clampScroll() {
      const max = Math.max(0, R.totalH - (R.cssH - SS.RULER_H));
      R.view.scrollY = Math.min(max, Math.max(0, R.view.scrollY));
    }
    function size() {
      R.resize(wrap.clientWidth, wrap.clientHeight);
      clampScroll();
    }
    size();
    R.fit(meta.from, Math.max(meta.end, meta.from + 1000));
    const summaryEl = document.getElementById("summary");
    let summarySeq = 0;
    function showSummary() {
      const a = R.sel ? Math.min(R.sel.a, R.sel.b) : meta.from;
      const b = R.sel ? Math.max(R.sel.a, R.sel.b) : meta.end;
      const s = model.summary(a, b), title = R.sel ? "Selection" : "Whole trace";
      if (s.then) {   /* the server's (web/remote.js): the latest one shows */
        const seq = ++summarySeq;
        return s.then((x) => {
          if (seq !== summarySeq) return x;
          summaryEl.innerHTML = summaryHtml(model, x, title);
          /* web/stacks.js: the server's flame graph, when it comes */
          const f = SS.stackFlame && SS.stackFlame(model, a, b, summaryEl, () => seq === summarySeq);
          return f ? f.then(() => x, () => x) : x;
        });
      }
      summaryEl.innerHTML = summaryHtml(model, s, title);
      if (SS.stackFlame) SS.stackFlame(model, a, b, summaryEl); /* web/stacks.js */
      return s;
    }
    showSummary();
    R.render();
    const tFrame = performance.now();

    function zoomAt(x, factor) {
      const t = R.tOf(x);
      const total = Math.max(meta.end - meta.from, 1000);
      R.view.scale = Math.min(total * 4 / R.view.w, Math.max(0.01, R.view.scale * factor));
      R.view.t0 = t - (x - SS.LABEL_W) * R.view.scale;
    }
    function pan(px) {
      R.view.t0 += px * R.view.scale;
    }

    let drag = null, mouseX = SS.LABEL_W + R.view.w / 2, tipAt = null;
    function showTip(x, y) {
      const lines = hoverInfo(R, x, y);
      R.hover = x >= SS.LABEL_W ? { x: x } : null;
      tipAt = lines ? { x: x, y: y } : null;
      if (lines) {
        tip.innerHTML = lines.join("<br>");
        tip.style.display = "block";
        tip.style.left = Math.min(x + 14, R.cssW - tip.offsetWidth - 4) + "px";
        tip.style.top = Math.min(y + 14, R.cssH - tip.offsetHeight - 4) + "px";
      } else {
        tip.style.display = "none";
      }
    }
    /* an answer the hover waited for came (web/stacks.js): the same
     * point's panel again, if it is still up */
    SS.hoverAgain = () => {
      if (tipAt && tip.style.display !== "none") showTip(tipAt.x, tipAt.y);
    };
    canvas.addEventListener("mousedown", (ev) => {
      const r = canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      canvas.focus();
      const panMode = ev.shiftKey || ev.button === 1 || y < SS.RULER_H;
      drag = { x0: x, y0: y, t0: R.view.t0, pan: panMode, moved: false, ta: R.tOf(x) };
      ev.preventDefault();
    });
    window.addEventListener("mousemove", (ev) => {
      const r = canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      mouseX = Math.max(SS.LABEL_W, x);
      if (drag) {
        if (Math.abs(x - drag.x0) > 3) drag.moved = true;
        if (drag.pan) R.view.t0 = drag.t0 - (x - drag.x0) * R.view.scale;
        else if (drag.moved) R.sel = { a: drag.ta, b: R.tOf(x) };
        tip.style.display = "none";
        redraw();
        return;
      }
      if (x < 0 || y < 0 || x > R.cssW || y > R.cssH) {
        tip.style.display = "none";
        R.hover = null;
        return;
      }
      showTip(x, y);
      redraw();
    });
    window.addEventListener("mouseup", () => {
      if (!drag) return;
      if (!drag.pan) {
        /* a click selects the off-CPU interval under it (web/stacks.js) */
        if (!drag.moved) R.sel = SS.stackPick ? SS.stackPick(R, drag.x0, drag.y0) : null;
        showSummary();
      }
      drag = null;
      redraw();
    });
    canvas.addEventListener("wheel", (ev) => {
      const r = canvas.getBoundingClientRect(), x = ev.clientX - r.left;
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) {
        zoomAt(Math.max(SS.LABEL_W, x), Math.exp(ev.deltaY * 0.002));
      } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        pan(ev.shiftKey ? ev.deltaY : ev.deltaX);
      } else {
        R.view.scrollY += ev.deltaY;
        clampScroll();
      }
      redraw();
    }, { passive: false });
    const search = document.getElementById("search");
    const status = document.getElementById("search-status");
    let hits = [], hitIdx = 0;
    function runSearch() {
      const q = search.value.trim().toLowerCase();
      R.highlight.clear();
      R.coroMatch = null;
      hits = [];
      if (q) {
        const cm = /^coro(?:utine)?\s*#?(\d+)$/.exec(q);
        if (cm) R.coroMatch = Number(cm[1]);
        R.rows.forEach((row, i) => {
          if (row.kind === "coro" ? R.coroMatch !== null && row.lane.ids.has(R.coroMatch) :
            row.label.toLowerCase().includes(q) ||
            row.kind === "thread" && String(row.thread.tgid) === q) {
            R.highlight.add(i);
            hits.push(i);
          }
        });
      }
      status.textContent = q ? hits.length + (hits.length === 1 ? " match" : " matches") : "";
      hitIdx = 0;
      if (hits.length) {
        R.view.scrollY = R.rowY[hits[0]] - 40;
        clampScroll();
      }
      redraw();
    }
    search.addEventListener("input", () => {
      if (model.beforeSearch) model.beforeSearch(search.value.trim().toLowerCase()).then(runSearch);
      else runSearch();
    });
    search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && hits.length) {
        hitIdx = (hitIdx + 1) % hits.length;
        R.view.scrollY = R.rowY[hits[hitIdx]] - 40;
        clampScroll();
        redraw();
      } else if (ev.key === "Escape") {
        search.value = "";
        runSearch();
        canvas.focus();
      }
    });
    window.addEventListener("keydown", (ev) => {
      if (ev.target === search) return;
      const k = ev.key.toLowerCase();
      if (k === "w") zoomAt(mouseX, 0.8);
      else if (k === "s") zoomAt(mouseX, 1.25);
      else if (k === "a" || k === "arrowleft") pan(-R.view.w * 0.1);
      else if (k === "d" || k === "arrowright") pan(R.view.w * 0.1);
      else if (k === "arrowup") R.view.scrollY -= 40;
      else if (k === "arrowdown") R.view.scrollY += 40;
      else if (k === "f") {
        if (R.sel) R.fit(Math.min(R.sel.a, R.sel.b), Math.max(R.sel.a, R.sel.b));
        else R.fit(meta.from, meta.end);
      } else if (k === "escape") {
        R.sel = null;
        showSummary();
      } else if (k === "/") {
        search.focus();
        ev.preventDefault();
        return;
      } else return;
      clampScroll();
      ev.preventDefault();
      redraw();
    });
    window.addEventListener("resize", () => {
      size();
      redraw();
    });

    /* For tests and benchmarks (tests/export/browser). */
    window.switchscope = {
      model: model,
      renderer: R,
      loadMs: tLoad - t0,
      firstFrameMs: tFrame,
      rows: () => R.rows.map((r) => ({ kind: r.kind, label: r.label, n: r.lane ? r.lane.n : 0 })),
      summary: showSummary,
      select: (a, b) => {
        R.sel = a === null ? null : { a: a, b: b };
        const s = showSummary();
        R.render();
        return s;
      },
      zoom: (factor) => {
        const t = performance.now();
        zoomAt(SS.LABEL_W + R.view.w / 2, factor);
        R.render();
        return performance.now() - t;
      },
      hover: (x, y) => {
        const l = hoverInfo(R, x, y);
        return l ? l.join("\n").replace(/<[^>]+>/g, "") : null;
      },
      view: () => ({ t0: R.view.t0, t1: R.tOf(SS.LABEL_W + R.view.w), arrows: R.arrowsShown }),
      fit: (a, b) => {
        R.fit(a, b);
        R.render();
      },
      /* remote data: resolves once what is on screen is loaded and drawn */
      settled: () => (model.settled ? model.settled(R) : Promise.resolve(0)),
      ready: true,
    };
    document.body.setAttribute("data-ready", "1");
  }

  function boot() {
    if (SS.openRemote) {
      SS.openRemote().then(start, (e) => {
        document.body.textContent = "switchscope view: " + e.message;
      });
    } else {
      start();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window.SS = window.SS || {});
