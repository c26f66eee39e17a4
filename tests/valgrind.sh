#!/bin/sh
# tests/valgrind.sh - every golden case under valgrind's memcheck.
#
#   make valgrind                                  (all of it)
#   MATRIXC=build/valgrind/matrixc tests/valgrind.sh  (CASES=dir for a subset)
#
# Use the binary `make valgrind` builds: the hooks' CPU-time backstop is
# raised there, since memcheck runs a hook tens of times slower than it
# would run (a hook that exhausts its instruction budget would meet the
# backstop first).
# Runs tests/cases.t with MATRIXC_WRAPPER set to valgrind: any memory error
# or leak (definite, indirect or possible) makes that run exit 99 and print
# valgrind's report on stderr, so the case fails on its status and stderr.
# Not part of `make test` (it is slow); see `make valgrind`.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "1..0 # SKIP no valgrind"; exit 0; }
MATRIXC_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect,possible \
--errors-for-leak-kinds=definite,indirect,possible --track-fds=no"
export MATRIXC_WRAPPER
exec sh "$here/cases.t"
