/* cmd_layout.c — `vetmap layout`: derive a layout from an older one
 * (layout_derive.h) and set units' population from a table. */
#include "base/cliopt.h"
#include "cli/commands.h"
#include "ingest/layout_derive.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: vetmap layout derive --db FILE --from LAYOUT --members FILE --out FILE.geojson [OPTIONS]\n"
          "       vetmap layout population --db FILE --layout NAME --level LEVEL FILE\n"
          "\n"
          "derive: build a new layout's units from an older layout's units of one level:\n"
          "each new unit is the union of the old units its row lists; old units no row\n"
          "lists join the new unit they share the longest border with (preferring their\n"
          "own parent's), marked approximate; the result is clipped to the old layout's\n"
          "province, made disjoint and gap-free, and checked to tile it (area sum within\n"
          "0.5 %). The database is only read. Ingest the output with `vetmap ingest\n"
          "--collection admin`.\n"
          "  --from LAYOUT           the older layout (e.g. 2019)\n"
          "  --level LEVEL           its level that merged (default commune)\n"
          "  --members FILE          one row per new unit (CSV, XLSX, ...)\n"
          "  --code-col, --name-col, --members-col, --population-col, --seat-lon-col,\n"
          "  --seat-lat-col, --area-col NAME\n"
          "                          its columns (defaults: code, name, members,\n"
          "                          population, seat_lon, seat_lat, area_km2); members\n"
          "                          are old codes separated by ';' (anything after a ':'\n"
          "                          in an item is ignored)\n"
          "  --population-year YEAR  written on every new unit\n"
          "  --out FILE.geojson      the new units\n"
          "  --out-frame FILE        the province (frame) with the population total\n"
          "  --out-apportion FILE    CSV: the population spread over the old units' parents\n"
          "                          (e.g. 2019 districts) by the area drawn from each\n"
          "\n"
          "population: store population figures (and population_year) for a layout's units\n"
          "of one level from a table with columns code, population[, population_year]:\n"
          "for units whose boundary file has none (coverage reads them when\n"
          "admin_unit.population is empty; re-ingesting the boundaries keeps them).\n"
          "A population must be a non-negative integer (a year: 1000..9999); a row with\n"
          "an empty or bad value (-5, abc, 12.7) is reported with its reason and skipped,\n"
          "the other rows are stored.\n"
          "\n"
          "Exit status: 0 done (population: even with rejected rows), 1 failed (derive:\n"
          "the tiling check failed; the files are written for inspection), 2 bad usage.\n",
          out);
}

static int open_db(const char *path, int flags, sqlite3 **db) {
    char *err = NULL;
    *db = store_open(path, flags, &err);
    if (!*db) fprintf(stderr, "vetmap layout: %s\n", err ? err : "cannot open the database");
    free(err);
    return *db ? 0 : 1;
}

static int derive(int argc, char **argv) {
    DeriveOptions o = {.level = "commune", .code_col = "code", .name_col = "name", .members_col = "members",
                       .population_col = "population", .seat_lon_col = "seat_lon", .seat_lat_col = "seat_lat",
                       .area_col = "area_km2"};
    const char *db_path = NULL, *year = NULL;
    struct {
        const char *name;
        const char **dst;
    } vals[] = {{"--db", &db_path},          {"--from", &o.from_layout},
                {"--level", &o.level},       {"--members", &o.members_path},
                {"--code-col", &o.code_col}, {"--name-col", &o.name_col},
                {"--members-col", &o.members_col}, {"--population-col", &o.population_col},
                {"--seat-lon-col", &o.seat_lon_col}, {"--seat-lat-col", &o.seat_lat_col},
                {"--area-col", &o.area_col}, {"--population-year", &year},
                {"--out", &o.out_units},     {"--out-frame", &o.out_frame},
                {"--out-apportion", &o.out_apportion}};
    for (int i = 1; i < argc; i++) {
        int taken = 0;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] && !taken; k++) {
            int r = cliopt_take("vetmap layout derive", argc, argv, &i, vals[k].name, vals[k].dst);
            if (r < 0) return 2;
            taken = r;
        }
        if (!taken) {
            fprintf(stderr, "vetmap layout derive: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (!db_path || !o.from_layout || !o.members_path || !o.out_units) {
        fprintf(stderr, "vetmap layout derive: --db, --from, --members and --out are required\n");
        return 2;
    }
    o.population_year = year ? atoi(year) : 0;
    sqlite3 *db;
    if (open_db(db_path, STORE_READONLY, &db)) return 1;
    char *err = NULL;
    int rc = layout_derive(db, &o, stderr, &err);
    if (rc) fprintf(stderr, "vetmap layout derive: %s\n", err ? err : "failed");
    free(err);
    store_close(db);
    return rc ? 1 : 0;
}

static int population(int argc, char **argv) {
    const char *db_path = NULL, *layout = NULL, *level = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        int r = cliopt_take("vetmap layout population", argc, argv, &i, "--db", &db_path);
        if (!r) r = cliopt_take("vetmap layout population", argc, argv, &i, "--layout", &layout);
        if (!r) r = cliopt_take("vetmap layout population", argc, argv, &i, "--level", &level);
        if (r < 0) return 2;
        if (r) continue;
        if (argv[i][0] == '-' || file) {
            fprintf(stderr, "vetmap layout population: unexpected '%s' (see --help)\n", argv[i]);
            return 2;
        }
        file = argv[i];
    }
    if (!db_path || !layout || !level || !file) {
        fprintf(stderr, "vetmap layout population: --db, --layout, --level and FILE are required\n");
        return 2;
    }
    sqlite3 *db;
    if (open_db(db_path, 0, &db)) return 1;
    char *err = NULL;
    int rc = layout_set_population(db, layout, level, file, stdout, &err);
    if (rc) fprintf(stderr, "vetmap layout population: %s\n", err ? err : "failed");
    free(err);
    store_close(db);
    return rc ? 1 : 0;
}

int cmd_layout(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(argv[1], "derive")) return derive(argc - 1, argv + 1);
    if (!strcmp(argv[1], "population")) return population(argc - 1, argv + 1);
    fprintf(stderr, "vetmap layout: unknown action '%s' (derive or population)\n", argv[1]);
    return 2;
}
