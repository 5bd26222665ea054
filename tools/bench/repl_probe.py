#!/usr/bin/env python3
"""Measurements for tools/bench-replication.sh, over plain sockets (RESP), for PyKV and Redis
alike:

  repl_probe.py fill PORT N               N keys key:0..key:N-1 (16-byte values), pipelined
  repl_probe.py synctime PRIMARY REPLICA  REPLICAOF, then seconds until master_link_status:up
  repl_probe.py lag PRIMARY REPLICA SECS  while load runs elsewhere: replica lag in bytes
                                          (master_repl_offset - slave_repl_offset, sampled
                                          every 100 ms) and in ms (a marker SET on the
                                          primary until the replica reads it, every 250 ms)

Prints one JSON object on stdout. Exits non-zero when a server does not answer as expected.
"""
import json
import socket
import statistics
import sys
import time


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise EOFError("connection closed")
                self.buf += data
            value, self.buf = self.buf[:n], self.buf[n + 2:]
            return value
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        self.send(*args)
        return self.reply()


def info(conn, section="replication"):
    text = conn.call("INFO", section).decode()
    return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)


def fill(port, n):
    c = Conn(port)
    batch = 10000
    start = time.monotonic()
    for base in range(0, n, batch):
        chunk = []
        for i in range(base, min(n, base + batch)):
            k = b"key:%d" % i
            v = b"value-%010d" % i
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        c.sock.sendall(b"".join(chunk))
        for _ in chunk:
            if c.reply() != "OK":
                raise RuntimeError("SET failed")
    return {"keys": n, "seconds": time.monotonic() - start, "dbsize": c.call("DBSIZE")}


def synctime(primary, replica):
    r = Conn(replica)
    start = time.monotonic()
    r.call("REPLICAOF", "127.0.0.1", primary)
    deadline = start + 600
    while time.monotonic() < deadline:
        if info(r).get("master_link_status") == "up":
            secs = time.monotonic() - start
            return {"seconds": secs, "dbsize": r.call("DBSIZE")}
        time.sleep(0.01)
    raise RuntimeError("the replica did not come up in 600 s")


def lag(primary, replica, secs):
    p, r = Conn(primary), Conn(replica)
    pm, rm = Conn(primary), Conn(replica)  # marker connections
    bytes_lag, ms_lag = [], []
    end = time.monotonic() + secs
    next_marker = time.monotonic()
    marker = 0
    while time.monotonic() < end:
        po = int(info(p)["master_repl_offset"])
        ro = int(info(r)["slave_repl_offset"])
        bytes_lag.append(max(0, po - ro))
        now = time.monotonic()
        if now >= next_marker:
            marker += 1
            value = str(marker).encode()
            pm.call("SET", "bench:lag-marker", value)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 10:
                if rm.call("GET", "bench:lag-marker") == value:
                    ms_lag.append((time.monotonic() - t0) * 1000)
                    break
            next_marker = time.monotonic() + 0.25
        time.sleep(0.1)
    out = {"bytes_samples": len(bytes_lag), "markers": len(ms_lag)}
    for name, xs in (("bytes", bytes_lag), ("ms", ms_lag)):
        out[name + "_median"] = statistics.median(xs) if xs else None
        out[name + "_max"] = max(xs) if xs else None
    return out


def main(argv):
    if len(argv) >= 3 and argv[1] == "fill":
        result = fill(int(argv[2]), int(argv[3]))
    elif len(argv) == 4 and argv[1] == "synctime":
        result = synctime(int(argv[2]), int(argv[3]))
    elif len(argv) == 5 and argv[1] == "lag":
        result = lag(int(argv[2]), int(argv[3]), float(argv[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
