#!/usr/bin/env bash
# A throwaway one-node Ceph cluster for tests: one monitor, one manager, one BlueStore OSD on a
# sparse file, pool "volumes" of size 1, and a client "client.nimbus" with the rbd profile.
# No systemd, no ceph-volume/LVM: every daemon runs from DIR and listens on loopback only.
#
#   scripts/ceph-test-cluster.sh start DIR [PORT]   # prints nothing on success; DIR/ceph.conf,
#                                                   # DIR/nimbus.keyring, DIR/nimbus.key then exist
#   scripts/ceph-test-cluster.sh stop DIR           # stops its daemons and removes DIR
#
# PORT (default 6789 + a number from DIR's name) is the monitor's msgr v1 port on 127.0.0.1.
set -euo pipefail

die() { echo "ceph-test-cluster: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 start|stop DIR [PORT]"
action=$1
dir=$(realpath -m "$2")

# Stop the daemons whose pid files are in DIR (ours only, by pid).
stop() {
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

case "$action" in
  stop) stop; exit 0 ;;
  start) ;;
  *) die "usage: $0 start|stop DIR [PORT]" ;;
esac

[ ! -e "$dir/ceph.conf" ] || die "$dir already holds a cluster; stop it first"
port=${3:-$((6789 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 1000))}
fsid=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$dir"/{mon,osd,mgr,run,log}
log="$dir/log/start.log"
trap 'echo "ceph-test-cluster: start failed; see $dir/log" >&2' ERR

cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$port
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/admin.keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
auth allow insecure global id reclaim = false
[mon.a]
mon data = $dir/mon
[mgr.x]
mgr data = $dir/mgr
[osd.0]
osd data = $dir/osd
keyring = $dir/osd/keyring
osd objectstore = bluestore
bluestore block path = $dir/osd.block
bluestore block create = true
bluestore block size = 2147483648
bluestore block db create = false
bluestore block wal create = false
osd memory target = 536870912
bluestore cache autotune = false
bluestore cache size = 67108864
osd max object size = 134217728
EOF
conf=(-c "$dir/ceph.conf")

ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >>"$log"
ceph-authtool --create-keyring "$dir/admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >>"$log"
ceph-authtool --create-keyring "$dir/nimbus.keyring" --gen-key -n client.nimbus \
  --cap mon 'profile rbd' --cap osd 'profile rbd pool=volumes' --cap mgr 'profile rbd pool=volumes' >>"$log"
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/admin.keyring" >>"$log"
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/nimbus.keyring" >>"$log"
monmaptool --create --addv a "[v1:127.0.0.1:$port]" --fsid "$fsid" "$dir/monmap" >>"$log"

ceph-mon "${conf[@]}" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/mon.keyring" >>"$log" 2>&1
ceph-mon "${conf[@]}" -i a >>"$log" 2>&1

# The OSD: a key the monitor knows, then its store made on a sparse file of its own.
osd_id=$(ceph "${conf[@]}" osd create) >>"$log"
[ "$osd_id" = 0 ] || die "the new OSD got id $osd_id, not 0"
ceph-authtool --create-keyring "$dir/osd/keyring" --gen-key -n osd.0 >>"$log"
ceph "${conf[@]}" auth add osd.0 osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' \
  -i "$dir/osd/keyring" >>"$log" 2>&1
ceph-osd "${conf[@]}" -i 0 --mkfs >>"$log" 2>&1
ceph "${conf[@]}" osd crush add osd.0 1.0 host=localhost root=default >>"$log" 2>&1
ceph-osd "${conf[@]}" -i 0 >>"$log" 2>&1

# The manager: rbd's pool init and image listing ask it nothing, but the cluster's health does.
ceph "${conf[@]}" auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
  -o "$dir/mgr/keyring" >>"$log" 2>&1
ceph-mgr "${conf[@]}" -i x --keyring "$dir/mgr/keyring" >>"$log" 2>&1

ceph "${conf[@]}" osd pool create volumes 8 8 >>"$log" 2>&1
ceph "${conf[@]}" osd pool set volumes size 1 --yes-i-really-mean-it >>"$log" 2>&1
rbd "${conf[@]}" pool init volumes >>"$log" 2>&1

# The client's key alone, as a libvirt secret takes it.
ceph-authtool "$dir/nimbus.keyring" -n client.nimbus -p >"$dir/nimbus.key"
chmod 600 "$dir"/*.keyring "$dir/nimbus.key"

# Usable once a write as the client succeeds.
for _ in $(seq 300); do
  if rbd "${conf[@]}" --id nimbus --keyring "$dir/nimbus.keyring" ls volumes >>"$log" 2>&1; then exit 0; fi
  sleep 0.2
done
die "the cluster in $dir did not answer rbd ls within 60 s"
