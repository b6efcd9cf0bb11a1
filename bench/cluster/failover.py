#!/usr/bin/env python3
"""Failover of a 3-node cluster around a real etcd on loopback: the time from
a SIGKILL to every shard of the killed node being served by a survivor again,
and to a recommendation for a context of the killed node (asked through a
survivor, which waits for the new owner) being answered again, over N kills
(a different node each time, restarted in between), and the etcd writes
(store revisions) each failover took. Before each kill, six one-second
windows of each of the victim's metrics are pushed (the nodes run with
one-second snapshot windows) and handed over to their next owner; after it,
the time until a forecast of every one of them, asked through a survivor, is
answered by its new owner, with the history length it holds.

    python3 bench/cluster/failover.py build/grace-node [N]

Uses the integration test's helpers (certificates by openssl, etcd-server).
"""
import base64
import json
import os
import signal
import ssl
import statistics
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

import grace_node  # noqa: E402
import cluster_test  # noqa: E402
from grace_node import wait_for  # noqa: E402


def etcd_revision(etcd, certs):
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    ctx.load_cert_chain(os.path.join(certs, "n1.pem"), os.path.join(certs, "n1.key"))
    body = json.dumps({"key": base64.b64encode(b"/grace/").decode()}).encode()
    req = urllib.request.Request(etcd.url + "/v3/kv/range", data=body, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
        return int(json.load(r)["header"]["revision"])


def main():
    grace_node.BINARY = os.path.abspath(sys.argv[1])
    grace_node.SOURCE = SOURCE
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    certs_dir = __import__("tempfile").TemporaryDirectory(prefix="grace-bench-certs-")
    certs = certs_dir.name
    cluster_test.make_ca("ca", certs)
    for name in ("server", "n1", "n2", "n3"):
        cluster_test.make_cert(name, "ca", certs)
    etcd = cluster_test.Etcd(certs)
    nodes = {}
    times, answered, writes, forecast_times, histories = [], [], [], [], []
    try:
        for node_id in ("n1", "n2", "n3"):
            nodes[node_id] = cluster_test.cluster_node(
                node_id, etcd, certs, extra_yaml=cluster_test.FAST_WINDOWS).start()
        for i in range(rounds):
            if not wait_for(lambda: cluster_test.balanced(nodes), 60):
                raise SystemExit("the cluster did not settle")
            victim_id = ("n1", "n2", "n3")[i % 3]
            survivors = {n: x for n, x in nodes.items() if n != victim_id}
            shards = [s["shard"] for s in cluster_test.view(nodes["n1" if victim_id != "n1" else "n2"])["shards"]
                      if s["owner"] == victim_id]
            entry = next(iter(survivors.values()))
            context = next(c for c in cluster_test.catalog_contexts()
                           if cluster_test.shard_of(cluster_test.recommend(entry, *c)["event_id"])
                           in shards)
            metrics = [m for m in cluster_test.catalog_metrics()
                       if cluster_test.shard_of_metric(m) in shards]
            next_owner = {m: cluster_test.preferred_owner(cluster_test.shard_of_metric(m),
                                                          sorted(survivors)) for m in metrics}
            now_ms = int(time.time() * 1000)
            samples = [{"metric": m, "value": 1.0 + 0.1 * k, "ts": now_ms - 58000 + 1000 * k}
                       for m in metrics for k in range(6)]
            status, body = grace_node.request(
                entry.port, "POST", "/api/metrics", body=json.dumps(samples).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {grace_node.TOKEN}"})
            if status != 200 or body["rejected"]:
                raise SystemExit(f"round {i}: samples refused: {body}")
            def pushed_windows(node, m):
                return len([s for s in cluster_test.stored_snapshots(node, m)
                            if s["window_start"] >= now_ms - 59000])
            for m in metrics:
                victim_has = wait_for(lambda: pushed_windows(nodes[victim_id], m) >= 6, 30)
                handed = wait_for(lambda: pushed_windows(nodes[next_owner[m]], m) >= 6, 30)
                if not (victim_has and handed):
                    raise SystemExit(f"round {i}: {m} not handed over to {next_owner[m]}")
            before = etcd_revision(etcd, certs)
            killed = time.time()
            nodes[victim_id].proc.send_signal(signal.SIGKILL)
            nodes[victim_id].proc.wait()

            def served_again():
                serving = set()
                for x in survivors.values():
                    serving.update(cluster_test.view(x)["serving"])
                return all(s in serving for s in shards)
            if not wait_for(served_again, 60):
                raise SystemExit(f"round {i}: shards of {victim_id} not served again in 60 s")
            elapsed = time.time() - killed

            def recommended():
                query = urllib.parse.urlencode({"service": context[0], "diagnosis": context[1]})
                status, _ = grace_node.request(entry.port, "GET",
                                               "/api/ml/causal-rl/recommend?" + query,
                                               headers={"Authorization": f"Bearer {grace_node.TOKEN}"})
                return status == 200
            if not wait_for(recommended, 60):
                raise SystemExit(f"round {i}: {context} not recommended again in 60 s")
            answered.append(time.time() - killed)

            def forecast_all():
                status, body = cluster_test.predict(entry, metrics)
                return status == 200 and len(body["forecasts"]) == len(metrics) and body
            forecasts = wait_for(forecast_all, 60) if metrics else {"answered_by": []}
            if not forecasts:
                raise SystemExit(f"round {i}: {metrics} not forecast again in 60 s")
            if metrics:
                forecast_times.append(time.time() - killed)
                histories.append(min(len(cluster_test.stored_snapshots(nodes[next_owner[m]], m))
                                     for m in metrics))
            time.sleep(0.5)  # let the last claims land before counting
            delta = etcd_revision(etcd, certs) - before
            times.append(elapsed)
            writes.append(delta)
            print(f"round {i + 1}: killed {victim_id} ({len(shards)} shards): served again after "
                  f"{elapsed:.2f} s, a recommendation for one of them answered after "
                  f"{answered[-1]:.2f} s, {delta} etcd writes; {len(metrics)} of its metrics "
                  f"forecast by {forecasts['answered_by']}"
                  + (f" after {forecast_times[-1]:.2f} s from {histories[-1]}+ handed-over "
                     f"snapshots each" if metrics else ""), flush=True)
            nodes[victim_id].stop()
            nodes[victim_id] = cluster_test.cluster_node(
                victim_id, etcd, certs, extra_yaml=cluster_test.FAST_WINDOWS).start()
        print(f"SIGKILL to served again over {rounds} kills: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s; to a recommendation answered again: "
              f"median {statistics.median(answered):.2f} s, max {max(answered):.2f} s; etcd writes "
              f"per failover: median {statistics.median(writes)}")
        if forecast_times:
            print(f"to a forecast of every metric of the killed node answered by its new owner "
                  f"({len(forecast_times)} kills): median {statistics.median(forecast_times):.2f} s, "
                  f"max {max(forecast_times):.2f} s; history each new owner held: at least "
                  f"{min(histories)} snapshots per metric")
    finally:
        for x in nodes.values():
            x.stop()
        etcd.stop()
        certs_dir.cleanup()


if __name__ == "__main__":
    main()
