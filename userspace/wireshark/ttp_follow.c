// SPDX-License-Identifier: GPL-2.0
/*
 * ttp_follow.c - "Follow Stream" for TTP in Wireshark and tshark
 *
 * ttp.lua decodes TTP, but Wireshark's Lua interface can neither register
 * a follower nor queue data to a tap. This small plugin does that part and
 * nothing else: a postdissector reads the fields ttp.lua gave each stream
 * segment (ttp253.stream, .srcport, .dstport, .seq, .flags, .payload) and
 * queues the segment to the "ttp253_follow" tap; the follower puts each
 * direction's bytes in sequence order from its SYN, each byte once (a
 * retransmission adds only what is new, an early segment waits for the gap
 * before it). A direction whose SYN was not captured starts at its first
 * segment.
 *
 * Lua scripts are loaded after every plugin's handoff, so the follower
 * cannot be ttp253's own: it belongs to the protocol "ttp253_follow",
 * which only carries it. "tshark -z follow,ttp253_follow,ascii,N" shows
 * stream N as each application wrote it.
 *
 * Plugins are ABI-bound to a Wireshark major.minor: the Makefile builds
 * this one against the installed libwireshark-dev, and it goes into the
 * epan folder under "Personal Plugins" or "Global Plugins" of
 * "tshark -G folders". Wireshark skips personal plugins when run as root.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <epan/follow.h>
#include <epan/to_str.h>
#include <epan/epan_dissect.h>

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = "1.0";
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

#define TTP_F_SYN	0x0001	/* docs/protocol.md 5.1 */

/* What the postdissector queues for a SYN or a segment with payload */
struct ttp_follow_seg {
	guint32 seq;		/* of the payload's first byte (a SYN's + 1) */
	guint32 sport;
	guint32 dport;
	tvbuff_t *payload;	/* NULL on a SYN without payload */
};

static int proto_ttp_follow = -1;
static int ttp_follow_tap = -1;
static dissector_handle_t ttp_follow_handle;

/*
 * Which directions of a follow have their first sequence number (bit
 * FROM_CLIENT, FROM_SERVER): follow_info_t * -> bits. A follow starts or
 * is reset (follow_reset_stream) with client_port 0, which clears its bits;
 * emptied when a file is closed.
 */
static GHashTable *ttp_follow_started;

/* ttp.lua's fields, looked up when a file is opened (Lua registers late) */
enum { F_STREAM, F_SPORT, F_DPORT, F_SEQ, F_FLAGS, F_PAYLOAD, F_NR };
static const char *const ttp_follow_names[F_NR] = {
	"ttp253.stream", "ttp253.srcport", "ttp253.dstport",
	"ttp253.seq", "ttp253.flags", "ttp253.payload",
};

static int ttp_follow_hf[F_NR] = { -1, -1, -1, -1, -1, -1 };

static field_info *ttp_follow_field(proto_tree *tree, int f)
{
	GPtrArray *a;

	if (ttp_follow_hf[f] < 0)
		return NULL;
	a = proto_get_finfo_ptr_array(tree, ttp_follow_hf[f]);
	if (!a || a->len != 1)	/* none, or TTP inside an ICMP error too */
		return NULL;
	return (field_info *)g_ptr_array_index(a, 0);
}

static gboolean ttp_follow_uint(proto_tree *tree, int f, guint32 *val)
{
	field_info *fi = ttp_follow_field(tree, f);

	if (!fi)
		return FALSE;
	*val = fvalue_get_uinteger(&fi->value);
	return TRUE;
}

static int ttp_follow_dissect(tvbuff_t *tvb _U_, packet_info *pinfo,
			      proto_tree *tree, void *data _U_)
{
	struct ttp_follow_seg seg = { 0 };
	guint32 flags;
	field_info *pl;

	if (!have_tap_listener(ttp_follow_tap) ||
	    !ttp_follow_uint(tree, F_SPORT, &seg.sport) ||
	    !ttp_follow_uint(tree, F_DPORT, &seg.dport) ||
	    !ttp_follow_uint(tree, F_SEQ, &seg.seq) ||
	    !ttp_follow_uint(tree, F_FLAGS, &flags))
		return 0;
	pl = ttp_follow_field(tree, F_PAYLOAD);
	if (pl && pl->length > 0)
		seg.payload = tvb_new_subset_length(pl->ds_tvb, pl->start,
						    pl->length);
	if (flags & TTP_F_SYN)
		seg.seq++;
	else if (!seg.payload)
		return 0;
	tap_queue_packet(ttp_follow_tap, pinfo,
			 wmem_memdup(pinfo->pool, &seg, sizeof(seg)));
	return 0;
}

static follow_record_t *ttp_follow_record(packet_info *pinfo, gboolean server,
					  guint32 seq, const guint8 *data,
					  guint len)
{
	follow_record_t *r = g_new0(follow_record_t, 1);

	r->is_server = server;
	r->packet_num = pinfo->num;
	r->abs_ts = pinfo->abs_ts;
	r->seq = seq;
	r->data = g_byte_array_append(g_byte_array_sized_new(len), data, len);
	return r;
}

/*
 * The bytes of [seq, seq + len) that follow info->seq[dir], appended in
 * order; bytes already shown are skipped, a segment past a gap is held
 */
static void ttp_follow_add(follow_info_t *info, packet_info *pinfo, int dir,
			   guint32 seq, const guint8 *data, guint len)
{
	gint32 ahead = (gint32)(seq - info->seq[dir]);
	follow_record_t *r;
	guint skip;

	if (ahead > 0) {
		r = ttp_follow_record(pinfo, dir, seq, data, len);
		info->fragments[dir] = g_list_append(info->fragments[dir], r);
		return;
	}
	skip = (guint)-ahead;
	if (skip >= len)
		return;
	r = ttp_follow_record(pinfo, dir, seq + skip, data + skip, len - skip);
	info->payload = g_list_prepend(info->payload, r);
	info->bytes_written[dir] += len - skip;
	info->seq[dir] = seq + len;
}

/* Held segments that the bytes just added reach, in turn */
static void ttp_follow_drain(follow_info_t *info, packet_info *pinfo, int dir)
{
	GList *l = info->fragments[dir];

	while (l) {
		follow_record_t *r = l->data;

		if ((gint32)(r->seq - info->seq[dir]) > 0) {
			l = l->next;
			continue;
		}
		info->fragments[dir] = g_list_delete_link(info->fragments[dir], l);
		ttp_follow_add(info, pinfo, dir, r->seq, r->data->data,
			       r->data->len);
		g_byte_array_free(r->data, TRUE);
		g_free(r);
		l = info->fragments[dir];
	}
}

/* The first segment of a direction, a SYN or not, gives its first number */
static void ttp_follow_start(follow_info_t *info, int dir, guint32 seq)
{
	guint bits = GPOINTER_TO_UINT(g_hash_table_lookup(ttp_follow_started,
							  info));

	if (bits & (1u << dir))
		return;
	info->seq[dir] = seq;
	g_hash_table_insert(ttp_follow_started, info,
			    GUINT_TO_POINTER(bits | 1u << dir));
}

static tap_packet_status ttp_follow_packet(void *tapdata, packet_info *pinfo,
					   epan_dissect_t *edt _U_,
					   const void *data, tap_flags_t flags _U_)
{
	follow_info_t *info = tapdata;
	const struct ttp_follow_seg *seg = data;
	guint len;
	int dir;

	if (info->client_port == 0) {
		g_hash_table_remove(ttp_follow_started, info);
		info->client_port = seg->sport;
		copy_address(&info->client_ip, &pinfo->src);
		info->server_port = seg->dport;
		copy_address(&info->server_ip, &pinfo->dst);
	}
	dir = addresses_equal(&info->client_ip, &pinfo->src) &&
	      info->client_port == seg->sport ? FROM_CLIENT : FROM_SERVER;
	ttp_follow_start(info, dir, seg->seq);
	if (!seg->payload)
		return TAP_PACKET_DONT_REDRAW;
	len = tvb_captured_length(seg->payload);
	ttp_follow_add(info, pinfo, dir, seg->seq,
		       tvb_get_ptr(seg->payload, 0, len), len);
	ttp_follow_drain(info, pinfo, dir);
	return TAP_PACKET_DONT_REDRAW;
}

static gchar *ttp_follow_conv_filter(epan_dissect_t *edt,
				     packet_info *pinfo _U_,
				     guint *stream, guint *sub_stream _U_)
{
	guint32 s;

	if (!edt || !ttp_follow_uint(edt->tree, F_STREAM, &s))
		return NULL;
	*stream = s;
	return g_strdup_printf("ttp253.stream eq %u", s);
}

static gchar *ttp_follow_index_filter(guint stream, guint sub_stream _U_)
{
	return g_strdup_printf("ttp253.stream eq %u", stream);
}

static gchar *ttp_follow_address_filter(address *src, address *dst,
					int sport, int dport)
{
	static const char one_way[] =
		"(ip.src eq %s and ttp253.srcport eq %d and ip.dst eq %s and ttp253.dstport eq %d)";
	gchar *s = address_to_str(NULL, src), *d = address_to_str(NULL, dst);
	gchar *there = g_strdup_printf(one_way, s, sport, d, dport);
	gchar *back = g_strdup_printf(one_way, d, dport, s, sport);
	gchar *f = g_strconcat(there, " or ", back, NULL);

	g_free(there);
	g_free(back);
	wmem_free(NULL, s);
	wmem_free(NULL, d);
	return f;
}

static gchar *ttp_follow_port(wmem_allocator_t *scope, guint port)
{
	return wmem_strdup_printf(scope, "%u", port);
}

/* Each file: ttp.lua's field ids (now registered), wanted by the postdissector */
static void ttp_follow_init(void)
{
	GArray *wanted = g_array_new(FALSE, FALSE, sizeof(int));
	int f;

	for (f = 0; f < F_NR; f++) {
		ttp_follow_hf[f] = proto_registrar_get_id_byname(ttp_follow_names[f]);
		if (ttp_follow_hf[f] >= 0)
			g_array_append_val(wanted, ttp_follow_hf[f]);
	}
	set_postdissector_wanted_hfids(ttp_follow_handle, wanted);
}

static void ttp_follow_cleanup(void)
{
	g_hash_table_remove_all(ttp_follow_started);
}

static void ttp_follow_register(void)
{
	ttp_follow_started = g_hash_table_new(g_direct_hash, g_direct_equal);
	proto_ttp_follow = proto_register_protocol("TTP Follow Stream (ttp253)",
						   "TTP253-Follow", "ttp253_follow");
	ttp_follow_tap = register_tap("ttp253_follow");
	register_init_routine(ttp_follow_init);
	register_cleanup_routine(ttp_follow_cleanup);
}

static void ttp_follow_handoff(void)
{
	ttp_follow_handle = create_dissector_handle(ttp_follow_dissect,
						    proto_ttp_follow);
	register_postdissector(ttp_follow_handle);
	register_follow_stream(proto_ttp_follow, "ttp253_follow",
			       ttp_follow_conv_filter, ttp_follow_index_filter,
			       ttp_follow_address_filter, ttp_follow_port,
			       ttp_follow_packet);
}

void plugin_register(void)
{
	static proto_plugin plug;

	plug.register_protoinfo = ttp_follow_register;
	plug.register_handoff = ttp_follow_handoff;
	proto_register_plugin(&plug);
}
