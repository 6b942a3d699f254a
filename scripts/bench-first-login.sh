#!/bin/bash
# usage: scripts/bench-first-login.sh CLASSPATH LABEL
# Starts an all-in-one node from CLASSPATH (ports 18974 and 25951, a temporary data directory),
# waits until it is ready and 3 s more, then times the dashboard's first login through the API
# with curl: the password login (unscoped), the projects and the re-scope, then the first page's
# requests at once (BENCHMARKS.md, "The first login after a node's start").
set -u
CP="$1"; LABEL="$2"
D=$(mktemp -d)
cat > $D/n.conf <<CONF
nimbus.data-dir = "$D/data"
nimbus.cluster.port = 25951
nimbus.api.port = 18974
CONF
A=http://127.0.0.1:18974
NIMBUS_ADMIN_PASSWORD=warm-pw java -cp "$CP" nimbus.node.Main up --config $D/n.conf > $D/log 2>&1 &
PID=$!
until curl -sf $A/readyz >/dev/null 2>&1; do sleep 0.2; done
sleep 3
L=$(uptime | sed 's/.*average: //')
t0=$(date +%s%N)
UNS=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"warm-pw"}}}}}' $A/identity/v3/auth/tokens | tr -d '\r' | awk '/^[Xx]-[Ss]ubject-[Tt]oken/{print $2}')
t1=$(date +%s%N)
curl -s -o /dev/null -H "X-Auth-Token: $UNS" $A/identity/v3/auth/projects
T=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"$UNS\"}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" $A/identity/v3/auth/tokens | tr -d '\r' | awk '/^[Xx]-[Ss]ubject-[Tt]oken/{print $2}')
t2=$(date +%s%N)
for p in /compute/v2.1/flavors "/image/v2/images?limit=1000" "/compute/v2.1/servers/detail?all_tenants=1&limit=32" "/compute/v2.1/servers/detail?all_tenants=1&limit=1000"; do curl -s -o /dev/null -H "X-Auth-Token: $T" "$A$p" & done
curl -s -o /dev/null -X POST -H "X-Auth-Token: $T" $A/dashboard/v1/event-tickets & 
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
t3=$(date +%s%N)
echo "$LABEL load $L: first password login $(( (t1-t0)/1000000 )) ms, projects+rescope $(( (t2-t1)/1000000 )) ms, first page's requests $(( (t3-t2)/1000000 )) ms, total $(( (t3-t0)/1000000 )) ms"
kill $PID; wait $PID 2>/dev/null
rm -rf $D
