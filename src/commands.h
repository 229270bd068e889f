/* commands.h — the subcommands of `vetmap`, one entry point each.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand), prints its own --help, and returns the process exit status:
 * 0 success, 1 failure of the work, 2 bad usage. */
#ifndef VETMAP_COMMANDS_H
#define VETMAP_COMMANDS_H

int cmd_ingest(int argc, char **argv);   /* ingest.c */
int cmd_serve(int argc, char **argv);    /* serve.c */

#endif
