/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/minmax.h>, for the unit tests
 * only. Like the kernel's, min() and max() evaluate each argument once and
 * refuse (a warning, an error under -Werror) arguments of different types;
 * min_t(), max_t() and clamp_t() cast all to the type named.
 */
#ifndef _LINUX_MINMAX_H
#define _LINUX_MINMAX_H

#define __ttp_shim_cmp(x, y, op) ({			\
	__typeof__(x) __x = (x);			\
	__typeof__(y) __y = (y);			\
	(void)(&__x == &__y);				\
	__x op __y ? __x : __y; })

#define min(x, y)	__ttp_shim_cmp(x, y, <)
#define max(x, y)	__ttp_shim_cmp(x, y, >)
#define min_t(t, x, y)	__ttp_shim_cmp((t)(x), (t)(y), <)
#define max_t(t, x, y)	__ttp_shim_cmp((t)(x), (t)(y), >)
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)

#endif /* _LINUX_MINMAX_H */
