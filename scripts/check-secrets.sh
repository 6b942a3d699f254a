#!/usr/bin/env bash
# After a test run: no password, password hash or token may appear in any log it left.
# Usage: check-secrets.sh LOG_OR_DIR...   (exits 1 and names the file if one does)
set -euo pipefail

# the passwords the tests use, Argon2 hashes, and Nimbus tokens (base64url of version byte 1,
# a nonce and the sealed payload: "AQ".."AT" then 100+ characters)
patterns=(
  'nimbus-test-admin' 'pw-one' 'pw-two' '"pw-m"' '"pw-r"' 'argon2id\$v='
  'A[Q-T][A-Za-z0-9_-]{100,}'
)
found=0
for target in "$@"; do
  [ -e "$target" ] || continue
  for p in "${patterns[@]}"; do
    if hits=$(grep -rlE -- "$p" "$target" 2>/dev/null); then
      echo "check-secrets: '$p' appears in: $hits" >&2
      found=1
    fi
  done
done
[ "$found" -eq 0 ] && echo "check-secrets: no password, hash or token in the test logs"
exit "$found"
