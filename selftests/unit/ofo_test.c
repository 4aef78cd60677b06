// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of module/ofo.c, the out-of-order bookkeeping. rcv_nxt is
 * 1000 unless a test says otherwise; ranges are [start, end).
 */
#include "unit.h"
#include "../../module/ofo.h"

/* Insert and expect a verdict and a count of new bytes. */
#define INSERT(q, nxt, s, e, verdict, new) do {				\
	u32 __added = 12345;						\
	CHECK_EQ(ttp_ofo_insert(q, nxt, s, e, &__added), verdict);	\
	CHECK_EQ(__added, new);						\
} while (0)

/* Expect slot i to hold [s, e). */
#define RANGE(q, i, s, e) do {						\
	const struct ttp_ofo_slot *__r = &(q)->slot[i];			\
	CHECK_EQ(__r->start, s);					\
	CHECK_EQ(__r->end, e);						\
} while (0)

/* A segment at rcv_nxt is in order at once. */
static void ofo_in_order(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 0);		/* empty */
	INSERT(&q, 1000, 1000, 1100, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_bytes(&q), 100);
	CHECK_EQ(ttp_ofo_ranges(&q), 1);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 100);
	CHECK_EQ(ttp_ofo_bytes(&q), 0);
	CHECK_EQ(ttp_ofo_ranges(&q), 0);
}

/*
 * A gap filled from both sides: [1200,1300) waits for [1100,1200), which
 * joins it (adjacent), and both wait for [1000,1100): then 300 in order.
 */
static void ofo_gap(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1200, 1300, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 0);
	INSERT(&q, 1000, 1100, 1200, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_ranges(&q), 1);
	RANGE(&q, 0, 1100, 1300);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 0);
	INSERT(&q, 1000, 1000, 1100, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_bytes(&q), 300);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 300);
	CHECK_EQ(ttp_ofo_bytes(&q), 0);

	/* appending to a range's end: [1100,1200) + [1200,1250) */
	INSERT(&q, 1000, 1100, 1200, TTP_OFO_NEW, 100);
	INSERT(&q, 1000, 1200, 1250, TTP_OFO_NEW, 50);
	CHECK_EQ(ttp_ofo_ranges(&q), 1);
	RANGE(&q, 0, 1100, 1250);
}

/* Sorted insertion: a range between two others, and before all. */
static void ofo_order(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1100, 1110, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1300, 1310, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1200, 1210, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1050, 1060, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1400, 1410, TTP_OFO_NEW, 10);
	CHECK_EQ(ttp_ofo_ranges(&q), 5);
	RANGE(&q, 0, 1050, 1060);
	RANGE(&q, 1, 1100, 1110);
	RANGE(&q, 2, 1200, 1210);
	RANGE(&q, 3, 1300, 1310);
	RANGE(&q, 4, 1400, 1410);
	CHECK_EQ(ttp_ofo_bytes(&q), 50);
}

/*
 * Overlaps: [1250,1450) bridges [1200,1300) and [1400,1500): held 200,
 * merged [1200,1500) is 300, so 100 new. Covering four ranges (40 held)
 * with [1105,1165) merges them into [1100,1170): 70 - 40 = 30 new; with
 * [1090,1180): 90 - 40 = 50 new.
 */
static void ofo_overlap(void)
{
	struct ttp_ofo q;
	u32 k;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1200, 1300, TTP_OFO_NEW, 100);
	INSERT(&q, 1000, 1400, 1500, TTP_OFO_NEW, 100);
	INSERT(&q, 1000, 1250, 1450, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_ranges(&q), 1);
	RANGE(&q, 0, 1200, 1500);
	CHECK_EQ(ttp_ofo_bytes(&q), 300);

	/* overlapping one end of a range only */
	INSERT(&q, 1000, 1150, 1250, TTP_OFO_NEW, 50);
	INSERT(&q, 1000, 1450, 1550, TTP_OFO_NEW, 50);
	RANGE(&q, 0, 1150, 1550);
	CHECK_EQ(ttp_ofo_bytes(&q), 400);

	for (k = 0; k < 2; k++) {
		ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
		INSERT(&q, 1000, 1100, 1110, TTP_OFO_NEW, 10);
		INSERT(&q, 1000, 1120, 1130, TTP_OFO_NEW, 10);
		INSERT(&q, 1000, 1140, 1150, TTP_OFO_NEW, 10);
		INSERT(&q, 1000, 1160, 1170, TTP_OFO_NEW, 10);
		INSERT(&q, 1000, 1300, 1310, TTP_OFO_NEW, 10);
		if (k == 0) {
			INSERT(&q, 1000, 1105, 1165, TTP_OFO_NEW, 30);
			RANGE(&q, 0, 1100, 1170);
		} else {
			INSERT(&q, 1000, 1090, 1180, TTP_OFO_NEW, 50);
			RANGE(&q, 0, 1090, 1180);
		}
		CHECK_EQ(ttp_ofo_ranges(&q), 2);
		RANGE(&q, 1, 1300, 1310);		/* moved down */
		CHECK_EQ(ttp_ofo_bytes(&q), k ? 100 : 80);
	}
}

/* Duplicates and old data add nothing; partly old data is trimmed. */
static void ofo_duplicates(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1200, 1500, TTP_OFO_NEW, 300);
	INSERT(&q, 1000, 1220, 1280, TTP_OFO_DUP, 0);	/* inside */
	INSERT(&q, 1000, 1200, 1500, TTP_OFO_DUP, 0);	/* the same */
	INSERT(&q, 1000, 900, 1000, TTP_OFO_DUP, 0);	/* ends at rcv_nxt */
	INSERT(&q, 1000, 500, 600, TTP_OFO_DUP, 0);	/* long gone */
	CHECK_EQ(ttp_ofo_bytes(&q), 300);
	CHECK_EQ(ttp_ofo_ranges(&q), 1);

	/* [900,1100): 100 before rcv_nxt dropped, 100 new */
	INSERT(&q, 1000, 900, 1100, TTP_OFO_NEW, 100);
	RANGE(&q, 0, 1000, 1100);
	CHECK_EQ(ttp_ofo_bytes(&q), 400);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 100);
	CHECK_EQ(ttp_ofo_bytes(&q), 300);

	/* empty and reversed segments */
	INSERT(&q, 1000, 1600, 1600, TTP_OFO_INVALID, 0);
	INSERT(&q, 1000, 1700, 1600, TTP_OFO_INVALID, 0);
	/* 2^31 long is reversed; ending 2^31 or more ahead reads as old */
	INSERT(&q, 1000, 1000, 1000 + 0x80000000U, TTP_OFO_INVALID, 0);
	INSERT(&q, 1000, 1500, 1000 + 0x80000000U, TTP_OFO_DUP, 0);
	INSERT(&q, 1000, 0x80000000U, 1000 + 0x90000000U, TTP_OFO_DUP, 0);
	CHECK_EQ(ttp_ofo_bytes(&q), 300);

	/* the longest segment there can be: 2^31 - 1 bytes at rcv_nxt */
	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1000, 1000 + 0x7fffffffU, TTP_OFO_NEW, 0x7fffffff);
	CHECK_EQ(ttp_ofo_pop(&q, 1000), 0x7fffffff);
}

/*
 * Across the wrap of 2^32, rcv_nxt = 0xffffff00: [0x100,0x200) (256),
 * [0xffffff80,0x80) (256), then [0xffffff00,0xffffff80) (128) joins the
 * second: [0xffffff00,0x80) is 384 bytes in order; then at rcv_nxt 0x80,
 * [0x80,0x100) joins the first: 384 more.
 */
static void ofo_wrap(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 0xffffff00, 0x100, 0x200, TTP_OFO_NEW, 256);
	INSERT(&q, 0xffffff00, 0xffffff80, 0x80, TTP_OFO_NEW, 256);
	CHECK_EQ(ttp_ofo_ranges(&q), 2);
	RANGE(&q, 0, 0xffffff80, 0x80);		/* sorted across the wrap */
	RANGE(&q, 1, 0x100, 0x200);
	CHECK_EQ(ttp_ofo_pop(&q, 0xffffff00), 0);
	INSERT(&q, 0xffffff00, 0xffffff00, 0xffffff80, TTP_OFO_NEW, 128);
	RANGE(&q, 0, 0xffffff00, 0x80);
	CHECK_EQ(ttp_ofo_pop(&q, 0xffffff00), 384);
	CHECK_EQ(ttp_ofo_bytes(&q), 256);
	INSERT(&q, 0x80, 0x80, 0x100, TTP_OFO_NEW, 128);
	CHECK_EQ(ttp_ofo_pop(&q, 0x80), 384);
	CHECK_EQ(ttp_ofo_bytes(&q), 0);

	/* a segment straddling rcv_nxt across the wrap is trimmed */
	INSERT(&q, 0x10, 0xfffffff0, 0x20, TTP_OFO_NEW, 0x10);
	RANGE(&q, 0, 0x10, 0x20);
}

/*
 * The bound: with a limit of 3 ranges a fourth is refused (FULL, nothing
 * recorded), while a segment that merges into existing ranges is taken.
 */
static void ofo_limit(void)
{
	struct ttp_ofo q;
	u32 k;

	ttp_ofo_init(&q, 3);
	INSERT(&q, 1000, 1100, 1110, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1120, 1130, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1140, 1150, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1160, 1170, TTP_OFO_FULL, 0);
	CHECK_EQ(ttp_ofo_bytes(&q), 30);
	CHECK_EQ(ttp_ofo_ranges(&q), 3);
	INSERT(&q, 1000, 1110, 1120, TTP_OFO_NEW, 10);	/* fills a hole */
	CHECK_EQ(ttp_ofo_ranges(&q), 2);
	INSERT(&q, 1000, 1160, 1170, TTP_OFO_NEW, 10);
	CHECK_EQ(ttp_ofo_ranges(&q), 3);
	CHECK_EQ(ttp_ofo_bytes(&q), 50);

	/* limits are kept within [1, TTP_OFO_MAX_RANGES] */
	ttp_ofo_init(&q, 0);
	CHECK_EQ(q.limit, 1);
	ttp_ofo_init(&q, 1000);
	CHECK_EQ(q.limit, TTP_OFO_MAX_RANGES);

	/* all 32: [1010,1020), [1030,1040), ... then one more is refused */
	for (k = 0; k < TTP_OFO_MAX_RANGES; k++)
		INSERT(&q, 1000, 1010 + 20 * k, 1020 + 20 * k, TTP_OFO_NEW, 10);
	CHECK_EQ(ttp_ofo_ranges(&q), TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1001, 1002, TTP_OFO_FULL, 0);
	INSERT(&q, 1000, 2000, 2001, TTP_OFO_FULL, 0);
	CHECK_EQ(ttp_ofo_bytes(&q), 320);
	RANGE(&q, 31, 1630, 1640);
}

/*
 * rcv_nxt moved past held data (in-order data arrived that overlapped
 * it): held [1100,1200) and [1300,1400); at rcv_nxt 1350 the first is
 * gone, the second trimmed to [1350,1400): 50 in order.
 */
static void ofo_advance(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	INSERT(&q, 1000, 1100, 1200, TTP_OFO_NEW, 100);
	INSERT(&q, 1000, 1300, 1400, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_pop(&q, 1350), 50);
	CHECK_EQ(ttp_ofo_bytes(&q), 0);
	CHECK_EQ(ttp_ofo_ranges(&q), 0);

	/* rcv_nxt lands exactly on a range's end, then inside a gap */
	INSERT(&q, 1000, 1100, 1200, TTP_OFO_NEW, 100);
	INSERT(&q, 1000, 1300, 1400, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_pop(&q, 1200), 0);
	CHECK_EQ(ttp_ofo_bytes(&q), 100);
	CHECK_EQ(ttp_ofo_pop(&q, 1250), 0);
	CHECK_EQ(ttp_ofo_bytes(&q), 100);

	/* insert trims too: held [1300,1400), a range [1200,1250) ending
	 * at rcv_nxt 1250 goes entirely: [1300,1400) and [1500,1510) remain
	 */
	INSERT(&q, 1150, 1200, 1250, TTP_OFO_NEW, 50);
	INSERT(&q, 1250, 1500, 1510, TTP_OFO_NEW, 10);
	CHECK_EQ(ttp_ofo_ranges(&q), 2);
	RANGE(&q, 0, 1300, 1400);
	CHECK_EQ(ttp_ofo_bytes(&q), 110);
	CHECK_EQ(ttp_ofo_drop_last(&q), 10);

	/* and at rcv_nxt 1350, 50 held remain, + 100 new */
	INSERT(&q, 1350, 1500, 1600, TTP_OFO_NEW, 100);
	CHECK_EQ(ttp_ofo_bytes(&q), 150);
	RANGE(&q, 0, 1350, 1400);
	CHECK_EQ(ttp_ofo_pop(&q, 1350), 50);
}

/*
 * RFC 2018 4: SACK blocks, the most recently changed range first. Five
 * ranges inserted in the order A B C D E report E D C B; a duplicate hit
 * on A puts it first; growing B puts B first.
 */
static void ofo_sack(void)
{
	struct ttp_ofo_range b[TTP_OFO_SACK_MAX];
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	CHECK_EQ(ttp_ofo_sack(&q, b, TTP_OFO_SACK_MAX), 0);
	INSERT(&q, 1000, 1100, 1110, TTP_OFO_NEW, 10);	/* A */
	INSERT(&q, 1000, 1300, 1310, TTP_OFO_NEW, 10);	/* B */
	CHECK_EQ(ttp_ofo_sack(&q, b, TTP_OFO_SACK_MAX), 2);
	CHECK_EQ(b[0].start, 1300);
	CHECK_EQ(b[1].start, 1100);
	INSERT(&q, 1000, 1200, 1210, TTP_OFO_NEW, 10);	/* C */
	INSERT(&q, 1000, 1400, 1410, TTP_OFO_NEW, 10);	/* D */
	INSERT(&q, 1000, 1500, 1510, TTP_OFO_NEW, 10);	/* E */
	CHECK_EQ(ttp_ofo_sack(&q, b, TTP_OFO_SACK_MAX), 4);
	CHECK_EQ(b[0].start, 1500);
	CHECK_EQ(b[0].end, 1510);
	CHECK_EQ(b[1].start, 1400);
	CHECK_EQ(b[2].start, 1200);
	CHECK_EQ(b[3].start, 1300);

	INSERT(&q, 1000, 1100, 1105, TTP_OFO_DUP, 0);	/* hit A */
	CHECK_EQ(ttp_ofo_sack(&q, b, TTP_OFO_SACK_MAX), 4);
	CHECK_EQ(b[0].start, 1100);
	CHECK_EQ(b[1].start, 1500);
	CHECK_EQ(b[2].start, 1400);
	CHECK_EQ(b[3].start, 1200);

	INSERT(&q, 1000, 1310, 1320, TTP_OFO_NEW, 10);	/* grow B */
	CHECK_EQ(ttp_ofo_sack(&q, b, 3), 3);
	CHECK_EQ(b[0].start, 1300);
	CHECK_EQ(b[0].end, 1320);
	CHECK_EQ(b[1].start, 1100);
	CHECK_EQ(b[2].start, 1500);
	CHECK_EQ(ttp_ofo_sack(&q, b, 0), 0);
}

/* Pruning from the top: the highest range goes first. */
static void ofo_drop_last(void)
{
	struct ttp_ofo q;

	ttp_ofo_init(&q, TTP_OFO_MAX_RANGES);
	CHECK_EQ(ttp_ofo_drop_last(&q), 0);
	INSERT(&q, 1000, 1100, 1110, TTP_OFO_NEW, 10);
	INSERT(&q, 1000, 1300, 1320, TTP_OFO_NEW, 20);
	CHECK_EQ(ttp_ofo_drop_last(&q), 20);
	CHECK_EQ(ttp_ofo_bytes(&q), 10);
	CHECK_EQ(ttp_ofo_drop_last(&q), 10);
	CHECK_EQ(ttp_ofo_bytes(&q), 0);
	CHECK_EQ(ttp_ofo_ranges(&q), 0);
}

const struct unit_test ofo_tests[] = {
	UNIT_TEST(ofo_in_order),
	UNIT_TEST(ofo_gap),
	UNIT_TEST(ofo_order),
	UNIT_TEST(ofo_overlap),
	UNIT_TEST(ofo_duplicates),
	UNIT_TEST(ofo_wrap),
	UNIT_TEST(ofo_limit),
	UNIT_TEST(ofo_advance),
	UNIT_TEST(ofo_sack),
	UNIT_TEST(ofo_drop_last),
};

const unsigned int ofo_ntests = ARRAY_LEN(ofo_tests);
