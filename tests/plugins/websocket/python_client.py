"""A client we did not write (Debian's python3-websockets) against the gateway.

Usage: python_client.py ws://HOST:PORT/   (run with /usr/bin/python3)
Subscribes to depth.F, checks the snapshot and 200 gap-free deltas, a pong,
and errors for bad JSON and an unknown op. Prints OK and exits 0 on success.
"""
import asyncio
import json
import sys

import websockets


async def main(url):
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"op": "subscribe", "channels": ["depth.F"], "id": 1}))
        ack = json.loads(await ws.recv())
        assert ack == {"type": "ack", "id": 1, "op": "subscribe", "channels": ["depth.F"]}, ack
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot" and snapshot["channel"] == "depth.F", snapshot
        assert set(snapshot["data"]) == {"bids", "asks"}, snapshot
        seq = snapshot["seq"]
        deltas = 0
        while deltas < 200:
            m = json.loads(await ws.recv())
            if m["type"] == "heartbeat":
                continue
            assert m["type"] == "event", m
            assert m["seq"] == seq + 1, (seq, m)
            assert m["epoch"] == snapshot["epoch"], m
            seq = m["seq"]
            deltas += 1
        await ws.send(json.dumps({"op": "unsubscribe", "channels": ["depth.F"], "id": 2}))
        await ws.send("{oops")
        await ws.send(json.dumps({"op": "dance", "id": 3}))
        await ws.send(json.dumps({"op": "ping", "id": 4}))
        seen = {}
        while 4 not in seen:
            m = json.loads(await ws.recv())
            if m["type"] in ("ack", "error", "pong"):
                seen[m.get("id", "none")] = m
        assert seen[2]["type"] == "ack", seen
        assert seen["none"]["code"] == "bad_json", seen
        assert seen[3]["code"] == "unknown_op", seen
        assert seen[4]["type"] == "pong", seen
    print("OK")


asyncio.run(main(sys.argv[1]))
