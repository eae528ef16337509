/* Flight recorder triggers (struct ss_trigger) in words, for every
 * output that shows them. */
#ifndef SS_TRIGGER_DESC_H
#define SS_TRIGGER_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "switchscope.h"

/* "signal", "dump", "runqlat", "offcpu", "coro-kernel": as in --trigger
 * and in dump file names. */
const char *ss_trigger_name(uint32_t kind);
/* One line: "offcpu>300 ms: tid 812 (pid 810) blocked 400 ms". machine
 * names the syscall of a coro-kernel one (uname -m of the trace). */
const char *ss_trigger_desc(char *buf, size_t len, const struct ss_trigger *t,
			    const char *machine);

#endif
