/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * TTP, the Tiny Transport Protocol: the interface userspace compiles against.
 *
 * Usable from plain C with "-I uapi" and nothing else.
 */
#ifndef _UAPI_LINUX_TTP_H
#define _UAPI_LINUX_TTP_H

#include <linux/types.h>
#include <linux/socket.h>	/* __kernel_sa_family_t */
#ifdef __KERNEL__
#include <linux/in.h>		/* struct in_addr */
#else
/* libc's, so that this header goes before or after <netinet/in.h> alike */
#include <netinet/in.h>
#endif

/*
 * The socket family. Linux has no free number at or above AF_MAX (46), so
 * TTP reuses 22, once reserved for IBM SNA and never implemented. The module
 * parameter "family" can move it; /sys/module/ttp/parameters/family tells
 * which number the loaded module uses.
 */
#define AF_TTP		22
#define PF_TTP		AF_TTP

/* The IP protocol number: 253 is reserved for experimentation (RFC 3692). */
#define IPPROTO_TTP	253

/* Socket-option level for TTP options (setsockopt/getsockopt). */
#define SOL_TTP		IPPROTO_TTP

/*
 * SOL_TTP options (int). TTP_CORK: while non-zero, sends are gathered into
 * one datagram, sent when the option is cleared (as UDP_CORK).
 */
#define TTP_CORK	1

/* The TTP socket address: laid out and padded exactly like sockaddr_in. */
struct sockaddr_ttp {
	__kernel_sa_family_t	sttp_family;	/* AF_TTP */
	__be16			sttp_port;	/* port, network byte order */
	struct in_addr		sttp_addr;	/* IPv4 address, network order */
	unsigned char		sttp_zero[8];	/* pad to sizeof(sockaddr) */
};

/*
 * The wire header, common to both modes (docs/protocol.md has the diagram).
 * All multi-byte fields are in network byte order.
 *
 *   source, dest  ports
 *   len           bytes of TTP header plus payload
 *   check         Internet checksum over the pseudo-header (source and
 *                 destination address, zero, protocol, len), header and
 *                 payload
 *   ver_type      version in the high nibble (TTP_VERSION), packet type in
 *                 the low nibble (TTP_TYPE_*)
 *   doff          header length in 32-bit words (3 for a datagram); later
 *                 types append their own fields after these 12 bytes
 *   flags         type-specific flags (0 for a datagram)
 */
struct ttphdr {
	__be16	source;
	__be16	dest;
	__be16	len;
	__sum16	check;
	__u8	ver_type;
	__u8	doff;
	__be16	flags;
};

#define TTP_VERSION		1
#define TTP_HDR_LEN		12	/* sizeof(struct ttphdr) */
#define TTP_TYPE_DGRAM		1
#define TTP_TYPE_STREAM		2
#define TTP_VER_TYPE(ver, type)	((__u8)(((ver) << 4) | ((type) & 0x0f)))
#define TTP_HDR_VERSION(h)	((h)->ver_type >> 4)
#define TTP_HDR_TYPE(h)		((h)->ver_type & 0x0f)

/* The largest datagram payload one IPv4 packet can carry: 65535 - 20 - 12. */
#define TTP_MAX_DGRAM		65503

/*
 * The stream header (Type 2): the common header, then these three words,
 * then options up to doff * 4 bytes (docs/protocol.md, section 5).
 *
 *   seq    sequence number of the first payload byte (of a SYN: the ISN)
 *   ack    next sequence number expected, valid with TTP_ACK
 *   wnd    bytes the sender accepts beyond ack (unscaled)
 */
struct ttp_streamhdr {
	struct ttphdr	th;
	__be32		seq;
	__be32		ack;
	__be32		wnd;
};

#define TTP_STREAM_HDR_LEN	24	/* sizeof(struct ttp_streamhdr) */

/* Stream flags, in the common header's flags field (host order values). */
#define TTP_SYN			0x0001
#define TTP_ACK			0x0002
#define TTP_FIN			0x0004
#define TTP_RST			0x0008

/* Stream options: kind, length (including kind and length), value. */
#define TTP_OPT_EOL		0
#define TTP_OPT_NOP		1
#define TTP_OPT_MSS		2	/* length 4: 16-bit MSS, SYN only */
#define TTP_OPT_SACK_PERM	4	/* length 2, SYN only (reserved) */
#define TTP_OPT_SACK		5	/* length 2 + 8n (reserved) */
#define TTP_OPT_TS		8	/* length 10: TSval, TSecr (RFC 7323) */
#define TTP_OPT_MSS_LEN		4
#define TTP_OPT_TS_LEN		10

/* More SOL_TTP options (int unless said otherwise), for streams. */
#define TTP_NODELAY		2	/* send at once: no Nagle, as TCP_NODELAY */
#define TTP_INFO		3	/* struct ttp_info, read-only */
#define TTP_KEEPIDLE		4	/* seconds idle before keepalive probes */
#define TTP_KEEPINTVL		5	/* seconds between probes */
#define TTP_KEEPCNT		6	/* unanswered probes before the abort */
/*
 * The congestion control algorithm, a string as TCP_CONGESTION: "cubic"
 * (the default) or "newreno"; getsockopt copies up to TTP_CA_NAME_MAX
 * bytes, NUL-padded. Unknown names fail with ENOENT.
 */
#define TTP_CONGESTION		7
#define TTP_CA_NAME_MAX		16
/*
 * Both types: while non-zero, the socket takes a sockaddr_in (AF_INET)
 * wherever it takes a sockaddr_ttp, and gives its addresses (getsockname,
 * getpeername, accept, recvfrom, the error queue) as AF_INET. The two are
 * laid out alike. An accepted connection has its listener's setting. For
 * ttp-run, which runs unmodified IPv4 programs over TTP.
 */
#define TTP_INET_ADDRS		8

/* getsockopt(SOL_TTP, TTP_INFO): a stream connection's state and figures. */
struct ttp_info {
	__u8	ttpi_state;		/* TCP_ESTABLISHED etc. (TCP's values) */
	__u8	ttpi_pad[3];
	__u32	ttpi_rtt;		/* smoothed RTT, us */
	__u32	ttpi_rttvar;		/* RTT variance, us */
	__u32	ttpi_rto;		/* retransmission timeout, us */
	__u32	ttpi_snd_cwnd;		/* congestion window, bytes */
	__u32	ttpi_snd_ssthresh;	/* slow-start threshold, bytes */
	__u32	ttpi_snd_wnd;		/* the peer's advertised window, bytes */
	__u32	ttpi_snd_mss;		/* largest segment payload sent */
	__u32	ttpi_rcv_wnd;		/* window advertised to the peer, bytes */
	__u32	ttpi_retransmits;	/* timeouts since the last progress */
	__u64	ttpi_bytes_sent;	/* payload bytes sent, retransmissions too */
	__u64	ttpi_bytes_retrans;	/* payload bytes retransmitted */
	__u64	ttpi_bytes_acked;	/* payload bytes the peer acknowledged */
	__u64	ttpi_bytes_received;	/* payload bytes received in order */
	__u64	ttpi_segs_out;		/* segments sent */
	__u64	ttpi_segs_in;		/* segments received */
	__u64	ttpi_segs_retrans;	/* segments retransmitted */
};

#endif /* _UAPI_LINUX_TTP_H */
