#include "cmd.h"
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int cmd_report(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int cmd_advise(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int cmd_html(int argc, char **argv) { (void)argc; (void)argv; return 2; }
