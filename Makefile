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
#   make install         ttp.ko for the running kernel (KREL) into updates/, the
#                        tools, ttp-run, ttp.h, ttp(7), the Wireshark dissector
#   make uninstall       removes what make install installed
#   make dkms            the sources to /usr/src/ttp-VERSION, dkms install: built
#                        for every kernel installed from now on (dkms-remove)
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

# ---- install ------------------------------------------------------------
# make install: ttp.ko for KREL (default the running kernel; its headers,
# /lib/modules/KREL/build, build it) into /lib/modules/KREL/updates plus
# depmod; the tools, ttp-run and its library, the uapi header and ttp(7)
# under PREFIX; the Wireshark dissector into Wireshark's global Lua plugin
# folder (WIRESHARK_PLUGINDIR) and, when libwireshark-dev built it, its
# Follow Stream plugin into the epan folder of the Wireshark it was built
# for (WIRESHARK_EPAN_PLUGINDIR). DESTDIR works as usual (then no depmod).
# make uninstall removes exactly these.
PREFIX ?= /usr/local
KREL ?= $(shell uname -r)
WIRESHARK_PLUGINDIR ?= $(or $(shell tshark -G folders 2>/dev/null | \
	sed -n 's/^Global Lua Plugins:[[:space:]]*//p'),$(PREFIX)/lib/wireshark/plugins)
INST_KO := $(DESTDIR)/lib/modules/$(KREL)/updates/ttp.ko
INST_BIN := $(addprefix $(DESTDIR)$(PREFIX)/bin/,ttpcat ttpstat ttpperf ttp-run)
INST_LIB := $(DESTDIR)$(PREFIX)/lib/ttp/libttp-run.so
INST_HDR := $(DESTDIR)$(PREFIX)/include/linux/ttp.h
INST_MAN := $(DESTDIR)$(PREFIX)/share/man/man7/ttp.7
INST_LUA := $(DESTDIR)$(WIRESHARK_PLUGINDIR)/ttp.lua
WIRESHARK_EPAN_PLUGINDIR ?= $(shell pkg-config --variable=plugindir wireshark 2>/dev/null)/epan
INST_FOLLOW := $(DESTDIR)$(WIRESHARK_EPAN_PLUGINDIR)/ttp_follow.so

install: userspace
	@test -d /lib/modules/$(KREL)/build || \
		{ echo "no headers for $(KREL) (/lib/modules/$(KREL)/build): install linux-headers-$(KREL)"; exit 1; }
	mkdir -p $(BUILD)/install-$(KREL)
	cp -a Kbuild module uapi $(BUILD)/install-$(KREL)/
	$(MAKE) -C /lib/modules/$(KREL)/build M=$(BUILD)/install-$(KREL) modules
	install -D -m 0644 $(BUILD)/install-$(KREL)/ttp.ko $(INST_KO)
	$(if $(DESTDIR),,depmod -a $(KREL))
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BUILD)/userspace/,ttpcat ttpstat ttpperf ttp-run) \
		$(DESTDIR)$(PREFIX)/bin/
	install -D -m 0644 $(BUILD)/userspace/libttp-run.so $(INST_LIB)
	install -D -m 0644 uapi/linux/ttp.h $(INST_HDR)
	install -D -m 0644 docs/ttp.7 $(INST_MAN)
	install -D -m 0644 userspace/wireshark/ttp.lua $(INST_LUA)
	if [ -f $(BUILD)/userspace/ttp_follow.so ]; then \
		install -D -m 0644 $(BUILD)/userspace/ttp_follow.so $(INST_FOLLOW); fi

uninstall:
	rm -f $(INST_KO) $(INST_BIN) $(INST_LIB) $(INST_HDR) $(INST_MAN) $(INST_LUA) $(INST_FOLLOW)
	-rmdir $(dir $(INST_LIB)) 2>/dev/null
	$(if $(DESTDIR),,depmod -a $(KREL))

# ---- DKMS -----------------------------------------------------------------
# make dkms: the module's sources into /usr/src/ttp-VERSION and dkms install
# (it builds for the running kernel now and for each kernel installed
# later); make dkms-remove: dkms remove --all and the sources removed.
# DKMS_SRC: where the sources go (default /usr/src; the tests use their own).
TTP_VERSION ?= $(or $(shell git log -1 --format=0.%cd --date=format:%Y%m%d%H%M 2>/dev/null),0.0)
DKMS_SRC ?= /usr/src

dkms-src:
	rm -rf $(DKMS_SRC)/ttp-$(TTP_VERSION)
	mkdir -p $(DKMS_SRC)/ttp-$(TTP_VERSION)
	cp -a Kbuild module uapi $(DKMS_SRC)/ttp-$(TTP_VERSION)/
	rm -f $(DKMS_SRC)/ttp-$(TTP_VERSION)/module/dkms.conf
	sed 's/@VERSION@/$(TTP_VERSION)/' module/dkms.conf > $(DKMS_SRC)/ttp-$(TTP_VERSION)/dkms.conf

dkms: dkms-src
	dkms install -m ttp -v $(TTP_VERSION)

dkms-remove:
	-dkms remove -m ttp -v $(TTP_VERSION) --all
	rm -rf $(DKMS_SRC)/ttp-$(TTP_VERSION)

# compat.h exists to compare kernel versions: only it may use LINUX_VERSION_CODE.
# ttp_trace.h's TRACE_EVENT()s are laid out as include/trace/events/*.h are:
# one macro argument per line, which --strict's layout checks do not know,
# and field lists in macros, as their TP_STORE_*() (COMPLEX_MACRO).
CHECKPATCH = $$ksrc/scripts/checkpatch.pl --strict --no-tree --show-types \
	--ignore FILE_PATH_CHANGES -q
LINT_OWN := module/compat.h module/ttp_trace.h
lint:
	@ksrc=$$($(VM)/ksrc.sh) && \
	$(CHECKPATCH) -f $(filter-out $(LINT_OWN),$(wildcard module/*.[ch])) \
		uapi/linux/*.h && \
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f module/compat.h && \
	$(CHECKPATCH) --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,COMPLEX_MACRO \
		-f module/ttp_trace.h && echo "lint: checkpatch --strict clean" && \
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
	unit unit-coverage clean install uninstall dkms-src dkms dkms-remove
