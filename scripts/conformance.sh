#!/usr/bin/env bash
# ./nimbus conformance [--interop-only | --validation] [--regex REGEX]
# Runs tempest's API tests for identity, compute, image and network against a fresh all-in-one node
# (test:///default, temporary data dir, free ports), then writes the counts and the failures
# grouped by cause into CONFORMANCE.md (between its markers; the rest of the file is kept).
#   --interop-only   only the interop 2020.06 required tests of those areas and the volume area (a quick check)
#   --validation     only the interop required tests that log into their server over SSH (tempest's
#                    [validation]), against real TCG guests: the node runs on qemu:///system (root;
#                    scripts/host-setup.sh and scripts/build-test-guest.sh are run first), tempest's
#                    image is the test guest booting with nimbus.sshd=1, and tempest reaches it at a
#                    floating IP of a flat external network whose gateway address this machine holds
#                    on a veth pair (CONFORMANCE.md is left alone)
#   --regex REGEX    only the tests matching REGEX (CONFORMANCE.md is then left alone)
#   --require-pass   exit 1 when a selected test failed or did not run (./nimbus test uses it with
#                    --interop-only, .ci/run with --validation); with --validation a skipped test fails too
# Environment: NIMBUS_CONFORMANCE_CONCURRENCY (2), NIMBUS_CONFORMANCE_KEEP=1 keeps the
# temporary directory (node log, tempest workspace) for a look afterwards; NIMBUS_CONFORMANCE_CINDER=true
# tells tempest the volume service is there (for --regex runs of tempest.api.volume); NIMBUS_BUILD_LOCK=FILE
# takes that lock (flock) around the build, for machines where several checkouts build at once;
# NIMBUS_CONFORMANCE_BACKUP=true tells tempest volume backups are there (for --regex runs of its backup tests).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INTEROP_LIST="${NIMBUS_INTEROP_LIST:-$ROOT/scripts/interop-2020.06-required-tests.txt}"
CONCURRENCY="${NIMBUS_CONFORMANCE_CONCURRENCY:-2}"
AREAS_REGEX='^tempest\.api\.(identity|compute|image|network)\.'
# Debian's python has tempest and subunit; a python from PATH (pyenv, venvs) may not
PY=/usr/bin/python3

MODE=all
REGEX=""
REQUIRE_PASS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --interop-only) MODE=interop ;;
    --validation) MODE=validation ;;
    --regex) MODE=regex; REGEX="$2"; shift ;;
    --require-pass) REQUIRE_PASS=1 ;;
    *) echo "usage: ./nimbus conformance [--interop-only | --validation] [--regex REGEX] [--require-pass]" >&2; exit 2 ;;
  esac
  shift
done
# the interop run requires the volume area too (every required volume test passes): tempest is told Cinder is there
CINDER="${NIMBUS_CONFORMANCE_CINDER:-false}"
[ "$MODE" = interop ] && CINDER=true

# --- what the run needs: tempest (with stestr and subunit), qemu-img, curl, a JDK and Maven
missing=()
[ -x /usr/bin/tempest ] || missing+=(tempest)
[ -x /usr/bin/subunit2csv ] || missing+=(subunit)
command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ "$MODE" = validation ]; then
  [ "$(id -u)" -eq 0 ] || { echo "conformance: --validation runs real guests: run it as root" >&2; exit 1; }
  # tempest's SSH client
  [ -d /usr/lib/python3/dist-packages/paramiko ] || missing+=(python3-paramiko)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    echo "conformance: install ${missing[*]} (apt-get install ${missing[*]}), or run as root" >&2
    exit 1
  fi
fi

# --- real guests: libvirtd with QEMU, the dataplane's tools, and the test guest (each idempotent)
if [ "$MODE" = validation ]; then
  "$ROOT/scripts/host-setup.sh"
  "$ROOT/scripts/build-test-guest.sh" "$ROOT/data/guest"
fi

# --- build without `mvn install`: install would replace the jars in ~/.m2 that other
# checkouts of the project use; the launcher's class path file points at this tree's jars
CLASSPATH_FILE="$ROOT/node-runtime/target/nimbus.classpath"
stale() {
  [ ! -f "$CLASSPATH_FILE" ] && return 0
  [ -n "$(find "$ROOT" -path "$ROOT/data" -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.conf' -o -name '*.xml' \) \
      -newer "$CLASSPATH_FILE" -not -path '*/target/*' -print -quit)" ]
}
if stale; then
  echo "conformance: building..." >&2
  # offline first: after one build everything is in ~/.m2, and the machine may have no network
  LOCK=()
  [ -n "${NIMBUS_BUILD_LOCK:-}" ] && LOCK=(flock "$NIMBUS_BUILD_LOCK")
  (cd "$ROOT" && { "${LOCK[@]}" mvn -B -q -o package -DskipTests || "${LOCK[@]}" mvn -B -q package -DskipTests; })
fi

# --- a fresh node on free ports
WORK=$(mktemp -d /tmp/nimbus-conformance.XXXXXX)
NODE_PID=""
VETH=""
stop_node() {
  # what the node built on this machine (router namespace, bridges, DHCP and metadata daemons)
  # goes with the resources it built them for, while the node still runs
  [ -n "$VETH" ] && [ -n "${ROUTER_ID:-}" ] && remove_networks
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
  fi
  [ -n "$VETH" ] && { ip link del "$VETH-o" 2>/dev/null || true; }
  [ -n "${WS_NAME:-}" ] && tempest workspace remove --name "$WS_NAME" >/dev/null 2>&1
  if [ "${NIMBUS_CONFORMANCE_KEEP:-0}" = 1 ]; then
    echo "conformance: kept $WORK (node.log, tempest workspace in ws/)" >&2
  else
    rm -rf "$WORK"
  fi
}
# the node is stopped whatever happens: failures, Ctrl-C, a killed run
trap stop_node EXIT
trap 'exit 130' INT TERM

read -r API_PORT CLUSTER_PORT < <($PY - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
ADMIN_PASSWORD=$($PY -c 'import secrets; print(secrets.token_urlsafe(24))')
API="http://127.0.0.1:$API_PORT"
mkdir -p "$WORK/data"
if [ "$MODE" = validation ]; then
  # the external network's wire: one end (VETH-p) is physnet1, which the flat external network's
  # bridge takes in; the other (VETH-o) holds its gateway address, so this machine (tempest)
  # reaches the floating IPs behind it
  VETH=ncv$($PY -c 'import secrets; print(secrets.token_hex(3))')
  ip link add "$VETH-o" type veth peer name "$VETH-p"
  ip addr add 172.24.0.1/16 dev "$VETH-o"
  ip link set "$VETH-o" up
  ip link set "$VETH-p" up
  HOST_CONF="hypervisor-uri = \"qemu:///system\"
    domain-type = qemu
    graceful-shutdown-timeout = 2s
    physical-interfaces { physnet1 = \"$VETH-p\" }"
  # the test guest (AMI-style: kernel and ramdisk images), registered at start
  IMAGES="[{ name = \"nimbus-validation-guest\", kernel = \"$ROOT/data/guest/vmlinuz\",
    ramdisk = \"$ROOT/data/guest/initrd.img\", disk = \"\", disk-format = qcow2 }]"
  NETWORK_CONF='network { flat-networks = [physnet1] }'
else
  HOST_CONF='hypervisor-uri = "test:///default"
    # tempest keeps many small servers alive at once; the simulated host must not say NoValidHost
    ram-allocation-ratio = 16.0
    cpu-allocation-ratio = 16.0
    disk-gb = 10000'
  # no seeded test guest: tempest's images are uploaded through the API below
  IMAGES='[]'
  NETWORK_CONF=''
fi
cat > "$WORK/node.conf" <<EOF
nimbus {
  roles = [control, compute]
  data-dir = "$WORK/data"
  cluster { port = $CLUSTER_PORT }
  api { host = "127.0.0.1", port = $API_PORT, policy-file = "$WORK/policy.json" }
  host {
    $HOST_CONF
  }
  $NETWORK_CONF
  identity { admin-password = "$ADMIN_PASSWORD" }
  images = $IMAGES
}
EOF
chmod 600 "$WORK/node.conf"
# tempest's dynamic credentials give each admin test class a new project with the admin role on
# it; Nimbus's default makes that a project's admin only (SECURITY.md). This run takes Keystone's
# legacy rule instead, as an operator who wants it would: the admin role on any project is the
# cloud's admin (context_is_admin and the other rules are made of admin_api)
cat > "$WORK/policy.json" <<EOF
{"admin_api": "role:admin or is_admin:True"}
EOF
echo "conformance: starting a node on $API (log: $WORK/node.log)" >&2
# the node ignores Ctrl-C (SIGINT stays ignored across exec, and the JVM keeps it so): stop_node
# stops it, after taking down through it what it built on this machine
(cd "$WORK" && trap '' INT && exec java ${NIMBUS_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED \
    -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 \
    -cp "$ROOT/node-runtime/target/classes:$(cat "$CLASSPATH_FILE")" \
    nimbus.node.Main up --config "$WORK/node.conf" > "$WORK/node.log" 2>&1) &
NODE_PID=$!
for i in $(seq 1 120); do
  curl -sf "$API/readyz" >/dev/null 2>&1 && break
  kill -0 "$NODE_PID" 2>/dev/null || { echo "conformance: the node died; its log:" >&2; tail -50 "$WORK/node.log" >&2; exit 1; }
  [ "$i" -eq 120 ] && { echo "conformance: the node was not ready in 120 s" >&2; tail -50 "$WORK/node.log" >&2; exit 1; }
  sleep 1
done

# --- tempest's images: two distinct 64 MiB qcow2 files, public, uploaded through the API
TOKEN=$(curl -sf -D - -o /dev/null -H 'Content-Type: application/json' "$API/identity/v3/auth/tokens" -d @- <<EOF | tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
  "domain": {"name": "Default"}, "password": "$ADMIN_PASSWORD"}}},
  "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
EOF
)
[ -n "$TOKEN" ] || { echo "conformance: could not get an admin token" >&2; exit 1; }
upload_image() {
  local name=$1 file="$WORK/$1.qcow2" id
  qemu-img create -q -f qcow2 "$file" 64M
  id=$(curl -sf -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' "$API/image/v2/images" \
    -d "{\"name\": \"$name\", \"disk_format\": \"qcow2\", \"container_format\": \"bare\", \"visibility\": \"public\"}" \
    | $PY -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  curl -sf -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$file" "$API/image/v2/images/$id/file" >/dev/null
  echo "$id"
}
if [ "$MODE" = validation ]; then
  # the test guest, seeded at start: it boots with an SSH server, its host name and key from metadata
  IMAGE_REF=$(curl -sf -H "X-Auth-Token: $TOKEN" "$API/image/v2/images?name=nimbus-validation-guest" \
    | $PY -c 'import json, sys; print(json.load(sys.stdin)["images"][0]["id"])')
  curl -sf -X PATCH -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/openstack-images-v2.1-json-patch' \
    "$API/image/v2/images/$IMAGE_REF" \
    -d '[{"op": "add", "path": "/os_command_line", "value": "console=ttyS0 nimbus.sshd=1"}]' >/dev/null
  IMAGE_REF_ALT=$IMAGE_REF
else
  IMAGE_REF=$(upload_image conformance-image)
  IMAGE_REF_ALT=$(upload_image conformance-image-alt)
fi

# --- the network tempest's servers use (compute.fixed_network_name): shared, with one subnet,
# made by the admin, so every test project may put NICs on it
api_post() {
  curl -sf -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' "$API$1" -d "$2"
}
NETWORK_ID=$(api_post /network/v2.0/networks '{"network": {"name": "conformance-net", "shared": true}}' \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["network"]["id"])')
SUBNET_ID=$(api_post /network/v2.0/subnets "{\"subnet\": {\"network_id\": \"$NETWORK_ID\", \"ip_version\": 4,
  \"cidr\": \"10.254.0.0/16\", \"name\": \"conformance-subnet\"}}" \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["subnet"]["id"])')
# --- the external network routers' gateways and floating IPs use (network.public_network_id)
PUBLIC_PROVIDER=""
[ "$MODE" = validation ] && PUBLIC_PROVIDER=', "provider:network_type": "flat", "provider:physical_network": "physnet1"'
PUBLIC_ID=$(api_post /network/v2.0/networks "{\"network\": {\"name\": \"conformance-public\", \"router:external\": true$PUBLIC_PROVIDER}}" \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["network"]["id"])')
api_post /network/v2.0/subnets "{\"subnet\": {\"network_id\": \"$PUBLIC_ID\", \"ip_version\": 4,
  \"cidr\": \"172.24.0.0/16\", \"name\": \"conformance-public-subnet\"}}" >/dev/null
# a router from conformance-net to it, as devstack's: the compute floating IP tests associate
# floating IPs with servers on conformance-net (Neutron needs a router for that)
ROUTER_ID=$(api_post /network/v2.0/routers "{\"router\": {\"name\": \"conformance-router\",
  \"external_gateway_info\": {\"network_id\": \"$PUBLIC_ID\"}}}" \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["router"]["id"])')
curl -sf -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  "$API/network/v2.0/routers/$ROUTER_ID/add_router_interface" -d "{\"subnet_id\": \"$SUBNET_ID\"}" >/dev/null
# what an interrupted tempest left (servers: real guests; floating IPs, which keep the router's
# interface in use), the router, then the networks, each asked again until gone; then the node takes
# down what it built for them (the router's namespace nqr-ID, each network's bridge nbr-ID: 11
# characters of the id without dashes); at most 90 s
remove_networks() {
  local end=$(($(date +%s) + 90)) id name left
  while :; do
    for id in $(api_ids /compute/v2.1/servers?all_tenants=1 servers); do api_delete "/compute/v2.1/servers/$id"; done
    for id in $(api_ids /network/v2.0/floatingips floatingips); do api_delete "/network/v2.0/floatingips/$id"; done
    curl -s -o /dev/null -X PUT -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
      "$API/network/v2.0/routers/$ROUTER_ID/remove_router_interface" -d "{\"subnet_id\": \"$SUBNET_ID\"}" || true
    for path in routers/$ROUTER_ID networks/$NETWORK_ID networks/$PUBLIC_ID; do api_delete "/network/v2.0/$path"; done
    left=""
    for id in "$ROUTER_ID" "$NETWORK_ID" "$PUBLIC_ID"; do
      name=$(echo "$id" | tr -d - | cut -c1-11)
      { ip netns list | grep -q "^nqr-$name" || ip link show "nbr-$name" >/dev/null 2>&1; } && left=1
    done
    { [ -z "$left" ] || [ "$(date +%s)" -ge "$end" ]; } && break
    sleep 2
  done
}
api_ids() {  # $1 = a list's path, $2 = its collection -> the ids in it
  curl -s -H "X-Auth-Token: $TOKEN" "$API$1" \
    | $PY -c "import json, sys; print(' '.join(r['id'] for r in json.load(sys.stdin)['$2']))" 2>/dev/null || true
}
api_delete() {  # what it answers does not matter: the loop looks again (and set -e must not end the clean-up)
  curl -s -o /dev/null -X DELETE -H "X-Auth-Token: $TOKEN" "$API$1" || true
}
# the extensions tempest may use: exactly those Nimbus lists
API_EXTENSIONS=$(curl -sf -H "X-Auth-Token: $TOKEN" "$API/network/v2.0/extensions" \
  | $PY -c 'import json, sys; print(",".join(e["alias"] for e in json.load(sys.stdin)["extensions"]))')

# tempest runs a test with a min_microversion only up to max_microversion: the node's own range
read -r COMPUTE_MIN COMPUTE_MAX < <(curl -sf "$API/compute/v2.1/" \
  | $PY -c 'import json, sys; v = json.load(sys.stdin)["version"]; print(v["min_version"], v["version"])')

# --- instance validation: tempest logs into its servers (the key pair Nova makes: RSA) at a floating IP
if [ "$MODE" = validation ]; then
  VALIDATION_CONF="run_validation = true
connect_method = floating
auth_method = keypair
image_ssh_user = root
ssh_key_type = rsa
ip_version_for_ssh = 4
network_for_ssh = conformance-net
security_group = true
security_group_rules = true
# a TCG guest on a loaded 2-core machine boots in about a minute
ping_timeout = 180
connect_timeout = 60
ssh_timeout = 240"
else
  VALIDATION_CONF="run_validation = false"
fi

# --- the tempest workspace and its configuration
WS="$WORK/ws"
# each run's workspace has its own name in tempest's registry (~/.tempest/workspace.yaml)
WS_NAME=$(basename "$WORK")
(cd "$WORK" && tempest init --name "$WS_NAME" ws >/dev/null)
# init's logging.conf opens tempest.log with "w+" in every process (each worker, every later
# tempest command), so the log would keep only the last one's lines: oslo.log appends instead
rm -f "$WS/etc/logging.conf"
TEMPEST_VERSION=$(tempest --version 2>&1)
cat > "$WS/etc/tempest.conf" <<EOF
[DEFAULT]
log_dir = $WS
log_file = tempest.log
debug = true

[auth]
use_dynamic_credentials = true
admin_username = admin
admin_password = $ADMIN_PASSWORD
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
create_isolated_networks = false

[identity]
uri_v3 = $API/identity/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public
disable_ssl_certificate_validation = true

[identity-feature-enabled]
api_v2 = false
api_v3 = true
api_v2_admin = false
trust = false
project_tags = false
application_credentials = false
access_rules = false
security_compliance = false
domain_specific_drivers = false

[compute]
image_ref = $IMAGE_REF
image_ref_alt = $IMAGE_REF_ALT
flavor_ref = 42
flavor_ref_alt = 84
min_compute_nodes = 1
# test:///default builds in a moment; a hung wait should fail fast, not after tempest's 300 s
build_timeout = 90
build_interval = 1
min_microversion = $COMPUTE_MIN
max_microversion = $COMPUTE_MAX
fixed_network_name = conformance-net

[compute-feature-enabled]
# what Nimbus does (README: compute routes) and what it does not (yet)
console_output = true
resize = true
snapshot = true
pause = true
suspend = true
enable_instance_password = true
change_password = false
personality = false
interface_attach = false
disk_config = false
shelve = false
shelve_migrate = false
cold_migration = false
live_migration = false
live_migrate_back_and_forth = false
block_migration_for_live_migration = false
rescue = false
stable_rescue = false
metadata_service = false
config_drive = false
vnc_console = false
spice_console = false
rdp_console = false
serial_console = false
attach_encrypted_volume = false
swap_volume = false
volume_multiattach = false
hostname_fqdn_sanitization = false
# tempest 33 runs its server metadata tests only with this on (not Xen-specific in Nova); os-agents (Xen only) is not offered
xenapi_apis = true
ide_bus = false
scheduler_enabled_filters = AvailabilityZoneFilter,ComputeFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter

[image]
build_timeout = 90
build_interval = 1
container_formats = bare
# tempest 33 uploads random bytes as each of disk_formats (ListUserImagesTest, and
# disk_formats[0] elsewhere): Nimbus inspects uploads and refuses content that is not the
# declared format, and random bytes are only valid raw (image_ref itself is a real qcow2)
disk_formats = raw

[image-feature-enabled]
api_v2 = true
api_v1 = false
import_image = false
os_glance_reserved = false
manage_locations = false

[network]
public_network_id = $PUBLIC_ID
floating_network_name = conformance-public
# tempest's own subnets (test projects' networks) and subnet pools (default_network)
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64
default_network = 10.200.0.0/16
shared_physical_network = false
build_timeout = 90
build_interval = 1

[network-feature-enabled]
# no security groups yet (not listed: tempest skips their tests); floating IPs on for Neutron's
# floating IP tests (it also lets the compute os-floating-ips tests run: see CONFORMANCE.md)
api_extensions = $API_EXTENSIONS
floating_ips = true
ipv6 = true
ipv6_subnet_attributes = true
port_admin_state_change = true
port_security = true

[validation]
$VALIDATION_CONF

[volume]
build_timeout = 90
build_interval = 1

[volume-feature-enabled]
# the extensions Cinder's /extensions lists here (tempest's default, "all", looks for ones not built)
api_extensions = os-volume-actions, os-admin-actions, os-availability-zone, os-extended-snapshot-attributes, os-quota-sets, os-used-limits, os-vol-tenant-attr
backup = ${NIMBUS_CONFORMANCE_BACKUP:-false}

[service_available]
nova = true
glance = true
neutron = true
cinder = $CINDER
swift = false
heat = false
horizon = false
EOF
chmod 600 "$WS/etc/tempest.conf"

# --- the run: one tempest at a time, at most NIMBUS_CONFORMANCE_CONCURRENCY workers
INTEROP_FILE="$WORK/interop.txt"
# the required tests of the areas, one regex each, as tempest's --include-list reads them
grep -oE 'tempest\.api\.(identity|compute|image|network|volume)\.[^ ]+' "$INTEROP_LIST" | sed -E 's/\[id-([0-9a-f-]+)\]$/[^ ]*id-\1/' | sort -u > "$INTEROP_FILE"
case "$MODE" in
  all) SELECT=(--regex "$AREAS_REGEX") ;;
  interop) SELECT=(--include-list "$INTEROP_FILE") ;;
  regex) SELECT=(--regex "$REGEX") ;;
  validation)
    # the required tests tempest skips without [validation] (they share one server, ServersTestJSON's)
    grep -E 'ServersTestJSON\.test_(host_name_is_same_as_server_name|verify_created_server_vcpus)' "$INTEROP_FILE" \
      > "$WORK/validation.txt"
    SELECT=(--include-list "$WORK/validation.txt") ;;
esac
cd "$WS"
# every test the selection names, so a class whose setUpClass failed still counts its tests
case "$MODE" in
  interop|validation) stestr list "${SELECT[@]}" > "$WORK/selected.txt" ;;
  *) stestr list "${SELECT[1]}" > "$WORK/selected.txt" ;;
esac
echo "conformance: running $(wc -l < "$WORK/selected.txt") tests with concurrency $CONCURRENCY" >&2
set +e
# OS_LOG_CAPTURE: each failing test's details carry its own log lines as well
OS_LOG_CAPTURE=1 tempest run "${SELECT[@]}" --concurrency "$CONCURRENCY" > "$WORK/tempest-run.log" 2>&1
RUN_STATUS=$?
set -e
tail -15 "$WORK/tempest-run.log" >&2
stestr last --subunit > "$WORK/results.subunit" 2>/dev/null || true
subunit2csv < "$WORK/results.subunit" > "$WORK/results.csv" 2>/dev/null || true

# --- the summary
OUT="$ROOT/CONFORMANCE.md"
{ [ "$MODE" = regex ] || [ "$MODE" = validation ]; } && OUT="$WORK/CONFORMANCE.md"
$PY "$ROOT/scripts/conformance-summary.py" --subunit "$WORK/results.subunit" \
  --selected "$WORK/selected.txt" --interop "$INTEROP_LIST" --areas-regex "$AREAS_REGEX" \
  --mode "$MODE" --out "$OUT" --log "$WS/tempest.log" --tempest-version "$TEMPEST_VERSION"
{ [ "$MODE" = regex ] || [ "$MODE" = validation ]; } && cat "$OUT"
# a copy of the raw results next to the summary, for whoever fixes the causes
# (the validation run's apart: CI runs it after the interop run)
RESULTS="$ROOT/target/conformance"
[ "$MODE" = validation ] && RESULTS="$ROOT/target/conformance/validation"
mkdir -p "$RESULTS"
cp "$WORK/results.subunit" "$WORK/results.csv" "$WORK/causes.txt" "$WORK/tempest-run.log" "$WS/tempest.log" "$WS/etc/tempest.conf" "$RESULTS/" 2>/dev/null || true
# the copy must not keep the generated admin password
sed -i 's/^admin_password = .*/admin_password = (generated per run)/' "$RESULTS/tempest.conf" 2>/dev/null || true
echo "conformance: tempest exited $RUN_STATUS; summary in $OUT" >&2
NO_SKIP=()
[ "$MODE" = validation ] && NO_SKIP=(--no-skip)
if [ "$REQUIRE_PASS" = 1 ] && ! $PY "$ROOT/scripts/conformance-required.py" "${NO_SKIP[@]}" "$WORK/selected.txt" "$WORK/results.csv"; then
  echo "conformance: a selected test failed or did not run (see the failures in $OUT)" >&2
  exit 1
fi
