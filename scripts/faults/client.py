#!/usr/bin/python3
"""The verifying WebSocket client of scripts/faults.sh.

Runs one or more clients in one process. Each subscribes to the given
channels (before the first trade, so its snapshots are at seq 0 and every
event follows), reconnects whenever its connection ends (to the same
gateway, or to the next one in its list) and resumes every channel with
`since`, giving the seq and epoch it last had, following docs/protocol.md:
`resumed` continues the channel; `resnapshot` drops the channel's state and
a `snapshot` replaces it. Every `event` is checked to continue its channel
by exactly one seq within one epoch.

For `trades.<SYM>` the client keeps the set of trade seqs it knows: those of
the events, and those listed in a snapshot (the cached recent trades), so a
re-snapshot that still covers what was missed loses nothing.

It runs until the file given by --targets exists (a JSON map channel -> the
last seq Kafka carries, written once the stream has stopped) and every
client has reached every target, or until --deadline seconds after the file
appeared. Then it writes its findings as JSON to --out: per client and
channel the events received, the unique seqs, duplicates, gaps (a seq that
skipped ahead without a re-snapshot), re-snapshots with their reasons,
reconnects, and whether the target was reached.
"""
import argparse
import asyncio
import json
import os
import random
import sys
import time

import websockets


class Channel:
    def __init__(self, name):
        self.name = name
        self.trades = name.startswith("trades.")
        self.last = 0            # last seq applied in the current epoch
        self.epoch = None
        self.awaiting_snapshot = False
        self.received = 0        # event messages received
        self.seen = set()        # seqs known: events, and trades listed in snapshots
        self.duplicates = 0
        self.gaps = 0
        self.out_of_epoch = 0    # an event of another epoch without a resume or snapshot
        self.resnapshots = []    # reasons
        self.snapshots = 0
        self.resumes = 0
        self.told = []           # (first, last) seqs a resnapshot and its snapshot skipped over
        self.unavailable = 0     # snapshot_unavailable errors (then subscribed again)
        self.problems = []

    def problem(self, text):
        if len(self.problems) < 10:
            self.problems.append(text)

    def on_event(self, m):
        seq = m["seq"]
        self.received += 1
        if self.awaiting_snapshot:
            self.problem(f"event {seq} between resnapshot and snapshot")
            self.gaps += 1
            return
        if self.epoch is not None and m.get("epoch") != self.epoch:
            self.out_of_epoch += 1
            self.problem(f"event {seq} in epoch {m.get('epoch')} while in {self.epoch}")
        if seq <= self.last:
            self.duplicates += 1
            self.problem(f"event {seq} again (at {self.last})")
            return
        if seq != self.last + 1:
            self.gaps += 1
            self.problem(f"event {seq} after {self.last}")
        self.seen.add(seq)
        self.last = seq

    def on_snapshot(self, m):
        self.snapshots += 1
        seq = m["seq"]
        if not self.awaiting_snapshot and self.snapshots > 1:
            self.problem(f"snapshot {seq} without a resnapshot")
        if self.awaiting_snapshot and seq > self.last:
            # What the client lacks between its state and this snapshot it was
            # told about; for trades the snapshot's list may still fill it.
            self.told.append((self.last + 1, seq))
        self.awaiting_snapshot = False
        self.epoch = m.get("epoch")
        if self.trades:
            for t in m.get("data") or []:
                if isinstance(t, dict) and isinstance(t.get("seq"), int) and t["seq"] <= seq:
                    self.seen.add(t["seq"])
        self.last = seq

    def on_resnapshot(self, m):
        self.resnapshots.append(m.get("reason", "?"))
        self.awaiting_snapshot = self.name.split(".", 1)[0] in ("trades", "depth")
        self.epoch = m.get("epoch")

    def on_resumed(self, m):
        self.resumes += 1
        if m["seq"] != self.last:
            self.problem(f"resumed at {m['seq']} but the client is at {self.last}")
        self.epoch = m.get("epoch")

    def since(self):
        point = {"seq": self.last}
        if self.epoch:
            point["epoch"] = self.epoch
        return point

    def report(self, target):
        out = {
            "received": self.received, "unique": len(self.seen), "last": self.last,
            "duplicates": self.duplicates, "gaps": self.gaps, "out_of_epoch": self.out_of_epoch,
            "resnapshots": self.resnapshots, "snapshots": self.snapshots, "resumes": self.resumes,
            "snapshot_unavailable": self.unavailable,
            "target": target, "reached": target is not None and self.last >= target and not self.awaiting_snapshot,
            "problems": self.problems,
        }
        if self.trades and target is not None:
            missing = [s for s in range(1, target + 1) if s not in self.seen]
            told = [s for s in missing if any(a <= s <= b for a, b in self.told)]
            untold = [s for s in missing if not any(a <= s <= b for a, b in self.told)]
            out["missing_told"] = len(told)
            out["missing"] = len(untold)
            out["missing_first"] = untold[:10]
        return out


class Client:
    def __init__(self, name, urls, channels):
        self.name = name
        self.urls = urls
        self.channels = {c: Channel(c) for c in channels}
        self.connects = 0
        self.closes = []         # close codes / reasons seen
        self.url_index = 0

    def subscribe_message(self):
        # A channel told to re-snapshot whose snapshot has not come yet has no
        # state to resume from: it subscribes plainly and gets a snapshot.
        # The first subscribe is plain: a snapshot (at seq 0: the clients
        # subscribe before the first trade), then every event.
        since = {c: ch.since() for c, ch in self.channels.items() if ch.epoch and not ch.awaiting_snapshot}
        request = {"op": "subscribe", "channels": list(self.channels), "id": self.connects}
        if since:
            request["since"] = since
        return json.dumps(request)

    def handle(self, m):
        t = m.get("type")
        ch = self.channels.get(m.get("channel"))
        if t == "event" and ch:
            ch.on_event(m)
        elif t == "snapshot" and ch:
            ch.on_snapshot(m)
        elif t == "resnapshot" and ch:
            ch.on_resnapshot(m)
        elif t == "resumed" and ch:
            ch.on_resumed(m)
        elif t == "error" and m.get("code") == "snapshot_unavailable" and ch:
            # The protocol: no longer subscribed; subscribe again later.
            ch.unavailable += 1
            return ch.name
        elif t == "error":
            for c in self.channels.values():
                c.problem(f"error from the gateway: {m}")
                break
        return None

    async def subscribe_later(self, ws, channel):
        await asyncio.sleep(1)
        try:
            await ws.send(json.dumps({"op": "subscribe", "channels": [channel], "id": f"again {channel}"}))
        except websockets.exceptions.WebSocketException:
            pass  # the reconnect subscribes it

    async def run(self, stop):
        while not stop.is_set():
            url = self.urls[self.url_index % len(self.urls)]
            try:
                async with websockets.connect(url, max_size=None, open_timeout=5, close_timeout=1,
                                              ping_interval=None) as ws:
                    self.connects += 1
                    await ws.send(self.subscribe_message())
                    while not stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), 0.5)
                        except asyncio.TimeoutError:
                            continue
                        m = json.loads(text)
                        for one in m if isinstance(m, list) else [m]:
                            again = self.handle(one)
                            if again:
                                asyncio.ensure_future(self.subscribe_later(ws, again))
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
                code = getattr(e, "code", None)
                self.closes.append(str(code) if code is not None else type(e).__name__)
            if stop.is_set():
                break
            # Back off a little (spread like a real client), then the next gateway.
            self.url_index += 1
            await asyncio.sleep(0.2 + random.random() * 0.3)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--client", action="append", required=True, help="NAME=URL[,URL...] (several: fail over in turn)")
    ap.add_argument("--channels", required=True, help="comma-separated channels")
    ap.add_argument("--targets", required=True, help="file: JSON map channel -> last seq; appears when the stream stopped")
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, default=60, help="seconds to reach the targets once they are known")
    ap.add_argument("--ready", help="file to create once every client has its first snapshot of every channel")
    a = ap.parse_args()
    channels = a.channels.split(",")
    clients = []
    for spec in a.client:
        name, urls = spec.split("=", 1)
        clients.append(Client(name, urls.split(","), channels))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in clients]

    targets, deadline = None, None
    while True:
        await asyncio.sleep(0.2)
        if a.ready and all(ch.snapshots for c in clients for ch in c.channels.values()):
            open(a.ready, "w").close()
            a.ready = None
        if targets is None and os.path.exists(a.targets):
            try:
                with open(a.targets) as f:
                    targets = json.load(f)
            except ValueError:
                continue  # being written
            deadline = time.monotonic() + a.deadline
        if targets is None:
            continue
        done = all(c.channels[n].last >= targets.get(n, 0) and not c.channels[n].awaiting_snapshot
                   for c in clients for n in channels)
        if done or time.monotonic() > deadline:
            break
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    result = {c.name: {"connects": c.connects, "closes": c.closes,
                       "channels": {n: ch.report(targets.get(n)) for n, ch in c.channels.items()}}
              for c in clients}
    with open(a.out + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
