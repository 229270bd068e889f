# vetmap — build, data, run, test, bench.
# `make` builds build/vetmap; `make run` installs what is missing, builds,
# ingests geodata/ and serves the map; `make test` runs every test.

BUILD   ?= build
DB      ?= data/vetmap.sqlite
PORT    ?= 8080
PKGS     = gdal proj geos spatialite sqlite3 libmicrohttpd libcjson libsodium zlib libutf8proc
CC      ?= cc
CFLAGS  ?= -O2 -g
# Flags the code needs whatever CFLAGS the caller gives (the sanitizer build
# sets CFLAGS on the command line).
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Isrc \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

# Modules linked into the binary (src/<layer>/*.c); cli/main.c is the only one the unit
# tests leave out.
LIB_SRC  = $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/*/test_*.c)

.PHONY: all deps run data serve test test-layers test-unit test-unit-san test-api test-browser test-clocks bench web clean
all: $(BUILD)/vetmap web

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/vetmap: $(LIB_OBJ) $(BUILD)/obj/cli/main.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The page loads OpenLayers from the npm package `ol` (its UMD build).
web: web/vendor/ol.js web/vendor/ol.css
node_modules/ol/dist/ol.js: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
web/vendor/ol.js: node_modules/ol/dist/ol.js
	@mkdir -p web/vendor && cp $< $@
web/vendor/ol.css: node_modules/ol/dist/ol.js
	@mkdir -p web/vendor && cp node_modules/ol/ol.css $@

deps:
	@scripts/install-deps.sh

# (Re)build the database from geodata/: upserts into the existing file, so a
# second run changes nothing (0 inserted, 0 updated, N unchanged).
data: $(BUILD)/vetmap
	@scripts/build-data.sh $(BUILD)/vetmap $(DB)

# vetmap prints "vetmap: serving URL" itself, once the port is bound.
run: deps all data
	$(BUILD)/vetmap serve --db $(DB) --port $(PORT) --web web

test: deps all test-layers test-unit test-unit-san test-api test-browser

# The include rule of the layers (README, "The layers").
test-layers:
	@scripts/check-layers.sh

# Unit tests: pure logic, linked against the modules (not main.c).
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJ) $(LDLIBS)

test-unit: $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
	@scripts/run-unit.sh $^

# The same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-unit-san:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test-unit

test-api: $(BUILD)/vetmap
	VETMAP_BIN=$(BUILD)/vetmap node --test --test-concurrency=1 tests/api/

test-browser: all
	VETMAP_BIN=$(BUILD)/vetmap node --test --test-concurrency=1 tests/browser/

# The whole suite again with the machine's clock at instants that once broke date handling (a
# one-digit day, New Year's Eve 23:59 in Vietnam = 16:59 UTC, 29 February, a one-digit day of
# January), each in another time zone; `make test` covers them in tests/browser/clock.test.mjs.
CLOCKS = 2026-12-03T08:00:00Z=UTC 2026-12-31T16:59:00Z=Asia/Ho_Chi_Minh \
         2028-02-29T12:00:00Z=America/New_York 2027-01-10T00:00:00Z=Pacific/Kiritimati
test-clocks: all
	@for c in $(CLOCKS); do t=$${c%%=*}; z=$${c#*=}; echo "== clock $$t, TZ=$$z"; \
	  TZ=UTC faketime -m "$$(echo $$t | tr T ' ' | tr -d Z)" env TZ=$$z \
	    $(MAKE) --no-print-directory test-unit test-api test-browser || exit 1; done

bench: all
	@tests/bench/run.sh $(BUILD)/vetmap

clean:
	rm -rf $(BUILD) web/vendor
