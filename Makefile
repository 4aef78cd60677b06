# SPDX-License-Identifier: GPL-2.0
#
# TTP, the Tiny Transport Protocol.
#
#   make                 module (for KVER), userspace tools and selftests
#   make KVER=6.1        the same for another kernel: 6.1, 6.12, sid, debug
#                        or a release such as 6.1.0-56-amd64
#   make run             set up, boot a VM, show TTP between two namespaces
#   make check           the whole suite on every supported kernel
#   make check KVER=...  the suite on the kernels named (KVER=6.1,6.12)
#   make lint            checkpatch.pl --strict on module/ and uapi/
#   make fresh           make run + make check in a fresh minimal Debian 12 root
#                        (debootstrap, a clean clone of HEAD; ~30 min, as root)
#   make unit            unit tests of the stream's pure logic, on the host
#   make unit-coverage   the same with gcov: branch coverage of that logic
#   make mutants         mutation testing: does the suite kill each mutant of
#                        selftests/mutants/ (one kernel, 6.12; slow, not in CI)
#   make bench           ttpperf: TTP against TCP, UDP and AF_UNIX in one VM run
#                        (KVER, default 6.12): docs/bench/, the README's table
#   make stress          the fuzzers' big doses, a SYN flood, namespace deletion
#                        in every state and insmod/rmmod cycles, on the debug
#                        kernel (selftests/vm/stress.sh; long, not in CI)
#
# The kernel's own build reads ./Kbuild; this file is for people.

KVER ?= 6.12
VM := selftests/vm
BUILD := $(CURDIR)/build

all: module userspace selftests

module:
	$(VM)/build-module.sh $(KVER)

userspace:
	$(MAKE) -C userspace O=$(BUILD)/userspace

# The selftests build the kernel's way (kselftest_harness.h, lib.mk from Debian's
# linux-source package), in a private tree under build/ whose harness files link
# into the extracted source: two checkouts can build at once.
selftests:
	@ksrc=$$($(VM)/ksrc.sh) && kst=$(BUILD)/ksft/tools/testing/selftests && \
	dst=$$kst/net/ttp && rm -rf $$dst && mkdir -p $$dst && \
	for f in lib.mk kselftest.h kselftest_harness.h kselftest; do \
		ln -sfn $$ksrc/tools/testing/selftests/$$f $$kst/$$f; done && \
	find selftests -maxdepth 1 -type f -exec cp {} $$dst/ \; && \
	cp -r selftests/drill $$dst/ && \
	$(MAKE) -C $$dst OUTPUT=$(BUILD)/selftests TTP_UAPI=$(CURDIR)/uapi

deps:
	$(VM)/deps.sh

run:
	$(VM)/demo.sh

fresh:
	$(VM)/fresh.sh

check:
	$(VM)/check.sh $(if $(filter command line,$(origin KVER)),$(KVER))

mutants:
	$(VM)/mutants.sh

stress:
	$(VM)/stress.sh

bench:
	KVER=$(KVER) $(VM)/bench.sh

# compat.h exists to compare kernel versions: only it may use LINUX_VERSION_CODE.
CHECKPATCH = $$ksrc/scripts/checkpatch.pl --strict --no-tree --show-types \
	--ignore FILE_PATH_CHANGES -q
lint:
	@ksrc=$$($(VM)/ksrc.sh) && \
	$(CHECKPATCH) -f $(filter-out module/compat.h,$(wildcard module/*.[ch])) \
		uapi/linux/*.h && \
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f module/compat.h && echo "lint: checkpatch --strict clean" && \
	out=$$(groff -man -ww -z docs/ttp.7 2>&1) && [ -z "$$out" ] && \
	echo "lint: docs/ttp.7 groff -ww clean" || { echo "$$out"; exit 1; }

# The pure logic of the stream (module/seq.h, and the sources in UNIT_LOGIC: no
# kernel calls) compiled for the host with selftests/unit/shim standing in for
# the kernel headers it includes, and run: TAP output, seconds, no VM or kernel
# tree.
UNIT_LOGIC := module/rto.c module/cong.c module/cubic.c module/ofo.c
UNIT_SRC := $(UNIT_LOGIC) $(wildcard selftests/unit/*.c)
UNIT_CFLAGS := -std=gnu11 -g -Wall -Wextra -Wno-unused-parameter -Werror \
	-I$(CURDIR)/selftests/unit/shim
UNIT_SAN = $(shell echo 'int main(void) { return 0; }' | \
	$(CC) -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null && \
	echo -fsanitize=address,undefined -fno-sanitize-recover=all)

unit:
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -O1 $(UNIT_SAN) -o $(BUILD)/unit/unit $(UNIT_SRC)
	$(BUILD)/unit/unit

unit-coverage:
	@rm -rf $(BUILD)/unit-cov && mkdir -p $(BUILD)/unit-cov && \
	cd $(BUILD)/unit-cov && \
	for f in $(addprefix $(CURDIR)/,$(UNIT_SRC)); do \
		$(CC) $(UNIT_CFLAGS) -O0 --coverage -c $$f \
			-o $$(basename $$f .c).o || exit 1; done && \
	$(CC) --coverage -o unit *.o && ./unit >/dev/null && \
	gcov -b -o . $(addprefix $(CURDIR)/,$(UNIT_LOGIC)) | \
		grep -A3 "^File '.*module/[a-z]*\.c'" && \
	gcov -b -o . seq_test.o | grep -A3 "^File '.*module/seq.h'"

clean:
	rm -rf $(BUILD)

.PHONY: all module userspace selftests deps run fresh check mutants stress bench lint \
	unit unit-coverage clean
