# t/fuzz/fuzz.mk - fuzz targets; included by the Makefile.
#
# Every t/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput() for one parser
# (see t/fuzz/fuzz.h).  Each is built twice:
#
#  - with the normal toolchain into t/fuzz/bin/fuzz_NAME, linked with
#    t/fuzz/standalone.c, as part of `make` (and so of `make check`, with
#    the sanitizers of a --enable-asan build).  t/fuzz/regress.t replays
#    t/fuzz/corpus/NAME/ and t/fuzz/crashers/NAME/ through it;
#  - by `make fuzz` with clang and libFuzzer, AddressSanitizer and
#    UndefinedBehaviorSanitizer (no recovery), into t/fuzz/build/ (its own
#    objects of the layers, milter/ and policy/tool/, so the tree's objects are untouched),
#    then t/fuzz/run-fuzz runs each target for FUZZ_SECONDS on a copy of
#    its seed corpus and prints the executions per target.  A crash, leak,
#    timeout or failed invariant makes `make fuzz` fail, with the input
#    shown in hex and kept under t/fuzz/build/artifacts/.
#
# Targets that need DNS link t/fuzz/fakedns.c, which defines dns/dns.c's
# functions in its place (so libdns.a's dns.o is never pulled in);
# dns/dns_answer.c runs on top of it.

FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_BUILD = t/fuzz/build
FUZZ_TARGETS = $(patsubst t/fuzz/%.c,%,$(sort $(wildcard t/fuzz/fuzz_*.c)))
FUZZ_HELPERS = t/fuzz/fakedns.o t/fuzz/fuzzmsg.o
FUZZ_REGRESS = $(addprefix t/fuzz/bin/,$(FUZZ_TARGETS))

# make check runs t/fuzz/regress.t with the other tests.
PROVE_FLAGS += t/fuzz/regress.t

all: $(FUZZ_REGRESS)

t/fuzz/bin/%: t/fuzz/%.o t/fuzz/standalone.o $(FUZZ_HELPERS) $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $< t/fuzz/standalone.o $(FUZZ_HELPERS) \
		$(ALL_LIBS) $(LIBS)

# ---- libFuzzer build ----------------------------------------------------
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -pthread -fno-omit-frame-pointer \
	$(filter-out -Werror,$(WARN_FLAGS)) $(DEP_CFLAGS) $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -MMD -MP
FUZZ_LIB_SRCS = $(filter-out dns/dns.c,$(LAYER_SRCS)) $(MILTER_SRCS) \
	$(PTOOL_SRCS)
FUZZ_LIB_OBJS = $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(FUZZ_LIB_SRCS))
FUZZ_BINS = $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))
FUZZ_OBJS = $(FUZZ_LIB_OBJS) $(patsubst %,$(FUZZ_BUILD)/t/fuzz/%.o,\
	$(FUZZ_TARGETS) fakedns fuzzmsg)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libfuzzdw.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $(FUZZ_LIB_OBJS)

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/t/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/t/fuzz/fakedns.o $(FUZZ_BUILD)/t/fuzz/fuzzmsg.o \
		$(FUZZ_BUILD)/libfuzzdw.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -pthread -o $@ $^ $(LIBS)

.PHONY: fuzz-build fuzz-clean
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	t/fuzz/run-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_BUILD) t/fuzz/bin
	rm -f t/fuzz/*.o t/fuzz/*.d

-include $(FUZZ_OBJS:.o=.d) $(wildcard t/fuzz/*.d)
