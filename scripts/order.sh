#!/usr/bin/env bash
# Places or cancels one order on a running exchange (configs/exchange.yaml):
# writes the order's JSON (docs/protocol.md) to the Kafka topic the engine
# reads, keyed by symbol, with kcat.
#
#   scripts/order.sh buy|sell SYMBOL QTY [PRICE] [options]   # no PRICE: a market order
#   scripts/order.sh cancel SYMBOL ID [options]
# options:
#   --user U        the trader (default: $TICKCAST_USER, else "trader")
#   --id N          the order id (default: from the clock, unique per run)
#   --tif GTC|IOC|FOK, --post-only
#   --brokers B     bootstrap brokers (default: $TICKCAST_KAFKA_BROKERS, else the
#                   address scripts/demo.sh left in $TICKCAST_KAFKA_BOOTSTRAP_FILE)
#   --topic T       default: orders
#   --dry-run       print the JSON, send nothing
# Prints the order id it sent. The outcome arrives on the private channel
# orders.<user> (and trades.<SYMBOL> if it traded).
set -euo pipefail
die() { echo "order.sh: $*" >&2; exit 2; }

[ $# -ge 3 ] || die "usage: $0 buy|sell SYMBOL QTY [PRICE] [--user U] [--id N] [--tif T] [--post-only] | cancel SYMBOL ID"
op=$1 symbol=$2; shift 2
user=${TICKCAST_USER:-trader} id="" tif="" post_only="" price="" qty="" dry=""
brokers=${TICKCAST_KAFKA_BROKERS:-} topic=orders
case $op in
  buy|sell) qty=$1; shift
            if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then price=$1; shift; fi ;;
  cancel)   id=$1; shift ;;
  *) die "unknown operation '$op' (expected buy, sell or cancel)" ;;
esac
while [ $# -gt 0 ]; do
  case $1 in
    --user) user=${2:?--user needs a value}; shift 2 ;;
    --id) id=${2:?--id needs a value}; shift 2 ;;
    --tif) tif=${2:?--tif needs a value}; shift 2 ;;
    --post-only) post_only=1; shift ;;
    --brokers) brokers=${2:?--brokers needs a value}; shift 2 ;;
    --topic) topic=${2:?--topic needs a value}; shift 2 ;;
    --dry-run) dry=1; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done
# Only what JSON can carry without escaping; the engine checks the rest.
for v in "$symbol" "$user" "$qty" "$price" "$tif"; do
  [[ $v =~ ^[A-Za-z0-9._-]*$ ]] || die "'$v' has characters an order field cannot have"
done
[[ $id =~ ^[0-9]*$ ]] || die "id '$id' is not an unsigned integer"
# Microseconds since the epoch: above the generator's ids, unique per call.
[ -n "$id" ] || id=$(( $(date +%s%N) / 1000 ))

if [ "$op" = cancel ]; then
  json="{\"op\":\"cancel\",\"id\":$id,\"user\":\"$user\",\"symbol\":\"$symbol\"}"
else
  json="{\"op\":\"new\",\"id\":$id,\"user\":\"$user\",\"symbol\":\"$symbol\",\"side\":\"$op\""
  if [ -n "$price" ]; then json+=",\"type\":\"limit\",\"price\":\"$price\""; else json+=",\"type\":\"market\""; fi
  json+=",\"qty\":\"$qty\""
  [ -z "$tif" ] || json+=",\"tif\":\"$tif\""
  [ -z "$post_only" ] || json+=",\"post_only\":true"
  json+="}"
fi
if [ -n "$dry" ]; then echo "$json"; exit 0; fi

if [ -z "$brokers" ]; then
  file=${TICKCAST_KAFKA_BOOTSTRAP_FILE:-${TMPDIR:-/tmp}/tickcast-demo-$(id -u).kafka}
  [ -s "$file" ] || die "no brokers: pass --brokers, set TICKCAST_KAFKA_BROKERS, or run scripts/demo.sh (it writes $file)"
  brokers=$(cat "$file")
fi
command -v kcat >/dev/null || die "kcat is not installed (sudo apt-get install kcat)"
printf '%s\n' "$json" | kcat -P -b "$brokers" -t "$topic" -k "$symbol" -X log_level=3 \
  || die "kcat could not deliver to $brokers (topic $topic)"
echo "sent order $id to $topic on $brokers: $json" >&2
echo "$id"
