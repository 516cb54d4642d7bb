#!/usr/bin/env bash
# Mints an access token for the WebSocket gateway's private orders.<USER>
# channels (format in docs/protocol.md, "Authentication"):
#   USER.EXPIRY.hex(HMAC-SHA256(secret, "USER.EXPIRY"))
# Usage: TICKCAST_AUTH_SECRET=... scripts/token.sh USER [TTL_SECONDS]   (TTL default 3600)
# The secret is the gateway's auth_secret (or the value of its auth_secret_env).
# openssl takes the key as an argument, so other local users can see it in the
# process list while this runs; docs/protocol.md has a Python equivalent.
set -euo pipefail
usage="usage: TICKCAST_AUTH_SECRET=... $0 USER [TTL_SECONDS]"
user=${1:?$usage}
ttl=${2:-3600}
secret=${TICKCAST_AUTH_SECRET:?$usage}
[[ $user =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "$0: USER must be 1-64 of letters, digits, '.', '_', '-'" >&2; exit 2; }
[[ $ttl =~ ^-?[0-9]+$ ]] || { echo "$0: TTL_SECONDS must be an integer" >&2; exit 2; }
expires=$(( $(date +%s) + ttl ))
signature=$(printf '%s' "$user.$expires" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
echo "$user.$expires.$signature"
