/*
 * version - the reporter's name and release, for the RFC 9990 generator
 * element and the ARF User-Agent field.  DW_VERSION comes from
 * Makefile.in (the one place the release is written).
 */
#ifndef REPORTER_VERSION_H
#define REPORTER_VERSION_H

#ifndef DW_VERSION
#define DW_VERSION "unknown"
#endif
#define REPORTER_NAME "dmarcwarden-report"

#endif
