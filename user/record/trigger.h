/* The kernel-evaluated flight recorder triggers (bpf/trigger.bpf.c):
 * loaded beside the backend's programs, sharing its ring buffer and
 * filter, only when --trigger runqlat>/offcpu> is given. */
#ifndef SS_TRIGGER_H
#define SS_TRIGGER_H

#include <stddef.h>

struct ss_bpf_maps;
struct ss_flight_opts;
struct ss_trig;

/* Open and load with the shared maps. An ss_exit code; on error err says
 * why. */
int ss_trig_open(struct ss_trig **out, const struct ss_flight_opts *fo,
		 const struct ss_bpf_maps *maps, int system_wide, char *err, size_t errlen);
/* Attach, armed. An ss_exit code. */
int ss_trig_start(struct ss_trig *t, char *err, size_t errlen);
/* Let the next trigger fire (each one disarms them). For ss_flight_new. */
void ss_trig_arm(void *t);
void ss_trig_close(struct ss_trig *t);

#endif
