/* Signal names as Docker takes them: "SIGTERM", "TERM", "term" or "15". */
#pragma once

/* Returns the signal number (1..64), or -1 for anything else. */
int signal_parse(const char *s);

/* "SIGTERM" for 15; "SIG<n>" for one without a name (real-time ones). */
const char *signal_name(int sig, char *buf, unsigned size);
