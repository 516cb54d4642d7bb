# Shell helpers shared by the scripts in this folder; source it, don't run it.

# Installs the Debian packages among "$@" that are not installed yet (one
# dpkg-query when nothing is missing, so reruns are cheap). Output to stderr.
install_missing() {
  local p missing=() sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "tickcast: installing missing packages: ${missing[*]}" >&2
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A loopback port nothing listens on (a refused connect says so, no extra
# tools): random in 10000-32767, below Linux's ephemeral range so outgoing
# connections cannot take it between now and the server's bind. An argument
# names a port to avoid.
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % 22768))
    [ "$p" != "${1:-}" ] || continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
