#include <stdio.h>

#include "ss.h"
#include "trigger_desc.h"

const char *ss_trigger_name(uint32_t kind)
{
	switch (kind) {
	case SS_TRIG_SIGNAL: return "signal";
	case SS_TRIG_REQUEST: return "dump";
	case SS_TRIG_RUNQLAT: return "runqlat";
	case SS_TRIG_OFFCPU: return "offcpu";
	case SS_TRIG_CORO_KERNEL: return "coro-kernel";
	}
	return "trigger";
}

const char *ss_trigger_desc(char *buf, size_t len, const struct ss_trigger *t,
			    const char *machine)
{
	char thr[SS_DUR_BUF], val[SS_DUR_BUF];
	const char *sc;

	ss_fmt_dur(thr, sizeof(thr), t->threshold_ns);
	ss_fmt_dur(val, sizeof(val), t->value_ns);
	switch (t->kind) {
	case SS_TRIG_SIGNAL:
		snprintf(buf, len, "signal: signal %u to the recorder", t->nr);
		break;
	case SS_TRIG_REQUEST:
		snprintf(buf, len, "dump: asked for by pid %u", t->nr);
		break;
	case SS_TRIG_RUNQLAT:
		snprintf(buf, len, "runqlat>%s: tid %u (pid %u) waited %s for a CPU",
			 thr, t->tid, t->tgid, val);
		break;
	case SS_TRIG_OFFCPU:
		snprintf(buf, len, "offcpu>%s: tid %u (pid %u) blocked %s", thr, t->tid,
			 t->tgid, val);
		break;
	case SS_TRIG_CORO_KERNEL:
		sc = t->entry == SS_TRIG_ENTRY_SYSCALL ? ss_syscall_name(machine, t->nr) : NULL;
		if (t->entry == SS_TRIG_ENTRY_SYSCALL)
			snprintf(buf, len, "coro-kernel: tid %u (pid %u): a coroutine switch "
				 "made syscall %s (nr %u)", t->tid, t->tgid, sc ? sc : "?", t->nr);
		else
			snprintf(buf, len, "coro-kernel: tid %u (pid %u): a coroutine switch %s",
				 t->tid, t->tgid, t->entry == SS_TRIG_ENTRY_FAULT ?
				 "took a page fault" : "blocked in the kernel");
		break;
	default:
		snprintf(buf, len, "trigger kind %u: tid %u", t->kind, t->tid);
	}
	return buf;
}
