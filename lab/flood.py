"""A rate-paced UDP flood for the lab's flood guard demo (lab/flood.ts): multicast and broadcast datagrams sent
from one interface, round robin over the targets, at a fixed total rate. Run only inside a lab host or a lab
namespace (never in the machine's own network namespace). Prints one JSON line at the end: per target the
datagrams and IP bytes (payload + 28, what nft counts) that the kernel accepted.

usage: flood.py --dev DEV --src IP --sport PORT --seconds S --mbit R --size N TARGET...   (TARGET: IP:PORT)
"""

import argparse
import json
import socket
import time

IP_UDP_HEADERS = 28
# The start of an RTPS message (protocol 2.1, vendor 01.10, a made-up GUID prefix): what DDS user data sent to a
# multicast locator looks like on the wire. The guard matches addresses and ports, never the payload.
RTPS_HEAD = b"RTPS\x02\x01\x01\x10" + bytes(range(12))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--sport", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--mbit", type=float, required=True)
    ap.add_argument("--size", type=int, default=1200)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    if not (0 < a.seconds <= 60 and 0 < a.mbit <= 200 and 64 <= a.size <= 1472):
        raise SystemExit("flood.py: --seconds 0..60, --mbit 0..200, --size 64..1472")
    targets = []
    for t in a.targets:
        ip, port = t.rsplit(":", 1)
        socket.inet_aton(ip)
        targets.append((ip, int(port)))

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dev.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.src))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    # A fixed source port: the counters on the other side count this flood's datagrams and nothing else.
    s.bind((a.src, a.sport))

    payload = (RTPS_HEAD * (a.size // len(RTPS_HEAD) + 1))[: a.size]
    per_dgram = a.size + IP_UDP_HEADERS
    rate = a.mbit * 1e6 / 8 / per_dgram  # datagrams per second, all targets together
    sent = [0] * len(targets)
    errors = 0
    start = time.perf_counter()
    n = 0
    while True:
        now = time.perf_counter() - start
        if now >= a.seconds:
            break
        # Send what is due by now (at most a small burst), then sleep a millisecond: paced, not bursty.
        due = min(int(now * rate) + 1, n + 64)
        while n < due:
            i = n % len(targets)
            try:
                s.sendto(payload, targets[i])
                sent[i] += 1
            except OSError:
                errors += 1
            n += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    out = {
        "seconds": round(elapsed, 3),
        "errors": errors,
        "targets": [
            {"ip": ip, "port": port, "packets": sent[i], "bytes": sent[i] * per_dgram} for i, (ip, port) in enumerate(targets)
        ],
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
