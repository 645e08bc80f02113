/*
 * config - dmarcwarden.conf loader.  See config.h.
 *
 *	The keys are the rows of the table in config_keys.c (config_keys.h);
 *	this file turns text into config_t fields and back by their type:
 *	it parses the file and the defaults (through the same set_value, so
 *	a bad default fails the unit tests, not a production start), checks
 *	settings that conflict, dumps, frees, and on reload gives restart-only
 *	keys their running values back.  It owns every config_t it returns.
 */
#include "config.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "config_check.h"
#include "config_keys.h"

#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->offset))

static void domainlist_free(char **list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Release whatever the field of k holds. */
static void field_release(config_t *cfg, const cfg_key_t *k)
{
	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = NULL;
		break;
	case CT_NETLIST:
		netlist_free(*FIELD(cfg, k, netlist_t *));
		*FIELD(cfg, k, netlist_t *) = NULL;
		break;
	case CT_DOMAINLIST:
		domainlist_free(*FIELD(cfg, k, char **));
		*FIELD(cfg, k, char **) = NULL;
		break;
	default:
		break;
	}
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static int parse_bool(const char *v, bool onoff_only, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i, n = onoff_only ? 1 : 4;

	for (i = 0; i < n; i++) {
		if (str_ieq(v, yes[i]) || str_ieq(v, no[i])) {
			*out = str_ieq(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

/* Unsigned number in base 8 or 10, digits only, within min..max. */
static int parse_uint(const char *v, unsigned base, unsigned min,
    unsigned max, unsigned *out)
{
	unsigned long long n = 0;
	const char *p;

	if (*v == '\0' || strlen(v) > 12)
		return -1;
	for (p = v; *p; p++) {
		if (*p < '0' || *p >= (char)('0' + base))
			return -1;
		n = n * base + (unsigned)(*p - '0');
	}
	if (n < min || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int parse_enum(const char *v, const char *const *names, int *out)
{
	const cfg_enum_alias_t *a;
	size_t i;

	for (i = 0; names[i]; i++) {
		if (str_ieq(v, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	for (i = 0; (a = config_enum_alias_at(i)) != NULL; i++) {
		if (a->names == names && str_ieq(v, a->alias)) {
			*out = a->value;
			return 0;
		}
	}
	return -1;
}

static void enum_expected(const char *const *names, char *why, size_t len)
{
	const cfg_enum_alias_t *a;
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, len ? len - 1 : 0);
	strbuf_puts(&sb, "expected ");
	for (i = 0; names[i]; i++)
		strbuf_appendf(&sb, "%s%s", i == 0 ? "" : names[i + 1] ? ", " :
		    " or ", names[i]);
	for (i = 0; (a = config_enum_alias_at(i)) != NULL; i++)
		if (a->names == names)
			strbuf_appendf(&sb, "; %s = %s", a->alias,
			    names[a->value]);
	str_copy(why, len, strbuf_str(&sb));
	strbuf_free(&sb);
}

/* Parse "a, b c" into a NULL-ended array of normalised domain names. */
static int parse_domainlist(const char *v, char ***out, char *why,
    size_t len)
{
	char **list = calloc(CONFIG_DOMAINS_MAX + 1, sizeof(*list));
	char dom[CONFIG_DOMAIN_MAX], reason[128], shown[CONFIG_SHOW_MAX];
	const char *p = v, *start;
	size_t n = 0;

	if (list == NULL)
		abort();
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (start = p; *p && *p != ',' && *p != ' ' && *p != '\t'; p++)
			;
		if (n == CONFIG_DOMAINS_MAX) {
			str_format(why, len, "more than %d domains",
			    CONFIG_DOMAINS_MAX);
			goto fail;
		}
		if (config_domain_normalize(start, (size_t)(p - start), dom,
		    sizeof(dom), reason, sizeof(reason)) < 0) {
			str_printable(shown, sizeof(shown), start,
			    (size_t)(p - start));
			str_format(why, len, "'%s': %s", shown, reason);
			goto fail;
		}
		list[n++] = xstrdup(dom);
	}
	*out = list;
	return 0;
fail:
	domainlist_free(list);
	return -1;
}

static int set_string(config_t *cfg, const cfg_key_t *k, const char *v,
    char *why, size_t len)
{
	char *copy = xstrdup(v);

	if (*v && (k->type == CT_PATH ? config_check_path(copy, why, len) :
	    k->check(copy, why, len)) < 0) {
		free(copy);
		return -1;
	}
	field_release(cfg, k);
	*FIELD(cfg, k, char *) = copy;
	return 0;
}

/* Store value v in the field of key k; -1 with the reason in why. */
static int set_value(config_t *cfg, const cfg_key_t *k, const char *v,
    char *why, size_t len)
{
	netlist_t *nl;
	char **list;

	if (*v == '\0' && !(k->flags & F_EMPTY_OK)) {
		str_copy(why, len, "must not be empty");
		return -1;
	}
	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		return set_string(cfg, k, v, why, len);
	case CT_BOOL:
	case CT_ONOFF:
		if (parse_bool(v, k->type == CT_ONOFF, FIELD(cfg, k, bool)) == 0)
			return 0;
		str_copy(why, len, k->type == CT_ONOFF ? "expected on or off" :
		    "expected yes or no");
		return -1;
	case CT_UINT:
	case CT_OCTAL:
		if (parse_uint(v, k->type == CT_OCTAL ? 8 : 10, k->min, k->max,
		    FIELD(cfg, k, unsigned)) == 0)
			return 0;
		if (k->type == CT_OCTAL)
			str_format(why, len, "expected an octal number %o..%o",
			    k->min, k->max);
		else
			str_format(why, len, "expected a number %u..%u", k->min,
			    k->max);
		return -1;
	case CT_ENUM:
		if (parse_enum(v, k->names, FIELD(cfg, k, int)) == 0)
			return 0;
		enum_expected(k->names, why, len);
		return -1;
	case CT_NETLIST:
		if ((nl = netlist_parse(v, why, len)) == NULL)
			return -1;
		field_release(cfg, k);
		*FIELD(cfg, k, netlist_t *) = nl;
		return 0;
	case CT_DOMAINLIST:
		if (parse_domainlist(v, &list, why, len) < 0)
			return -1;
		field_release(cfg, k);
		*FIELD(cfg, k, char **) = list;
		return 0;
	}
	return -1;
}

/* The FQDN of this host when it has one, else the host name. */
static char *default_authserv_id(void)
{
	char host[256], why[64];
	struct addrinfo hints, *ai = NULL;
	char *id;

	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		return xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai &&
		    ai->ai_canonname && strchr(ai->ai_canonname, '.'))
			str_copy(host, sizeof(host), ai->ai_canonname);
		if (ai)
			freeaddrinfo(ai);
	}
	id = xstrdup(host);
	if (config_check_authserv_id(id, why, sizeof(why)) < 0) {
		free(id);
		return xstrdup("localhost");
	}
	return id;
}

static int config_defaults(config_t *cfg, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX];
	const cfg_key_t *k;
	size_t i;

	for (i = 0; (k = config_key_at(i)) != NULL; i++) {
		if (k->def == NULL)     /* computed after the file is read */
			continue;
		if (set_value(cfg, k, k->def, why, sizeof(why)) < 0) {
			str_format(err, errlen, "default for %s: %s", k->name,
			    why);
			return -1;
		}
	}
	return 0;
}

static void trim(char **start, char **end)
{
	while (*start < *end && (**start == ' ' || **start == '\t'))
		(*start)++;
	while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t' ||
	    (*end)[-1] == '\r'))
		(*end)--;
}

/* One line, NUL-terminated and trimmed: "Key value" or comment. */
static int parse_line(config_t *cfg, const char *file, unsigned lineno,
    char *line, unsigned *seen, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX], shown[CONFIG_SHOW_MAX];
	const cfg_key_t *k;
	char *value;
	size_t idx;

	if (line[0] == '\0' || line[0] == '#')
		return 0;
	value = line + strcspn(line, " \t");
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t");
	str_printable(shown, sizeof(shown), line, strlen(line));
	if ((k = config_key_find(line)) == NULL) {
		config_file_error(err, errlen, file, lineno, "unknown key '%s'", shown);
		return -1;
	}
	idx = config_key_index(k);
	if (seen[idx]) {
		config_file_error(err, errlen, file, lineno,
		    "duplicate key %s (first set at line %u)", k->name, seen[idx]);
		return -1;
	}
	seen[idx] = lineno;
	if (*value == '\0') {
		config_file_error(err, errlen, file, lineno, "missing value for %s "
		    "(write \"\" for an empty value)", k->name);
		return -1;
	}
	if (strcmp(value, "\"\"") == 0)
		value[0] = '\0';
	if (set_value(cfg, k, value, why, sizeof(why)) < 0) {
		str_printable(shown, sizeof(shown), value, strlen(value));
		config_file_error(err, errlen, file, lineno,
		    "bad value for %s: '%s' (%s)", k->name, shown, why);
		return -1;
	}
	return 0;
}

/* Check the raw bytes of line lineno (len bytes, no newline). */
static int line_bytes_ok(const char *file, unsigned lineno, const char *p,
    size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > CONFIG_LINE_MAX) {
		config_file_error(err, errlen, file, lineno,
		    "line too long (more than %d bytes)", CONFIG_LINE_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0') {
			config_file_error(err, errlen, file, lineno, "NUL byte in line");
			return -1;
		}
		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == len - 1)) ||
		    c == 0x7f) {
			config_file_error(err, errlen, file, lineno,
			    "control character 0x%02x in line", c);
			return -1;
		}
	}
	return 0;
}

/* Every line, going on after a bad one: the count of errors. */
static unsigned parse_text(config_t *cfg, const char *file,
    const char *text, size_t len, unsigned *seen, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX + 1];
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0, errors = 0;
	char *s, *e;
	size_t n;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (line_bytes_ok(file, lineno, p, n, err, errlen) < 0) {
			errors++;
			p = nl ? nl + 1 : end;
			continue;
		}
		memcpy(line, p, n);
		p = nl ? nl + 1 : end;
		line[n] = '\0';
		s = line;
		e = line + n;
		trim(&s, &e);
		*e = '\0';
		if (parse_line(cfg, file, lineno, s, seen, err, errlen) < 0)
			errors++;
	}
	return errors;
}

/* Settings that are valid alone but not together: the count of
 * errors. */
static unsigned cross_check(const config_t *cfg, const char *file,
    const unsigned *seen, char *err, size_t errlen)
{
	unsigned errors = 0;
	const cfg_key_t *k;

	if (cfg->dnssec && cfg->trust_anchor[0] == '\0') {
		k = config_key_find("DNSSEC");
		config_file_error(err, errlen, file, seen[config_key_index(k)],
		    "DNSSEC yes needs a TrustAnchorFile");
		errors++;
	}
	if (cfg->discovery == DISCOVERY_PSL && cfg->psl_file[0] == '\0') {
		k = config_key_find("PolicyDiscovery");
		config_file_error(err, errlen, file, seen[config_key_index(k)],
		    "PolicyDiscovery psl needs a PublicSuffixList");
		errors++;
	}
	return errors;
}

config_t *config_load_buffer(const char *name, const char *text, size_t len,
    char *err, size_t errlen)
{
	char dummy[CONFIG_ERR_MAX];
	unsigned *seen;     /* per key: the line that set it, 0 = not set */
	unsigned errors;
	config_t *cfg;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((seen = calloc(config_key_count(), sizeof(*seen))) == NULL ||
	    (cfg = calloc(1, sizeof(*cfg))) == NULL)
		abort();
	if (config_defaults(cfg, err, errlen) < 0)
		goto fail;
	if (name != NULL) {
		cfg->path = xstrdup(name);
		/* A bad line may leave a setting at its default: the
		 * cross-checks would then blame a line that is fine. */
		errors = parse_text(cfg, name, text ? text : "",
		    text ? len : 0, seen, err, errlen);
		if (errors == 0)
			errors = cross_check(cfg, name, seen, err, errlen);
		config_errors_done(err, errlen, errors);
		if (errors > 0)
			goto fail;
	}
	/* Only now: the host name lookup may consult DNS. */
	if (cfg->authserv_id == NULL) {
		cfg->authserv_id = default_authserv_id();
		cfg->authserv_id_computed = true;
	}
	free(seen);
	return cfg;
fail:
	free(seen);
	config_free(cfg);
	return NULL;
}

config_t *config_load(const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	config_t *cfg;

	if (path == NULL)
		return config_load_buffer(NULL, NULL, 0, err, errlen);
	if (config_read_file(path, &text, &len, err, errlen) < 0)
		return NULL;
	cfg = config_load_buffer(path, text, len, err, errlen);
	free(text);
	return cfg;
}

void config_free(config_t *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < config_key_count(); i++)
		field_release(cfg, config_key_at(i));
	free(cfg->path);
	free(cfg);
}

static void dump_value(const config_t *cfg, const cfg_key_t *k, strbuf_t *sb)
{
	char *const *list;
	size_t i;

	switch (k->type) {
	case CT_STRING:
	case CT_PATH:
		strbuf_puts(sb, *FIELD(cfg, k, char *));
		break;
	case CT_BOOL:
		strbuf_puts(sb, *FIELD(cfg, k, bool) ? "yes" : "no");
		break;
	case CT_ONOFF:
		strbuf_puts(sb, *FIELD(cfg, k, bool) ? "on" : "off");
		break;
	case CT_UINT:
		strbuf_appendf(sb, "%u", *FIELD(cfg, k, unsigned));
		break;
	case CT_OCTAL:
		strbuf_appendf(sb, "%03o", *FIELD(cfg, k, unsigned));
		break;
	case CT_ENUM:
		strbuf_puts(sb, k->names[*FIELD(cfg, k, int)]);
		break;
	case CT_NETLIST:
		netlist_format(*FIELD(cfg, k, netlist_t *), sb);
		break;
	case CT_DOMAINLIST:
		list = *FIELD(cfg, k, char **);
		for (i = 0; list && list[i]; i++)
			strbuf_appendf(sb, "%s%s", i ? ", " : "", list[i]);
		break;
	}
}

void config_dump(const config_t *cfg, FILE *fp)
{
	const cfg_key_t *k;
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, 64 * 1024);
	for (i = 0; (k = config_key_at(i)) != NULL; i++) {
		strbuf_reset(&sb);
		dump_value(cfg, k, &sb);
		fprintf(fp, "%s %s\n", k->name,
		    sb.len ? strbuf_str(&sb) : "\"\"");
	}
	strbuf_free(&sb);
}

bool config_domain_listed(char *const *list, const char *domain)
{
	size_t i, dlen, elen;

	if (list == NULL || domain == NULL)
		return false;
	dlen = strlen(domain);
	for (i = 0; list[i]; i++) {
		elen = strlen(list[i]);
		if (elen > dlen)
			continue;
		if (elen == dlen && str_ieq(domain, list[i]))
			return true;
		if (elen < dlen && domain[dlen - elen - 1] == '.' &&
		    str_ieq(domain + dlen - elen, list[i]))
			return true;
	}
	return false;
}

/* The restart-only keys of next that differ from running get running's
 * value back; their names go to changed (at most max, the count is
 * returned either way).  Values travel as text through the parser, the
 * way config_dump() writes them. */
size_t config_keep_restart_keys(config_t *next, const config_t *running,
    const char **changed, size_t max)
{
	char why[CONFIG_ERR_MAX];
	const cfg_key_t *k;
	strbuf_t a, b;
	size_t i, n = 0;

	strbuf_init(&a, CONFIG_LINE_MAX);
	strbuf_init(&b, CONFIG_LINE_MAX);
	for (i = 0; (k = config_key_at(i)) != NULL; i++) {
		if (!(k->flags & F_RESTART))
			continue;
		strbuf_reset(&a);
		strbuf_reset(&b);
		dump_value(running, k, &a);
		dump_value(next, k, &b);
		if (strcmp(strbuf_str(&a), strbuf_str(&b)) == 0)
			continue;
		if (n < max)
			changed[n] = k->name;
		n++;
		if (set_value(next, k, strbuf_str(&a), why, sizeof(why)) < 0)
			abort();        /* a value it held: cannot be bad */
	}
	strbuf_free(&a);
	strbuf_free(&b);
	/* The host name, looked up again, may come out different after
	 * chroot (no resolver files): the running one stays. */
	if (next->authserv_id_computed && running->authserv_id_computed) {
		free(next->authserv_id);
		next->authserv_id = xstrdup(running->authserv_id);
	}
	return n;
}
