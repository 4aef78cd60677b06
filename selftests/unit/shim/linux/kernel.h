/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/kernel.h>, for the unit tests
 * only: ARRAY_SIZE() and static_assert(), all the pure logic takes from it.
 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <assert.h>
#include <linux/limits.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* _LINUX_KERNEL_H */
