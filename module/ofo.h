/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-order bookkeeping of the TTP stream's receiver: which sequence
 * ranges beyond rcv_nxt are held, as a bounded set of disjoint half-open
 * intervals [start, end) with wrap-around.
 *
 * Pure logic: no kernel calls, no locks of its own (one struct ttp_ofo per
 * connection, under the socket lock), no memory allocation. It decides; the
 * stream code keeps the segments themselves (an rbtree of skbs keyed by
 * sequence number) and follows its verdicts:
 *
 *  - ttp_ofo_insert() for each arriving segment that is not at rcv_nxt (or
 *    for every one: data before rcv_nxt is trimmed off). NEW: queue the skb
 *    (*added bytes of it are new; the rest duplicates what is held); DUP:
 *    free it, nothing new; FULL: free it and count the drop (the sender
 *    will retransmit); INVALID: free it, it is empty or reversed.
 *  - ttp_ofo_pop() after rcv_nxt moved: the number of bytes now in order at
 *    rcv_nxt, to move from the rbtree to the receive queue (then advance
 *    rcv_nxt by it). Whatever now lies before rcv_nxt is forgotten.
 *  - ttp_ofo_bytes() for the queue's size, ttp_ofo_sack() for the blocks a
 *    SACK option would carry, ttp_ofo_drop_last() to prune under memory
 *    pressure (highest range first, as TCP prunes).
 *
 * Cost: at most TTP_OFO_MAX_RANGES ranges, found by binary search; a change
 * moves at most that many array slots. Nothing walks bytes or segments.
 * The caller keeps every segment within 2^31 - 1 of rcv_nxt (its receive
 * window is far smaller), so ranges order by their distance from rcv_nxt.
 */
#ifndef _TTP_OFO_H
#define _TTP_OFO_H

#include <linux/types.h>

/* Most ranges (holes + 1) kept; a segment needing one more is dropped. */
#define TTP_OFO_MAX_RANGES	32U
/* RFC 2018 3: at most 4 SACK blocks fit in the TCP option space. */
#define TTP_OFO_SACK_MAX	4U

/* A half-open range of sequence numbers [start, end), as SACK reports it. */
struct ttp_ofo_range {
	u32	start;
	u32	end;
};

/* One range held, with its age for SACK's "most recent first". */
struct ttp_ofo_slot {
	u32	start;
	u32	end;
	u32	stamp;		/* insert clock when last grown or hit */
};

/* The receiver's out-of-order state; read the fields only via ofo.h. */
struct ttp_ofo {
	/* The ranges held: sorted, disjoint and never adjacent. */
	struct ttp_ofo_slot slot[TTP_OFO_MAX_RANGES];
	u32	n;		/* slots in use */
	u32	limit;		/* most slots allowed, <= TTP_OFO_MAX_RANGES */
	u32	bytes;		/* bytes held in all ranges */
	u32	clock;		/* counts inserts, for stamp */
};

/* The verdict on one arriving segment. */
enum ttp_ofo_verdict {
	TTP_OFO_NEW,		/* queue it: *added > 0 bytes are new */
	/* drop it: every byte is held or before rcv_nxt (a segment ending
	 * 2^31 or more ahead of rcv_nxt reads as before it)
	 */
	TTP_OFO_DUP,
	TTP_OFO_FULL,		/* drop it and count: it needs a range past limit */
	TTP_OFO_INVALID,	/* drop it: empty, or reversed (end before seq) */
};

void ttp_ofo_init(struct ttp_ofo *q, u32 limit);
enum ttp_ofo_verdict ttp_ofo_insert(struct ttp_ofo *q, u32 rcv_nxt,
				    u32 seq, u32 end, u32 *added);
u32 ttp_ofo_pop(struct ttp_ofo *q, u32 rcv_nxt);
u32 ttp_ofo_sack(const struct ttp_ofo *q, struct ttp_ofo_range *blocks,
		 u32 max);
u32 ttp_ofo_drop_last(struct ttp_ofo *q);

/* Bytes held out of order. */
static inline u32 ttp_ofo_bytes(const struct ttp_ofo *q)
{
	return q->bytes;
}

/* Ranges held (the holes before them number as many). */
static inline u32 ttp_ofo_ranges(const struct ttp_ofo *q)
{
	return q->n;
}

#endif /* _TTP_OFO_H */
