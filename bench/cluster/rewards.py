#!/usr/bin/env python3
"""Recommend, reward and ingest through a cluster around a real etcd on
loopback: the latency of GET /api/ml/causal-rl/recommend and POST
.../reward, and the throughput of POST /api/metrics (batches of one sample
per catalog metric), through one node of a 1-node and of a 3-node cluster
(where about two thirds of the contexts and metrics are owned by another node
and forwarded over the mutual-TLS link), beside a node alone, and the etcd
writes (store revisions) per acknowledged reward, folds included.

    python3 bench/cluster/rewards.py build/grace-node [ROUNDS]

One client, one request at a time (the latency is a round trip, not a load
test). Uses the integration test's helpers (openssl, etcd-server).
"""
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
sys.path.insert(0, HERE)

import grace_node  # noqa: E402
import cluster_test  # noqa: E402
from failover import etcd_revision  # noqa: E402
from grace_node import Node, wait_for  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def ingest(label, entry, batches):
    with open(os.path.join(SOURCE, "config", "metrics_catalog.yaml")) as f:
        metrics = [m["id"] for m in cluster_test.yaml.safe_load(f)["metrics"]]
    headers = {"Content-Type": "application/json",
               "Authorization": f"Bearer {grace_node.TOKEN}"}
    batch_ms = []
    started = time.perf_counter()
    for i in range(batches):
        ts = int(time.time() * 1000)
        body = json.dumps([{"metric": m, "value": float(i), "ts": ts} for m in metrics]).encode()
        t = time.perf_counter()
        status, answer = grace_node.request(entry.port, "POST", "/api/metrics", body=body,
                                            headers=headers)
        batch_ms.append((time.perf_counter() - t) * 1000)
        if status != 200 or answer["accepted"] != len(metrics):
            raise SystemExit(f"{label}: push answered {status}: {answer}")
    elapsed = time.perf_counter() - started
    print(f"{label}: ingest {batches * len(metrics) / elapsed:.0f} samples/s in batches of "
          f"{len(metrics)}, batch median {statistics.median(batch_ms):.1f} ms, p99 "
          f"{percentile(batch_ms, 99):.1f} ms ({batches} batches)", flush=True)


def measure(label, entry, rounds, etcd=None, certs=None):
    ingest(label, entry, rounds)
    contexts = cluster_test.catalog_contexts()
    recommend_ms, reward_ms = [], []
    before = etcd_revision(etcd, certs) if etcd else 0
    for i in range(rounds):
        service, diagnosis = contexts[i % len(contexts)]
        t = time.perf_counter()
        rec = cluster_test.recommend(entry, service, diagnosis)
        recommend_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        status, body = cluster_test.reward(entry, rec["event_id"], 0.5)
        reward_ms.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: reward answered {status}: {body}")
    writes = ""
    if etcd:
        time.sleep(6.5)  # the folds of rewards older than 5 s
        per_reward = (etcd_revision(etcd, certs) - before) / rounds
        writes = f"; etcd writes per acknowledged reward {per_reward:.2f} (folds included)"
    print(f"{label}: recommend median {statistics.median(recommend_ms):.1f} ms, p99 "
          f"{percentile(recommend_ms, 99):.1f} ms; reward median "
          f"{statistics.median(reward_ms):.1f} ms, p99 {percentile(reward_ms, 99):.1f} ms "
          f"({rounds} each){writes}", flush=True)


def main():
    grace_node.BINARY = os.path.abspath(sys.argv[1])
    grace_node.SOURCE = SOURCE
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    alone = Node().start()
    try:
        measure("node alone", alone, rounds)
    finally:
        alone.stop()
    certs_dir = tempfile.TemporaryDirectory(prefix="grace-bench-certs-")
    certs = certs_dir.name
    cluster_test.make_ca("ca", certs)
    for name in ("server", "n1", "n2", "n3"):
        cluster_test.make_cert(name, "ca", certs)
    for size in (1, 3):
        etcd = cluster_test.Etcd(certs)
        nodes = {}
        try:
            for node_id in ("n1", "n2", "n3")[:size]:
                nodes[node_id] = cluster_test.cluster_node(node_id, etcd, certs).start()
            if not wait_for(lambda: cluster_test.balanced(nodes), 60):
                raise SystemExit("the cluster did not settle")
            wait_for(lambda: all(len(cluster_test.view(x)["peers"]) == size - 1
                                 for x in nodes.values()), 20)
            measure(f"{size}-node cluster, through n1", nodes["n1"], rounds, etcd, certs)
        finally:
            for x in nodes.values():
                x.stop()
            etcd.stop()
    certs_dir.cleanup()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
