#!/usr/bin/python3
"""The gateway's live page in a real browser.

Runs the roles of configs/roles (match with the embedded Kafka cluster,
fanout, gateway) against a throw-away Redis, opens the page in Debian's
headless Chromium and drives it through the DevTools protocol (over
python3-websockets): the page must show the order book and trades arriving
live with their latency. Then the gateway daemon is restarted on the same
port: the page must reconnect by itself and go on receiving. A screenshot
is saved for people to look at.

Usage: browser_test.py --daemon BIN --plugins DIR --source DIR --screenshot PNG
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900"]

# What the page shows, read from its DOM.
PAGE_STATE = """JSON.stringify({
  state: document.querySelector('#state b').textContent,
  bids: document.querySelectorAll('#bids tr').length,
  asks: document.querySelectorAll('#asks tr').length,
  trades: document.querySelectorAll('#trades tr').length,
  events: Number(document.getElementById('count').textContent),
  p50: Number(document.getElementById('p50').dataset.ms || NaN),
  trades24h: Number(document.getElementById('trades24').dataset.count || 0),
  bookSeq: document.getElementById('book-seq').textContent,
  checked: Number(document.getElementById('verified').dataset.checked || 0),
  mismatches: Number(document.getElementById('verified').dataset.mismatches || 0),
  resumes: Number(document.getElementById('verified').dataset.resumes || 0),
  log: document.getElementById('log').innerText.slice(0, 2000)
})"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


class Stack:
    """Redis and the three role daemons, each with its log in the temp dir."""

    def __init__(self, args, tmp):
        self.args, self.tmp, self.procs = args, tmp, {}
        self.redis_dir = os.path.join(tmp, "redis")
        scripts = os.path.join(args.source, "scripts")
        self.redis = subprocess.run([os.path.join(scripts, "redis.sh"), "start", "--dir", self.redis_dir],
                                    check=True, capture_output=True, text=True).stdout.strip()
        self.bootstrap = os.path.join(tmp, "kafka.bootstrap")
        self.ws = "127.0.0.1:%d" % free_port()
        self.env = dict(os.environ, TICKCAST_PLUGIN_PATH=args.plugins, TICKCAST_REDIS_URL="redis://" + self.redis,
                        TICKCAST_KAFKA_BOOTSTRAP_FILE=self.bootstrap, TICKCAST_ORDER_RATE="200",
                        TICKCAST_WS_LISTEN=self.ws)

    def start(self, role):
        config = os.path.join(self.args.source, "configs", "roles", role + ".yaml")
        log = open(os.path.join(self.tmp, role + ".log"), "a")
        self.procs[role] = subprocess.Popen([self.args.daemon, "run", config], env=self.env, stdout=log, stderr=log)

    def stop(self, role):
        p = self.procs.pop(role)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0, role + " did not stop cleanly:\n" + self.log(role)

    def log(self, role):
        with open(os.path.join(self.tmp, role + ".log")) as f:
            return f.read()[-3000:]

    def close(self):
        for p in self.procs.values():
            p.kill()
            p.wait()
        subprocess.run([os.path.join(self.args.source, "scripts", "redis.sh"), "stop", "--dir", self.redis_dir],
                       capture_output=True)


class DevTools:
    """The smallest DevTools-protocol client: one page target, commands by id."""

    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(method + ": " + json.dumps(reply["error"]))
                return reply["result"]

    async def page_state(self):
        result = await self.call("Runtime.evaluate", expression=PAGE_STATE, returnByValue=True)
        if "exceptionDetails" in result:  # the page is still loading
            return None
        return json.loads(result["result"]["value"])

    async def wait_page(self, check, timeout, what):
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = await self.page_state()
            if state is not None and check(state):
                return state
            await asyncio.sleep(0.25)
        raise AssertionError("the page never showed " + what + "; it shows " + json.dumps(state))


async def drive(args, stack, devtools_port):
    targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % devtools_port))
    page = next(t for t in targets if t["type"] == "page")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
        dt = DevTools(ws)
        await dt.call("Page.enable")
        await dt.call("Page.navigate", url="http://%s/?symbol=BTC-USDT" % stack.ws)

        live = await dt.wait_page(lambda s: s["state"] == "live" and s["bids"] > 0 and s["asks"] > 0 and
                                  s["trades"] >= 3 and s["events"] >= 20 and s["p50"] is not None,
                                  60, "a live book, trades and latency")
        # Once the catch-up after the start has left the 10 s window, the
        # engine-to-page latency is that of a live feed.
        live = await dt.wait_page(lambda s: s["p50"] is not None and s["p50"] < 100, 45, "a p50 latency under 100 ms")
        # The ticker's 24-hour count (fetched every 10 s) covers the trades the page has seen.
        live = await dt.wait_page(lambda s: s["trades24h"] >= 3, 25, "a 24-hour trade count from /api/v1/ticker")
        assert live["checked"] > 0 and live["mismatches"] == 0, "the page's book must match every depth checksum: " + json.dumps(live)
        print("live:", {k: v for k, v in live.items() if k != "log"})
        shot = await dt.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("screenshot:", args.screenshot)

        # The gateway goes away and comes back on the same port.
        stack.stop("gateway")
        await dt.wait_page(lambda s: s["state"] == "reconnecting", 15, "that it lost the feed")
        stack.start("gateway")
        before = (await dt.wait_page(lambda s: True, 10, "its state"))["events"]
        back = await dt.wait_page(lambda s: s["state"] == "live" and s["events"] >= before + 20 and s["bids"] > 0,
                                  60, "the feed again after the gateway restarted")
        # It resumed from the stream (nothing missed, no new snapshot) and its book still checks out.
        assert back["resumes"] >= 1, "the page should have resumed with since: " + back["log"]
        assert back["mismatches"] == 0, "a checksum mismatch after the resume:\n" + back["log"]
        print("after the restart:", {k: v for k, v in back.items() if k != "log"})
        assert "expected seq" not in back["log"], "the page saw a gap:\n" + back["log"]
        assert "taking a fresh snapshot" not in back["log"], "the page had to re-snapshot:\n" + back["log"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("chromium is not installed (scripts/deps.sh test installs it)")

    tmp = tempfile.mkdtemp(prefix="tickcast-browser-")
    stack = Stack(args, tmp)
    browser = None
    try:
        stack.start("match")
        wait_for(lambda: os.path.exists(stack.bootstrap), 30, "the embedded Kafka cluster")
        with open(stack.bootstrap) as f:
            stack.env["TICKCAST_KAFKA_BROKERS"] = f.read().strip()
        stack.start("fanout")
        stack.start("gateway")

        devtools_port = free_port()
        browser = subprocess.Popen([chromium, *CHROMIUM_FLAGS, "--user-data-dir=" + os.path.join(tmp, "chromium"),
                                    "--remote-debugging-port=%d" % devtools_port, "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "chromium.log"), "w"))
        def devtools_ready():
            if browser.poll() is not None:
                sys.exit("chromium exited; see its log")
            try:
                return urllib.request.urlopen("http://127.0.0.1:%d/json/version" % devtools_port, timeout=1).status == 200
            except OSError:
                return False
        wait_for(devtools_ready, 30, "chromium's DevTools endpoint")
        asyncio.run(drive(args, stack, devtools_port))
        for role in ("gateway", "fanout", "match"):
            stack.stop(role)
        print("PASS")
    except BaseException:
        for role in ("match", "fanout", "gateway"):
            if os.path.exists(os.path.join(tmp, role + ".log")):
                print("--- %s log (tail) ---\n%s" % (role, stack.log(role)), file=sys.stderr)
        raise
    finally:
        if browser:
            browser.kill()
            browser.wait()
        stack.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
