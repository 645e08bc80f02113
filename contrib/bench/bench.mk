# contrib/bench/bench.mk - the milter load client and `make bench`;
# included by the Makefile.
#
# contrib/milterload/milterload (C, see milterload.c) is built by `make`;
# it uses util/ for its bounded strings only.  `make bench`
# runs contrib/bench/run-bench (see its header): corpus, dmarcwarden at
# concurrency 1, 4 and 16, the libmilter floor (nullmilter), the opendkim -> opendmarc chain when Debian's
# packages are installed, agreement, memory and history figures.

MLOAD_SRCS = $(sort $(wildcard contrib/milterload/*.c))
MLOAD_OBJS = $(MLOAD_SRCS:.c=.o)

all: contrib/milterload/milterload contrib/bench/nullmilter

contrib/milterload/milterload: $(MLOAD_OBJS) util/libutil.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(MLOAD_OBJS) util/libutil.a

# The libmilter floor: a milter that does nothing (see nullmilter.c).
contrib/bench/nullmilter: contrib/bench/nullmilter.o
	$(CC) $(LDFLAGS_ALL) -o $@ contrib/bench/nullmilter.o -lmilter

# histbench: one history writer process for contrib/bench/history-bench
# (issue 15.4: rows/s of 8 writers, PostgreSQL vs SQLite); built by
# `make bench` only.
contrib/bench/histbench: contrib/bench/histbench.o $(LAYER_LIBS)
	$(CC) $(LDFLAGS_ALL) -o $@ contrib/bench/histbench.o $(LAYER_LIBS) \
		$(LIBS)

# report-bench (the aggregate reporter's benchmark, issue 4) runs after,
# when present; REPORT_BENCH_ARGS is passed to it (rows, domains).
bench: all contrib/bench/histbench
	/usr/bin/python3 contrib/bench/run-bench $(BENCH_FLAGS)
	/usr/bin/python3 contrib/bench/history-bench $(HISTORY_BENCH_ARGS)
	if [ -x contrib/bench/report-bench ] && \
	    [ -x reporter/dmarcwarden-report ]; then \
		/usr/bin/python3 contrib/bench/report-bench $(REPORT_BENCH_ARGS); \
	fi

-include $(MLOAD_OBJS:.o=.d) contrib/bench/nullmilter.d contrib/bench/histbench.d
