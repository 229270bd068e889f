/* commands.h — the subcommands of `vetmap`, one entry point each.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand), prints its own --help, and returns the process exit status:
 * 0 success, 1 failure of the work, 2 bad usage. */
#ifndef VETMAP_COMMANDS_H
#define VETMAP_COMMANDS_H

int cmd_ingest(int argc, char **argv);   /* ingest.c */
int cmd_serve(int argc, char **argv);    /* serve.c */
int cmd_user(int argc, char **argv);     /* cmd_user.c */
int cmd_backup(int argc, char **argv);   /* backup.c */
int cmd_restore(int argc, char **argv);  /* backup.c */
int cmd_coverage(int argc, char **argv); /* cmd_coverage.c */
int cmd_layout(int argc, char **argv);   /* cmd_layout.c */

#endif
