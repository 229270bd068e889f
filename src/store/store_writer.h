/* store_writer.h — the process's one read-write connection.
 *
 * SQLite allows one writer at a time; the server's writes (sessions, login
 * failures, edits, moderation, accounts) all go through this connection,
 * serialised by its mutex, instead of each request opening its own and
 * meeting SQLITE_BUSY.  The connection is opened on first use, so a server
 * that only reads never holds a write handle. */
#ifndef VETMAP_STORE_WRITER_H
#define VETMAP_STORE_WRITER_H

#include <pthread.h>
#include <sqlite3.h>

/* Lock the writer and return its connection, opening `path` (store_open,
 * read-write, no create) on first use.  NULL when it cannot be opened: the
 * lock is then released and *err (malloc'd) says why.  Release with
 * store_writer_unlock. */
sqlite3 *store_writer_lock(const char *path, char **err);
void store_writer_unlock(void);

/* The writer's mutex, for a function that takes and drops it around its own
 * steps (auth_login hashes a password outside it).  The connection itself
 * must already be open: store_writer_lock + store_writer_unlock first. */
pthread_mutex_t *store_writer_mutex(void);

/* Close the connection (at shutdown; the next store_writer_lock reopens). */
void store_writer_close(void);

#endif
