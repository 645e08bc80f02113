/*
 * config_check - value checks for dmarcwarden.conf keys, and reading the
 * file.  Internal to config.c and config_keys.c; exposed for unit
 * tests.
 *
 * SYNOPSIS
 *	char v[] = "inet:8893@localhost";
 *	if (config_check_socket(v, why, sizeof(why)) < 0) use why;
 *
 * DESCRIPTION
 *	Each config_check_*() takes a non-empty, trimmed value, may normalise
 *	it in place (never lengthening it), and returns 0, or -1 with a short
 *	reason (without the value) in why.
 *
 *	config_domain_normalize() normalises one domain name of inlen bytes
 *	with domain_normalize_reason() (from_header.h: lower-case, one
 *	trailing dot dropped, U-labels to A-labels, LDH and length checks),
 *	so list entries compare equal to author domains.
 *
 *	config_read_file() reads at most CONFIG_FILE_MAX bytes of a regular
 *	file into a NUL-terminated heap buffer that belongs to the caller
 *	(free with free()).
 */
#ifndef MILTER_CONFIG_CHECK_H
#define MILTER_CONFIG_CHECK_H

#include <stddef.h>

#define CONFIG_DOMAINS_MAX 1024     /* entries in a domain list */
#define CONFIG_DOMAIN_MAX 254       /* 253 + NUL */
#define CONFIG_SHOW_MAX 80          /* bytes of a bad value quoted back */
#define CONFIG_TEXT_MAX 200         /* SMTP reply texts */
#define CONFIG_NAMESERVERS_MAX 16

typedef int (*config_check_fn)(char *value, char *why, size_t len);

int config_check_socket(char *value, char *why, size_t len);
int config_check_authserv_id(char *value, char *why, size_t len);
int config_check_nameservers(char *value, char *why, size_t len);
int config_check_user(char *value, char *why, size_t len);
int config_check_reject_text(char *value, char *why, size_t len);
int config_check_reply_text(char *value, char *why, size_t len);
int config_check_header_name(char *value, char *why, size_t len);
int config_check_facility(char *value, char *why, size_t len);
int config_check_path(char *value, char *why, size_t len);
/* HistoryDB: an absolute path or a postgresql:// (postgres://) URI. */
int config_check_history_db(char *value, char *why, size_t len);
int config_domain_normalize(const char *in, size_t inlen, char *out,
    size_t outlen, char *why, size_t len);
/* Errors of configuration-like files, one "file:line: message" (or
 * "file: message" for line 0) per line of err[errlen], so a parser can
 * go on after a bad line and report them all.  The caller empties err
 * first.  config_file_error() appends one: the first always (truncated
 * to fit), later ones only whole, at most CONFIG_ERR_LINES, keeping
 * CONFIG_ERR_TAIL bytes free; config_errors_done() then adds
 * "... and N more" when fewer than total were kept.
 * config_error_lines() calls fn once per line (without the newline);
 * config_errors_prefix() copies err to out[outlen] with prefix before
 * every line. */
#define CONFIG_ERR_LINES 100
#define CONFIG_ERR_TAIL 32
typedef void (*config_line_fn)(void *ctx, const char *line);
void config_file_error(char *err, size_t errlen, const char *file,
    unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void config_errors_done(char *err, size_t errlen, unsigned total);
void config_error_lines(const char *err, config_line_fn fn, void *ctx);
void config_errors_prefix(char *out, size_t outlen, const char *prefix,
    const char *err);
int config_read_file(const char *path, char **text, size_t *textlen,
    char *err, size_t errlen);

#endif
