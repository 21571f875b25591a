"""Drives headless Chromium over the DevTools protocol (standard library only): opens the dashboard, waits for
live updates over its event stream, prints the figures its tables hold as JSON and saves a screenshot.

usage: dashboard_browser.py CHROMIUM URL SCREENSHOT PROFILE_DIR MIN_TICKS
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request

chromium, url, screenshot, profile, min_ticks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])


class DevTools:
    """A minimal WebSocket client (RFC 6455, text frames, client-side masking) speaking CDP."""

    def __init__(self, ws_url):
        rest = ws_url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("devtools closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"devtools handshake refused: {head!r}")
        self.next_id = 0

    def _read(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise RuntimeError("devtools closed the connection")
            data += chunk
        return data

    def _receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            message += self._read(length)
            if first & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        payload = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")


FIGURES = """JSON.stringify((() => {
  const out = {ticks: Number(document.getElementById("updated").dataset.ticks), models: {}, keys: {}, recent: 0};
  for (const td of document.querySelectorAll("td[data-field]")) {
    const group = td.dataset.model !== undefined ? out.models : out.keys;
    const name = td.dataset.model !== undefined ? td.dataset.model : td.dataset.key;
    (group[name] = group[name] || {})[td.dataset.field] = td.dataset.value === "" ? null : Number(td.dataset.value);
  }
  for (const chip of document.querySelectorAll("[data-worker]")) {
    const name = chip.closest("tr").dataset.model;
    out.models[name]["worker" + chip.dataset.worker + "Up"] = chip.dataset.up === "true";
  }
  out.recent = document.querySelectorAll("tr[data-request]").length;
  out.charts = document.querySelectorAll("svg polyline").length;
  return out;
})())"""

browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
     "--hide-scrollbars", "--window-size=1440,900", "--remote-debugging-port=0", f"--user-data-dir={profile}",
     "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 60
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if time.time() > deadline or browser.poll() is not None:
            raise RuntimeError("chromium did not open its DevTools port")
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
    page = next(t for t in targets if t["type"] == "page")
    tools = DevTools(page["webSocketDebuggerUrl"])
    tools.call("Page.enable")
    # The page's viewport exactly, whatever room the headless window's frame takes.
    tools.call("Emulation.setDeviceMetricsOverride", width=1440, height=900, deviceScaleFactor=1, mobile=False)
    tools.call("Page.navigate", url=url)
    deadline = time.time() + 60
    ticks = 0
    while ticks < min_ticks:
        if time.time() > deadline:
            html = tools.evaluate("document.documentElement.outerHTML") or ""
            raise RuntimeError(f"the page had {ticks} live updates after 60 s:\n{html[:2000]}")
        time.sleep(0.25)
        ticks = tools.evaluate(
            "Number((document.getElementById('updated') || {dataset: {}}).dataset.ticks || 0)") or 0
    figures = json.loads(tools.evaluate(FIGURES))
    shot = tools.call("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as file:
        file.write(base64.b64decode(shot["data"]))
    print(json.dumps(figures))
finally:
    browser.terminate()
    try:
        browser.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.kill()
