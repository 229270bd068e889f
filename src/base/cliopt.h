/* cliopt.h — the one option-parsing step the subcommands share (serve, user,
 * backup/restore, coverage, layout). */
#ifndef VETMAP_CLIOPT_H
#define VETMAP_CLIOPT_H

/* "--name value" or "--name=value" at argv[*i].  Returns 1 and sets *value
 * (advancing *i past a separate value) when argv[*i] is that option, 0 when
 * it is not, -1 when its value is missing (a message goes to stderr,
 * prefixed with `cmd`). */
int cliopt_take(const char *cmd, int argc, char **argv, int *i, const char *name, const char **value);

#endif
