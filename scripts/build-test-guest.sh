#!/usr/bin/env bash
# Build the bootable test guest from Debian packages (no internet needed
# beyond the Debian mirror): a Debian cloud kernel plus a busybox initramfs that prints
# GUEST-BOOTED, tries DHCP on eth0 (address and MTU), prints GUEST-IP, GUEST-MTU and GUEST-READY
# and drops to a shell on ttyS0; with nimbus.ping=A,B on its kernel command line it pings those
# addresses in the background and prints PING-OK/PING-FAIL and PING-MTU-OK/PING-MTU-FAIL per address;
# with nimbus.pingloop=S too it keeps pinging each reached address every S seconds (PING-OK or PING-LOST).
# with nimbus.metadata=1 it reads its host name and public key from the metadata service and prints
# META-HOSTNAME and META-KEY (or META-FAIL, with the last error). Its DHCP client installs option 121 routes.
# It prints its default route's gateway (GUEST-GATEWAY). With nimbus.listen=P,Q it answers HTTP on
# those TCP ports (NIMBUS-HELLO P); with nimbus.tcp=ADDR:PORT,... it fetches each every pingloop
# seconds (default 2) and prints TCP-OK or TCP-FAIL ADDR:PORT. With nimbus.spoof=IP (an unused address of
# the peers' subnet) it pings its nimbus.ping peers one after another in a loop instead: its own
# ping (PING-OK/PING-LOST), one from the forged source IP (SPOOF-IP-OK/SPOOF-IP-LOST) and one with
# a forged MAC on eth0 (SPOOF-MAC-OK/SPOOF-MAC-LOST), every pingloop seconds (default 2).
# With nimbus.sshd=1 it reads its metadata as nimbus.metadata=1 does, then, as cloud-init does, takes
# the metadata's host name as its own and the key as root's (/root/.ssh/authorized_keys), and runs
# an SSH server (Debian's dropbear, key logins only) on port 22: SSHD-READY (or SSHD-FAIL); a root
# shell there has busybox's applets (hostname, grep, cat...). tempest's instance validation uses it.
# Usage: build-test-guest.sh [OUTDIR]   (default ./data/guest) -> OUTDIR/vmlinuz, OUTDIR/initrd.img
# Idempotent: does nothing while both outputs are newer than this script; downloaded .debs are
# kept in OUTDIR/.cache.
set -euo pipefail

OUTDIR=${1:-./data/guest}
SELF=$(readlink -f "${BASH_SOURCE[0]}")
CACHE=$OUTDIR/.cache
# virtio drivers are modules in the cloud kernel; this is their dependency (= load) order.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk"

die() { echo "build-test-guest: $*" >&2; exit 1; }

if [ "$OUTDIR/vmlinuz" -nt "$SELF" ] && [ "$OUTDIR/initrd.img" -nt "$SELF" ]; then
  echo "build-test-guest: $OUTDIR/vmlinuz and initrd.img are up to date"
  exit 0
fi

for tool in apt-cache apt-get dpkg dpkg-deb cpio gzip readelf; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# Highest ABI number of the cloud kernel the apt lists know. `apt-get download` needs apt
# lists too, so refresh them once if the search finds nothing (fresh containers have none).
latest_kernel() {
  apt-cache search '^linux-image-6.1.0-[0-9]+-cloud-amd64$' | awk '{print $1}' | sort -V | tail -1
}
kpkg=$(latest_kernel)
if [ -z "$kpkg" ]; then
  apt-get update -qq >/dev/null || die "apt-get update failed (run as root?)"
  kpkg=$(latest_kernel)
  [ -n "$kpkg" ] || die "no linux-image-6.1.0-*-cloud-amd64 package known to apt"
fi

mkdir -p "$CACHE"
# Work inside OUTDIR so the final renames are atomic (same filesystem).
tmp=$(mktemp -d "$OUTDIR/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Download into the temp dir and move into the cache only when complete, so an interrupted
# download never poisons the cache. The sandbox user option silences apt's "_apt cannot access
# the directory" warning when running as root in a private temp dir.
fetch_deb() {  # $1 = package name -> prints path of the cached .deb
  local pkg=$1 deb
  deb=$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
  if [ -z "$deb" ]; then
    mkdir -p "$tmp/dl"
    (cd "$tmp/dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) \
      || die "apt-get download $pkg failed"
    deb=$(find "$tmp/dl" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    mv "$deb" "$CACHE/"
    deb=$CACHE/$(basename "$deb")
  fi
  echo "$deb"
}
kdeb=$(fetch_deb "$kpkg")
bbdeb=$(fetch_deb busybox-static)
# dropbear and the packages it depends on, transitively (its shared libraries come from them, not
# from this machine)
sshdebs=; queue=dropbear-bin; seen=
while [ -n "$queue" ]; do
  set -- $queue; pkg=$1; shift; queue="$*"
  case " $seen " in *" $pkg "*) continue ;; esac
  seen="$seen $pkg"
  deb=$(fetch_deb "$pkg")
  sshdebs="$sshdebs $deb"
  queue="$queue $(dpkg-deb -f "$deb" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' | tr ',' '\n' | sed -E 's/[(|:].*//; s/ //g' | tr '\n' ' ')"
done
# Older kernel ABIs are never used again: drop them from the cache.
find "$CACHE" -maxdepth 1 -name 'linux-image-*.deb' ! -name "${kpkg}_*.deb" -delete

dpkg -x "$kdeb" "$tmp/k"
dpkg -x "$bbdeb" "$tmp/bb"
for deb in $sshdebs; do dpkg -x "$deb" "$tmp/ssh"; done

ir=$tmp/ir
mkdir -p "$ir"/{bin,sbin,proc,sys,dev,lib/modules,etc,tmp,usr/share/udhcpc}
cp "$tmp/bb/bin/busybox" "$ir/bin/"

# dropbear with the libraries it needs (their NEEDED entries, transitively) and the dynamic loader
mkdir -p "$ir"/{usr/sbin,lib/x86_64-linux-gnu,lib64,etc/dropbear,root,var/run}
cp "$tmp/ssh/usr/sbin/dropbear" "$ir/usr/sbin/"
copy_libs() {  # $1 = an ELF file in the initramfs
  local lib src
  for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$ir/lib/x86_64-linux-gnu/$lib" ] && continue
    src=$(find "$tmp/ssh" -name "$lib" -print -quit)
    [ -n "$src" ] || die "$lib (needed by $(basename "$1")) is in none of dropbear's dependencies"
    cp -L "$src" "$ir/lib/x86_64-linux-gnu/$lib"
    copy_libs "$ir/lib/x86_64-linux-gnu/$lib"
  done
}
copy_libs "$ir/usr/sbin/dropbear"
cp -L "$(find "$tmp/ssh" -name ld-linux-x86-64.so.2 -print -quit)" "$ir/lib64/ld-linux-x86-64.so.2"
# root's account for key logins: dropbear takes only shells that /etc/shells lists
echo 'root:x:0:0:root:/root:/bin/sh' > "$ir/etc/passwd"
echo 'root:x:0:' > "$ir/etc/group"
echo /bin/sh > "$ir/etc/shells"
printf 'passwd: files\ngroup: files\nshadow: files\n' > "$ir/etc/nsswitch.conf"

# Bookworm ships plain .ko files, but newer kernels compress them (.ko.xz/.ko.zst/.ko.gz) and
# busybox insmod may not decompress: always store plain .ko in the initramfs.
for m in $MODULES; do
  src=$(find "$tmp/k/lib/modules" \( -name "$m.ko" -o -name "$m.ko.*" \) -print -quit)
  [ -n "$src" ] || die "module $m not found in $kpkg"
  case $src in
    *.ko)     cp "$src" "$ir/lib/modules/$m.ko" ;;
    *.ko.xz)  xz -dc "$src"   > "$ir/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$src" > "$ir/lib/modules/$m.ko" ;;
    *.ko.gz)  gzip -dc "$src" > "$ir/lib/modules/$m.ko" ;;
    *) die "unknown module format: $src" ;;
  esac
done

cat > "$ir/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
for m in $MODULES; do insmod /lib/modules/\$m.ko; done
ip link set lo up; ip link set eth0 up
echo GUEST-BOOTED
# No NIC or no DHCP server must not stop the boot: READY is printed either way.
udhcpc -i eth0 -n -q -t 10 -T 1 -O staticroutes -s /usr/share/udhcpc/default.script || echo "udhcpc: no lease"
# the address DHCP gave (empty without one), for tests that check the network
echo "GUEST-IP \$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print \$4}')"
echo "GUEST-MTU \$(cat /sys/class/net/eth0/mtu 2>/dev/null)"
echo "GUEST-GATEWAY \$(ip -4 route show default 2>/dev/null | awk '{print \$3; exit}')"
# nimbus.ping=A,B,... on the kernel command line (an image's os_command_line): ping each address
# (but our own) for up to nimbus.pingwait seconds (default 20), then say PING-OK or PING-FAIL, and
# after an OK whether a full 1450-byte packet (1422 bytes of data, DF: Linux's default) crosses
self=\$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print \$4}' | cut -d/ -f1)
peers=; pingwait=20; pingloop=; metadata=; listen=; tcp=; spoof=; sshd=
for arg in \$(cat /proc/cmdline); do
  case \$arg in
    nimbus.ping=*) peers=\$(echo "\${arg#nimbus.ping=}" | tr , ' ') ;;
    nimbus.pingwait=*) pingwait=\${arg#nimbus.pingwait=} ;;
    nimbus.pingloop=*) pingloop=\${arg#nimbus.pingloop=} ;;
    nimbus.metadata=*) metadata=\${arg#nimbus.metadata=} ;;
    nimbus.listen=*) listen=\$(echo "\${arg#nimbus.listen=}" | tr , ' ') ;;
    nimbus.tcp=*) tcp=\$(echo "\${arg#nimbus.tcp=}" | tr , ' ') ;;
    nimbus.spoof=*) spoof=\${arg#nimbus.spoof=} ;;
    nimbus.sshd=*) sshd=\${arg#nimbus.sshd=} ;;
  esac
done
# the metadata's host name and public key (/tmp/meta_data.json, /tmp/openssh-key), retrying for up
# to 120 s as cloud-init does (a TCG guest on a loaded host is slow); on failure \$err says why
fetch_metadata() {
  md=http://169.254.169.254
  end=\$((\$(date +%s) + 120)); err=
  while [ \$(date +%s) -lt \$end ]; do
    if err=\$(timeout 10 wget -q -O /tmp/meta_data.json \$md/openstack/latest/meta_data.json 2>&1) \\
       && err=\$(timeout 10 wget -q -O /tmp/openssh-key \$md/latest/meta-data/public-keys/0/openssh-key 2>&1); then return 0; fi
    sleep 1
  done
  return 1
}
meta_hostname() { sed -n 's/.*"hostname": *"\\([^"]*\\)".*/\\1/p' /tmp/meta_data.json; }
# nimbus.metadata=1: say META-HOSTNAME and META-KEY, or META-FAIL with the routes and the last error
if [ "\$metadata" = 1 ]; then
  (
    if fetch_metadata; then
      echo "META-HOSTNAME \$(meta_hostname)"
      echo "META-KEY \$(cat /tmp/openssh-key)"
    else
      echo "META-FAIL routes: \$(ip -4 route | tr "\\n" ";") last error: \$(echo \$err | tr "\\n" " ")"
    fi
  ) &
fi
# nimbus.sshd=1: the metadata's host name and root's key, then dropbear (host keys made at the
# first connection, -R; key logins only, -s) once the key is in place, so no login finds none
if [ "\$sshd" = 1 ]; then
  (
    if fetch_metadata; then
      hostname "\$(meta_hostname)"
      mkdir -p /root/.ssh; chmod 700 /root /root/.ssh
      cp /tmp/openssh-key /root/.ssh/authorized_keys; chmod 600 /root/.ssh/authorized_keys
      if /usr/sbin/dropbear -R -s -p 22; then echo "SSHD-READY \$(hostname)"; else echo "SSHD-FAIL dropbear did not start"; fi
    else
      echo "SSHD-FAIL no metadata: \$(echo \$err | tr "\\n" " ")"
    fi
  ) &
fi
# nimbus.listen=P,Q: a web server per port, each answering its own NIMBUS-HELLO line
for port in \$listen; do
  mkdir -p /tmp/www/\$port
  echo "NIMBUS-HELLO \$port" > /tmp/www/\$port/index.html
  httpd -p \$port -h /tmp/www/\$port && echo "LISTEN \$port"
done
# nimbus.tcp=ADDR:PORT,...: a TCP connection (an HTTP fetch) to each, one line per try
if [ -n "\$tcp" ]; then
  (
    while :; do
      for target in \$tcp; do
        if timeout 3 wget -q -O - http://\$target/ 2>/dev/null | grep -q NIMBUS-HELLO; then
          echo "TCP-OK \$target"
        else
          echo "TCP-FAIL \$target"
        fi
      done
      sleep \${pingloop:-2}
    done
  ) &
fi
# nimbus.spoof=IP: one loop over the peers (a forged MAC on eth0 would disturb parallel pings):
# a ping of its own, one from the forged address (held only meanwhile) and one with a forged MAC
# (the neighbour caches flushed, so the ARP that resolves the peer carries the forged MAC too)
if [ -n "\$spoof" ]; then
  mac=\$(cat /sys/class/net/eth0/address)
  (
    while :; do
      for peer in \$peers; do
        [ "\$peer" = "\$self" ] && continue
        if ping -c 1 -w 2 -W 1 \$peer >/dev/null 2>&1; then echo "PING-OK \$peer"; else echo "PING-LOST \$peer"; fi
        ip addr add \$spoof/32 dev eth0
        if ping -c 1 -w 2 -W 1 -I \$spoof \$peer >/dev/null 2>&1; then echo "SPOOF-IP-OK \$peer"; else echo "SPOOF-IP-LOST \$peer"; fi
        ip addr del \$spoof/32 dev eth0
        ip link set dev eth0 address 02:6e:69:6d:62:73; ip neigh flush dev eth0 >/dev/null 2>&1
        if ping -c 1 -w 2 -W 1 \$peer >/dev/null 2>&1; then echo "SPOOF-MAC-OK \$peer"; else echo "SPOOF-MAC-LOST \$peer"; fi
        ip link set dev eth0 address \$mac; ip neigh flush dev eth0 >/dev/null 2>&1
      done
      sleep \${pingloop:-2}
    done
  ) &
  peers=
fi
for peer in \$peers; do
  [ "\$peer" = "\$self" ] && continue
  (
    end=\$((\$(date +%s) + pingwait))
    while [ \$(date +%s) -lt \$end ]; do
      if ping -c 1 -w 2 -W 1 \$peer >/dev/null 2>&1; then
        echo "PING-OK \$peer"
        if ping -c 1 -w 3 -W 2 -s 1422 \$peer >/dev/null 2>&1; then echo "PING-MTU-OK \$peer"; else echo "PING-MTU-FAIL \$peer"; fi
        # continuous mode (tests that break something while guests talk): one line per try
        while [ -n "\$pingloop" ]; do
          sleep \$pingloop
          if ping -c 1 -w 2 -W 1 \$peer >/dev/null 2>&1; then echo "PING-OK \$peer"; else echo "PING-LOST \$peer"; fi
        done
        exit 0
      fi
    done
    echo "PING-FAIL \$peer"
  ) &
done
echo GUEST-READY; exec sh
EOF

cat > "$ir/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
[ "$1" = bound ] || exit 0
# the MTU DHCP gives (option 26) first, as a cloud image's DHCP client sets it
[ -n "$mtu" ] && ip link set dev $interface mtu $mtu
ip addr add $ip/${mask:-24} dev $interface || exit 0
if [ -n "$staticroutes" ]; then
  # option 121 (RFC 3442): destination and router pairs, router 0.0.0.0 on-link (the metadata
  # service's route); a client that takes it ignores option 3, the default route is among them
  set -- $staticroutes
  while [ $# -ge 2 ]; do
    if [ "$2" = 0.0.0.0 ]; then ip route add $1 dev $interface; else ip route add $1 via $2 dev $interface; fi
    shift 2
  done
elif [ -n "$router" ]; then
  ip route add default via $router
fi
exit 0
EOF
chmod +x "$ir/init" "$ir/usr/share/udhcpc/default.script"

# Owner root in the archive whoever builds it; then replace the outputs atomically.
(cd "$ir" && find . | cpio --quiet -o -H newc -R 0:0 | gzip -1) > "$tmp/initrd.img"
cp "$tmp"/k/boot/vmlinuz-* "$tmp/vmlinuz"
mv "$tmp/vmlinuz" "$OUTDIR/vmlinuz"
mv "$tmp/initrd.img" "$OUTDIR/initrd.img"

echo "build-test-guest: built $OUTDIR/vmlinuz and initrd.img from $kpkg"
