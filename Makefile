# matrixc - declarative build-matrix compiler.
#
#   make            build build/matrixc
#   make generate   build, then regenerate generated/ from matrix.yaml
#   make test       the test suite (unit, golden cases, consumers, update)
#   make asan       the same suite under AddressSanitizer + UBSan
#   make e2e        build a real CPython image with buildah (slow, root)
#   make test-all   test, asan and e2e: what CI runs
#   make bench      benchmark (prints figures)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each
#   make valgrind   the golden cases under valgrind memcheck
#   make deps       install Debian build and test dependencies (idempotent)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BUILD ?= build

# libcurl and libcrypto are compiled against (their headers) but loaded at
# run time by http.c and digest.c (dynlib.h), so only `update` pays for
# them; the packages must still be installed.
PKG_CFLAGS := $(shell pkg-config --cflags yaml-0.1 lua5.4 jansson libcurl \
	libcrypto 2>/dev/null)
# Lua is linked statically (liblua5.4-dev's archive): the sandbox depends
# on how this Lua release behaves (hooks.c: the allocator's stack walk;
# the frozen chunks' bytecode), so matrixc runs with the Lua it was built
# and tested with, not whichever liblua5.4.so.0 is installed later; and a
# call into it binds no symbol at run time (docs/performance.md).
LUA_A := $(shell pkg-config --variable=libdir lua5.4 2>/dev/null)/liblua5.4.a
LUA_LIBS := $(LUA_A) -lm
PKG_LIBS := $(shell pkg-config --libs yaml-0.1 jansson 2>/dev/null) $(LUA_LIBS) -ldl

CC ?= cc
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=c11 -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Iinclude $(PKG_CFLAGS) $(OPT) $(SAN) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/frozen.o
# the shipped hook files, compiled at build time (include/frozen.h)
FROZEN_LUA := $(sort $(wildcard lua/*.lua))
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# The Debian packages the build and the tests need.
DEB_BUILD := gcc make pkg-config libyaml-dev liblua5.4-dev \
	libcurl4-openssl-dev libjansson-dev libssl-dev libcurl4
DEB_TEST := git perl python3 pre-commit clang time \
	libclang-rt-14-dev valgrind bsdutils buildah debootstrap python3-yaml \
	python3-jsonschema \
	ca-certificates xz-utils dpkg-dev strace
NPM_TOOLS := gitlab-ci-local@4.73.0 dockerfile-utils@0.16.3
TOOLS ?= $(CURDIR)/build/tools

all: $(BUILD)/matrixc

$(BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# lua.h: a new Lua release rebuilds the tool, and so the frozen chunks
LUA_H := $(wildcard $(patsubst -I%,%/lua.h,$(filter -I%,$(PKG_CFLAGS))))
# a new liblua5.4.a relinks everything that links it
$(LUA_A):
	@echo "Makefile: no $(LUA_A): install liblua5.4-dev (make deps)" >&2
	@false

$(BUILD)/gen/freeze: src/gen/freeze.c $(LUA_H) $(LUA_A) | $(BUILD)/gen
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LUA_LIBS)

$(BUILD)/gen/frozen.c: $(BUILD)/gen/freeze $(FROZEN_LUA)
	$(BUILD)/gen/freeze $@ $(FROZEN_LUA)

$(BUILD)/obj/frozen.o: $(BUILD)/gen/frozen.c include/frozen.h | $(BUILD)/obj
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/lib.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/matrixc: $(BUILD)/obj/main.o $(BUILD)/lib.a $(LUA_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $(BUILD)/obj/main.o $(BUILD)/lib.a $(PKG_LIBS)

# matrixc with tests/trusted/lua/probe.lua frozen instead of the shipped
# files, so that it is trusted as they are (tests/trusted.t). frozen.o of
# lib.a is not linked: this frozen.o defines what it would.
$(BUILD)/probe/frozen.c: $(BUILD)/gen/freeze tests/trusted/lua/probe.lua
	mkdir -p $(BUILD)/probe
	cd tests/trusted && $(abspath $(BUILD)/gen/freeze) $(abspath $@) lua/probe.lua

$(BUILD)/probe/frozen.o: $(BUILD)/probe/frozen.c include/frozen.h
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/probe/matrixc: $(BUILD)/obj/main.o $(BUILD)/probe/frozen.o $(BUILD)/lib.a $(LUA_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $(BUILD)/obj/main.o $(BUILD)/probe/frozen.o \
		$(BUILD)/lib.a $(PKG_LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/lib.a $(LUA_A) | $(BUILD)/unit
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(BUILD)/lib.a $(PKG_LIBS)

$(BUILD)/obj $(BUILD)/unit $(BUILD)/gen:
	mkdir -p $@

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d

generate: $(BUILD)/matrixc
	$(BUILD)/matrixc generate

units: $(UNIT_BIN)

# Consumers of generated output (pinned npm packages), installed outside
# the source tree.
tools: $(TOOLS)/.stamp
$(TOOLS)/.stamp:
	mkdir -p $(TOOLS)
	cd $(TOOLS) && npm install --no-audit --no-fund --loglevel=error $(NPM_TOOLS)
	touch $@

test: $(BUILD)/matrixc $(BUILD)/probe/matrixc units tools
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc UNIT_DIR=$(CURDIR)/$(BUILD)/unit \
	PROBE=$(CURDIR)/$(BUILD)/probe/matrixc TOOLS=$(TOOLS) prove -r tests/

# Sanitizer build in its own directory; leaks are reported by LSan.
asan:
	$(MAKE) BUILD=build/asan OPT='-O1 -g' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		TOOLS=$(TOOLS) test

test-all: test asan e2e

e2e: $(BUILD)/matrixc
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh wee

e2e-pgo: $(BUILD)/matrixc
	MATRIXC=$(CURDIR)/$(BUILD)/matrixc tests/e2e/run.sh wee-optimized

FUZZ_SECONDS ?= 600
# libFuzzer targets, each for FUZZ_SECONDS (see docs/security.md)
fuzz:
	for t in matrix lock compile hooks; do fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

# every golden case under valgrind memcheck (slow)
# (HEAP_DIRECT: each Lua block from malloc, so that memcheck sees it)
valgrind:
	$(MAKE) BUILD=build/valgrind CFLAGS="$(CFLAGS) -DHEAP_DIRECT" \
		build/valgrind/matrixc
	MATRIXC=$(CURDIR)/build/valgrind/matrixc tests/valgrind.sh

bench:
	$(MAKE) BUILD=build/bench OPT='-O2 -DNDEBUG' build/bench/matrixc
	MATRIXC=$(CURDIR)/build/bench/matrixc bench/run.sh

# Node.js and npm come from Debian only when the machine has no npm yet
# (a machine with another Node.js build keeps its own).
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else echo "deps: all installed"; fi

install: $(BUILD)/matrixc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/matrixc $(DESTDIR)$(BINDIR)/matrixc
	install -m 644 docs/matrixc.1 $(DESTDIR)$(MANDIR)/man1/matrixc.1

clean:
	rm -rf build

# the libraries matrixc links and the flags it compiles with, for
# fuzz/run.sh (which sets OPT, SAN and CFLAGS of its own)
print-libs:
	@echo $(PKG_LIBS)
print-cflags:
	@echo $(CFLAGS_ALL)

.PHONY: print-libs print-cflags all generate units tools test test-all asan e2e e2e-pgo bench fuzz valgrind deps \
	install clean
