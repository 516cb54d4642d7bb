#!/usr/bin/python3
"""Counts one fault scenario of scripts/faults.sh and judges it.

  tally.py targets KAFKA_PAYLOADS OUT          the last seq per channel on Kafka
  tally.py judge --kafka F --redis HOST:PORT --push stream|pubsub --client F
                 --scenario S --fault TEXT [--allow-resnapshot] --row OUT

`targets` reads the payloads kcat printed from `market-events` (one JSON
per line) and writes {channel: last seq} for the trades and depth channels.

`judge` checks, per trades channel, that Kafka holds seqs 1..N exactly once;
that Redis agrees (the stream `tc:<channel>` holds N entries ending at N,
with redis_stream; the ticker's `trade_seq` and the depth book's `seq` are
Kafka's last in both modes); and that every client reached the end with
every trade 1..N known exactly once, no gap it was not told about, no
duplicate, no event joined across epochs, and (unless --allow-resnapshot)
no re-snapshot. Where re-snapshots are allowed, trades a `resnapshot` and
its snapshot skipped over (the snapshot lists only the last `trades_kept`)
are counted, not failed: the client was told. It prints the details and appends one table row to --row;
its exit status is 0 for PASS, 1 for FAIL.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict


def kafka_channels(path):
    """channel -> list of seqs in log order (per partition, channels do not span
    partitions), the books the depth events build, and the lines that are not JSON."""
    seqs = defaultdict(list)
    books = defaultdict(dict)  # symbol -> {"b:<price>" | "a:<price>": qty}, as redis_cache keeps it
    bad = 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                m = json.loads(line)
            except ValueError:
                bad += 1
                continue
            kind = {"trade": "trades", "depth": "depth"}.get(m.get("type"))
            if kind:
                seqs[f"{kind}.{m['symbol']}"].append(m["seq"])
            if kind == "depth":
                book = books[m["symbol"]]
                for side, levels in (("b", m["bids"]), ("a", m["asks"])):
                    for price, qty in levels:
                        if qty == "0":
                            book.pop(f"{side}:{price}", None)
                        else:
                            book[f"{side}:{price}"] = qty
    return seqs, books, bad


def redis_raw(addr, *args):
    host, port = addr.rsplit(":", 1)
    out = subprocess.run(["redis-cli", "-h", host, "-p", port, "--raw", *args],
                         capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def targets(args):
    seqs, _, _ = kafka_channels(args.kafka)
    with open(args.out + ".tmp", "w") as f:
        json.dump({c: max(s) for c, s in seqs.items()}, f)
    os.replace(args.out + ".tmp", args.out)


def redis_counts(a, seqs, books):
    """The trades Redis holds (stream entries, or the ticker's last seq) and
    what disagrees with Kafka, the cached depth books included."""
    total, failures = 0, []
    for c in sorted(seqs):
        top = max(seqs[c])
        sym = c.split(".", 1)[1]
        if c.startswith("trades."):
            ticker = redis_raw(a.redis, "HGET", f"tc:ticker:{sym}", "trade_seq")
            if ticker != str(top):
                failures.append(f"redis tc:ticker:{sym} trade_seq {ticker or 'missing'}, kafka's last {top}")
            if a.push == "stream":
                xlen = int(redis_raw(a.redis, "XLEN", f"tc:{c}") or 0)
                first = redis_raw(a.redis, "XRANGE", f"tc:{c}", "-", "+", "COUNT", "1").split("\n")[0]
                last = redis_raw(a.redis, "XREVRANGE", f"tc:{c}", "+", "-", "COUNT", "1").split("\n")[0]
                total += xlen
                if (xlen, first, last) != (top, "1-0", f"{top}-0"):
                    failures.append(f"redis stream tc:{c}: {xlen} entries {first}..{last}, kafka 1..{top}")
            else:
                total += int(ticker or 0)
        else:
            flat = redis_raw(a.redis, "HGETALL", f"tc:depth:{sym}").split("\n")
            cached = dict(zip(flat[0::2], flat[1::2])) if flat != [""] else {}
            book_seq = cached.pop("seq", None)
            if book_seq != str(top):
                failures.append(f"redis tc:depth:{sym} seq {book_seq or 'missing'}, kafka's last {top}")
            elif cached != books[sym]:
                wrong = sorted(set(cached.items()) ^ set(books[sym].items()))
                failures.append(f"redis tc:depth:{sym} differs from the book Kafka's depth events build: "
                                f"{len(wrong)} levels, e.g. {wrong[:3]}")
    return total, failures


def judge(a):
    failures = []
    seqs, books, bad = kafka_channels(a.kafka)
    if bad:
        failures.append(f"kafka: {bad} payloads are not JSON")
    trades = sorted(c for c in seqs if c.startswith("trades."))
    if not trades:
        failures.append("kafka: no trades at all")
    kafka_total = sum(len(set(s)) for c, s in seqs.items() if c.startswith("trades."))
    for c in sorted(seqs):
        s = seqs[c]
        top = max(s)
        if sorted(s) != list(range(1, top + 1)):
            failures.append(f"kafka {c}: {len(s)} messages for seqs 1..{top} ({len(s) - len(set(s))} repeated)")
        if s != sorted(s):
            failures.append(f"kafka {c}: seqs out of order")
    # The cache may trail the stream by a batch: give Redis a few seconds to agree.
    for _ in range(50):
        redis_total, redis_failures = redis_counts(a, seqs, books)
        if not redis_failures:
            break
        time.sleep(0.2)
    failures += redis_failures
    if a.failures:
        with open(a.failures) as f:
            failures += [line.strip() for line in f if line.strip()]

    with open(a.client) as f:
        clients = json.load(f)
    cells = {"trades": [], "gaps": 0, "dups": 0, "resnap": 0}
    for name, c in sorted(clients.items()):
        unique = received = told = unavailable = 0
        for ch_name, ch in sorted(c["channels"].items()):
            where = f"client {name} {ch_name}"
            if not ch["reached"]:
                failures.append(f"{where}: stuck at {ch['last']} (kafka's last {ch['target']})")
            if ch["duplicates"] or ch["gaps"] or ch["out_of_epoch"]:
                failures.append(f"{where}: {ch['duplicates']} duplicates, {ch['gaps']} gaps, "
                                f"{ch['out_of_epoch']} events across epochs: {ch['problems'][:3]}")
            if ch["resnapshots"] and not a.allow_resnapshot:
                failures.append(f"{where}: told to re-snapshot ({', '.join(ch['resnapshots'])}) where a resume was due")
            if ch["resnapshots"] and ch["snapshots"] == 0:
                failures.append(f"{where}: told to re-snapshot but no snapshot came")
            if ch_name.startswith("trades."):
                if ch.get("missing"):
                    failures.append(f"{where}: {ch['missing']} trades missing without a resnapshot, first {ch['missing_first']}")
                if ch.get("missing_told") and not a.allow_resnapshot:
                    failures.append(f"{where}: {ch['missing_told']} trades skipped by a resnapshot where a resume was due")
                unique += ch["unique"]
                received += ch["received"]
                told += ch.get("missing_told", 0)
            unavailable += ch.get("snapshot_unavailable", 0)
            cells["gaps"] += ch["gaps"]
            cells["dups"] += ch["duplicates"]
            cells["resnap"] += len(ch["resnapshots"])
        skipped = f", {told} skipped when told to re-snapshot" if told else ""
        if unavailable:
            skipped += f", {unavailable} snapshot_unavailable then subscribed again"
        cells["trades"].append(f"{name} {unique} ({received} ev, {c['connects']} conn{skipped})")
        if unique + told != kafka_total:
            failures.append(f"client {name}: {unique} trades known and {told} skipped when told, kafka {kafka_total}")

    redis_cell = f"{redis_total} ({'stream' if a.push == 'stream' else 'ticker'})"
    verdict = "PASS" if not failures else "FAIL"
    row = (f"| {a.scenario} | {a.fault} | {kafka_total} | {redis_cell} | {'; '.join(cells['trades'])} "
           f"| {cells['gaps']} | {cells['dups']} | {cells['resnap']} | {verdict} |")
    with open(a.row, "a") as f:
        f.write(row + "\n")
    for line in failures:
        print(f"  {a.scenario}: {line}", file=sys.stderr)
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("targets")
    t.add_argument("kafka")
    t.add_argument("out")
    j = sub.add_parser("judge")
    j.add_argument("--kafka", required=True)
    j.add_argument("--redis", required=True)
    j.add_argument("--push", choices=["stream", "pubsub"], required=True)
    j.add_argument("--client", required=True)
    j.add_argument("--scenario", required=True)
    j.add_argument("--fault", required=True)
    j.add_argument("--failures", help="file: failures the driver saw (crashes, exits), one a line")
    j.add_argument("--allow-resnapshot", action="store_true")
    j.add_argument("--row", required=True)
    a = ap.parse_args()
    if a.cmd == "targets":
        targets(a)
        return 0
    return judge(a)


if __name__ == "__main__":
    sys.exit(main())
