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

# CFLAGS, CPPFLAGS and LDFLAGS belong to whoever builds (the environment,
# "make CFLAGS=...", dpkg-buildflags): they come after SoFW's own flags,
# so they add to them or override them, and never drop the include paths
OPT ?= -O2
# configure sets WERROR; a config.mk written before it did gets the
# default configure would give (on in a git checkout)
WERROR ?= $(if $(wildcard .git),1,0)
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

# hardening, as Debian's dpkg-buildflags gives it: the stack protector,
# format-string checks, PIE, full RELRO with immediate binding, and
# _FORTIFY_SOURCE, which needs optimisation (glibc warns without it) and
# is left alone when the builder sets it
HARDEN_CFLAGS := -fstack-protector-strong -Wformat -Werror=format-security \
	-fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
HARDEN_CPPFLAGS :=
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
ifeq ($(filter -O0,$(OPT) $(CFLAGS)),)
HARDEN_CPPFLAGS := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif

SOFW_CPPFLAGS := -D_GNU_SOURCE $(HARDEN_CPPFLAGS) $(RE_CFLAGS) \
	$(CURL_CFLAGS) $(CRYPTO_CFLAGS) -Isrc/common
SOFW_CFLAGS := -std=gnu11 $(OPT) -g $(WARN) $(HARDEN_CFLAGS) $(SAN) \
	-pthread -MMD -MP
SOFW_LDFLAGS := $(HARDEN_LDFLAGS) $(SAN) -pthread
# what a compile and a link line carry
ALL_CFLAGS = $(SOFW_CPPFLAGS) $(ROOM_INC) $(CPPFLAGS) $(SOFW_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SOFW_LDFLAGS) $(LDFLAGS)

# everything is built again when the flags change ("make CFLAGS=..."
# after a plain make): the objects depend on a file holding them
FLAGS_LINE := $(CC) $(SOFW_CPPFLAGS) $(CPPFLAGS) $(SOFW_CFLAGS) $(CFLAGS) \
	| $(ALL_LDFLAGS)
ifneq ($(FLAGS_LINE),$(file <$(B)/flags))
$(shell mkdir -p $(B))
$(file >$(B)/flags,$(FLAGS_LINE))
endif

COMMON_SRCS := $(wildcard src/common/*.c)
# hras-fcgi has four rooms under the process (src/hras-fcgi/README):
# dependencies run sip -> media -> tunnel -> store -> common, and each room is
# compiled seeing only its own headers and those below it, so that an
# include of a room above does not build
HRAS := src/hras-fcgi
HRAS_ROOMS := store tunnel media sip
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

HRAS_LIBS := $(RE_LIBS) $(FCGI_LIBS) $(CRYPTO_LIBS) $(HIREDIS_LIBS)
HRAC_LIBS := $(RE_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all tests run-check run-demo run-bench run-fuzz install uninstall

all: $(B)/hras-fcgi $(B)/hrac

$(B)/%.o: %.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/$(HRAS)/%.o: ROOM_INC ?= $(HRAS_INC)
$(B)/$(HRAS)/store/%.o: ROOM_INC := -I$(HRAS)/store
$(B)/$(HRAS)/tunnel/%.o: ROOM_INC := -I$(HRAS)/tunnel -I$(HRAS)/store
$(B)/$(HRAS)/media/%.o: ROOM_INC := -I$(HRAS)/media -I$(HRAS)/tunnel \
	-I$(HRAS)/store
$(B)/$(HRAS)/sip/%.o: ROOM_INC := -I$(HRAS)/sip -I$(HRAS)/media \
	-I$(HRAS)/tunnel -I$(HRAS)/store

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
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HRAS_LIBS)

$(B)/hrac: $(B)/src/hrac/main.o $(LIBHRAC) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HRAC_LIBS)

# unit tests link the shared code and both programs' libraries
$(B)/tests/%: tests/unit/%.c $(LIBHRAC) $(LIBHRAS) $(LIBCOMMON) \
		tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc/hrac $(HRAS_INC) -o $@ $< $(LIBHRAC) \
		$(LIBHRAS) $(LIBCOMMON) $(HRAC_LIBS) $(FCGI_LIBS) $(HIREDIS_LIBS) \
		$(ALL_LDFLAGS)

# test tools (probe, bench helpers) are hrac's tunnel in another harness
$(B)/tests/%: tests/tools/%.c $(LIBHRAC) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc/hrac -o $@ $< $(LIBHRAC) $(LIBCOMMON) \
		$(HRAC_LIBS) $(ALL_LDFLAGS)

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

# make install: the programs, manual pages, nginx snippet and site
# example, the systemd units (with this install's paths), sysusers.d and
# tmpfiles.d files, and the example configurations in SYSCONFDIR/sofw;
# the credential examples are 0600 like the files made from them.
# Nothing is started, enabled or overwritten but these files.
DESTDIR ?=
INSTALL_FILES := $(SBINDIR)/hras-fcgi $(SBINDIR)/hrac \
	$(patsubst man/%,$(MANDIR)/man%,$(foreach p,$(wildcard man/*.[578]),\
		$(dir $(p))$(subst .,,$(suffix $(p)))/$(notdir $(p)))) \
	$(DATADIR)/sofw/nginx/sofw.conf $(DATADIR)/sofw/nginx/sofw-site.conf \
	$(DATADIR)/sofw/nginx/sofw-cluster.conf \
	$(UNITDIR)/hras-fcgi.socket $(UNITDIR)/hras-fcgi.service \
	$(UNITDIR)/hrac.service $(SYSUSERSDIR)/sofw.conf \
	$(TMPFILESDIR)/sofw.conf \
	$(patsubst etc/%,$(SYSCONFDIR)/sofw/%,$(wildcard etc/*.example))
# the paths the units and the site example name, as this install has them
INSTALL_SED := sed -e 's|/usr/sbin/|$(SBINDIR)/|g' \
	-e 's|/etc/sofw/|$(SYSCONFDIR)/sofw/|g' \
	-e 's|/usr/share/sofw/|$(DATADIR)/sofw/|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/sofw $(DESTDIR)$(DATADIR)/sofw/nginx \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR)
	install -m 755 $(B)/hras-fcgi $(B)/hrac $(DESTDIR)$(SBINDIR)/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 nginx/sofw.conf $(DESTDIR)$(DATADIR)/sofw/nginx/
	for f in sofw-site.conf sofw-cluster.conf; do \
		$(INSTALL_SED) nginx/$$f >$(DESTDIR)$(DATADIR)/sofw/nginx/$$f && \
		chmod 644 $(DESTDIR)$(DATADIR)/sofw/nginx/$$f || exit 1; \
	done
	for u in hras-fcgi.socket hras-fcgi.service hrac.service; do \
		$(INSTALL_SED) systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 644 systemd/sofw.sysusers $(DESTDIR)$(SYSUSERSDIR)/sofw.conf
	install -m 644 systemd/sofw.tmpfiles $(DESTDIR)$(TMPFILESDIR)/sofw.conf
	install -m 644 etc/*.conf.example $(DESTDIR)$(SYSCONFDIR)/sofw/
	install -m 600 etc/hracs.example etc/users.example \
		$(DESTDIR)$(SYSCONFDIR)/sofw/

# make uninstall: exactly the files make install wrote (configurations
# made from the examples stay), then the directories of SoFW's own if
# they are empty
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))
	rmdir $(DESTDIR)$(DATADIR)/sofw/nginx $(DESTDIR)$(DATADIR)/sofw \
		$(DESTDIR)$(SYSCONFDIR)/sofw 2>/dev/null || true

-include $(COMMON_OBJS:.o=.d) $(HRAS_OBJS:.o=.d) $(HRAC_OBJS:.o=.d) \
	$(B)/src/hrac/main.d $(B)/$(HRAS)/main.d
