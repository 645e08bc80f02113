/* Unit tests for util/strbuf. */
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdlib.h>

int main(void)
{
	strbuf_t sb;
	char small[4], out[16];

	strbuf_init(&sb, 8);
	is_str(strbuf_str(&sb), "", "empty buffer reads as empty string");
	is_int(strbuf_puts(&sb, "abcd"), 0, "append within limit");
	is_int(strbuf_appendf(&sb, "%d", 1234), 0, "format within limit");
	is_int(strbuf_putc(&sb, 'x'), -1, "append past limit refused");
	ok(sb.truncated, "truncation is sticky");
	is_str(strbuf_str(&sb), "abcd1234", "contents unchanged by refusal");
	strbuf_reset(&sb);
	ok(!sb.truncated && sb.len == 0, "reset clears");
	strbuf_free(&sb);
	strbuf_free(NULL);

	is_int(str_copy(small, sizeof(small), "abc"), 0, "str_copy fits");
	is_int(str_copy(small, sizeof(small), "abcd"), -1, "str_copy truncates");
	is_str(small, "abc", "str_copy truncated copy terminated");
	is_int(str_format(small, sizeof(small), "%s", "xyzw"), -1,
	    "str_format reports truncation");
	ok(str_ieq("ExAmple.COM", "example.com"), "str_ieq folds case");
	ok(!str_ieq("example.co", "example.com"), "str_ieq length");
	str_printable(out, sizeof(out), "a\nb\x80" "c", 5);
	is_str(out, "a?b?c", "str_printable masks control and 8-bit");
	return tap_done();
}
