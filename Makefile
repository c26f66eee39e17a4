# matrixc - declarative build-matrix compiler.
#
#   make            build build/matrixc
#   make generate   build, then regenerate generated/ from matrix.yaml
#   make test       the test suite (unit, golden cases, consumers, update,
#                   registry)
#   make asan       the same suite under AddressSanitizer + UBSan
#   make e2e        build real CPython images (3.13, 2.7) with buildah (slow, root)
#   make fresh      the README's first command on a fresh Debian 12 (root)
#   make test-all   test, asan, e2e and fresh: what CI runs
#   make bench      benchmark (prints figures)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each
#   make valgrind   the golden cases under valgrind memcheck
#   make deps       install the Debian packages the build needs (idempotent)
#   make test-deps  and those the tests need
#   make install    PREFIX=/usr/local DESTDIR= (the binary, the manual page,
#                   bash and zsh completion)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
BUILD ?= build

# pkg-config runs when a recipe needs its answer, not when make reads this
# file: in `make deps generate`, deps installs pkg-config and the -dev
# packages first. So the flags are recursively expanded (=), used only in
# recipes and never in a prerequisite list.
# libcurl and libcrypto are compiled against (their headers) but loaded at
# run time by http.c and digest.c (dynlib.h), so only `update` pays for
# them; the packages must still be installed.
PKG_CFLAGS = $(shell pkg-config --cflags yaml-0.1 lua5.4 jansson libcurl \
	libcrypto 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs yaml-0.1 jansson lua5.4 2>/dev/null) -ldl
# With deps among the goals, everything that compiles waits for it, also
# under make -j (which would start the goals together).
AFTER_DEPS := $(filter deps test-deps,$(MAKECMDGOALS))

CC ?= cc
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=c11 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Iinclude $(PKG_CFLAGS) $(OPT) $(SAN) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# The Debian packages the build and the tests need.
DEB_BUILD := gcc make pkg-config libyaml-dev liblua5.4-dev \
	libcurl4-openssl-dev libjansson-dev libssl-dev libcurl4
DEB_TEST := git perl python3 pre-commit clang time \
	libclang-rt-14-dev valgrind bsdutils buildah debootstrap python3-yaml \
	python3-jsonschema zsh docker-registry skopeo openssl curl \
	ca-certificates xz-utils dpkg-dev strace rsync busybox
NPM_TOOLS := gitlab-ci-local@4.73.0 dockerfile-utils@0.16.3
TOOLS ?= $(CURDIR)/build/tools

all: $(BUILD)/matrixc

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/lib.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/matrixc: $(BUILD)/obj/main.o $(BUILD)/lib.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(BUILD)/obj/main.o $(BUILD)/lib.a $(PKG_LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/lib.a | $(BUILD)/unit
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(BUILD)/lib.a $(PKG_LIBS)

$(BUILD)/obj $(BUILD)/unit: | $(AFTER_DEPS)
	mkdir -p $@

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d
# A header that a dependency file names but that no longer exists (renamed
# or removed since that object was built) makes its object out of date
# instead of stopping make; -MP does the same for files built from now on.
include/%.h: ;

generate: $(BUILD)/matrixc
	$(BUILD)/matrixc generate

units: $(UNIT_BIN)

# Consumers of generated output (pinned npm packages), installed outside
# the source tree.
tools: $(TOOLS)/.stamp
$(TOOLS)/.stamp: | $(AFTER_DEPS)
	mkdir -p $(TOOLS)
	cd $(TOOLS) && npm install --no-audit --no-fund --loglevel=error $(NPM_TOOLS)
	touch $@

test: $(BUILD)/matrixc units tools
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc UNIT_DIR=$(CURDIR)/$(BUILD)/unit \
	TOOLS=$(TOOLS) prove -r tests/

# Sanitizer build in its own directory; leaks are reported by LSan.
asan:
	$(MAKE) BUILD=build/asan OPT='-O1 -g' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		TOOLS=$(TOOLS) test

test-all: test asan e2e fresh

# real images, built offline from the generated files (docs/e2e.md):
# every Debian release the shipped matrix uses, bookworm (3.13) and
# bullseye (2.7)
e2e: $(BUILD)/matrixc
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh 3.13 wee
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh 2.7 wee

e2e-pgo: $(BUILD)/matrixc
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh 3.13 wee-optimized

# 3.11 on bookworm: import nis (libnsl2, libtirpc3); run once, recorded
e2e-nis: $(BUILD)/matrixc
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh 3.11 wee

# wee against its optimized variants, on CPU-bound workloads (slow)
E2E_SPEED_VARIANTS = wee wee-optimized wee-optimized-lto
e2e-speed: $(BUILD)/matrixc
	E2E_SPEED=1 MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh 3.13 $(E2E_SPEED_VARIANTS)

# README.md's first command, verbatim, in a clean clone of HEAD on a
# debootstrapped Debian bookworm (chroot, root); the rootfs is kept in
# build/fresh/
fresh:
	tests/fresh/run.sh

FUZZ_SECONDS ?= 600
FUZZ_TARGETS = matrix lock compile hooks challenge token ref
# libFuzzer targets, each for FUZZ_SECONDS (see docs/security.md)
fuzz:
	for t in $(FUZZ_TARGETS); do fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

# every golden case under valgrind memcheck (slow; a hook's CPU-time
# backstop raised, since memcheck runs code tens of times slower)
valgrind:
	$(MAKE) BUILD=build/valgrind CFLAGS="$(CFLAGS) -DHOOK_CPU_SECONDS=60" \
		build/valgrind/matrixc
	MATRIXC=$(CURDIR)/build/valgrind/matrixc tests/valgrind.sh

bench:
	$(MAKE) BUILD=build/bench OPT='-O2 -DNDEBUG' build/bench/matrixc
	MATRIXC=$(CURDIR)/build/bench/matrixc bench/run.sh

# deps: what building matrixc needs (the README's first command);
# test-deps: that and what the tests need. Node.js and npm come from
# Debian only when the machine has no npm yet (a machine with another
# Node.js build keeps its own).
deps:
	@$(call apt_install,$(DEB_BUILD))
test-deps:
	@$(call apt_install,$(DEB_BUILD) $(DEB_TEST) \
		$$(command -v npm >/dev/null || echo nodejs npm))

# apt_install PACKAGES: install those not installed yet (idempotent)
apt_install = missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "$@: all installed"; fi

install: $(BUILD)/matrixc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/matrixc $(DESTDIR)$(BINDIR)/matrixc
	install -m 644 docs/matrixc.1 $(DESTDIR)$(MANDIR)/man1/matrixc.1
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 644 completions/matrixc.bash $(DESTDIR)$(BASHCOMPDIR)/matrixc
	install -m 644 completions/_matrixc $(DESTDIR)$(ZSHCOMPDIR)/_matrixc

clean:
	rm -rf build

# the libraries matrixc links and the flags it compiles with, for
# fuzz/run.sh (which sets OPT, SAN and CFLAGS of its own)
print-libs:
	@echo $(PKG_LIBS)
print-cflags:
	@echo $(CFLAGS_ALL)

.PHONY: print-libs print-cflags all generate units tools test test-all asan e2e e2e-pgo e2e-nis e2e-speed fresh bench fuzz valgrind deps test-deps \
	install clean
