"""A client we did not write (Debian's python3-websockets) against the gateway.
Run with /usr/bin/python3. Prints OK and exits 0 on success.

  python_client.py ws://HOST:PORT/
      Subscribes to depth.F, checks the snapshot and 200 gap-free deltas,
      recomputing every depth checksum with zlib.crc32 from its own book;
      then a pong, and errors for bad JSON and an unknown op.
  python_client.py --auth SECRET ws://HOST:PORT/
      Mints tokens with hmac/hashlib as docs/protocol.md describes: its own
      orders channel is granted, another user's refused, a tampered token
      refused.
  python_client.py --tls CA_FILE wss://HOST:PORT/
      The feed check over TLS, trusting only CA_FILE.
"""
import asyncio
import hashlib
import hmac
import json
import ssl
import sys
import time
import zlib

import websockets


def digits(decimal):
    return decimal.replace(".", "").lstrip("0")


def checksum(book):
    """CRC32 of the 10 best asks then the 10 best bids, price then qty, '.' and leading 0s removed."""
    asks = sorted(book["asks"].items(), key=lambda level: float(level[0]))[:10]
    bids = sorted(book["bids"].items(), key=lambda level: -float(level[0]))[:10]
    return zlib.crc32("".join(digits(p) + digits(q) for p, q in asks + bids).encode())


def apply(book, data):
    for side in ("bids", "asks"):
        for price, qty in data.get(side, []):
            if float(qty) == 0:
                book[side].pop(price, None)
            else:
                book[side][price] = qty


async def feed(url, ssl_context=None):
    async with websockets.connect(url, ssl=ssl_context) as ws:
        await ws.send(json.dumps({"op": "subscribe", "channels": ["depth.F"], "id": 1}))
        ack = json.loads(await ws.recv())
        assert ack == {"type": "ack", "id": 1, "op": "subscribe", "channels": ["depth.F"]}, ack
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot" and snapshot["channel"] == "depth.F", snapshot
        assert set(snapshot["data"]) == {"bids", "asks"}, snapshot
        book = {"bids": {}, "asks": {}}
        apply(book, snapshot["data"])
        assert snapshot["checksum"] == checksum(book), (snapshot, checksum(book))
        seq = snapshot["seq"]
        deltas = 0
        while deltas < 200:
            m = json.loads(await ws.recv())
            if m["type"] == "heartbeat":
                continue
            assert m["type"] == "event", m
            assert m["seq"] == seq + 1, (seq, m)
            assert m["epoch"] == snapshot["epoch"], m
            apply(book, m["data"])
            assert m["checksum"] == checksum(book), (m, book, checksum(book))
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


def mint(secret, user, ttl):
    message = "%s.%d" % (user, int(time.time()) + ttl)
    return message + "." + hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


async def auth(url, secret):
    async with websockets.connect(url) as ws:
        async def ask(request):
            await ws.send(json.dumps(request))
            return json.loads(await ws.recv())

        tampered = mint(secret, "carol", 60)
        tampered = tampered[:-1] + ("0" if tampered[-1] != "0" else "1")
        assert (await ask({"op": "auth", "token": tampered, "id": 1}))["code"] == "bad_token"
        assert (await ask({"op": "auth", "token": mint(secret, "carol", -1), "id": 2}))["code"] == "token_expired"
        ack = await ask({"op": "auth", "token": mint(secret, "carol", 60), "id": 3})
        assert ack["type"] == "ack" and ack["user"] == "carol", ack
        assert (await ask({"op": "subscribe", "channels": ["orders.carol"], "id": 4}))["type"] == "ack"
        refused = await ask({"op": "subscribe", "channels": ["orders.dave"], "id": 5})
        assert refused["code"] == "forbidden" and refused["channel"] == "orders.dave", refused


def main(argv):
    if argv[0] == "--auth":
        asyncio.run(auth(argv[2], argv[1]))
    elif argv[0] == "--tls":
        context = ssl.create_default_context(cafile=argv[1])
        asyncio.run(feed(argv[2], context))
    else:
        asyncio.run(feed(argv[0]))
    print("OK")


main(sys.argv[1:])
