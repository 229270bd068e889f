/* main.c — `vetmap SUBCOMMAND ...`: dispatch and the top-level --help. */
#include "cli/commands.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

typedef struct Command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    {"ingest", cmd_ingest, "load institutions or admin boundaries from any vector file GDAL reads"},
    {"serve", cmd_serve, "serve OGC API - Features, GeoJSON tiles, search and the web map"},
    {"user", cmd_user, "add, list, disable, enable or reset the accounts that edit the map"},
    {"backup", cmd_backup, "copy the database consistently while it is in use"},
    {"restore", cmd_restore, "replace the database with a checked backup"},
    {"coverage", cmd_coverage, "population within reach of institutions, gaps, suggested new sites"},
    {"layout", cmd_layout, "derive an admin layout from an older one; set units' population"},
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: vetmap SUBCOMMAND [OPTIONS]\n"
            "\n"
            "A map of a province's network of vocational education and training\n"
            "institutions: ingest into SpatiaLite, serve over HTTP.\n"
            "\n"
            "subcommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`vetmap SUBCOMMAND --help` describes each one's options.\n");
}

int main(int argc, char **argv) {
    /* No setlocale(): numbers must never follow LC_NUMERIC (CASES G2). */
    /* SQLite's memory statistics (never read here) take a global mutex on
     * every allocation: a tenth of a big ingest's SQLite time, and a lock
     * all server threads share.  Must come before SQLite initialises. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vetmap: unknown subcommand '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
