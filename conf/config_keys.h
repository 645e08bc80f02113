/*
 * config_keys - the table of dmarcwarden.conf keys.
 *
 * SYNOPSIS
 *	const cfg_key_t *k = config_key_find("DNSTimeout");
 *	for (i = 0; (k = config_key_at(i)) != NULL; i++) use k->name, ...;
 *
 * DESCRIPTION
 *	Every key of dmarcwarden.conf is one row of a constant table: its
 *	name, type (cfg_type_t), default written as the text a user would
 *	write, the offset of its field in config_t, flags, and for strings a
 *	check (config_check.h, or the reporter's checks of this module) or
 *	for enums the value names (index = enum value).  The table is what
 *	this module owns; config.c reads it to parse, store, dump and free
 *	the fields.  Defaults are parsed through the same code as file
 *	values (config.c: set_value), so a bad default fails the unit tests,
 *	not a production start.  A NULL default means the value is computed
 *	after the file is read (AuthservID: the host name).
 *
 *	Flags: F_EMPTY_OK accepts "" as a value.  F_RESTART marks a key a
 *	running daemon cannot change: on reload (SIGHUP) the running value
 *	stays and the daemon warns "restart to apply"
 *	(config_keep_restart_keys(), config.h).
 *
 *	config_key_find() looks a name up case-insensitively and returns
 *	NULL for an unknown key; config_key_at(i) returns row i, NULL past
 *	the end; config_key_index() gives the row number of a row.
 *	config_enum_alias_at(i) returns the other spellings of enum values
 *	(accepted, never written: Enforcement off/on), NULL past the end.
 *	All returned rows are constant and live for the life of the process.
 *
 *	config_key_count(), config_key_name() and config_key_restart(), the
 *	enumeration for tests and documentation checks, are defined here but
 *	declared in config.h, where their callers look for them.
 */
#ifndef MILTER_CONFIG_KEYS_H
#define MILTER_CONFIG_KEYS_H

#include <stddef.h>

#include "config_check.h"

typedef enum cfg_type {
	CT_STRING,      /* char *, validated by check */
	CT_PATH,        /* char *, absolute path */
	CT_BOOL,        /* bool: yes/no/true/false/on/off/1/0 */
	CT_ONOFF,       /* bool: on/off only */
	CT_UINT,        /* unsigned, decimal, min..max */
	CT_OCTAL,       /* unsigned, octal, min..max */
	CT_ENUM,        /* int-sized enum, index into names */
	CT_NETLIST,     /* netlist_t * */
	CT_DOMAINLIST,  /* char **, NULL-ended */
} cfg_type_t;

#define F_EMPTY_OK 1    /* "" is a valid value */
#define F_RESTART 2     /* a running daemon keeps its value (SIGHUP) */

typedef struct cfg_key {
	const char *name;
	cfg_type_t type;
	const char *def;            /* NULL: computed (AuthservID) */
	size_t offset;
	int flags;
	config_check_fn check;      /* CT_STRING */
	const char *const *names;   /* CT_ENUM, NULL-ended, index = value */
	unsigned min, max;          /* CT_UINT, CT_OCTAL */
} cfg_key_t;

/* Another spelling of the value `value` of the enum whose names are names. */
typedef struct cfg_enum_alias {
	const char *const *names;
	const char *alias;
	int value;
} cfg_enum_alias_t;

const cfg_key_t *config_key_find(const char *name);
const cfg_key_t *config_key_at(size_t i);
size_t config_key_index(const cfg_key_t *k);
const cfg_enum_alias_t *config_enum_alias_at(size_t i);

#endif
