#!/usr/bin/env bash
# A one-host Grid Engine (Debian's gridengine 8.1.9, installed by tools/install.sh) for the
# cluster back-end tests. Run as root:
#
#   tools/cluster/sge.sh start    configure the cell, start sge_qmaster and sge_execd, wait
#                                 until a trivial job runs (qsub -sync y /bin/true)
#   tools/cluster/sge.sh stop     stop the daemons this script started (by their pid files)
#   tools/cluster/sge.sh status   say what runs; print the environment (DRMAA_LIBRARY_PATH...)
#   tools/cluster/sge.sh env      only the environment, as export lines: eval "$(... env)"
#
# start and stop are idempotent. status exits 0 when a job can be scheduled (the queue
# instance is up), 3 when not. The cluster: host $(hostname) (resolving to 127.0.0.1), queue
# all.q with $SGE_SLOTS slots (default 4), parallel environment smp, root may run jobs,
# scheduler every second. Daemons this script starts have their pids in
# /run/ruffus-luigi-clusters/sge/sge_{qmaster,execd}.pid; stop touches only those pids.
# Pitfalls are in docs/clusters.md.
set -euo pipefail
NAME=sge.sh
# shellcheck source=tools/cluster/common.sh
. "$(dirname "$0")/common.sh"

export SGE_ROOT=/var/lib/gridengine   # where Debian's packages put the cell
export SGE_CELL=default
export SGE_QMASTER_PORT=6444 SGE_EXECD_PORT=6445
SLOTS=${SGE_SLOTS:-4}
QUEUE=all.q
DRMAA_LIB=/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0   # Debian ships no libdrmaa.so link
# libdrmaa needs libjemalloc, whose initial-exec TLS does not fit in glibc's default static TLS
# surplus when Python dlopen()s it ("cannot allocate memory in static TLS block"). The tunable
# must be in the environment when the Python process starts.
TLS_TUNABLE=glibc.rtld.optional_static_tls=4096
SPOOL=/var/spool/gridengine
COMMON=$SGE_ROOT/$SGE_CELL/common
# The daemons write their pid files themselves, as the admin user sgeadmin.
PID_DIR=$RUN_DIR/sge
QMASTER_PID=$PID_DIR/sge_qmaster.pid
EXECD_PID=$PID_DIR/sge_execd.pid
HOST_MARKER=$COMMON/.ruffus_luigi_host
HOST=$(hostname)

print_env() {
  local tunables=${GLIBC_TUNABLES:-}
  case ":$tunables:" in
    *:glibc.rtld.optional_static_tls=*) ;;
    *) tunables=${tunables:+$tunables:}$TLS_TUNABLE ;;
  esac
  printf 'export SGE_ROOT=%q\n' "$SGE_ROOT"
  printf 'export SGE_CELL=%q\n' "$SGE_CELL"
  printf 'export SGE_QMASTER_PORT=%q\n' "$SGE_QMASTER_PORT"
  printf 'export SGE_EXECD_PORT=%q\n' "$SGE_EXECD_PORT"
  printf 'export DRMAA_LIBRARY_PATH=%q\n' "$DRMAA_LIB"
  printf 'export GLIBC_TUNABLES=%q\n' "$tunables"
}

qmaster_up() { timeout 20 qconf -sh >/dev/null 2>&1; }
qmaster_answers() { timeout 10 qping -info "$HOST" "$SGE_QMASTER_PORT" qmaster 1 >/dev/null 2>&1; }
execd_answers() { timeout 10 qping -info "$HOST" "$SGE_EXECD_PORT" execd 1 >/dev/null 2>&1; }
# The queue instance can take jobs once the execd has reported a load ('-NA-' before) and it
# carries no state flag (u = unknown, a = alarm, d = disabled, E = error...).
queue_ready() {
  timeout 20 qstat -f -q "$QUEUE@$HOST" 2>/dev/null | awk -v q="$QUEUE@$HOST" \
    '$1 == q { ok = ($4 != "-NA-" && NF == 5) } END { exit !ok }'
}

# The daemons write their messages in the spool; show the end on failure.
show_messages() {
  local f
  for f in "$SPOOL/qmaster/messages" "$SPOOL"/execd/*/messages "$RUN_DIR"/sge_*.out; do
    [ -s "$f" ] && { echo "--- tail $f"; tail -15 "$f"; }
  done
  return 0
}

# ------------------------------------------------------------------------------------ cell
prepare_cell() {
  getent hosts "$HOST" >/dev/null \
    || die "host name $HOST does not resolve; tools/install.sh adds it to /etc/hosts"
  [ -x /usr/lib/gridengine/sge_qmaster ] && [ -x /usr/lib/gridengine/sge_execd ] \
    && [ -e "$DRMAA_LIB" ] || die "Grid Engine is not installed: run tools/install.sh"
  # The spool database belongs to the host it was made for: a new host name (a new machine
  # from the same image) means a fresh cell.
  if [ -s "$HOST_MARKER" ] && [ "$(cat "$HOST_MARKER")" != "$HOST" ]; then
    log "cell was made for host $(cat "$HOST_MARKER"), this is $HOST: re-initialising the spool"
    [ -z "$(live_pid "$QMASTER_PID" sge_qmaster)$(live_pid "$EXECD_PID" sge_execd)" ] \
      || die "daemons still running; run '$0 stop' first"
    rm -rf "${SPOOL:?}/spooldb/"* "${SPOOL:?}/qmaster/"* "${SPOOL:?}/execd/"*
  fi
  install -d -o sgeadmin -g sgeadmin -m 0755 "$PID_DIR" "$SGE_ROOT/$SGE_CELL" "$COMMON" \
    "$SPOOL/qmaster" "$SPOOL/qmaster/job_scripts" "$SPOOL/spooldb" "$SPOOL/execd"
  [ -e "$COMMON/bootstrap" ] \
    || install -m 0644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap \
      "$COMMON/bootstrap"
  # Empty when the packages were installed without the debconf answers.
  if [ "$(cat "$COMMON/act_qmaster" 2>/dev/null)" != "$HOST" ]; then
    echo "$HOST" >"$COMMON/act_qmaster"
    chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
    chmod 0644 "$COMMON/act_qmaster"
  fi
  if [ ! -e "$SPOOL/spooldb/sge" ]; then
    log "creating the spool database"
    runuser -u sgeadmin -- /usr/share/gridengine/scripts/init_cluster \
      "$SGE_ROOT" "$SGE_CELL" "$SPOOL/spooldb" sgeadmin
  fi
  # Grid Engine compares the name a client gives (hostname) with the reverse lookup of its
  # address. With "127.0.0.1 localhost" before "127.0.0.1 <host>" in /etc/hosts, 127.0.0.1
  # reverses to localhost and every command fails with "access denied (client IP resolved to
  # host name "localhost". This is not identical to clients host name ...)". host_aliases
  # tells Grid Engine both names are this host.
  local ip rev
  ip=$(getent ahostsv4 "$HOST" | awk '{print $1; exit}')
  rev=$(getent hosts "$ip" | awk '{print $2; exit}')
  if [ -n "$rev" ] && [ "$rev" != "$HOST" ]; then
    if [ "$(cat "$COMMON/host_aliases" 2>/dev/null)" != "$HOST $rev" ]; then
      log "$HOST ($ip) reverse-resolves to $rev: writing $COMMON/host_aliases"
      echo "$HOST $rev" >"$COMMON/host_aliases"
      chmod 0644 "$COMMON/host_aliases"
    fi
  else
    rm -f "$COMMON/host_aliases"
  fi
  echo "$HOST" >"$HOST_MARKER"
}

# start_daemon LABEL PIDFILE PIDVAR SPOOLPIDFILE: start one daemon with its pid in PIDFILE.
# Both daemons fork into the background and write the pid file named by their environment
# variable themselves. stdin/stdout/stderr go to a file: a caller capturing our output (pytest)
# would otherwise wait for the daemon to close the pipe.
start_daemon() {
  local label=$1 pidfile=$2 pidvar=$3 spoolpid=$4 f
  rm -f "$pidfile"
  log "starting $label"
  env "$pidvar=$pidfile" "/usr/sbin/$label" </dev/null >>"$RUN_DIR/$label.out" 2>&1 9>&- \
    || { show_messages; die "$label failed to start"; }
  if ! wait_for 15 test -s "$pidfile"; then  # fall back to the copy in the spool
    for f in $spoolpid; do [ -s "$f" ] && cp "$f" "$pidfile"; done
  fi
  live_pid "$pidfile" "$label" >/dev/null || { show_messages; die "$label is not running"; }
}

# ----------------------------------------------------------------------------- configure
configure() {
  w=$(mktemp -d /tmp/sge.sh.XXXXXX)
  trap 'rm -rf "$w"' EXIT
  # Global configuration: root (uid/gid 0) may run jobs (the default minimum is 1000), and a
  # finished job is in the accounting file (qacct) at once, not up to 15 s later.
  qconf -sconf global >"$w/global.now"
  sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' \
    -e 's/\<flush_time=[0-9:]*/flush_time=00:00:01/' \
    -e 's/accounting_flush_time=[0-9:]*/accounting_flush_time=00:00:00/' \
    "$w/global.now" >"$w/global"
  grep -q accounting_flush_time= "$w/global" \
    || sed -i 's/\<flush_time=00:00:01/& accounting_flush_time=00:00:00/' "$w/global"
  cmp -s <(tr -s ' ' <"$w/global.now") <(tr -s ' ' <"$w/global") \
    || (cd "$w" && qconf -Mconf global)  # the file's name is the configuration's name
  qconf -sh | grep -qx "$HOST" || qconf -ah "$HOST"
  qconf -ss 2>/dev/null | grep -qx "$HOST" || qconf -as "$HOST"
  if ! qconf -se "$HOST" >/dev/null 2>&1; then
    printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
      "$HOST" >"$w/exechost"
    qconf -Ae "$w/exechost"
  fi
  printf 'group_name @allhosts\nhostlist %s\n' "$HOST" >"$w/hgrp"
  if ! qconf -shgrp @allhosts >/dev/null 2>&1; then
    qconf -Ahgrp "$w/hgrp"
  elif [ "$(qconf -shgrp @allhosts | awk '$1 == "hostlist" {print $2}')" != "$HOST" ]; then
    qconf -Mhgrp "$w/hgrp"
  fi
  if ! qconf -sp smp >/dev/null 2>&1; then
    printf '%s\n' 'pe_name smp' 'slots 999' 'user_lists NONE' 'xuser_lists NONE' \
      'start_proc_args NONE' 'stop_proc_args NONE' 'allocation_rule $pe_slots' \
      'control_slaves TRUE' 'job_is_first_task TRUE' 'urgency_slots min' \
      'accounting_summary FALSE' 'qsort_args NONE' >"$w/pe"
    qconf -Ap "$w/pe"
  fi
  # The queue, from the built-in template, but: no load threshold (a busy 2-core machine
  # would put it in alarm state, and nothing would be scheduled), only the PE that exists,
  # and bash as the job shell.
  qconf -sq | sed -e "s/^qname .*/qname $QUEUE/" \
    -e 's/^hostlist .*/hostlist @allhosts/' \
    -e "s/^slots .*/slots $SLOTS/" \
    -e 's/^load_thresholds .*/load_thresholds NONE/' \
    -e 's/^pe_list .*/pe_list smp/' \
    -e 's#^shell .*#shell /bin/bash#' >"$w/queue"
  if ! qconf -sq "$QUEUE" >/dev/null 2>&1; then
    qconf -Aq "$w/queue"
  elif ! cmp -s <(qconf -sq "$QUEUE" | tr -s ' ') <(tr -s ' ' <"$w/queue"); then
    qconf -Mq "$w/queue"
  fi
  # Schedule every second and right after a submission or a job's end (default: 15 s).
  qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec 1/' \
    -e 's/^flush_finish_sec .*/flush_finish_sec 1/' >"$w/sconf"
  cmp -s <(qconf -ssconf | tr -s ' ') <(tr -s ' ' <"$w/sconf") || qconf -Msconf "$w/sconf"
}

# --------------------------------------------------------------------------------- start
start() {
  need_root
  take_lock
  [[ $SLOTS =~ ^[1-9][0-9]*$ ]] || die "SGE_SLOTS must be a positive number, not '$SLOTS'"
  prepare_cell

  if pid=$(live_pid "$QMASTER_PID" sge_qmaster); then
    log "sge_qmaster already running (pid $pid)"
  elif qmaster_answers; then
    log "a qmaster not started by $NAME answers on port $SGE_QMASTER_PORT: using it"
  else
    start_daemon sge_qmaster "$QMASTER_PID" SGE_QMASTER_PIDFILE "$SPOOL/qmaster/qmaster.pid"
  fi
  wait_for 60 qmaster_up || { show_messages; die "sge_qmaster does not answer qconf"; }

  configure 2>&1 | sed 's/^/  qconf: /'

  if pid=$(live_pid "$EXECD_PID" sge_execd); then
    log "sge_execd already running (pid $pid)"
  elif execd_answers; then
    log "an execd not started by $NAME answers on port $SGE_EXECD_PORT: using it"
  else
    start_daemon sge_execd "$EXECD_PID" SGE_EXECD_PIDFILE "$SPOOL/execd/*/execd.pid"
  fi
  wait_for 60 queue_ready || { qstat -f; show_messages; die "queue $QUEUE@$HOST not ready"; }

  # A trivial job, run to its end. Always give qsub a working directory: a job whose
  # directory does not exist stays in state Eqw and qsub -sync y waits for ever.
  timeout 120 qsub -b y -sync y -wd /tmp -o /dev/null -e /dev/null -N sge_sh_check /bin/true \
    >/dev/null || { qstat -f; show_messages; die "a trivial job did not run"; }
  log "ready: queue $QUEUE@$HOST, $(qconf -sq "$QUEUE" | awk '$1 == "slots" {print $2}') slots"
}

# ---------------------------------------------------------------------------------- stop
# stop_daemon LABEL PIDFILE TIMEOUT CMD...: ask the daemon to stop with Grid Engine's own
# command, then signal its recorded pid if it does not go.
stop_daemon() {
  local label=$1 pidfile=$2 secs=$3 pid; shift 3
  if ! pid=$(live_pid "$pidfile" "$label"); then
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $label (pid $pid): $*"
  if timeout 30 "$@" >/dev/null 2>&1 && wait_gone "$pid" "$secs"; then
    :
  else
    terminate "$label" "$pid"
  fi
  rm -f "$pidfile"
}

stop() {
  need_root
  take_lock
  local qm ex
  qm=$(live_pid "$QMASTER_PID" sge_qmaster) || qm=""
  ex=$(live_pid "$EXECD_PID" sge_execd) || ex=""
  if [ -z "$qm$ex" ]; then
    rm -f "$QMASTER_PID" "$EXECD_PID"
    qmaster_answers && log "Grid Engine runs, but $NAME did not start it: left alone"
    log "nothing to stop"
    return 0
  fi
  # Jobs left over would run at the next start: delete them (this is a private test cluster).
  [ -n "$qm" ] && timeout 30 qdel -f -u '*' >/dev/null 2>&1 || true
  # The execd first: the qmaster delivers its shutdown request (and kills its jobs).
  stop_daemon sge_execd "$EXECD_PID" 30 qconf -kej "$HOST"
  # The qmaster takes 8-11 s to shut down, whichever way it is asked.
  stop_daemon sge_qmaster "$QMASTER_PID" 60 qconf -km
  log "stopped"
}

# -------------------------------------------------------------------------------- status
status() {
  local qm ex rc=3 who
  qm=$(live_pid "$QMASTER_PID" sge_qmaster) || qm=""
  ex=$(live_pid "$EXECD_PID" sge_execd) || ex=""
  if [ -n "$qm" ]; then who="pid $qm, started by $NAME"
  elif qmaster_answers; then who="not started by $NAME"
  else who=""; fi
  if [ -z "$who" ]; then
    echo "sge_qmaster: not running"
  else
    echo "sge_qmaster: running ($who)"
  fi
  if [ -n "$ex" ]; then echo "sge_execd: running (pid $ex, started by $NAME)"
  elif [ -n "$who" ] && execd_answers; then echo "sge_execd: running (not started by $NAME)"
  else echo "sge_execd: not running"; fi
  if [ -n "$who" ] && queue_ready; then
    echo "queue $QUEUE@$HOST: ready"
    rc=0
  else
    echo "queue $QUEUE@$HOST: not ready"
  fi
  echo "DRMAA library: $DRMAA_LIB"
  echo "environment for clients (qsub, qstat, DRMAA):"
  print_env
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
