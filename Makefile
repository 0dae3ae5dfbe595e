# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# SoFW top-level Makefile
#
#   make            build hras-fcgi and hrac (runs ./configure if needed)
#   make check      install missing Debian packages, build, run every test
#   make demo       install missing Debian packages, build, show a real call
#   make bench      benchmarks (figures as ratios to an in-run baseline)
#   make fuzz       longer fuzzing runs
#   make install    honours DESTDIR and PREFIX; make uninstall undoes it
#   make check SANITIZE=1   the suite under AddressSanitizer and UBSan
#
# The build itself lives in mk/build.mk; this file only sequences the
# steps, so that packages are installed before ./configure looks for them.

BUILD_MK = $(MAKE) --no-print-directory -f mk/build.mk

# the steps run one after another (make -j is for mk/build.mk, which gets
# the job slots through the + lines): two sub-makes building the same
# files at once would race
.NOTPARALLEL:

.PHONY: all check demo bench fuzz install uninstall deps clean distclean format \
	tests check-build

all: config.mk
	+@$(BUILD_MK) all

config.mk:
	./configure

deps:
	@scripts/deps.sh check

check-build:
	@scripts/deps.sh check
	@test -f config.mk || ./configure
	+@$(BUILD_MK) all tests

check: check-build
	+@$(BUILD_MK) run-check

demo:
	@scripts/deps.sh demo
	@test -f config.mk || ./configure
	+@$(BUILD_MK) all tests
	+@$(BUILD_MK) run-demo

bench:
	@scripts/deps.sh bench
	@test -f config.mk || ./configure
	+@$(BUILD_MK) all tests
	+@$(BUILD_MK) run-bench

fuzz:
	@scripts/deps.sh check
	@test -f config.mk || ./configure
	+@$(BUILD_MK) run-fuzz

tests: config.mk
	+@$(BUILD_MK) all tests

install: config.mk
	+@$(BUILD_MK) install

uninstall: config.mk
	+@$(BUILD_MK) uninstall

format:
	clang-format -i src/*/*.[ch] src/*/*/*.[ch] tests/*/*.[ch]

clean:
	rm -rf build build-asan tests/out bench/out

distclean: clean
	rm -f config.mk config.log
