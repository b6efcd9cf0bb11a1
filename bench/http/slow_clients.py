#!/usr/bin/env python3
"""Slow and idle clients against the real binary (issue 17, item 8).

Starts a node on a free loopback port, then:

1. holds `--idle` idle sockets (connected, sending nothing) and `--slow`
   slowloris sockets (a request head trickled one header line at a time) open
   for `--seconds`, reconnecting any the node closes, while probing
   `GET /healthz` on a fresh connection every 0.2 s; prints the probe latency
   (median, p99, max) and how many took over 100 ms or failed;
2. counts the kernel's listen-queue overflows (TcpExt ListenOverflows, a
   machine-wide counter: other processes may add to it) during a burst of
   `--burst` concurrent connections each sending one `Connection: close`
   request, for `--burst-seconds` (wrk).

Target: every probe answered in < 100 ms; no listen overflow at 64 connections.

Usage: bench/http/slow_clients.py [path/to/grace-node] [--idle 300] [--slow 20]
                                  [--seconds 30] [--burst 64] [--burst-seconds 10]
"""
import argparse
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port, timeout=35.0):
    """Seconds for one GET /healthz on a new connection, or None on failure."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      "Connection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            return None
    except OSError:
        return None
    return time.monotonic() - started


def listen_overflows():
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table["ListenOverflows"])
    return 0


class Crowd:
    """Idle and slowloris sockets, kept open (reopened when the node closes them)."""

    def __init__(self, port, idle, slow):
        self.port = port
        self.sel = selectors.DefaultSelector()
        self.reopened = {"idle": 0, "slow": 0}
        self.failed_connects = 0
        self.stop = threading.Event()
        for _ in range(idle):
            self.open("idle")
        for _ in range(slow):
            self.open("slow")

    def open(self, kind):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            self.failed_connects += 1
            return
        s.setblocking(False)
        if kind == "slow":
            s.send(b"GET /healthz HTTP/1.1\r\n")
        self.sel.register(s, selectors.EVENT_READ, {"kind": kind, "lines": 0})

    def run(self):
        """Trickles a header line to every slow socket each second; reopens closed ones."""
        next_trickle = time.monotonic() + 1
        while not self.stop.is_set():
            for key, _ in self.sel.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:  # closed (or answered and closed) by the node
                    self.sel.unregister(key.fileobj)
                    key.fileobj.close()
                    self.reopened[key.data["kind"]] += 1
                    self.open(key.data["kind"])
            if time.monotonic() >= next_trickle:
                next_trickle += 1
                for key in list(self.sel.get_map().values()):
                    if key.data["kind"] == "slow":
                        key.data["lines"] += 1
                        try:
                            key.fileobj.send(f"X-Slow-{key.data['lines']}: 1\r\n".encode())
                        except OSError:
                            pass

    def close(self):
        self.stop.set()
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


def describe(samples, failures):
    if not samples:
        return f"no probe answered ({failures} failed)"
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    slow = sum(1 for m in ms if m >= 100)
    return (f"{len(ms)} answered, {failures} failed; median {statistics.median(ms):.2f} ms, "
            f"p99 {p99:.2f} ms, max {ms[-1]:.2f} ms; {slow} took >= 100 ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(SOURCE, "build", "grace-node"))
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--slow", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--burst", type=int, default=64)
    ap.add_argument("--burst-seconds", type=int, default=10)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="grace-slow-")
    port = free_port()
    with open(os.path.join(work, "grace.yaml"), "w") as f:
        f.write(f"node: {{data_dir: {work}/data, log_level: warn}}\n"
                f"catalog: {{path: {SOURCE}/config/metrics_catalog.yaml}}\n"
                f"http: {{port: {port}}}\n")
    log = open(os.path.join(work, "node.log"), "w")
    node = subprocess.Popen([args.binary, "run", "--config", os.path.join(work, "grace.yaml")],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while healthz(port, timeout=1) is None:
            if time.time() > deadline or node.poll() is not None:
                sys.exit("the node did not start")
            time.sleep(0.1)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
        quiet = [healthz(port) for _ in range(20)]
        print("healthz, nothing else open:", describe([q for q in quiet if q], quiet.count(None)))

        crowd = Crowd(port, args.idle, args.slow)
        trickler = threading.Thread(target=crowd.run)
        trickler.start()
        samples, failures = [], 0
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            took = healthz(port)
            if took is None:
                failures += 1
            else:
                samples.append(took)
            time.sleep(0.2)
        crowd.close()
        trickler.join()
        print(f"healthz with {args.idle} idle and {args.slow} slowloris sockets open for "
              f"{args.seconds:.0f} s:", describe(samples, failures))
        print(f"  sockets the node closed (reopened): idle {crowd.reopened['idle']}, "
              f"slow {crowd.reopened['slow']}; failed connects {crowd.failed_connects}")

        if shutil.which("wrk"):
            before = listen_overflows()
            out = subprocess.run(["wrk", "-t2", f"-c{args.burst}", f"-d{args.burst_seconds}s",
                                  "-H", "Connection: close", f"http://127.0.0.1:{port}/healthz"],
                                 capture_output=True, text=True).stdout
            rate = next((l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")),
                        "?")
            print(f"{args.burst} connections, Connection: close, {args.burst_seconds} s: "
                  f"{rate} req/s, listen overflows {listen_overflows() - before}")
        else:
            print("wrk is missing (apt-get install wrk): listen overflow burst skipped")
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    finally:
        node.terminate()
        try:
            node.wait(timeout=15)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
