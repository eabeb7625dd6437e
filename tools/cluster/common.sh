# Helpers shared by tools/cluster/sge.sh and tools/cluster/slurm.sh (sourced, never run).
# The caller sets NAME (used in log lines) before sourcing.

# Pid files of the daemons the scripts started, their console output and the scripts' locks.
RUN_DIR=/run/ruffus-luigi-clusters
export PATH=/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}
T0=$(date +%s%N)

log() {
  local ms=$(( ($(date +%s%N) - T0) / 1000000 ))
  printf '[%s %d.%03ds] %s\n' "$NAME" $((ms / 1000)) $((ms % 1000)) "$*"
}
die() { log "ERROR: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (the daemons run as root)"; }

# One start/stop at a time per cluster (several pytest-xdist workers, or a person and CI).
# Daemons must not inherit fd 9, or they would hold the lock forever: start them with 9>&-.
take_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/$NAME.lock"
  flock -w 600 9 || die "could not lock $RUN_DIR/$NAME.lock within 600 s"
}

# is_running PID: the process exists and is not a zombie. This machine's pid 1 reaps orphans
# late, so a daemon that exited (or was killed) lingers for a second or two in state Z.
is_running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  case "$st" in R|S|D|T|t|I|W|P) return 0 ;; *) return 1 ;; esac
}

# live_pid PIDFILE COMM: print the pid in PIDFILE if it is a running process named COMM.
live_pid() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && is_running "$pid" \
    && echo "$pid"
}

# wait_for SECONDS CMD...: run CMD every 0.25 s until it succeeds; fail after SECONDS.
wait_for() {
  local end=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.25
  done
}

# wait_gone PID SECONDS: wait for PID to exit.
wait_gone() {
  local end=$(( $(date +%s) + $2 ))
  while is_running "$1"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# terminate LABEL PID: SIGTERM, then SIGKILL, to this one pid (never by name).
terminate() {
  is_running "$2" || return 0
  log "$1 (pid $2): SIGTERM"
  kill -TERM "$2" 2>/dev/null || true
  wait_gone "$2" 20 && return 0
  log "$1 (pid $2): still running after 20 s, SIGKILL"
  kill -KILL "$2" 2>/dev/null || true
  wait_gone "$2" 10 || die "$1 (pid $2) would not die"
}
