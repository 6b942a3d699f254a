#!/usr/bin/env bash
# Several hypervisor hosts on one machine (RECIPES §3), as root:
#   namespace-hosts.sh up N [--control-address ADDR] [--join HOST:PORT] [--certs DIR] [--provider-switch BR]
#                           [--host-settings FILE]
#   namespace-hosts.sh underlay [--control-address ADDR]
#   namespace-hosts.sh down
#   namespace-hosts.sh status
#
# Host K (hostK) is a network namespace joined to an underlay bridge (nul0) in the root namespace,
# with address 10.252.0.(10+K)/24 (the bridge has 10.252.0.1, where the control node listens);
# its own mount, UTS and cgroup namespaces with per-host /run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt, /var/log/libvirt, /etc/libvirt, /var/lib/nimbus, /run/netns and /etc/hosts; its own
# virtlogd and libvirtd (real TCG guests); and its own Nimbus compute node, which joins the
# cluster over the underlay. Each host is also an availability zone of its own name.
#
# Without --join, `up` also runs a control node in the root namespace (cluster on the underlay
# address, API on 127.0.0.1:8774, data and clouds.yaml in STATE/control/data) and the hosts join
# it. With --join, the hosts join that node instead; --certs is then its cluster TLS directory
# (with ca.key: each host is issued credentials of its own) or credentials made by
# `nimbus cert --out DIR` (every host gets a copy). Default: data/cluster-tls.
# `underlay` makes only the bridge, for a control node started before the hosts.
# With --provider-switch BR every host also has an eth1 on bridge BR in the root namespace (made
# if missing, removed by down), the "physical" network physnet1 (nimbus.host.physical-interfaces
# maps it to eth1) of flat and VLAN provider networks; BR: 11 characters at most.
# With --host-settings FILE every host's node configuration ends with FILE's HOCON, which so
# overrides what is said above it (e.g. the test:///default hypervisor with the linux dataplane:
# ports plugged and filtered for real, no guest booted).
#
# State (configuration, logs, pids, each host's directories) is kept in $NIMBUS_HOSTS_DIR,
# default data/namespace-hosts. The Java of a node: $NIMBUS_JAVA (default: java on the PATH),
# class path $NIMBUS_CLASSPATH (default: the build's, as ./nimbus uses), options $NIMBUS_JAVA_OPTS.
# `up` is idempotent (hosts that run are left alone, a host whose node alone is gone gets a new
# node and keeps its guests, extra hosts are taken down), and `down`
# stops the nodes, destroys the hosts' guests, stops their libvirtds, removes the namespaces,
# the bridge and the cgroups it made (the hosts' mounts go with their namespaces).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/namespace-hosts.sh"
STATE=${NIMBUS_HOSTS_DIR:-$ROOT/data/namespace-hosts}
BRIDGE=nul0
CLUSTER_PORT=2551
MAX_HOSTS=50
CGROUP_NAME=nimbus-hosts

die() { echo "namespace-hosts: $*" >&2; exit 1; }
say() { echo "namespace-hosts: $*"; }

# A command whose output goes to LOG; on failure the output is shown and the script stops.
quiet() {
  if ! "$@" >>"$LOG" 2>&1; then
    echo "namespace-hosts: failed: $*" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
}

# Polls a command (quietly) until it succeeds, for at most $1 seconds.
await() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# A node's log starts afresh at each start (the one before is kept as LOG.1).
fresh_log() { if [ -f "$1" ]; then mv -f "$1" "$1.1"; fi; : >"$1"; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_in() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

# Stops a process (TERM, then KILL after $2 seconds) if it is alive and its command line contains
# $3 (a pid written long ago may name another process by now).
stop_pid() {
  local pid=$1 grace=$2 what=$3
  alive "$pid" || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$what" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  await "$grace" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  await 10 bash -c "! kill -0 $pid" || true
}

underlay_net() { echo "${CONTROL_ADDRESS%.*}"; }
host_address() { echo "$(underlay_net).$((10 + $1))"; }
host_dir() { echo "$STATE/host$1"; }
host_numbers() {
  local d
  for d in "$STATE"/host*; do
    [ -d "$d" ] && [[ "${d##*/host}" =~ ^[0-9]+$ ]] && echo "${d##*/host}"
  done | sort -n
}
virsh_of() { virsh -q -c "qemu+unix:///system?socket=$(host_dir "$1")/run-libvirt/libvirt-sock" "${@:2}"; }

java_command() {
  JAVA=${NIMBUS_JAVA:-$(command -v java || true)}
  [ -n "$JAVA" ] || die "java is missing (apt-get install openjdk-17-jdk-headless)"
  if [ -z "${NIMBUS_CLASSPATH:-}" ]; then
    local file="$ROOT/node-runtime/target/nimbus.classpath"
    [ -f "$file" ] || die "the project is not built ($file is missing): run ./nimbus hosts, which builds it"
    NIMBUS_CLASSPATH="$ROOT/node-runtime/target/classes:$(cat "$file")"
  fi
  # shellcheck disable=SC2206
  JAVA_OPTS=(${NIMBUS_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED
             -Djava.util.concurrent.ForkJoinPool.common.parallelism=2)
}

# Whether the settings the nodes read (config's reference.conf, from the sources or the class
# path) know nimbus.host.$1.
setting_exists() {
  local key=$1 entry
  local source="$ROOT/config/src/main/resources/reference.conf"
  if [ -f "$source" ]; then grep -Eq "^\s*$key\s*=" "$source"; return; fi
  IFS=: read -r -a entries <<<"$NIMBUS_CLASSPATH"
  for entry in "${entries[@]}"; do
    if [ -f "$entry/reference.conf" ] && grep -q '^nimbus {' "$entry/reference.conf"; then
      grep -Eq "^\s*$key\s*=" "$entry/reference.conf"; return
    elif [[ "$entry" == */config-*.jar ]]; then
      python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("reference.conf").decode())' \
        "$entry" 2>/dev/null | grep -Eq "^\s*$key\s*="; return
    fi
  done
  return 1
}

require_root_and_tools() {
  [ "$(id -u)" -eq 0 ] || die "run as root: hosts are network namespaces with a libvirtd each"
  local t missing=()
  for t in ip unshare nsenter mount virsh libvirtd virtlogd dnsmasq python3; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ "${#missing[@]}" -eq 0 ] || die "missing: ${missing[*]}; as root, scripts/host-setup.sh installs what hosts need"
}

# --- the underlay -----------------------------------------------------------------------------
underlay_up() {
  if [ -f "$STATE/underlay" ]; then
    local had
    had=$(cat "$STATE/underlay")
    [ "$had" = "$CONTROL_ADDRESS" ] || die "the underlay has $had already (down first to change it)"
  elif ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    die "a bridge $BRIDGE exists that $STATE did not make (another state directory's? see NIMBUS_HOSTS_DIR)"
  fi
  mkdir -p "$STATE"
  echo "$CONTROL_ADDRESS" >"$STATE/underlay"
  ip link show dev "$BRIDGE" >/dev/null 2>&1 || quiet ip link add name "$BRIDGE" type bridge
  quiet ip addr replace "$CONTROL_ADDRESS/24" dev "$BRIDGE"
  quiet ip link set dev "$BRIDGE" up
}

underlay_down() {
  [ -f "$STATE/underlay" ] || return 0
  ip link del dev "$BRIDGE" 2>/dev/null || true
  rm -f "$STATE/underlay"
}

# --- the control node (only when up is given no --join) ------------------------------------------
control_up() {
  local dir="$STATE/control"
  mkdir -p "$dir/data"
  if alive "$(pid_in "$dir/node.pid")"; then return 0; fi
  cat >"$dir/nimbus.conf" <<EOF
# written by scripts/namespace-hosts.sh: the control node of the namespace hosts
nimbus {
  data-dir = "$dir/data"
  cluster { hostname = "$CONTROL_ADDRESS", port = $CLUSTER_PORT }
  images = [{ name = "nimbus-test-guest", kernel = "$ROOT/data/guest/vmlinuz",
              ramdisk = "$ROOT/data/guest/initrd.img", disk = "", disk-format = "qcow2" }]
}
EOF
  say "starting the control node (cluster $CONTROL_ADDRESS:$CLUSTER_PORT, log $dir/node.log)"
  fresh_log "$dir/node.log"
  (cd "$dir" && exec setsid "$JAVA" "${JAVA_OPTS[@]}" -cp "$NIMBUS_CLASSPATH" nimbus.node.Main control \
      --config "$dir/nimbus.conf" </dev/null >>"$dir/node.log" 2>&1) &
  echo $! >"$dir/node.pid"
  await_started "$dir" "the control node" 120
}

started_or_dead() { grep -q "node started" "$1" || ! kill -0 "$2" 2>/dev/null; }

# Waits until the node of $1 says it started; shows its log and stops the script if it died.
await_started() {
  local dir=$1 what=$2 seconds=$3 pid
  pid=$(pid_in "$dir/node.pid")
  if ! await "$seconds" started_or_dead "$dir/node.log" "$pid" || ! alive "$pid"; then
    tail -n 30 "$dir/node.log" >&2
    die "$what did not start (log: $dir/node.log)"
  fi
}

# Waits (up to $2 seconds) until the control node's API lists hosts 1..$1 as up hypervisors, as
# the admin of its clouds.yaml: a user may ask for a host's zone as soon as up returns.
await_hypervisors() {
  python3 - "$STATE/control/data/clouds.yaml" "$1" "$2" <<'PY'
import json, re, sys, time, urllib.request
clouds, n, deadline = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
text = open(clouds).read()
auth_url = re.search(r"auth_url: (\S+)", text).group(1)
password = json.loads(re.search(r"password: (\".*\")", text).group(1))
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "admin", "domain": {"name": "Default"}, "password": password}}},
    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
def call(url, data=None, token=None):
    req = urllib.request.Request(url, data=json.dumps(data).encode() if data else None,
                                 headers={"Content-Type": "application/json", "X-Auth-Token": token or ""})
    return urllib.request.urlopen(req, timeout=10)
token = call(auth_url + "/auth/tokens", body).headers["X-Subject-Token"]
api = auth_url[: -len("/identity/v3")] + "/compute/v2.1/os-hypervisors"
want = {"host%d" % k for k in range(1, n + 1)}
while True:
    up = {h["hypervisor_hostname"] for h in json.load(call(api, token=token))["hypervisors"] if h["state"] == "up"}
    if want <= up:
        sys.exit(0)
    if time.time() > deadline:
        sys.exit("the control node sees %s up, not all of %s" % (sorted(up), sorted(want)))
    time.sleep(0.5)
PY
}

control_down() {
  stop_pid "$(pid_in "$STATE/control/node.pid")" 60 nimbus.node.Main
  rm -f "$STATE/control/node.pid"
}

# --- cluster credentials ------------------------------------------------------------------------
# Gives host K credentials of the cluster from $CERTS: issued with the CA there (ca.key), or a
# copy of the node credentials there.
host_credentials() {
  local k=$1 tls
  tls="$(host_dir "$k")/tls"
  if [ -f "$tls/node.key" ] && cmp -s "$tls/ca.crt" "$CERTS/ca.crt"; then return 0; fi
  rm -rf "$tls"
  if [ -f "$CERTS/ca.key" ]; then
    local conf
    conf="$(host_dir "$k")/cert.conf"
    printf 'nimbus.cluster.tls-dir = "%s"\n' "$CERTS" >"$conf"
    quiet "$JAVA" "${JAVA_OPTS[@]}" -cp "$NIMBUS_CLASSPATH" nimbus.node.Main cert --out "$tls" --config "$conf"
  elif [ -f "$CERTS/node.key" ] && [ -f "$CERTS/node.crt" ] && [ -f "$CERTS/ca.crt" ]; then
    mkdir -p -m 700 "$tls"
    cp "$CERTS/ca.crt" "$CERTS/node.crt" "$tls/"
    install -m 600 "$CERTS/node.key" "$tls/node.key"
  else
    die "no cluster credentials in $CERTS: give --certs the control node's cluster-tls directory (with ca.key), or one made by: nimbus cert --out DIR"
  fi
}

# --- cgroups ----------------------------------------------------------------------------------
# The cgroup hierarchies mounted under /sys/fs/cgroup, one per line: MOUNTPOINT TYPE OPTIONS.
cgroup_mounts() {
  awk '$2 ~ "^/sys/fs/cgroup/" && ($3 == "cgroup" || $3 == "cgroup2") {
         n = split($4, o, ","); opts = ""
         for (i = 1; i <= n; i++) if (o[i] !~ /^(rw|ro|relatime|noatime|nosuid|nodev|noexec)$/) opts = opts (opts == "" ? "" : ",") o[i]
         print $2, $3, (opts == "" ? "-" : opts)
       }' /proc/self/mounts
}

# This process's cgroup in the hierarchy of TYPE OPTIONS (as /proc/self/cgroup names it).
own_cgroup() {
  local type=$1 opts=$2
  if [ "$type" = cgroup2 ]; then
    awk -F: '$1 == "0" {print $3}' /proc/self/cgroup
  else
    awk -F: -v want="$opts" '$1 != "0" {
        n = split($2, a, ","); m = split(want, b, ","); hit = 0
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (a[i] == b[j]) hit = 1
        if (hit) {print $3; exit}
      }' /proc/self/cgroup
  fi
}

# A cgroup per host in every hierarchy, under this process's own: the host's launcher moves into
# it and unshares a cgroup namespace rooted there (so its libvirtd's /machine is the host's own).
# The directories made are listed in HOST/cgroups (for down).
host_cgroups() {
  local k=$1 hd mount type opts own dir parent
  hd=$(host_dir "$k")
  : >"$hd/cgroups"
  while read -r mount type opts; do
    own=$(own_cgroup "$type" "$opts")
    [ -n "$own" ] || continue
    parent="$mount${own%/}"
    for dir in "$parent/$CGROUP_NAME" "$parent/$CGROUP_NAME/host$k"; do
      [ -d "$dir" ] || mkdir "$dir"
      if [ -f "$dir/cpuset.cpus" ]; then   # a cpuset takes no task before it has CPUs and memory
        [ -n "$(cat "$dir/cpuset.cpus")" ] || cat "$(dirname "$dir")/cpuset.cpus" >"$dir/cpuset.cpus"
        [ -n "$(cat "$dir/cpuset.mems")" ] || cat "$(dirname "$dir")/cpuset.mems" >"$dir/cpuset.mems"
      fi
      parent=$dir
    done
    echo "$dir" >>"$hd/cgroups"   # the shared parent is removed by down, once no host is in it
    echo "$dir/cgroup.procs" >>"$hd/cgroup-procs"
  done < <(cgroup_mounts)
}

host_cgroups_down() {
  local hd dir
  hd=$(host_dir "$1")
  [ -f "$hd/cgroups" ] || return 0
  # deepest first; what libvirt made inside goes too; tasks that are still exiting get a moment
  for dir in $(sort -r "$hd/cgroups"); do
    [ -d "$dir" ] || continue
    if ! await 10 bash -c "find '$dir' -depth -type d -exec rmdir {} + 2>/dev/null; [ ! -d '$dir' ]"; then
      echo "namespace-hosts: cannot remove cgroup $dir (tasks: $(cat "$dir/cgroup.procs" 2>/dev/null | tr '\n' ' '))" >&2
    fi
  done
  rm -f "$hd/cgroups" "$hd/cgroup-procs"
}

# --- one host -----------------------------------------------------------------------------------
host_running() {
  local hd
  hd=$(host_dir "$1")
  [ -e "/run/netns/host$1" ] && alive "$(pid_in "$hd/libvirtd.pid")" && alive "$(pid_in "$hd/node.pid")"
}

# Host K is up but for its node: namespace and libvirtd alive, the node not.
host_without_node() {
  local hd
  hd=$(host_dir "$1")
  [ -e "/run/netns/host$1" ] && alive "$(pid_in "$hd/libvirtd.pid")" && ! alive "$(pid_in "$hd/node.pid")"
}

# Makes host K's namespaces and daemons; returns once its libvirtd answers and its cache is warm.
host_make() {
  local k=$1 hd address uuid
  hd=$(host_dir "$k")
  address=$(host_address "$k")
  mkdir -p "$hd"/{run-libvirt,lib-libvirt,cache-libvirt,log-libvirt,etc-libvirt,lib-nimbus,data}
  # the host's own named network namespaces (its metadata namespaces): names of a host that is
  # gone are empty files that would keep `ip netns add` from making them again
  rm -rf "$hd/run-netns" 2>/dev/null || true; mkdir -p "$hd/run-netns"
  chmod 755 "$hd/lib-nimbus"   # dnsmasq reads the leases under it after dropping root
  [ -s "$hd/host-uuid" ] || cat /proc/sys/kernel/random/uuid >"$hd/host-uuid"
  uuid=$(cat "$hd/host-uuid")
  # /etc/libvirt of this host: recipe 1's qemu.conf, libvirtd.conf with a host_uuid of its own
  local f
  for f in libvirt.conf libvirt-admin.conf virtlogd.conf; do
    [ -f "/etc/libvirt/$f" ] && cp "/etc/libvirt/$f" "$hd/etc-libvirt/"
  done
  mkdir -p -m 700 "$hd/etc-libvirt"/{qemu,nwfilter,secrets}
  printf 'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nremember_owner = 0\n' >"$hd/etc-libvirt/qemu.conf"
  printf 'host_uuid = "%s"\nlog_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n' "$uuid" >"$hd/etc-libvirt/libvirtd.conf"
  # a warm QEMU capability cache to start from (libvirt checks it and probes again if it is stale)
  if [ -d /var/cache/libvirt/qemu/capabilities ] && [ ! -d "$hd/cache-libvirt/qemu/capabilities" ]; then
    mkdir -p "$hd/cache-libvirt/qemu"
    cp -r /var/cache/libvirt/qemu/capabilities "$hd/cache-libvirt/qemu/"
  fi
  printf '127.0.0.1\tlocalhost\n%s\thost%s\n' "$address" "$k" >"$hd/hosts"

  quiet ip netns add "host$k"
  quiet ip link add "$BRIDGE-h$k" type veth peer name ul0 netns "host$k"
  quiet ip link set dev "$BRIDGE-h$k" master "$BRIDGE" up
  quiet ip -n "host$k" addr add "$address/24" dev ul0
  quiet ip -n "host$k" link set dev ul0 up
  quiet ip -n "host$k" link set dev lo up
  if [ -n "$PROVIDER_SWITCH" ]; then
    quiet ip link add "$PROVIDER_SWITCH-h$k" type veth peer name eth1 netns "host$k"
    quiet ip link set dev "$PROVIDER_SWITCH-h$k" master "$PROVIDER_SWITCH" up
    quiet ip -n "host$k" link set dev eth1 up
  fi

  : >"$hd/cgroup-procs"
  host_cgroups "$k"
  # the launcher joins the host's cgroups, then enters its network namespace and unshares the rest
  quiet bash -c 'while read -r f; do echo $$ >"$f"; done <"$1"; shift; exec "$@"' launcher "$hd/cgroup-procs" \
    ip netns exec "host$k" unshare -m -u -C --propagation private "$SELF" _init "$k"
}

# Inside host K's namespaces (run by host_make): its mounts, host name, cgroups and daemons.
host_init() {
  local k=$1 hd pair mount type opts
  hd=$(host_dir "$k")
  for pair in run-libvirt:/run/libvirt lib-libvirt:/var/lib/libvirt cache-libvirt:/var/cache/libvirt \
              log-libvirt:/var/log/libvirt etc-libvirt:/etc/libvirt lib-nimbus:/var/lib/nimbus \
              run-netns:/run/netns; do
    mkdir -p "${pair#*:}"
    mount --bind "$hd/${pair%%:*}" "${pair#*:}"
  done
  mount --bind "$hd/hosts" /etc/hosts
  hostname "host$k"
  # `ip netns exec` mounted a sysfs of this namespace over /sys, hiding the cgroup filesystems:
  # mount them again, seen from this cgroup namespace (rooted at the host's own cgroups)
  mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
  while read -r mount type opts; do
    mkdir -p "$mount"
    if [ "$opts" = - ]; then mount -t "$type" "$type" "$mount"; else mount -t "$type" -o "$opts" "$type" "$mount"; fi
  done < <(cgroup_mounts_of_root)
  virtlogd -d -p "$hd/virtlogd.pid"
  libvirtd -d -p "$hd/libvirtd.pid"
  await 30 virsh -q -c qemu:///system list || die "host$k: libvirtd does not answer (see $hd/log-libvirt/libvirtd.log)"
  # warm the capability cache: on a cold one the first guest takes ~20 s instead of ~5 s
  virsh -q -c qemu:///system domcapabilities >/dev/null
}

# The root namespace's cgroup mounts, as host_make saw them (inside, /proc/self/mounts has changed).
cgroup_mounts_of_root() { cat "$(host_dir "$INIT_HOST")/cgroup-mounts"; }

host_start_node() {
  local k=$1 hd address
  hd=$(host_dir "$k")
  address=$(host_address "$k")
  {
    echo "# written by scripts/namespace-hosts.sh: the compute node of host$k"
    echo "nimbus {"
    echo "  data-dir = \"$hd/data\""
    echo "  cluster { hostname = \"$address\", port = $CLUSTER_PORT, tls-dir = \"$hd/tls\" }"
    echo "  host {"
    echo "    name = \"host$k\""
    echo "    hypervisor-uri = \"qemu:///system\""
    echo "    domain-type = qemu"
    echo "    availability-zone = \"host$k\""
    if setting_exists underlay-address; then echo "    underlay-address = \"$address\""; fi
    if [ -n "$PROVIDER_SWITCH" ]; then echo "    physical-interfaces { physnet1 = eth1 }"; fi
    echo "  }"
    echo "}"
    if [ -n "$HOST_SETTINGS" ]; then cat "$HOST_SETTINGS"; fi
  } >"$hd/nimbus.conf"
  rm -f "$hd/node.pid"
  fresh_log "$hd/node.log"
  # The node joins the host's cgroups, then nsenter enters the namespaces of the host's libvirtd
  # (its network, mounts, host name and cgroups: the JVM reads its container limits there, and
  # they must agree with the cgroup filesystems mounted in the host)
  setsid bash -c 'while read -r f; do echo $$ >"$f"; done <"$1"; shift; exec "$@"' launcher "$hd/cgroup-procs" \
    nsenter -t "$(pid_in "$hd/libvirtd.pid")" -n -m -u -C --wd="$hd" -- \
    "$JAVA" "${JAVA_OPTS[@]}" -cp "$NIMBUS_CLASSPATH" nimbus.node.Main compute --join "$JOIN" \
    --config "$hd/nimbus.conf" </dev/null >>"$hd/node.log" 2>&1 &
  echo $! >"$hd/node.pid"
}

host_down() {
  local k=$1 hd pid name
  hd=$(host_dir "$k")
  stop_pid "$(pid_in "$hd/node.pid")" 30 nimbus.node.Main
  # the host's guests are destroyed, not left running without a host
  if alive "$(pid_in "$hd/libvirtd.pid")"; then
    for name in $(virsh_of "$k" list --all --name 2>/dev/null); do
      virsh_of "$k" destroy "$name" >/dev/null 2>&1 || true
      virsh_of "$k" undefine "$name" >/dev/null 2>&1 || true
    done
  fi
  stop_pid "$(pid_in "$hd/libvirtd.pid")" 15 libvirtd
  stop_pid "$(pid_in "$hd/virtlogd.pid")" 15 virtlogd
  # whatever else runs in the host (its dnsmasq, a guest libvirt lost)
  if [ -e "/run/netns/host$k" ]; then
    for pid in $(ip netns pids "host$k" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    await 10 bash -c "[ -z \"\$(ip netns pids host$k)\" ]" || \
      for pid in $(ip netns pids "host$k" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  ip link del dev "$BRIDGE-h$k" 2>/dev/null || true
  [ -e "/run/netns/host$k" ] && ip netns delete "host$k"
  host_cgroups_down "$k"
  rm -f "$hd"/{node,libvirtd,virtlogd}.pid
  rm -rf "$hd/run-libvirt"
}

# The shared cgroup parents, once no host uses them.
cgroups_parent_down() {
  local mount type opts own
  while read -r mount type opts; do
    own=$(own_cgroup "$type" "$opts")
    [ -n "$own" ] && rmdir "$mount${own%/}/$CGROUP_NAME" 2>/dev/null || true
  done < <(cgroup_mounts)
}

# --- commands -----------------------------------------------------------------------------------
cmd_up() {
  local n=${1:-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$MAX_HOSTS" ] || die "usage: up N (1 to $MAX_HOSTS hosts) [options]"
  shift
  parse_options "$@"
  require_root_and_tools
  java_command
  mkdir -p "$STATE"
  LOG="$STATE/namespace-hosts.log"
  underlay_up
  if [ -n "$PROVIDER_SWITCH" ]; then
    [ "${#PROVIDER_SWITCH}" -le 11 ] || die "--provider-switch: a name of 11 characters at most"
    if ! ip link show dev "$PROVIDER_SWITCH" >/dev/null 2>&1; then
      quiet ip link add name "$PROVIDER_SWITCH" type bridge
      echo "$PROVIDER_SWITCH" >"$STATE/provider-switch"
    fi
    quiet ip link set dev "$PROVIDER_SWITCH" up
  fi
  local own_control=no
  if [ -z "$JOIN" ]; then
    own_control=yes
    control_up
    JOIN="$CONTROL_ADDRESS:$CLUSTER_PORT"
    CERTS=${CERTS:-$STATE/control/data/cluster-tls}
  fi
  CERTS=$(cd "${CERTS:-$ROOT/data/cluster-tls}" 2>/dev/null && pwd) || die "no directory ${CERTS:-$ROOT/data/cluster-tls} (--certs)"
  echo "$JOIN" >"$STATE/join"

  local k started=()
  for k in $(host_numbers); do
    if [ "$k" -gt "$n" ]; then
      say "host$k: taking it down (up $n)"
      host_down "$k"
      rm -rf "$(host_dir "$k")"
    fi
  done
  for k in $(seq 1 "$n"); do
    if host_running "$k"; then continue; fi
    if host_without_node "$k"; then
      # its node died (or was killed): a new one takes over the host as it is, guests and all
      say "host$k: starting its node again (its libvirtd and guests run on)"
      host_start_node "$k"
      started+=("$k")
      continue
    fi
    if [ -e "/run/netns/host$k" ] && [ ! -d "$(host_dir "$k")" ]; then
      die "a network namespace host$k exists that $STATE did not make (another state directory's? see NIMBUS_HOSTS_DIR)"
    fi
    host_down "$k"   # what a crashed or half-made host left
    mkdir -p "$(host_dir "$k")"
    cgroup_mounts >"$(host_dir "$k")/cgroup-mounts"
    host_credentials "$k"
    say "host$k: $(host_address "$k"), its libvirtd (log $(host_dir "$k")/log-libvirt/libvirtd.log)"
    host_make "$k"
    host_start_node "$k"
    started+=("$k")
  done
  for k in "${started[@]}"; do
    await_started "$(host_dir "$k")" "the node of host$k" 120
  done
  if [ "$own_control" = yes ]; then
    await_hypervisors "$n" 60 || die "the hosts did not all report to the control node (logs: $STATE/host*/node.log)"
  fi
  say "$n host(s) up, joining $JOIN: $(for k in $(seq 1 "$n"); do printf 'host%s (%s) ' "$k" "$(host_address "$k")"; done)"
  say "state and logs in $STATE; each host is an availability zone of its name"
  if [ "$own_control" = yes ]; then
    say "control node: API http://127.0.0.1:8774, cluster $JOIN; the CLI:"
    say "  export OS_CLIENT_CONFIG_FILE=$STATE/control/data/clouds.yaml OS_CLOUD=nimbus"
  fi
}

cmd_down() {
  [ $# -eq 0 ] || die "usage: down"
  [ -d "$STATE" ] || { say "nothing to take down in $STATE"; return 0; }
  require_root_and_tools
  LOG="$STATE/namespace-hosts.log"
  local k
  for k in $(host_numbers); do host_down "$k"; done
  cgroups_parent_down
  control_down
  underlay_down
  if [ -f "$STATE/provider-switch" ]; then
    ip link del dev "$(cat "$STATE/provider-switch")" 2>/dev/null || true
    rm -f "$STATE/provider-switch"
  fi
  rm -f "$STATE/join"
  say "down (logs stay in $STATE)"
}

cmd_status() {
  [ $# -eq 0 ] || die "usage: status"
  local ok=0 k hd guests
  if [ -f "$STATE/underlay" ] && ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    echo "underlay  $BRIDGE $(ip -o -4 addr show dev "$BRIDGE" | awk '{print $4}')"
  else
    echo "underlay  none"; ok=1
  fi
  if [ -f "$STATE/control/node.pid" ]; then
    if alive "$(pid_in "$STATE/control/node.pid")"; then
      echo "control   up    (pid $(pid_in "$STATE/control/node.pid"), API http://127.0.0.1:8774)"
    else
      echo "control   DOWN  (log $STATE/control/node.log)"; ok=1
    fi
  fi
  for k in $(host_numbers); do
    hd=$(host_dir "$k")
    if host_running "$k"; then
      guests=$(virsh_of "$k" list --all --name 2>/dev/null | grep -c . || true)
      printf '%-9s up    ' "host$k"
      echo "$(host_address "$k")  libvirtd $(pid_in "$hd/libvirtd.pid"), node $(pid_in "$hd/node.pid"), $guests guest(s), joins $(cat "$STATE/join" 2>/dev/null)"
    elif [ -e "/run/netns/host$k" ] || [ -s "$hd/node.pid" ]; then
      printf '%-9s DOWN  ' "host$k"
      echo "(partly: up or down again; logs in $hd)"; ok=1
    fi
  done
  return "$ok"
}

parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --control-address) CONTROL_ADDRESS=${2:?--control-address ADDR}; shift 2 ;;
      --join) JOIN=${2:?--join HOST:PORT}; shift 2 ;;
      --certs) CERTS=${2:?--certs DIR}; shift 2 ;;
      --provider-switch) PROVIDER_SWITCH=${2:?--provider-switch BRIDGE}; shift 2 ;;
      --host-settings) HOST_SETTINGS=$(realpath "${2:?--host-settings FILE}"); [ -r "$HOST_SETTINGS" ] || die "no file $2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ "$CONTROL_ADDRESS" =~ ^([0-9]{1,3}\.){3}1$ ]] || die "--control-address: give the first address of a /24 (e.g. 10.252.0.1)"
}

CONTROL_ADDRESS=10.252.0.1
JOIN=""
CERTS=""
PROVIDER_SWITCH=""
HOST_SETTINGS=""
[ -f "$STATE/underlay" ] && CONTROL_ADDRESS=$(cat "$STATE/underlay")
case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  underlay)
    shift; parse_options "$@"; require_root_and_tools; mkdir -p "$STATE"; LOG="$STATE/namespace-hosts.log"
    underlay_up; say "underlay $BRIDGE with $CONTROL_ADDRESS/24 (a control node listens for its cluster there)" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  _init) INIT_HOST=$2; host_init "$2" ;;
  *) echo "usage: namespace-hosts.sh up N [--control-address ADDR] [--join HOST:PORT] [--certs DIR] [--provider-switch BR] [--host-settings FILE] | underlay | down | status" >&2; exit 2 ;;
esac
