/* switchscope viewer: stacks (a trace recorded with --stacks). The stacks
 * that blocked a sleeping or runnable interval and the waker's, in the
 * hover panel; the parking coroutine's at a park; and an off-CPU flame
 * graph of the selected range (or the whole trace) in the side panel. A
 * click on such an interval selects it.
 *
 * Data (user/export/out_html.c): meta.stacks[i] = { k: kernel, one: one
 * frame only (no frame pointers), failed, cut, missing, f: frames
 * innermost first as "func+0x1c", g: the same without offsets };
 * meta.stack_refs: six integers per record with stacks (record index,
 * kernel stack, user stack, the waker's kernel and user stack, the
 * waker's thread index + 1).
 *
 * `switchscope view` (web/remote.js) has neither: the hover asks the server
 * for the one interval's or park's stacks (/api/stack: the same stack
 * objects, and one row of refs into them) and shows them when they come;
 * the flame graph is drawn from /api/offcpu (the range's off-CPU time by
 * thread and stacks, summed by the server). */
(function (SS) {
  "use strict";

  const MAX_TIP_FRAMES = 14;

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" })[c]);
  }

  /* record index -> its row of stack_refs, built once per model */
  function refs(m) {
    if (m.stackRefs !== undefined) return m.stackRefs;
    const list = m.meta.stacks, flat = m.meta.stack_refs;
    m.stackRefs = null;
    if (!list || !flat) return null;
    const map = new Map();
    for (let i = 0; i + 5 < flat.length; i += 6) {
      map.set(flat[i], { k: flat[i + 1], u: flat[i + 2], wk: flat[i + 3], wu: flat[i + 4], waker: flat[i + 5] });
    }
    m.stackRefs = map;
    return map;
  }

  SS.hasStacks = function (m) {
    return !!refs(m);
  };

  function stackOf(m, i, list) {
    list = list || m.meta.stacks;
    return i >= 0 && i < list.length ? list[i] : null;
  }

  /* Tooltip lines of one stack, innermost first (list: the stacks that i
   * indexes, else the page's). */
  function stackLines(m, i, indent, out, list) {
    const s = stackOf(m, i, list);
    if (!s) return;
    const what = s.k ? "kernel" : "user";
    if (s.missing) {
      out.push(indent + "<i>[" + what + " stack not in the trace]</i>");
      return;
    }
    if (s.failed) {
      out.push(indent + "<i>[" + what + " stack: walk failed]</i>");
      return;
    }
    const n = Math.min(s.f.length, MAX_TIP_FRAMES);
    for (let j = 0; j < n; j++) {
      out.push(indent + "<span class=\"frame" + (s.k ? " kframe" : "") + "\">" + esc(s.f[j]) + "</span>");
    }
    if (s.f.length > n) out.push(indent + "<i>… " + (s.f.length - n) + " more frames</i>");
    if (s.one) out.push(indent + "<i>[one frame: built without frame pointers? -fno-omit-frame-pointer]</i>");
    if (s.cut) out.push(indent + "<i>[deeper: cut]</i>");
  }

  const IND = "&nbsp;&nbsp;";

  /* Called by the hover panel (web/ui.js) for a slice or mark record r
   * (at t, the start of entry of lane l): adds the stacks, if the record
   * has any. */
  SS.stackHover = function (m, r, lines, l, t) {
    if (m.stackAt) {
      remoteHover(m, r, lines, l, t);
      return;
    }
    const map = refs(m);
    const e = map && map.get(r);
    if (e) refLines(m, r, e, lines);
  };

  function refLines(m, r, e, lines, list) {
    const k = m.kind(r);
    if (e.k >= 0 || e.u >= 0) {
      lines.push("<b>" + (k === SS.K.MARK ? "parked at" : k === SS.K.WAIT && (m.flags(r) & 7) === SS.CAUSE.PREEMPT ?
        "preempted at" : "blocked at") + "</b>");
      stackLines(m, e.k, IND, lines, list);
      stackLines(m, e.u, IND, lines, list);
    }
    if (e.wk >= 0 || e.wu >= 0) {
      const w = e.waker ? m.threads[e.waker - 1] : null;
      lines.push("<b>woken by " + (w ? esc(w.comm) + " " + w.tid : "irq/idle") + "</b> at");
      stackLines(m, e.wk, IND, lines, list);
      stackLines(m, e.wu, IND, lines, list);
    }
  }

  /* The server's (web/remote.js): sleeping and runnable intervals and
   * parks only (an aggregate of a pixel column has no one stack and never
   * comes here); the hover is shown again (SS.hoverAgain, web/ui.js) when
   * the answer comes. */
  function remoteHover(m, r, lines, l, t) {
    const k = m.kind(r);
    if (!m.meta.view_stacks || !l || l.id === undefined || m.cpu(r) === 0xffff) return;
    if (k !== SS.K.SLEEP && k !== SS.K.WAIT && !(k === SS.K.MARK && m.flags(r) === SS.M.CORO_PARK)) return;
    const s = m.stackAt(l, t, () => { if (SS.hoverAgain) SS.hoverAgain(); });
    if (s === undefined) {
      lines.push("<i>stacks: asking the server…</i>");
      return;
    }
    if (!s) return;
    const [rk, ru, wk, wu, waker] = s.ref;
    refLines(m, r, { k: rk, u: ru, wk: wk, wu: wu, waker: waker }, lines, s.stacks);
  }

  /* A coroutine park mark near t on thread th's coroutine lane: its
   * tooltip, or null. */
  SS.stackParkHover = function (m, th, t, tol) {
    const mk = m.marks[th.idx];
    let k = SS.lower(mk.ts, t - tol, 0, mk.n);
    for (; k < mk.n && mk.ts[k] <= t + tol; k++) {
      const r = mk.r[k];
      if (m.flags(r) !== SS.M.CORO_PARK) continue;
      const lines = ["<b>coroutine " + m.t1(r) + " parked</b> (" + (SS.parkReason[m.a(r)] || "?") + ")",
        "on " + esc(th.comm) + " " + th.tid + " at " + SS.fmtDur(mk.ts[k])];
      SS.stackHover(m, r, lines, mk, mk.ts[k]);
      return lines;
    }
    return null;
  };

  /* A click at (x, y) on a sleeping or runnable interval that has stacks:
   * that interval as the selection ({a, b}), else null. */
  SS.stackPick = function (R, x, y) {
    const m = R.m, map = refs(m), ri = R.rowAt(y);
    const remote = !!(m.stackAt && m.meta.view_stacks);   /* (the server's: any interval) */
    if ((!map && !remote) || ri < 0 || x < SS.LABEL_W || R.rows[ri].kind !== "thread") return null;
    const l = R.rows[ri].lane, t = R.tOf(x);
    const i = SS.lower(l.e, t, 0, l.n);
    if (i >= l.n || l.s[i] > t) return null;
    const r = l.r[i], k = m.kind(r);
    if ((k !== SS.K.SLEEP && k !== SS.K.WAIT) || (remote ? m.cpu(r) === 0xffff : !map.has(r))) return null;
    return { a: l.s[i], b: l.e[i] };
  };

  /* ---- off-CPU flame graph of [a, b] ---- */

  function node(name) {
    return { name: name, v: 0, kids: new Map() };
  }

  function addPath(root, path, v) {
    let n = root;
    n.v += v;
    for (const p of path) {
      let c = n.kids.get(p);
      if (!c) n.kids.set(p, c = node(p));
      c.v += v;
      n = c;
    }
  }

  function framesRootFirst(s, out) {
    if (!s) return;
    if (s.missing) {
      out.push(s.k ? "[kernel stack not in trace]" : "[user stack not in trace]");
      return;
    }
    if (!s.k && s.one) out.push("[one frame]");
    for (let j = s.g.length - 1; j >= 0; j--) out.push(s.k ? s.g[j] + " [k]" : s.g[j]);
  }

  /* The off-CPU time of [a, b] by stack: root, then "sleeping" or
   * "runnable", the thread, user frames, kernel frames. Summed by (kind,
   * thread, stacks) first: the paths are built once per distinct key. */
  SS.offcpuTree = function (m, a, b) {
    const map = refs(m);
    const root = node("all");
    if (!map) return root;
    const byKey = new Map();
    for (const [r, e] of map) {
      const k = m.kind(r);
      if (k !== SS.K.SLEEP && k !== SS.K.WAIT) continue;
      const t0 = Math.max(a, m.t0(r)), t1 = Math.min(b, m.t1(r));
      if (t1 <= t0) continue;
      const key = k + ":" + m.thread(r) + ":" + e.k + ":" + e.u;
      const v = byKey.get(key);
      if (v) v.ns += t1 - t0;
      else byKey.set(key, { ns: t1 - t0, kind: k, th: m.thread(r), e: e });
    }
    const items = [];
    for (const v of byKey.values()) {
      items.push({ kind: v.kind, th: v.th, ns: v.ns, ks: stackOf(m, v.e.k), us: stackOf(m, v.e.u) });
    }
    return treeOf(m, items);
  };

  /* The tree of items { kind, th, ns, ks, us: the kernel and user stack
   * objects or null }: the page's, or /api/offcpu's (web/remote.js). */
  function treeOf(m, items) {
    const root = node("all");
    for (const v of items) {
      const th = m.threads[v.th];
      if (!th || !th.traced) continue;
      const path = [v.kind === SS.K.SLEEP ? "sleeping" : "runnable", th.comm + " " + th.tid];
      if (!v.ks && !v.us) path.push("[no stack]");
      framesRootFirst(v.us, path);
      framesRootFirst(v.ks, path);
      addPath(root, path, v.ns);
    }
    return root;
  }

  /* An icicle: the root on top, a box per frame as wide as its time. */
  SS.stackFlame = function (m, a, b, parent, live) {
    if (m.offcpu) {   /* the server's: a promise (drawn if live() still is) */
      if (!m.meta.view_stacks) return Promise.resolve();
      return m.offcpu(a, b).then((items) => {
        if (!live || live()) drawFlame(treeOf(m, items), parent);
      });
    }
    if (!SS.hasStacks(m)) return;
    drawFlame(SS.offcpuTree(m, a, b), parent);
  };

  function drawFlame(root, parent) {
    const sec = document.createElement("section");
    sec.id = "flame";
    const h = document.createElement("h4");
    h.textContent = "Off-CPU by stack (" + SS.fmtDur(root.v) + ")";
    sec.appendChild(h);
    const box = document.createElement("div");
    box.className = "flame";
    sec.appendChild(box);
    let depth = 0;
    const ROW = 15;
    function put(n, x, w, d) {
      if (w < 0.002) return;
      depth = Math.max(depth, d + 1);
      const div = document.createElement("div");
      div.className = "fnode" + (/ \[k\]$/.test(n.name) ? " kframe" : "");
      div.style.left = (x * 100) + "%";
      div.style.width = (w * 100) + "%";
      div.style.top = (d * ROW) + "px";
      div.textContent = n.name;
      div.title = n.name + ": " + SS.fmtDur(n.v) + " (" + (root.v ? (100 * n.v / root.v).toFixed(1) : 0) + "%)";
      box.appendChild(div);
      let cx = x;
      const kids = Array.from(n.kids.values()).sort((p, q) => p.name < q.name ? -1 : p.name > q.name ? 1 : 0);
      for (const c of kids) {
        const cw = n.v ? w * c.v / n.v : 0;
        put(c, cx, cw, d + 1);
        cx += cw;
      }
    }
    if (root.v > 0) put(root, 0, 1, 0);
    else box.textContent = "no off-CPU time with stacks in this range";
    box.style.height = Math.max(1, depth) * ROW + "px";
    const old = parent.querySelector("#flame");
    if (old) old.remove();
    parent.appendChild(sec);
  }
})(window.SS = window.SS || {});
