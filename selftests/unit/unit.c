// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace unit tests of TTP's pure logic: TAP version 13 on stdout,
 * a plan first, "# Totals" last, exit status 1 if any check failed.
 * Built and run by "make unit"; see the *_test.c files for the tests and
 * the hand-computed values they expect.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

static unsigned int checks, failed_checks, test_failed;

void unit_check(bool ok, const char *file, int line, const char *expr,
		bool values, unsigned long long got, unsigned long long want)
{
	checks++;
	if (ok)
		return;
	failed_checks++;
	test_failed = 1;
	if (values)
		printf("#   %s:%d: %s: got %llu (0x%llx), want %llu (0x%llx)\n",
		       file, line, expr, got, got, want, want);
	else
		printf("#   %s:%d: %s: false\n", file, line, expr);
}

static const struct {
	const struct unit_test	*tests;
	const unsigned int	*n;
} suites[] = {
	{ seq_tests, &seq_ntests },
	{ rto_tests, &rto_ntests },
	{ cong_tests, &cong_ntests },
	{ cubic_tests, &cubic_ntests },
	{ ofo_tests, &ofo_ntests },
};

int main(void)
{
	unsigned int s, i, plan = 0, num = 0, pass = 0, fail = 0;

	for (s = 0; s < ARRAY_LEN(suites); s++)
		plan += *suites[s].n;
	printf("TAP version 13\n1..%u\n", plan);
	for (s = 0; s < ARRAY_LEN(suites); s++) {
		for (i = 0; i < *suites[s].n; i++) {
			const struct unit_test *t = &suites[s].tests[i];

			test_failed = 0;
			t->fn();
			printf("%sok %u %s\n", test_failed ? "not " : "",
			       ++num, t->name);
			if (test_failed)
				fail++;
			else
				pass++;
		}
	}
	printf("# %u checks, %u failed\n", checks, failed_checks);
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       pass, fail);
	return fail ? EXIT_FAILURE : EXIT_SUCCESS;
}
