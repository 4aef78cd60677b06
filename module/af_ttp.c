// SPDX-License-Identifier: GPL-2.0
/*
 * TTP, the Tiny Transport Protocol: module init and exit, the socket
 * family, and the tables that tie TTP into the socket layer and into IPv4.
 *
 * Init registers, in this order, and exit and every failure unwind in the
 * exact reverse: per-namespace state, the datagram's memory accounting
 * (net.ttp.dgram_mem) and proto, the stream's memory accounting
 * (net.ttp.mem) and proto, the socket family, the IP protocol handler. So
 * no packet reaches ttp_rcv() before the state it uses exists, and none is
 * still in flight when that state goes.
 */
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/protocol.h>

#include "stream.h"

int ttp_family = AF_TTP;
module_param_named(family, ttp_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number (default 22, AF_TTP)");

int ttp_protocol = IPPROTO_TTP;
module_param_named(protocol, ttp_protocol, int, 0444);
MODULE_PARM_DESC(protocol, "IP protocol number (default 253, IPPROTO_TTP)");

static struct proto ttp_proto = {
	.name		= "TTP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct ttp_sock),
};

/*
 * A socket made by the kernel (sock_create_kern(), @kern 1) does not hold a
 * reference to its namespace: its maker must close it before the namespace
 * goes, and TTP would have to let go of the per-namespace state (ports,
 * stream timers) in step with that. TTP has no kernel users, so it offers
 * none of that: to the kernel the family does not exist (EAFNOSUPPORT, what
 * socket creation gives for an unregistered family; docs/protocol.md 4.2).
 */
static int ttp_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	const struct proto_ops *ops;
	struct proto *prot;
	struct sock *sk;

	if (kern)
		return -EAFNOSUPPORT;
	if (protocol && protocol != ttp_protocol)
		return -EPROTONOSUPPORT;

	switch (sock->type) {
	case SOCK_DGRAM:
		ops = &ttp_dgram_ops;
		prot = &ttp_proto;
		break;
	case SOCK_STREAM:
		ops = &ttp_stream_ops;
		prot = &ttp_stream_proto;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}

	sk = sk_alloc(net, ttp_family, GFP_KERNEL, prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->state = SS_UNCONNECTED;
	sock->ops = ops;
	sock_init_data(sock, sk);
	if (sock->type == SOCK_STREAM)
		ttp_stream_init_sock(sk);
	else
		ttp_sock_init(sk);
	ttp_custom_sol_socket(sock);
	return 0;
}

static struct net_proto_family ttp_family_ops = {
	.create	= ttp_create,
	.owner	= THIS_MODULE,
};

static struct net_protocol ttp_ip_protocol = {
	.handler	= ttp_rcv,
	.err_handler	= ttp_err,
};

static int __init ttp_check_params(void)
{
	if (ttp_family <= 0 || ttp_family >= AF_MAX) {
		pr_err("ttp: module parameter family=%d must be between 1 and %d\n",
		       ttp_family, AF_MAX - 1);
		return -EINVAL;
	}
	if (ttp_protocol <= 0 || ttp_protocol >= MAX_INET_PROTOS) {
		pr_err("ttp: module parameter protocol=%d must be between 1 and %d\n",
		       ttp_protocol, MAX_INET_PROTOS - 1);
		return -EINVAL;
	}
	return 0;
}

static int __init ttp_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct ttphdr) != TTP_HDR_LEN);
	BUILD_BUG_ON(sizeof(struct ttp_streamhdr) != TTP_STREAM_HDR_LEN);
	BUILD_BUG_ON(sizeof(struct ttp_stream_cb) >
		     sizeof_field(struct sk_buff, cb) - sizeof(struct sock_skb_cb));
	BUILD_BUG_ON(sizeof(struct sockaddr_ttp) != sizeof(struct sockaddr));
	BUILD_BUG_ON(TTP_MAX_DGRAM != 0xffff - sizeof(struct iphdr) - TTP_HDR_LEN);

	err = ttp_check_params();
	if (err)
		return err;

	err = ttp_net_register();
	if (err)
		return err;

	err = ttp_dgram_mem_init(&ttp_proto);
	if (err)
		goto out_net;

	err = proto_register(&ttp_proto, 1);
	if (err)
		goto out_dgram_mem;

	err = ttp_mem_init(&ttp_stream_proto);
	if (err)
		goto out_proto;

	err = proto_register(&ttp_stream_proto, 1);
	if (err)
		goto out_mem;

	ttp_family_ops.family = ttp_family;
	err = sock_register(&ttp_family_ops);
	if (err) {
		if (err == -EEXIST)
			pr_err("ttp: socket family %d is taken: load with another module parameter family=\n",
			       ttp_family);
		goto out_stream;
	}

	/* the offload first: a packet of the protocol's may then be cut */
	if (ttp_gso_init() < 0) {
		pr_err("ttp: IP protocol %d has an offload already: load with another module parameter protocol=\n",
		       ttp_protocol);
		err = -EBUSY;
		goto out_sock;
	}

	if (inet_add_protocol(&ttp_ip_protocol, ttp_protocol) < 0) {
		pr_err("ttp: IP protocol %d is taken: load with another module parameter protocol=\n",
		       ttp_protocol);
		err = -EBUSY;
		goto out_gso;
	}
	pr_info("ttp: family %d, IP protocol %d\n", ttp_family, ttp_protocol);
	return 0;

out_gso:
	ttp_gso_exit();
out_sock:
	sock_unregister(ttp_family);
out_stream:
	proto_unregister(&ttp_stream_proto);
out_mem:
	ttp_mem_exit();
out_proto:
	proto_unregister(&ttp_proto);
out_dgram_mem:
	ttp_dgram_mem_exit();
out_net:
	ttp_net_unregister();
	return err;
}

static void __exit ttp_exit(void)
{
	inet_del_protocol(&ttp_ip_protocol, ttp_protocol);
	ttp_gso_exit();
	sock_unregister(ttp_family);
	proto_unregister(&ttp_stream_proto);
	ttp_mem_exit();
	proto_unregister(&ttp_proto);
	ttp_dgram_mem_exit();
	ttp_net_unregister();
}

module_init(ttp_init);
module_exit(ttp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TTP, the Tiny Transport Protocol");
MODULE_AUTHOR("The TTP developers");
