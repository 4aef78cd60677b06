#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# stress.sh (make stress): the adversarial tools' big doses on the debug kernel (KASAN,
# lockdep, kmemleak), two VMs at once, through check.sh (its table, dmesg and kmemleak
# checks), the packet fuzzer in one, the rest in the other (each ends with unload.sh):
#   stream_fuzz  STRESS_PACKETS fuzzed packets (default 1,000,000) and a flood of
#                STRESS_SYNS SYNs (100,000) while a real client connects
#   socket_fuzz  STRESS_CALLS random socket calls from four threads (100,000)
#   failslab.sh  failslab on the datagram and stream paths
#   unload.sh    among its cases, a namespace deleted with sockets in every state
#   reload.sh    STRESS_CYCLES insmod/rmmod cycles with traffic between them (100)
#   stream_netem.sh  the netem cells, the 20% loss one also with the default backoff
# Pass: every case, no kernel report, nothing in kmemleak, the module removable at
# the end. The last line is check.sh's "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."
export FUZZ_PACKETS=${STRESS_PACKETS:-1000000} FUZZ_CALLS=${STRESS_CALLS:-100000} \
	FLOOD_SYNS=${STRESS_SYNS:-100000} CYCLES=${STRESS_CYCLES:-100} \
	NETEM_DEFAULT_BACKOFF=1
# measured there: 1,000,000 packets take about 50 min, a reload cycle 20 s, so the
# two VMs take about an hour each (one vCPU thread each under TCG: 2 cores, no
# slowdown); the limits leave half as much again
export TTP_VM_TIMEOUT=${TTP_VM_TIMEOUT:-5400} TTP_PROG_TIMEOUT=${TTP_PROG_TIMEOUT:-4800} \
	TTP_CHECK_PARTS="stream_fuzz unload.sh; socket_fuzz failslab.sh reload.sh stream_netem.sh unload.sh"
exec selftests/vm/check.sh debug
