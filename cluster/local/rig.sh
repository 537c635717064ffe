#!/usr/bin/env bash
# A multi-host MPI rig on one Linux machine: every "node" is a network namespace with its own
# address, hostname (a UTS namespace) and sshd, joined to a bridge in the root namespace by a
# veth pair. mpiexec in the root namespace then starts ranks "on other nodes" over ssh, and the
# ranks talk real TCP across the namespaces.
#
#   cluster/local/rig.sh up [N]    bring up N nodes (default 2): dpt-node0 .. dpt-node{N-1}
#   cluster/local/rig.sh down      tear everything down
#   cluster/local/rig.sh status    list the nodes and check ssh into each
#   cluster/local/rig.sh shape RATE  limit each node's link to RATE (tc tbf, e.g. 1gbit), to
#                                    make "the network" slower than shared memory
#   cluster/local/rig.sh unshape     remove that limit
#
# Note: MPICH's UCX transport recognises that every namespace is on the same machine and moves
# data between them through shared memory; set UCX_TLS=tcp,self to make ranks on different
# nodes use TCP (MPICH still uses shared memory between ranks of one node).
# Idempotent; root only. Exits 77 (the "skipped" code) with a message where namespaces cannot
# be made. Only addresses inside the rig (10.201.0.0/24) are used.
set -euo pipefail

SUBNET=10.201.0
BRIDGE=dptbr0
TAG="# dpt-rig"
KEY=/root/.ssh/dpt_rig_key
RUN=/run/dpt-rig

skip() { echo "dpt rig: skipped: $*" >&2; exit 77; }

need_root() {
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth, sshd)"
  command -v ip >/dev/null || skip "iproute2 'ip' is not installed"
  ip netns add dpt-probe 2>/dev/null || skip "network namespaces are not allowed here"
  ip netns del dpt-probe
}

ensure_sshd() {
  if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
    command -v apt-get >/dev/null || skip "sshd missing and apt-get unavailable"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server) \
      >/dev/null || skip "could not install openssh-server"
  fi
  mkdir -p /run/sshd /root/.ssh "$RUN"
  chmod 700 /root/.ssh
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N "" -f "$KEY"
  touch /root/.ssh/authorized_keys
  grep -qF "$(cat "$KEY.pub")" /root/.ssh/authorized_keys || cat "$KEY.pub" >> /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  ssh-keygen -A >/dev/null 2>&1 || true
  if ! grep -q "^Host dpt-node\*" /root/.ssh/config 2>/dev/null; then
    cat >> /root/.ssh/config <<CFG
Host dpt-node*
  IdentityFile $KEY
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
CFG
    chmod 600 /root/.ssh/config
  fi
}

up() {
  local n=${1:-2}
  need_root
  ensure_sshd
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$SUBNET.254/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  for ((i = 0; i < n; i++)); do
    local ns=dpt-node$i addr=$SUBNET.$((i + 1))
    if ! ip netns list | grep -qw "$ns"; then
      ip netns add "$ns"
      ip link add "dptv$i" type veth peer name eth0 netns "$ns"
      ip link set "dptv$i" master "$BRIDGE" up
      ip netns exec "$ns" ip addr add "$addr/24" dev eth0
      ip netns exec "$ns" ip link set eth0 up
      ip netns exec "$ns" ip link set lo up
      ip netns exec "$ns" ip route add default via "$SUBNET.254"
    fi
    grep -q "^$addr $ns " /etc/hosts || echo "$addr $ns $TAG" >> /etc/hosts
    if ! { [ -f "$RUN/$ns.pid" ] && kill -0 "$(cat "$RUN/$ns.pid")" 2>/dev/null; }; then
      # A UTS namespace gives the node its own hostname; sshd -D keeps it alive and every
      # ssh session (so every MPI rank started there) inherits both namespaces.
      setsid ip netns exec "$ns" unshare --uts --fork sh -c \
        "hostname $ns; exec /usr/sbin/sshd -D -o ListenAddress=$addr -o PidFile=$RUN/$ns.sshd.pid" \
        >"$RUN/$ns.log" 2>&1 < /dev/null &
      echo $! > "$RUN/$ns.pid"
    fi
  done
  for ((i = 0; i < n; i++)); do
    for _ in $(seq 50); do
      ssh -o ConnectTimeout=1 "dpt-node$i" true 2>/dev/null && break
      sleep 0.2
    done
    ssh -o ConnectTimeout=2 "dpt-node$i" true || { echo "dpt rig: ssh into dpt-node$i failed" >&2; exit 1; }
  done
  echo "dpt rig: up with $n nodes: $(seq -s, -f 'dpt-node%g' 0 $((n - 1)))"
}

down() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  for pidf in "$RUN"/*.pid; do
    [ -f "$pidf" ] || continue
    kill "$(cat "$pidf")" 2>/dev/null || true
    rm -f "$pidf"
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^dpt-node' || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  sed -i "/$TAG\$/d" /etc/hosts
  echo "dpt rig: down"
}

status() {
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^dpt-node' || true); do
    printf '%s: %s\n' "$ns" "$(ssh -o ConnectTimeout=2 "$ns" hostname 2>&1)"
  done
}

links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^dptv' || true; }

shape() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  local rate=${1:?usage: rig.sh shape RATE (e.g. 1gbit)}
  for dev in $(links); do
    tc qdisc replace dev "$dev" root tbf rate "$rate" burst 256kb latency 50ms
  done
  echo "dpt rig: node links limited to $rate"
}

unshape() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  for dev in $(links); do tc qdisc del dev "$dev" root 2>/dev/null || true; done
  echo "dpt rig: node links unlimited"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  shape) shift; shape "$@" ;;
  unshape) unshape ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [N] | down | status | shape RATE | unshape" >&2; exit 2 ;;
esac
