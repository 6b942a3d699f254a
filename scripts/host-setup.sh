#!/usr/bin/env bash
# Make this machine a hypervisor host for Nimbus tests (libvirt + QEMU/TCG without systemd,
# plus a local PostgreSQL 15 with role/db nimbus/nimbus_test).
# Idempotent: every step checks first. Quiet on success except one summary line.
set -euo pipefail

PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
          dnsmasq-base iproute2 iputils-ping nftables haproxy procps busybox isc-dhcp-client cpio
          python3-openstackclient postgresql curl genisoimage chromium chromium-driver
          ceph-mon ceph-osd ceph-mgr ceph-common libvirt-daemon-driver-storage-rbd)
VIRSH=(virsh -q -c qemu:///system)
PG_VERSION=15
PG_CLUSTER=main

log=$(mktemp /tmp/host-setup.XXXXXX.log)
trap 'rm -f "$log"' EXIT

# Run a command with its output captured; show the output only if it fails.
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    echo "host-setup: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

die() { echo "host-setup: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "$(id -u)" -ne 0 ]; then
  # Without root we can neither install nor start daemons: say exactly what is missing.
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "host-setup: missing packages: ${missing[*]}" >&2
    echo "host-setup: install them with: sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}'" >&2
  else
    echo "host-setup: all packages present; run as root to configure libvirt and PostgreSQL: sudo $0" >&2
  fi
  exit 1
fi

if [ "${#missing[@]}" -gt 0 ]; then
  quiet apt-get update
  quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# --- libvirt ----------------------------------------------------------------------------------
# The QEMU driver resolves its compiled-in default user/group before reading qemu.conf and
# refuses to start without them ("Failed to parse user/group 'libvirt-qemu'"); Debian's
# libvirt-daemon-system would create them, but we don't install it. The group is needed too.
getent group kvm >/dev/null || quiet groupadd -r kvm
getent group libvirt-qemu >/dev/null || quiet groupadd -r libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || quiet useradd -r -g kvm -M -s /usr/sbin/nologin libvirt-qemu

# Debian leaves no qemu.conf here; run guests as root so they can read kernels/disks anywhere
# and libvirt never chowns our files.
mkdir -p /etc/libvirt /var/log/libvirt /var/run/libvirt
if ! grep -qs '^user = "root"' /etc/libvirt/qemu.conf; then
  printf 'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nremember_owner = 0\n' \
    > /etc/libvirt/qemu.conf
  # A libvirtd that is already running read the old config; it must be restarted by hand.
  if pgrep -x libvirtd >/dev/null; then
    echo "host-setup: warning: wrote /etc/libvirt/qemu.conf while libvirtd runs; restart libvirtd" >&2
  fi
fi

# No systemd here: start the daemons ourselves. virtlogd first, or guest start fails with
# "Failed to connect socket to '/run/libvirt/virtlogd-sock'".
pgrep -x virtlogd >/dev/null || quiet virtlogd -d
pgrep -x libvirtd >/dev/null || quiet libvirtd -d   # DBus/dmidecode/udev warnings are harmless

# libvirtd needs a moment before its socket answers; wait at most ~20 s.
for _ in $(seq 40); do
  "${VIRSH[@]}" list >/dev/null 2>&1 && break
  sleep 0.5
done
"${VIRSH[@]}" list >/dev/null 2>&1 || die "libvirtd does not answer on qemu:///system (see /var/log/libvirt)"

# Warm the capability cache: on a cold cache the first guest takes ~20 s instead of ~4 s.
quiet "${VIRSH[@]}" domcapabilities

# --- PostgreSQL -------------------------------------------------------------------------------
cd /   # psql as postgres warns if it cannot read the caller's working directory
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'; then
  quiet pg_createcluster "$PG_VERSION" "$PG_CLUSTER"
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c && $4=="online" {f=1} END {exit !f}'; then
  quiet pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
fi

# Run one SQL statement as the postgres superuser; prints the tuples-only result.
pg_port=$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show port)
psql_su() { su postgres -c "psql -X -v ON_ERROR_STOP=1 -p $pg_port -tAc \"$1\""; }

[ "$(psql_su "SELECT 1 FROM pg_roles WHERE rolname='nimbus'")" = 1 ] \
  || quiet psql_su "CREATE ROLE nimbus LOGIN PASSWORD 'nimbus'"
[ "$(psql_su "SELECT 1 FROM pg_database WHERE datname='nimbus_test'")" = 1 ] \
  || quiet psql_su "CREATE DATABASE nimbus_test OWNER nimbus"

echo "host-setup: ok (libvirt $(libvirtd --version | awk '{print $NF}'), qemu:///system up;" \
     "PostgreSQL $PG_VERSION/$PG_CLUSTER online, role nimbus, db nimbus_test)"
