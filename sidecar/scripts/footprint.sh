#!/usr/bin/env bash
# footprint.sh: RSS and idle CPU of one sidecar process, as ./vertice runs it.
#   sidecar/scripts/footprint.sh [idle-seconds] [extra JVM flags...]
# Starts a control plane, a demo app and one sidecar (on free ports, from launcher/target/vertice.jar),
# waits for the sidecar to register and warm up (20 s), then samples /proc/<pid>/status (VmRSS,
# RssAnon, RssFile, Threads) and the CPU ticks of /proc/<pid>/stat (utime+stime) over the idle
# period (default 60 s), and the time from launch to registered. Flags: the sidecar's java_opts from ./vertice, then the extra flags.
# The admin port's /metrics is scraped as Prometheus would, every SCRAPE seconds (default 15; 0: never),
# from the end of the warm-up, so that what a scrape loads and allocates is counted.
# Diagnostics: CLASSES=1 (loaded classes by package), PMAP=1 (largest mappings), NMT=1 (with
# -XX:NativeMemoryTracking=summary among the flags: the JVM's own accounting).
# ./vertice sidecar starts dev.vertice.launcher.SidecarCommand's own main (not the launcher's Main,
# which would load every command), which is what this measures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/launcher/target/vertice.jar"
IDLE="${1:-60}"
shift || true
[[ -f "$JAR" ]] || { echo "build first: ./vertice build" >&2; exit 1; }
# shellcheck disable=SC1090
OPTS="$(bash -c "source <(sed -n '/^java_opts()/,/^}/p' '$ROOT/vertice'); java_opts sidecar")"
TMP="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

wait_for() { # file regex -> first match group
  for _ in $(seq 1 600); do
    if m="$(grep -oP "$2" "$1" 2>/dev/null | head -1)" && [[ -n "$m" ]]; then echo "$m"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $2 in $1" >&2; cat "$1" >&2; return 1
}

java -XX:+UseSerialGC -jar "$JAR" control-plane --host 127.0.0.1 --port 0 --admin-port 0 >"$TMP/cp.log" 2>&1 & pids+=($!)
CP="$(wait_for "$TMP/cp.log" 'listening on 127\.0\.0\.1:\K\d+')"
java -XX:+UseSerialGC -jar "$JAR" demo --service footprint --port 0 >"$TMP/app.log" 2>&1 & pids+=($!)
APP="$(wait_for "$TMP/app.log" 'listening on 127\.0\.0\.1:\K\d+')"
# Exactly what users run: ./vertice sidecar (it execs java, so the pid stays), extra flags in JAVA_OPTS.
start="$(date +%s.%N)"
JAVA_OPTS="$*" "$ROOT/vertice" sidecar --service-name footprint --port "$APP" --control-plane "127.0.0.1:$CP" \
  --api-port 0 --admin-host 127.0.0.1 --admin-port 0 --upstreams footprint >"$TMP/sidecar.log" 2>&1 & SC=$!; pids+=($SC)
wait_for "$TMP/sidecar.log" 'registered footprint/' >/dev/null
registered="$(date +%s.%N)"
ADMIN="$(wait_for "$TMP/sidecar.log" 'admin: http://127\.0\.0\.1:\K\d+')"
sleep 20 # warm-up: the first probes, keepalives and pushes are behind it
SCRAPE="${SCRAPE:-15}"
if (( SCRAPE > 0 )); then
  (while curl -sf -m 5 -o /dev/null "http://127.0.0.1:$ADMIN/metrics"; do sleep "$SCRAPE"; done) & pids+=($!)
fi
ticks() { awk '{print $14 + $15}' "/proc/$SC/stat"; }
hz="$(getconf CLK_TCK)"
t0="$(ticks)"; s0="$(date +%s.%N)"
sleep "$IDLE"
t1="$(ticks)"; s1="$(date +%s.%N)"
echo "flags: $OPTS $*"
[[ -n "${CLASSES:-}" ]] && jcmd "$SC" VM.class_hierarchy 2>/dev/null | grep -oE "[a-z]+(\.[a-z0-9]+){1,2}" | sort | uniq -c | sort -rn | head -25 || true
[[ -n "${PMAP:-}" ]] && pmap -x "$SC" | sort -k3 -n | tail -25 || true
[[ -n "${NMT:-}" ]] && jcmd "$SC" VM.native_memory summary | grep -E "committed" | head -30 || true
awk -v a="$start" -v b="$registered" 'BEGIN { printf "start: registered %.2f s after launch\n", b - a }'
grep -E '^(VmRSS|RssAnon|RssFile|RssShmem|Threads)' "/proc/$SC/status" | tr -s ' \t' ' '
awk -v t="$((t1 - t0))" -v hz="$hz" -v s0="$s0" -v s1="$s1" \
  'BEGIN { printf "idle CPU: %.2f%% of one core (%d ticks over %.1f s)\n", 100 * t / hz / (s1 - s0), t, s1 - s0 }'
