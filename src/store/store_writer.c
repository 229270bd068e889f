/* store_writer.c — the process's read-write connection (store_writer.h). */
#include "store/store_writer.h"
#include "store/store.h"

#include <stddef.h>

static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *writer;

sqlite3 *store_writer_lock(const char *path, char **err) {
    *err = NULL;
    pthread_mutex_lock(&writer_lock);
    if (!writer) writer = store_open(path, 0, err);
    if (!writer) pthread_mutex_unlock(&writer_lock);
    return writer;
}

void store_writer_unlock(void) { pthread_mutex_unlock(&writer_lock); }

pthread_mutex_t *store_writer_mutex(void) { return &writer_lock; }

void store_writer_close(void) {
    pthread_mutex_lock(&writer_lock);
    store_close(writer);
    writer = NULL;
    pthread_mutex_unlock(&writer_lock);
}
