#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stress.sh (make stress): the adversarial tools' big doses on the debug kernel (KASAN,
# lockdep, kmemleak), two VMs at once, through check.sh (its table, dmesg and kmemleak
# checks), each VM ending with unload.sh:
#   stream_fuzz  STRESS_PACKETS fuzzed packets (default 1,000,000: 70 % in the first
#                VM, 30 % in the second, each with its own seed) and, in the first,
#                a flood of STRESS_SYNS SYNs (100,000) while a real client connects
#                (the second floods with the debug kernel's short dose, 5,000)
#   socket_fuzz  STRESS_CALLS random socket calls from four threads (100,000)
#   failslab.sh  failslab and fail_page_alloc on the datagram and stream paths
#   unload.sh    among its cases, a namespace deleted with sockets in every state
#   reload.sh    STRESS_CYCLES insmod/rmmod cycles with traffic between them (100)
#   stream_netem.sh  the netem cells, the 20% loss one also with the default backoff
# Pass: every case, no kernel report, nothing in kmemleak, the module removable at
# the end. The last line is check.sh's "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."
packets=${STRESS_PACKETS:-1000000}
export FUZZ_CALLS=${STRESS_CALLS:-100000} FLOOD_SYNS=${STRESS_SYNS:-100000} \
	CYCLES=${STRESS_CYCLES:-100} NETEM_DEFAULT_BACKOFF=1
# measured there with both VMs running (one vCPU thread busy in each under TCG, on 2
# cores): 1,000,000 packets take about 61 min, 100,000 SYNs 7, a reload cycle 14 s, the
# rest of the second VM 20: the 70/30 split gives each VM about 55 min. The limits
# leave half as much again.
first="FUZZ_PACKETS=$((packets * 7 / 10)) stream_fuzz unload.sh"
second="FUZZ_PACKETS=$((packets - packets * 7 / 10)) FLOOD_SYNS=5000 stream_fuzz socket_fuzz"
second+=" failslab.sh reload.sh stream_netem.sh unload.sh"
export TTP_VM_TIMEOUT=${TTP_VM_TIMEOUT:-5400} TTP_PROG_TIMEOUT=${TTP_PROG_TIMEOUT:-4800} \
	TTP_CHECK_PARTS="$first;$second"
exec selftests/vm/check.sh debug
