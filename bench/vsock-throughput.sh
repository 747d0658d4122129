#!/usr/bin/env bash
# vsock stream throughput through the backend, host to guest and back,
# beside an in-guest pipe copy of the same size (the ceiling).
#
# usage: bench/vsock-throughput.sh [SIZE] [RUNS] [BUILD_DIR]   (as root, libvirtd running)
set -euo pipefail
size=${1:-256M}
runs=${2:-3}
launcher=$(cd "${3:-build}" && pwd)/launcher/launcher

for i in $(seq 1 "$runs"); do
  "$launcher" diag vsock --size "$size" --direction both --pipe 2>/dev/null
done | awk '
  { rate[$1] = rate[$1] " " $(NF-3) ; n[$1]++ ; v[$1, n[$1]] = $(NF-3) + 0 }
  END {
    for (k in n) {
      m = n[k]; for (i = 1; i <= m; i++) s[i] = v[k, i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
      printf "%-12s MB/s:%s -> median %.1f\n", k, rate[k], s[int((m + 1) / 2)]
    }
  }'
