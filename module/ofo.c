// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-order bookkeeping: a sorted array of at most TTP_OFO_MAX_RANGES
 * disjoint, non-adjacent sequence ranges beyond rcv_nxt. Pure logic, see
 * ofo.h for the caller's side: runs under the socket lock in the stream
 * code, and in the userspace unit tests.
 *
 * Every comparison is made on a range's distance from rcv_nxt (u32, modulo
 * 2^32), which orders correctly across the wrap of the sequence space as long
 * as everything lies within 2^31 - 1 of rcv_nxt; insert enforces that.
 */
#include <linux/types.h>
#include <linux/minmax.h>

#include "ofo.h"
#include "seq.h"

void ttp_ofo_init(struct ttp_ofo *q, u32 limit)
{
	q->n = 0;
	q->bytes = 0;
	q->clock = 0;
	q->limit = clamp_t(u32, limit, 1, TTP_OFO_MAX_RANGES);
}

/* Remove slots [from, to), closing the hole. */
static void ttp_ofo_remove(struct ttp_ofo *q, u32 from, u32 to)
{
	u32 i;

	for (i = to; i < q->n; i++)
		q->slot[from + i - to] = q->slot[i];
	q->n -= to - from;
}

/* Forget everything before rcv_nxt (RFC 9293 3.10.7.4: already received). */
static void ttp_ofo_trim(struct ttp_ofo *q, u32 rcv_nxt)
{
	u32 k = 0;

	while (k < q->n && !ttp_seq_after(q->slot[k].end, rcv_nxt)) {
		q->bytes -= q->slot[k].end - q->slot[k].start;
		k++;
	}
	ttp_ofo_remove(q, 0, k);
	if (q->n && ttp_seq_before(q->slot[0].start, rcv_nxt)) {
		q->bytes -= rcv_nxt - q->slot[0].start;
		q->slot[0].start = rcv_nxt;
	}
}

/*
 * The first slot whose end, as a distance from base, is >= off: the first
 * range that touches or follows an interval starting at off. Binary search.
 */
static u32 ttp_ofo_first_end_from(const struct ttp_ofo *q, u32 base, u32 off)
{
	u32 lo = 0, hi = q->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (q->slot[mid].end - base < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first slot whose start, as a distance from base, is > off. */
static u32 ttp_ofo_first_start_after(const struct ttp_ofo *q, u32 base,
				     u32 off)
{
	u32 lo = 0, hi = q->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (q->slot[mid].start - base <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Record the segment [seq, end) that arrived while the receiver expects
 * rcv_nxt. On TTP_OFO_NEW, *added is the number of bytes not held before
 * (0 on every other verdict). Ranges that overlap or touch the segment are
 * merged with it into one.
 */
enum ttp_ofo_verdict ttp_ofo_insert(struct ttp_ofo *q, u32 rcv_nxt,
				    u32 seq, u32 end, u32 *added)
{
	u32 s, e, i, j, k, held = 0;

	*added = 0;
	/* Empty, or reversed (2^31 long or more): not a segment. */
	if (!(end - seq) || end - seq > TTP_SEQ_MAX_SPAN)
		return TTP_OFO_INVALID;
	/*
	 * RFC 9293 3.10.7.4: entirely before rcv_nxt, an old duplicate (so is
	 * one ending 2^31 or more ahead: far outside any window).
	 */
	if (!(end - rcv_nxt) || end - rcv_nxt > TTP_SEQ_MAX_SPAN)
		return TTP_OFO_DUP;
	/* Overlapping rcv_nxt: only the bytes from rcv_nxt on are new. */
	seq = ttp_seq_max(seq, rcv_nxt);

	ttp_ofo_trim(q, rcv_nxt);
	s = seq - rcv_nxt;
	e = end - rcv_nxt;	/* 0 <= s < e < 2^31 */

	/* Slots i..j-1 overlap or touch [s, e). */
	i = ttp_ofo_first_end_from(q, rcv_nxt, s);
	j = ttp_ofo_first_start_after(q, rcv_nxt, e);

	q->clock++;
	if (i == j) {
		/* A new range between slots i-1 and i. */
		if (q->n >= q->limit)
			return TTP_OFO_FULL;
		for (k = q->n; k > i; k--)
			q->slot[k] = q->slot[k - 1];
		q->n++;
		q->slot[i] = (struct ttp_ofo_slot){
			.start = seq, .end = end, .stamp = q->clock,
		};
		*added = end - seq;
		q->bytes += *added;
		return TTP_OFO_NEW;
	}

	/* Merge slots i..j-1 with the segment into slot i. */
	for (k = i; k < j; k++)
		held += q->slot[k].end - q->slot[k].start;
	s = min(s, q->slot[i].start - rcv_nxt);
	e = max(e, q->slot[j - 1].end - rcv_nxt);
	q->slot[i].stamp = q->clock;	/* RFC 2018 4: the latest block first */
	if (e - s == held)
		return TTP_OFO_DUP;	/* inside one range (merges add gaps) */
	q->slot[i].start = rcv_nxt + s;
	q->slot[i].end = rcv_nxt + e;
	ttp_ofo_remove(q, i + 1, j);
	*added = e - s - held;
	q->bytes += *added;
	return TTP_OFO_NEW;
}

/*
 * rcv_nxt has moved (in-order data was queued): forget what now lies before
 * it and return how many bytes held from rcv_nxt on are in order, removing
 * them. Ranges never touch, so there is at most one such run.
 */
u32 ttp_ofo_pop(struct ttp_ofo *q, u32 rcv_nxt)
{
	u32 len;

	ttp_ofo_trim(q, rcv_nxt);
	if (!q->n || q->slot[0].start != rcv_nxt)
		return 0;
	len = q->slot[0].end - q->slot[0].start;
	q->bytes -= len;
	ttp_ofo_remove(q, 0, 1);
	return len;
}

/*
 * Fill blocks[] with up to max ranges, the most recently grown or hit
 * first (RFC 2018 4: the first block holds the segment that triggered the
 * ACK, then the most recent others). Returns how many were written.
 */
u32 ttp_ofo_sack(const struct ttp_ofo *q, struct ttp_ofo_range *blocks,
		 u32 max)
{
	u32 k, i, best, last = 0;

	for (k = 0; k < max && k < q->n; k++) {
		best = q->n;
		for (i = 0; i < q->n; i++) {
			/* Stamps are unique: skip those already written. */
			if (k && !ttp_seq_before(q->slot[i].stamp, last))
				continue;
			if (best == q->n ||
			    ttp_seq_after(q->slot[i].stamp, q->slot[best].stamp))
				best = i;
		}
		last = q->slot[best].stamp;
		blocks[k].start = q->slot[best].start;
		blocks[k].end = q->slot[best].end;
	}
	return k;
}

/*
 * Forget the highest range, e.g. to free memory (the caller frees its
 * segments); returns its length in bytes, 0 when nothing is held.
 */
u32 ttp_ofo_drop_last(struct ttp_ofo *q)
{
	u32 len;

	if (!q->n)
		return 0;
	q->n--;
	len = q->slot[q->n].end - q->slot[q->n].start;
	q->bytes -= len;
	return len;
}
