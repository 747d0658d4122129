/* A container's log: what its process 1 wrote to stdout and stderr (or to
 * its terminal), as the monitor received it, for `launcher logs`.
 *
 * The file is a sequence of records, each a 16-byte header (stream and
 * length in one little-endian u32: stream in the top 8 bits, length in the
 * low 24; then a u32 reserved 0; then the receive time as u64 nanoseconds
 * since the epoch, little-endian) followed by length bytes of output
 * (1..LOG_RECORD_MAX). Records keep output as it came, in chunks, so
 * writing costs one header per read of the guest stream; readers split it
 * into lines (for --tail and -t).
 *
 * DIR/container.log is written; when the next record would take it past
 * max_size it is renamed container.log.1 (older ones shift to .2, ...,
 * the oldest beyond max_files - 1 is deleted) and a new one begun, so a
 * chatty container never holds more than max_size * max_files bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LOG_FILE_NAME "container.log"
#define LOG_RECORD_MAX (64u * 1024)
#define LOG_HEADER_SIZE 16
#define LOG_DEFAULT_MAX_SIZE (10ull << 20) /* per file */
#define LOG_DEFAULT_MAX_FILES 3
#define LOG_MAX_FILES_LIMIT 100
#define LOG_MIN_MAX_SIZE (4u * 1024)

enum log_stream {
	LOG_STDOUT = 1,
	LOG_STDERR = 2,
};

struct log_opts {
	uint64_t max_size;  /* bytes per file, >= LOG_MIN_MAX_SIZE */
	unsigned max_files; /* 1..LOG_MAX_FILES_LIMIT */
};

/* The defaults: LOG_DEFAULT_MAX_SIZE, LOG_DEFAULT_MAX_FILES. */
void log_opts_default(struct log_opts *o);

/* One `--log-opt KEY=VALUE`: max-size (Docker's sizes: 512k, 10m, 1g,
 * plain bytes) or max-file (a count). Anything else is an error naming
 * the option. */
int log_opts_parse(struct log_opts *o, const char *kv, struct error *e);

struct log_writer;

/* Opens (creating, appending) DIR/container.log. */
struct log_writer *log_writer_open(const char *dir, const struct log_opts *o, struct error *e);

/* Appends len bytes of stream s received at time_ns (CLOCK_REALTIME),
 * split into records of at most LOG_RECORD_MAX, rotating as needed.
 * Returns 0 or -errno (the disk is full: the output is dropped, the caller
 * goes on). */
int log_write(struct log_writer *w, enum log_stream s, uint64_t time_ns, const void *buf,
	      size_t len);

void log_writer_close(struct log_writer *w);

struct log_read_opts {
	bool want_stdout, want_stderr;
	bool timestamps; /* prefix each line with its RFC 3339 time and a space */
	long tail;	 /* the last this many lines only; -1: all */
	bool follow;	 /* go on reading as records are written */
	/* With follow: asked between polls; when it returns false, what is
	 * left is read and log_read returns. */
	bool (*still_running)(void *ctx);
	void *ctx;
};

/* Writes DIR's log (rotated files first, oldest first) to out_fd (stdout
 * records) and err_fd (stderr records). A truncated last record (the
 * writer died mid-record) ends the log; a malformed header is an error
 * naming the file and offset. Returns 0 or -errno; EPIPE from the
 * reader's side ends it quietly with 0. */
int log_read(const char *dir, const struct log_read_opts *o, int out_fd, int err_fd,
	     struct error *e);

/* "2026-11-28T13:15:49.123456789Z": Docker's RFC 3339 with nanoseconds,
 * in UTC. buf holds at least 32 bytes. */
void log_format_time(uint64_t time_ns, char *buf, size_t size);
