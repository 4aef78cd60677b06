/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/limits.h>, for the unit tests
 * only (it shadows the uapi header of that name): the U32_MAX family.
 */
#ifndef _LINUX_LIMITS_H
#define _LINUX_LIMITS_H

#include <stdint.h>

#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX

#endif /* _LINUX_LIMITS_H */
