# faults.sh - the fault-injection build of matrixc, for the .t files that
# use its test-only knobs (MATRIXC_FAULT, MATRIXC_FAULT_SETOPT, ...).

# faults_bin REPO LOG: MATRIXC_FAULTS_BIN, or REPO's build/faults/matrixc
# (ASan and UBSan on), made by a make of our own, not the caller's (make
# asan passes its BUILD); its path on stdout, or false with the make's
# output in LOG when it does not build
faults_bin() {
	if [ -n "${MATRIXC_FAULTS_BIN:-}" ]; then
		echo "$MATRIXC_FAULTS_BIN"
		return
	fi
	(unset MAKEFLAGS MFLAGS MAKELEVEL
	 make -s -C "$1" BUILD=build/faults OPT='-O1 -g' CFLAGS=-DMATRIXC_FAULTS \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		build/faults/matrixc) >"$2" 2>&1 &&
		echo "$1/build/faults/matrixc"
}
