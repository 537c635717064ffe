#!/usr/bin/env bash
# A small Slurm cluster on this Linux machine, from the distribution's packages (slurm-wlm,
# munge, libpmix-dev for srun --mpi=pmix): slurmctld, slurmd and a private munged, all with
# their configuration, state, sockets and logs under /run/dpt-slurm.
#
#   cluster/local/slurm.sh up              one node (this host, named after it)
#   cluster/local/slurm.sh up --rig N      N nodes: one slurmd in each network namespace of the
#                                          local rig (cluster/local/rig.sh, brought up here),
#                                          node dpt-nodeI at 10.201.0.I+1, slurmctld beside them
#                                          on the rig's bridge (10.201.0.254)
#   cluster/local/slurm.sh status          the daemons and `sinfo`
#   cluster/local/slurm.sh down            cancel the jobs, stop the daemons this script started
#
# Then point the Slurm commands at it: `export SLURM_CONF=/run/dpt-slurm/slurm.conf` (also
# linked as /etc/slurm/slurm.conf when that file does not exist, so plain sbatch works).
# Idempotent: `up` keeps daemons that are already running with the same configuration and
# restarts them when the configuration changed; `down` stops only the daemons whose pid files it
# wrote (never a site's Slurm or the system munged: its own ports 16817/16818, its own munge
# socket and key). Root only. Exits 77 (the "skipped" code) with a message where it cannot run:
# not root, or Slurm missing and no apt-get to install it (or the install failed).
set -euo pipefail

RUN=/run/dpt-slurm
CONF=$RUN/slurm.conf
MUNGE_DIR=$RUN/munge
SOCK=$MUNGE_DIR/munge.socket
ETC_CONF=/etc/slurm/slurm.conf
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUBNET=10.201.0

skip() { echo "dpt slurm: skipped: $*" >&2; exit 77; }
die() { echo "dpt slurm: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root (daemons, /run, munge key)"; }

have_pmix() { compgen -G "/usr/lib/*/libpmix.so" >/dev/null || [ -e /usr/lib/libpmix.so ]; }

ensure_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch \
     >/dev/null && command -v munged >/dev/null && have_pmix; then
    return
  fi
  command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
  echo "dpt slurm: installing slurm-wlm, munge, libpmix-dev with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
     --no-install-recommends slurm-wlm munge libpmix-dev) >"/tmp/dpt-slurm-apt.log" 2>&1 \
    || skip "apt-get install slurm-wlm munge libpmix-dev failed (see /tmp/dpt-slurm-apt.log)"
}

# alive PIDFILE NAME: the pid file names a running process called NAME
alive() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$2" "/proc/$pid/comm" 2>/dev/null
}

stop_pidfile() {  # stop_pidfile PIDFILE NAME
  local pid
  if alive "$1" "$2"; then
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# The node list: "NAME ADDR" lines.
nodes() {
  if [ "${RIG:-0}" -gt 0 ]; then
    for ((i = 0; i < RIG; i++)); do echo "dpt-node$i $SUBNET.$((i + 1))"; done
  else
    echo "$(hostname -s) 127.0.0.1"
  fi
}

write_conf() {
  local ctl_host ctl_addr cpus out
  ctl_host=$(hostname -s)
  if [ "${RIG:-0}" -gt 0 ]; then ctl_addr=$SUBNET.254; else ctl_addr=127.0.0.1; fi
  # At least 4 CPUs per node, so 2-4 small ranks fit on a 2-core machine (config_overrides).
  cpus=$(nproc); [ "$cpus" -ge 4 ] || cpus=4
  # Job ids go on from where an earlier cluster (up ... down) left off, roughly: the recipes name
  # checkpoints after the job id, and an old ckpt-1.dpt must not be taken for this job's.
  [ -f "$RUN/first-job-id" ] || echo $(( $(date +%s) % 60000000 + 1 )) >"$RUN/first-job-id"
  out=$(mktemp)
  cat >"$out" <<CONF
# Written by cluster/local/slurm.sh: a local test cluster (mode: ${RIG:-0} rig nodes).
ClusterName=dpt
SlurmctldHost=$ctl_host($ctl_addr)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
StateSaveLocation=$RUN/state
SlurmdSpoolDir=$RUN/spool/%n
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd-%n.pid
SlurmctldLogFile=$RUN/slurmctld.log
SlurmdLogFile=$RUN/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
SlurmdTimeout=30
InactiveLimit=0
# sbatch --wait polls every 2 s only while MinJobAge/2 > 2 s does not hold (else 2, 8, 32 s...)
MinJobAge=4
FirstJobId=$(cat "$RUN/first-job-id")
KillWait=5
CONF
  while read -r name addr; do
    echo "NodeName=$name NodeAddr=$addr CPUs=$cpus RealMemory=1000 State=UNKNOWN" >>"$out"
  done < <(nodes)
  echo "PartitionName=dpt Nodes=ALL Default=YES MaxTime=INFINITE State=UP" >>"$out"
  if [ -f "$CONF" ] && cmp -s "$out" "$CONF"; then
    rm -f "$out"
    return 0
  fi
  # A new or changed configuration: restart whatever of ours runs with the old one.
  [ -f "$CONF" ] && stop_daemons
  mkdir -p "$RUN/state" "$RUN/spool"
  mv "$out" "$CONF"
  chmod 644 "$CONF"
}

start_munge() {
  mkdir -p "$MUNGE_DIR"
  chmod 700 "$MUNGE_DIR"
  if ! alive "$MUNGE_DIR/munged.pid" munged; then
    [ -f "$MUNGE_DIR/munge.key" ] || { mungekey -c -k "$MUNGE_DIR/munge.key" 2>/dev/null \
      || dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1 count=1024 status=none; }
    chmod 600 "$MUNGE_DIR/munge.key"
    rm -f "$SOCK" "$SOCK.lock"
    munged --force --socket="$SOCK" --key-file="$MUNGE_DIR/munge.key" \
      --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" \
      --seed-file="$MUNGE_DIR/munged.seed" \
      || die "munged did not start: $(tail -3 "$MUNGE_DIR/munged.log" 2>/dev/null)"
  fi
  munge -n -S "$SOCK" | unmunge -S "$SOCK" >/dev/null || die "munge does not work"
}

start_slurmctld() {
  if ! alive "$RUN/slurmctld.pid" slurmctld; then
    slurmctld -f "$CONF" || die "slurmctld did not start: $(tail -5 "$RUN/slurmctld.log")"
  fi
  for _ in $(seq 100); do
    SLURM_CONF=$CONF scontrol ping 2>/dev/null | grep -q "is UP" && return 0
    sleep 0.2
  done
  die "slurmctld does not answer: $(tail -5 "$RUN/slurmctld.log" 2>/dev/null)"
}

start_slurmds() {
  local name addr
  while read -r name addr; do
    alive "$RUN/slurmd-$name.pid" slurmd && continue
    mkdir -p "$RUN/spool/$name"
    if [ "${RIG:-0}" -gt 0 ]; then
      # In the node's network namespace, with the node's hostname (its own UTS namespace):
      # the job's processes, started by this slurmd, live on "that node".
      # (nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup fs slurmd needs)
      nsenter --net="/run/netns/$name" unshare --uts sh -c "hostname $name && exec slurmd -f $CONF -N $name" \
        </dev/null || die "slurmd on $name did not start: $(tail -5 "$RUN/slurmd-$name.log")"
    else
      slurmd -f "$CONF" -N "$name" </dev/null \
        || die "slurmd did not start: $(tail -5 "$RUN/slurmd-$name.log")"
    fi
  done < <(nodes)
  # Wait for every node to register; a node left DOWN/DRAIN by an earlier run is resumed.
  local want state
  want=$(nodes | wc -l)
  for _ in $(seq 150); do
    state=$(SLURM_CONF=$CONF sinfo -h -N -o "%N %t" 2>/dev/null || true)
    if echo "$state" | grep -Eq "(down|drain|drng|fail)"; then
      for name in $(echo "$state" | awk '$2 ~ /down|drain|drng|fail/ {print $1}'); do
        SLURM_CONF=$CONF scontrol update nodename="$name" state=resume 2>/dev/null || true
      done
    fi
    [ "$(echo "$state" | grep -Ec ' (idle|mix|alloc)$')" -ge "$want" ] && return 0
    sleep 0.2
  done
  die "nodes did not come up: $state"
}

link_etc_conf() {
  mkdir -p /etc/slurm
  if [ ! -e "$ETC_CONF" ] && [ ! -L "$ETC_CONF" ]; then ln -s "$CONF" "$ETC_CONF"; fi
}

stop_daemons() {
  local f
  for f in "$RUN"/slurmd-*.pid; do [ -f "$f" ] && stop_pidfile "$f" slurmd; done
  stop_pidfile "$RUN/slurmctld.pid" slurmctld
  stop_pidfile "$MUNGE_DIR/munged.pid" munged
}

up() {
  RIG=0
  if [ "${1:-}" = "--rig" ]; then
    RIG=${2:-2}
    bash "$HERE/rig.sh" up "$RIG" >&2   # exits 77 itself where namespaces are not allowed
  fi
  need_root
  ensure_packages
  mkdir -p "$RUN"
  write_conf
  start_munge
  start_slurmctld
  start_slurmds
  link_etc_conf
  echo "dpt slurm: up with node(s) $(nodes | awk '{print $1}' | paste -sd,); export SLURM_CONF=$CONF"
}

down() {
  need_root
  if [ -f "$CONF" ] && alive "$RUN/slurmctld.pid" slurmctld; then
    # Cancel every job of this cluster and give the steps a moment to end.
    SLURM_CONF=$CONF scancel --quiet --partition=dpt 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(SLURM_CONF=$CONF squeue -h 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  stop_daemons
  if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then rm -f "$ETC_CONF"; fi
  rm -rf "$RUN"
  echo "dpt slurm: down"
}

status() {
  local f rc=0
  [ -f "$CONF" ] || { echo "dpt slurm: not up"; return 3; }
  for f in "$MUNGE_DIR/munged.pid:munged" "$RUN/slurmctld.pid:slurmctld" "$RUN"/slurmd-*.pid; do
    local pidf=${f%%:*} name
    name=$(basename "$pidf" .pid)
    case $name in slurmd-*) ;; *) name=${f##*:} ;; esac
    if alive "$pidf" "${name%%-*}"; then echo "$name: running (pid $(cat "$pidf"))"
    else echo "$name: not running"; rc=3; fi
  done
  SLURM_CONF=$CONF sinfo -N -o "%N %t %c" 2>&1 || rc=3
  return $rc
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [--rig N] | status | down" >&2; exit 2 ;;
esac
