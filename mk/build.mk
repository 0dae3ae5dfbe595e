# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 the SoFW authors
# SoFW build rules; included by the top-level Makefile with config.mk done.

include config.mk

ifeq ($(SANITIZE),1)
B := build-asan
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
else
B := build
SAN :=
endif

OPT ?= -O2
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes
CFLAGS := -std=gnu11 $(OPT) -g $(WARN) $(SAN) -pthread -D_GNU_SOURCE \
	$(RE_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) -Isrc/common -MMD -MP
LDFLAGS := $(SAN) -pthread

COMMON_SRCS := $(wildcard src/common/*.c)
# hras-fcgi has three rooms under the process (src/hras-fcgi/README):
# dependencies run sip -> media -> tunnel -> common, and each room is
# compiled seeing only its own headers and those below it, so that an
# include of a room above does not build
HRAS := src/hras-fcgi
HRAS_ROOMS := tunnel media sip
HRAS_SRCS := $(filter-out $(HRAS)/main.c,$(wildcard $(HRAS)/*.c \
	$(HRAS_ROOMS:%=$(HRAS)/%/*.c)))
HRAS_INC := $(HRAS_ROOMS:%=-I$(HRAS)/%) -I$(HRAS)
HRAC_SRCS := $(filter-out src/hrac/main.c,$(wildcard src/hrac/*.c))

COMMON_OBJS := $(COMMON_SRCS:%.c=$(B)/%.o)
HRAS_OBJS := $(HRAS_SRCS:%.c=$(B)/%.o)
HRAC_OBJS := $(HRAC_SRCS:%.c=$(B)/%.o)

LIBCOMMON := $(B)/libsofw-common.a
LIBHRAC := $(B)/libhrac.a
LIBHRAS := $(B)/libhras.a

HRAS_LIBS := $(RE_LIBS) $(FCGI_LIBS) $(CRYPTO_LIBS)
HRAC_LIBS := $(RE_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all tests run-check run-demo run-bench run-fuzz install

all: $(B)/hras-fcgi $(B)/hrac

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ROOM_INC) -c -o $@ $<

$(B)/$(HRAS)/%.o: ROOM_INC ?= $(HRAS_INC)
$(B)/$(HRAS)/tunnel/%.o: ROOM_INC := -I$(HRAS)/tunnel
$(B)/$(HRAS)/media/%.o: ROOM_INC := -I$(HRAS)/media -I$(HRAS)/tunnel
$(B)/$(HRAS)/sip/%.o: ROOM_INC := -I$(HRAS)/sip -I$(HRAS)/media \
	-I$(HRAS)/tunnel

$(LIBCOMMON): $(COMMON_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBHRAC): $(HRAC_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBHRAS): $(HRAS_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/hras-fcgi: $(B)/src/hras-fcgi/main.o $(LIBHRAS) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(HRAS_LIBS)

$(B)/hrac: $(B)/src/hrac/main.o $(LIBHRAC) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(HRAC_LIBS)

# unit tests link the shared code and both programs' libraries
$(B)/tests/%: tests/unit/%.c $(LIBHRAC) $(LIBHRAS) $(LIBCOMMON) \
		tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc/hrac $(HRAS_INC) -o $@ $< $(LIBHRAC) \
		$(LIBHRAS) $(LIBCOMMON) $(HRAC_LIBS) $(FCGI_LIBS) $(LDFLAGS)

# test tools (probe, bench helpers) are hrac's tunnel in another harness
$(B)/tests/%: tests/tools/%.c $(LIBHRAC) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc/hrac -o $@ $< $(LIBHRAC) $(LIBCOMMON) \
		$(HRAC_LIBS) $(LDFLAGS)

# libFuzzer needs clang; the fuzz targets are built with their own flags
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE $(RE_CFLAGS) -Isrc/common

$(B)/fuzz/%: tests/fuzz/%.c $(COMMON_SRCS) mk/build.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(COMMON_SRCS) $(RE_LIBS) \
		$(CRYPTO_LIBS)

# the SIP target runs HRAS's whole SIP service, and the stream target
# hrac's TCP message splitter
$(B)/fuzz/sip_fuzz: tests/fuzz/sip_fuzz.c $(COMMON_SRCS) $(HRAS_SRCS) \
		mk/build.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(HRAS_INC) -o $@ $< $(COMMON_SRCS) \
		$(HRAS_SRCS) $(HRAS_LIBS)

# HRAS's SIP parsers without the service: fast enough for long runs
$(B)/fuzz/sip_parse_fuzz: tests/fuzz/sip_parse_fuzz.c $(COMMON_SRCS) \
		$(HRAS_SRCS) mk/build.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(HRAS_INC) -o $@ $< $(COMMON_SRCS) \
		$(HRAS_SRCS) $(HRAS_LIBS)

$(B)/fuzz/sip_stream_fuzz: tests/fuzz/sip_stream_fuzz.c $(COMMON_SRCS) \
		src/hrac/sip_stream.c mk/build.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Isrc/hrac -o $@ $< src/hrac/sip_stream.c \
		$(RE_LIBS)

tests: $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_BINS)

run-check:
	@B=$(B) tests/run

run-demo:
	@B=$(B) demo/run

run-bench:
	@B=$(B) bench/run

run-fuzz: $(FUZZ_BINS)
	@B=$(B) tests/fuzz/run long

DESTDIR ?=
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/sofw $(DESTDIR)$(DATADIR)/sofw/nginx
	install -m 755 $(B)/hras-fcgi $(B)/hrac $(DESTDIR)$(SBINDIR)/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 nginx/*.conf $(DESTDIR)$(DATADIR)/sofw/nginx/
	install -m 644 etc/*.example $(DESTDIR)$(SYSCONFDIR)/sofw/

-include $(COMMON_OBJS:.o=.d) $(HRAS_OBJS:.o=.d) $(HRAC_OBJS:.o=.d) \
	$(B)/src/hrac/main.d $(B)/$(HRAS)/main.d
