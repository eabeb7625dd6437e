#!/usr/bin/env bash
# A one-node Slurm (Debian's slurm-wlm 22.05 and munge, installed by tools/install.sh) for the
# cluster back-end tests. Run as root:
#
#   tools/cluster/slurm.sh start    write /etc/slurm/slurm.conf, start munged, slurmctld and
#                                   slurmd, wait until the node is idle and srun true works
#   tools/cluster/slurm.sh stop     cancel the jobs, stop the daemons this script started
#   tools/cluster/slurm.sh status   say what runs; print the environment (SLURM_CONF)
#   tools/cluster/slurm.sh env      only the environment, as export lines: eval "$(... env)"
#
# start and stop are idempotent. status exits 0 when the controller answers and the node
# takes jobs, 3 when not. The cluster: node $(hostname -s) at 127.0.0.1 with
# $SLURM_NODE_CPUS CPUs (default: nproc, at least 8), partition debug (the default), no accounting
# database (sacct -c reads the job completion file), finished jobs kept 600 s in squeue.
# Daemons this script starts have their pids recorded in /run/ruffus-luigi-clusters/slurm/;
# stop touches only those pids. No DRMAA library exists for this Slurm: use the commands.
# Pitfalls are in docs/clusters.md.
set -euo pipefail
NAME=slurm.sh
# shellcheck source=tools/cluster/common.sh
. "$(dirname "$0")/common.sh"

export SLURM_CONF=/etc/slurm/slurm.conf
NODE=$(hostname -s)
# At least 8 CPUs, as Grid Engine's 4 slots and more: the tests run two at a time (xdist), each
# with jobs held running half-way; on a 2-CPU node one test's held jobs starved the other's
# for a minute (and its jobs never started within the test's wait).
CPUS=${SLURM_NODE_CPUS:-$(( $(nproc) > 8 ? $(nproc) : 8 ))}
REC_DIR=$RUN_DIR/slurm              # pids of the daemons this script started
APPLIED=$REC_DIR/applied-conf.sha256  # the slurm.conf the running daemons read
MUNGED_PID=/run/munge/munged.pid
CTLD_PID=/run/slurm/slurmctld.pid
SLURMD_PID=/run/slurm/slurmd.pid
HEADER="# Written by ruffus-luigi's tools/cluster/slurm.sh: a one-node cluster for tests."

print_env() { printf 'export SLURM_CONF=%q\n' "$SLURM_CONF"; }

# Without a slurm.conf the commands look for the controller in DNS SRV records ("configless"
# mode), which takes 10 s to fail here: do not ask them before start has written one.
ctld_up() { [ -s "$SLURM_CONF" ] && timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_state() { timeout 10 sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -1; }
node_ready() { case "$(node_state)" in idle | mix | alloc) return 0 ;; *) return 1 ;; esac; }

show_logs() {
  local f
  for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log /var/log/munge/munged.log \
    "$RUN_DIR"/munged.out "$RUN_DIR"/slurm*.out; do
    [ -s "$f" ] && { echo "--- tail $f"; tail -15 "$f"; }
  done
  return 0
}

# ours NAME PIDFILE: the daemon running from PIDFILE is the one this script started.
ours() {
  local pid
  pid=$(live_pid "$2" "$1") && [ "$(cat "$REC_DIR/$1.pid" 2>/dev/null)" = "$pid" ]
}

# launch NAME PIDFILE CMD...: start a daemon (it forks; its pid file appears), record its pid.
# Its stdin/stdout/stderr go to a file: a caller capturing our output (pytest) would otherwise
# wait for the daemon to close the pipe. It must not inherit the lock (fd 9).
launch() {
  local name=$1 pidfile=$2; shift 2
  log "starting $name"
  rm -f "$pidfile" "$REC_DIR/$name.pid"
  "$@" </dev/null >>"$RUN_DIR/$name.out" 2>&1 9>&- || { show_logs; die "$name failed to start"; }
  wait_for 15 live_pid "$pidfile" "$name" || { show_logs; die "$name is not running"; }
  live_pid "$pidfile" "$name" >"$REC_DIR/$name.pid"
}

write_conf() {
  [[ $CPUS =~ ^[1-9][0-9]*$ ]] || die "SLURM_NODE_CPUS must be a positive number, not '$CPUS'"
  # The node's memory as slurmd measures it, less a margin: a node with less memory than
  # configured is drained ("Low RealMemory").
  local mem realmem overrides="" conf
  mem=$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)
  realmem=$(( mem > 1024 ? mem - 512 : mem ))
  # More CPUs than the machine has: run more trivial jobs at once (oversubscription).
  [ "$CPUS" -gt "$(nproc)" ] && overrides="SlurmdParameters=config_overrides"
  conf=$(cat <<EOF
$HEADER
ClusterName=ruffusluigi
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# proctrack/cgroup cannot launch jobs on this kind of machine ("cgroup namespace 'freezer'
# not mounted"; the job is then recorded COMPLETED 0:0 and the node drained).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
ReturnToService=2
# Listen on 127.0.0.1 (the node's and controller's address), not on every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
SchedulerType=sched/backfill
# The default batch_sched_delay=3 starts queued batch jobs only every 3 s.
SchedulerParameters=batch_sched_delay=0,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Finished jobs stay visible to squeue/scontrol for 10 minutes.
MinJobAge=600
$overrides
# No accounting database: sacct -c reads the job completion records in this file.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$realmem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)
  if [ "$(cat "$SLURM_CONF" 2>/dev/null)" != "$conf" ]; then
    if [ -s "$SLURM_CONF" ] && [ "$(head -1 "$SLURM_CONF")" != "$HEADER" ]; then
      cp -a "$SLURM_CONF" "$SLURM_CONF.orig.$(date +%s)"
      log "kept the previous $SLURM_CONF as $SLURM_CONF.orig.*"
    fi
    printf '%s\n' "$conf" >"$SLURM_CONF"
    chmod 0644 "$SLURM_CONF"
    log "wrote $SLURM_CONF (node $NODE, $CPUS CPUs, ${realmem} MB)"
  fi
}

# --------------------------------------------------------------------------------- start
start() {
  need_root
  take_lock
  local pid sha state resumed=0 deadline
  for f in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch; do
    [ -x "$f" ] || die "$f missing: Slurm is not installed, run tools/install.sh"
  done
  id slurm >/dev/null 2>&1 || die "no user slurm: run tools/install.sh"
  [ -s /etc/munge/munge.key ] || die "no /etc/munge/munge.key: run tools/install.sh"
  # Runtime directories (systemd would make /run/munge and /run/slurm).
  mkdir -p "$REC_DIR" /run/munge /run/slurm /var/log/slurm /var/lib/slurm/slurmctld \
    /var/lib/slurm/slurmd
  chown munge:munge /run/munge
  chown slurm:slurm /run/slurm /var/log/slurm /var/lib/slurm /var/lib/slurm/slurmctld
  write_conf
  sha=$(sha256sum "$SLURM_CONF" | cut -d' ' -f1)

  if pid=$(live_pid "$MUNGED_PID" munged); then
    log "munged already running (pid $pid)"
  else
    launch munged "$MUNGED_PID" runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGED_PID"
  fi
  munge -n | unmunge >/dev/null || die "munge cannot encode and decode a credential"

  # A changed slurm.conf (node definition...) needs a restart of the daemons; jobs survive it.
  if live_pid "$CTLD_PID" slurmctld >/dev/null && [ "$(cat "$APPLIED" 2>/dev/null)" != "$sha" ]; then
    if ours slurmctld "$CTLD_PID"; then
      log "$SLURM_CONF changed: restarting slurmctld and slurmd"
      restart_pids=$(live_pid "$CTLD_PID" slurmctld; live_pid "$SLURMD_PID" slurmd || true)
      timeout 30 scontrol shutdown >/dev/null 2>&1 || true
      for pid in $restart_pids; do wait_gone "$pid" 30 || terminate "slurm daemon" "$pid"; done
    else
      log "$SLURM_CONF changed; slurmctld was not started by $NAME: scontrol reconfigure"
      timeout 30 scontrol reconfigure || true
      echo "$sha" >"$APPLIED"
    fi
  fi
  if pid=$(live_pid "$CTLD_PID" slurmctld); then
    log "slurmctld already running (pid $pid)"
  else
    launch slurmctld "$CTLD_PID" /usr/sbin/slurmctld
    echo "$sha" >"$APPLIED"
  fi
  wait_for 30 ctld_up || { show_logs; die "slurmctld does not answer scontrol ping"; }

  if pid=$(live_pid "$SLURMD_PID" slurmd); then
    log "slurmd already running (pid $pid)"
  else
    launch slurmd "$SLURMD_PID" /usr/sbin/slurmd
  fi

  # The node comes up idle; one left down or drained by an earlier run is resumed (once).
  deadline=$(( $(date +%s) + 60 ))
  until node_ready; do
    state=$(node_state)
    case "$state" in
      down* | drain* | drng* | fail*)
        if [ $resumed = 0 ]; then
          log "node $NODE is '$state': resuming it"
          timeout 10 scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      sinfo; scontrol show node "$NODE"; show_logs
      die "node $NODE not idle after 60 s (state '$state')"
    fi
    sleep 0.2
  done
  # A trivial job, run to its end.
  (cd /tmp && timeout 60 srun -N1 true 9>&-) || { show_logs; die "srun true failed"; }
  log "ready: node $NODE is $(node_state), $CPUS CPUs"
}

# ---------------------------------------------------------------------------------- stop
stop() {
  need_root
  take_lock
  local ctld slurmd munged jobs
  ours slurmctld "$CTLD_PID" && ctld=$(live_pid "$CTLD_PID" slurmctld) || ctld=""
  ours slurmd "$SLURMD_PID" && slurmd=$(live_pid "$SLURMD_PID" slurmd) || slurmd=""
  ours munged "$MUNGED_PID" && munged=$(live_pid "$MUNGED_PID" munged) || munged=""
  if [ -z "$ctld$slurmd$munged" ]; then
    ctld_up && log "Slurm runs, but $NAME did not start it: left alone"
    rm -f "$REC_DIR"/*.pid
    log "nothing to stop"
    return 0
  fi
  # Jobs left over would run at the next start: cancel them (this is a private test cluster).
  if [ -n "$ctld" ]; then
    jobs=$(timeout 10 squeue -h -o '%i' 2>/dev/null | tr '\n' ' ') || jobs=""
    if [ -n "${jobs// /}" ]; then
      log "cancelling jobs $jobs"
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs >/dev/null 2>&1 || true
      wait_for 10 test -z "$(squeue -h -o '%i' 2>/dev/null)" || true
    fi
  fi
  if [ -n "$ctld" ]; then
    # Stops slurmctld and the slurmd it knows.
    log "scontrol shutdown (slurmctld pid $ctld${slurmd:+, slurmd pid $slurmd})"
    timeout 30 scontrol shutdown >/dev/null 2>&1 || true
  fi
  [ -n "$slurmd" ] && { wait_gone "$slurmd" 20 || terminate slurmd "$slurmd"; }
  [ -n "$ctld" ] && { wait_gone "$ctld" 30 || terminate slurmctld "$ctld"; }
  [ -n "$munged" ] && terminate munged "$munged"
  rm -f "$REC_DIR"/*.pid
  log "stopped"
}

# -------------------------------------------------------------------------------- status
status() {
  local name pidfile pid rc=3
  for name in munged slurmctld slurmd; do
    case $name in
      munged) pidfile=$MUNGED_PID ;; slurmctld) pidfile=$CTLD_PID ;; slurmd) pidfile=$SLURMD_PID ;;
    esac
    if pid=$(live_pid "$pidfile" "$name"); then
      if ours "$name" "$pidfile"; then echo "$name: running (pid $pid, started by $NAME)"
      else echo "$name: running (pid $pid, not started by $NAME)"; fi
    else
      echo "$name: not running"
    fi
  done
  if ctld_up && node_ready; then
    echo "node $NODE: $(node_state), ready"
    rc=0
  else
    echo "node $NODE: not ready"
  fi
  echo "environment for clients (sbatch, squeue, sacct -c):"
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
