/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP harness for the userspace unit tests of TTP's pure logic
 * (module/seq.h, rto.c, cong.c, cubic.c, ofo.c): one TAP test point per test
 * function, every failed check printed as a diagnostic with its values.
 */
#ifndef _TTP_UNIT_H
#define _TTP_UNIT_H

#include <linux/types.h>

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

#define UNIT_TEST(f)	{ #f, f }

extern const struct unit_test seq_tests[], rto_tests[], cong_tests[],
	cubic_tests[], ofo_tests[];
extern const unsigned int seq_ntests, rto_ntests, cong_ntests, cubic_ntests,
	ofo_ntests;

void unit_check(bool ok, const char *file, int line, const char *expr,
		bool values, unsigned long long got, unsigned long long want);

/* cond must hold. */
#define CHECK(cond) \
	unit_check(!!(cond), __FILE__, __LINE__, #cond, false, 0, 0)

/* got must equal want; both are printed when it does not. */
#define CHECK_EQ(got, want) do {					\
	unsigned long long __g = (got), __w = (want);			\
	unit_check(__g == __w, __FILE__, __LINE__, #got " == " #want,	\
		   true, __g, __w);					\
} while (0)

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* _TTP_UNIT_H */
