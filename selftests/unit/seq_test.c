// SPDX-License-Identifier: GPL-2.0
/* Unit tests of module/seq.h: wrap-around sequence comparisons. */
#include "unit.h"
#include "../../module/seq.h"

static void seq_plain(void)
{
	CHECK(ttp_seq_before(1, 2));
	CHECK(!ttp_seq_before(2, 1));
	CHECK(!ttp_seq_before(5, 5));
	CHECK(!ttp_seq_after(5, 5));
	CHECK(ttp_seq_after(2, 1));
	CHECK(!ttp_seq_after(1, 2));
}

/* Around 0: 0xffffffff is one before 0. */
static void seq_wrap_zero(void)
{
	CHECK(ttp_seq_before(0xffffffff, 0));
	CHECK(ttp_seq_after(0, 0xffffffff));
	CHECK(ttp_seq_before(0xfffffff0, 0x10));
	CHECK(!ttp_seq_before(0x10, 0xfffffff0));
	CHECK(ttp_seq_after(0x10, 0xfffffff0));
}

/*
 * Around 2^31: 0x7fffffff ahead is still after; exactly 0x80000000 apart
 * each is before the other (the ambiguity callers must avoid); 0x80000001
 * ahead already reads as behind.
 */
static void seq_half_space(void)
{
	CHECK(ttp_seq_before(0, 0x7fffffff));
	CHECK(ttp_seq_after(0x7fffffff, 0));
	CHECK(ttp_seq_before(0, 0x80000000));
	CHECK(ttp_seq_before(0x80000000, 0));
	CHECK(!ttp_seq_before(0, 0x80000001));
	CHECK(ttp_seq_after(0, 0x80000001));
	CHECK(ttp_seq_before(0x7fffffff, 0x80000000));
	CHECK(ttp_seq_after(0x80000000, 0x7fffffff));
}

/* between(s, lo, hi) is lo <= s <= hi, both ends included. */
static void seq_between(void)
{
	CHECK(ttp_seq_between(5, 1, 10));
	CHECK(ttp_seq_between(1, 1, 10));
	CHECK(ttp_seq_between(10, 1, 10));
	CHECK(!ttp_seq_between(11, 1, 10));
	CHECK(!ttp_seq_between(0, 1, 10));
	CHECK(ttp_seq_between(7, 7, 7));
	/* a window across the wrap [0xfffffff0, 0x10] */
	CHECK(ttp_seq_between(0, 0xfffffff0, 0x10));
	CHECK(ttp_seq_between(0xfffffff5, 0xfffffff0, 0x10));
	CHECK(ttp_seq_between(0x10, 0xfffffff0, 0x10));
	CHECK(!ttp_seq_between(0x11, 0xfffffff0, 0x10));
	CHECK(!ttp_seq_between(0xffffffef, 0xfffffff0, 0x10));
}

static void seq_min_max(void)
{
	CHECK_EQ(ttp_seq_min(2, 3), 2);
	CHECK_EQ(ttp_seq_min(3, 2), 2);
	CHECK_EQ(ttp_seq_max(2, 3), 3);
	CHECK_EQ(ttp_seq_max(3, 2), 3);
	CHECK_EQ(ttp_seq_min(3, 3), 3);
	CHECK_EQ(ttp_seq_max(3, 3), 3);
	/* across the wrap the numerically larger one is the earlier */
	CHECK_EQ(ttp_seq_min(0xffffffff, 1), 0xffffffff);
	CHECK_EQ(ttp_seq_min(1, 0xffffffff), 0xffffffff);
	CHECK_EQ(ttp_seq_max(0xffffffff, 1), 1);
	CHECK_EQ(ttp_seq_max(1, 0xffffffff), 1);
}

const struct unit_test seq_tests[] = {
	UNIT_TEST(seq_plain),
	UNIT_TEST(seq_wrap_zero),
	UNIT_TEST(seq_half_space),
	UNIT_TEST(seq_between),
	UNIT_TEST(seq_min_max),
};

const unsigned int seq_ntests = ARRAY_LEN(seq_tests);
