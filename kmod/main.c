// SPDX-License-Identifier: GPL-2.0
/*
 * switchscope.ko: the second kernel backend of switchscope. It records the
 * scheduler events of bpf/sched.bpf.c, as the same records
 * (include/switchscope.h), for kernels where BPF is missing or locked down.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "ss_kmod.h"

static int __init ss_init(void)
{
	int err;

	err = ss_probes_init();
	if (err)
		return err;
	return ss_dev_init();
}

static void __exit ss_exit(void)
{
	ss_dev_exit();
}

module_init(ss_init);
module_exit(ss_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("switchscope: context switches, wakeups and task creation");
MODULE_VERSION("1.0");
