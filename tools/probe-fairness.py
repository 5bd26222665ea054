#!/ usr / bin / env python3
"""Fairness probe: how long does a well-behaved client wait while others flood the server?

Some "streamer" clients each push an unbounded pipeline of INCR commands (written as fast
as the socket takes them, replies read concurrently), while a "bystander" client does one
PING round trip after another and records how long each took. Prints the bystander's
latency percentiles and the streamers' throughput. Works against any RESP server (PyKV or
redis-server): start it yourself and pass --port.

Every client is its own process, so the measuring client never waits for Python's GIL.

  tools/probe-fairness.py --port 6379                 # 2 streamers x 3M INCR + bystander
  tools/probe-fairness.py --port 6379 --streamers 1 --no-bystander   # one big pipeline
"""

import argparse
import multiprocessing as mp
import socket
import sys
import threading
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def streamer(port, key, count, start, result):
    """Pipelines `count` INCR key as fast as the server takes them; reports seconds taken."""
    s = connect(port)
    cmd = b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(key), key.encode())
    per_chunk = 4096
    chunk = cmd * per_chunk

    def writer():
        left = count
        while left > 0:
            n = min(left, per_chunk)
            s.sendall(chunk if n == per_chunk else cmd * n)
            left -= n

    start.wait()
    t0 = time.perf_counter()
    w = threading.Thread(target=writer, daemon=True)
    w.start()
#Every INCR reply is one integer line : count the line ends.
    got = 0
    while got < count:
        data = s.recv(1 << 20)
        if not data:
            print(f"streamer {key}: connection closed after {got} replies", file=sys.stderr)
            break
        got += data.count(b"\n")
    elapsed = time.perf_counter() - t0
    w.join(timeout=10)
    s.close()
    result.put((key, got, elapsed))


def bystander(port, start, done, result):
    """PING round trips until `done` is set; reports every latency in microseconds."""
    s = connect(port)
    lat = []
    start.wait()
    time.sleep(0.05)  # let the streams get going
    while not done.is_set():
        t0 = time.perf_counter()
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            data = s.recv(64)
            if not data:
                result.put(lat)
                return
            buf += data
        lat.append((time.perf_counter() - t0) * 1e6)
    s.close()
    result.put(lat)


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    i = min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))
    return sorted_vals[i]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--streamers", type=int, default=2)
    ap.add_argument("--count", type=int, default=3_000_000, help="INCRs per streamer")
    ap.add_argument("--no-bystander", action="store_true")
    ap.add_argument("--label", default="", help="prefix for the result line")
    args = ap.parse_args()

    ctx = mp.get_context("fork")
    start = ctx.Event()
    done = ctx.Event()
    results = ctx.Queue()
    lat_q = ctx.Queue()
#Fresh counters, so the final values can be checked.
    s = connect(args.port)
    keys = [f"probe:fair:{i}" for i in range(args.streamers)]
    s.sendall(b"".join(b"*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys))
    need = len(keys)
    buf = b""
    while buf.count(b"\n") < need:
        buf += s.recv(4096)

    procs = [ctx.Process(target=streamer, args=(args.port, k, args.count, start, results))
             for k in keys]
    by = None
    if not args.no_bystander:
        by = ctx.Process(target=bystander, args=(args.port, start, done, lat_q))
        by.start()
    for p in procs:
        p.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    start.set()
    stream_results = [results.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    done.set()
    lat = sorted(lat_q.get(timeout=60)) if by is not None else []
    for p in procs:
        p.join(timeout=10)
    if by is not None:
        by.join(timeout=10)

    total = sum(r[1] for r in stream_results)
    for k in keys:
        s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k.encode()))
    finals = []
    buf = b""
    while len(finals) < len(keys):
        buf += s.recv(4096)
        while True:
#"$<n>\r\n<value>\r\n" or "$-1\r\n"
            head_end = buf.find(b"\r\n")
            if head_end < 0:
                break
            n = int(buf[1:head_end])
            if n < 0:
                finals.append(None)
                buf = buf[head_end + 2:]
                continue
            if len(buf) < head_end + 2 + n + 2:
                break
            finals.append(int(buf[head_end + 2:head_end + 2 + n]))
            buf = buf[head_end + 4 + n:]
    s.close()

    label = (args.label + " ") if args.label else ""
    print(f"{label}streamers={args.streamers} x {args.count} INCR: {total} replies in "
          f"{wall:.2f}s = {total / wall / 1e6:.2f}M ops/s; final counters {finals}")
    if lat:
        print(f"{label}bystander PING: n={len(lat)} p50={pct(lat, 50) / 1000:.2f}ms "
              f"p90={pct(lat, 90) / 1000:.2f}ms p99={pct(lat, 99) / 1000:.2f}ms "
              f"p99.9={pct(lat, 99.9) / 1000:.2f}ms max={lat[-1] / 1000:.2f}ms")
    ok = all(f == args.count for f in finals)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
