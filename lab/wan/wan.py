#!/usr/bin/env python3
"""A small, seeded, deterministic user-space WAN emulator (this kernel has no netem).

It is a transparent layer-2 device: lab/wan.ts makes, inside a `wan` network namespace, two bridges that each
join a veth towards one side and a persistent TAP device; this process opens both taps (/dev/net/tun,
IFF_TAP|IFF_NO_PI) and every Ethernet frame read from one tap is delayed, dropped or fragmented and then
written to the other. Python 3 standard library only (the parts Debian's python3-minimal ships: no json).

Per direction ("ab": read from tap A, written to tap B; "ba": the reverse), for each frame in arrival order:
  1. path MTU (IPv4 total length > mtu): with DF set the packet is dropped and an ICMP "fragmentation needed"
     (type 3 code 4, next-hop MTU = mtu) goes back to its sender, as a router would (its source address is
     the dropped packet's destination: this device has no address of its own); without DF it is split into
     valid IPv4 fragments (8-byte-aligned offsets, MF, header checksums) that fit. A non-IPv4 frame longer
     than mtu + 14 is dropped. Everything else (ARP, IPv6, ...) passes unchanged.
  2. every frame that goes on (each fragment on its own) draws exactly three numbers from the direction's
     own RNG (random.Random(2 * seed + 0 or 1)): loss, jitter, reorder. So each decision depends only on the
     seed and the frame's position in its direction, never on timing or the other direction.
     lost when u_loss < loss; one-way delay = rtt/2 + jitter * (2 * u_jitter - 1), at least 0;
     reordered when u_reorder < reorder: sent at once, overtaking the queue (netem's meaning); otherwise FIFO:
     never before the previous frame of its direction.
  3. rate (bit/s, 0 = unlimited): frames are serialised onto a link of that rate before the delay (a token
     bucket of one frame); a frame that would wait more than QUEUE_LIMIT_S in that queue is dropped.
The ICMP errors are sent with the reverse direction's base delay (rtt/2) and are never lost, so they draw
nothing from the reverse direction's RNG.

Counters per direction (tap_dropped: frames the kernel dropped because this process fell behind reading its
tap, whose queue holds 10000) are written as JSON to --stats every second, on SIGUSR1 and at exit (SIGTERM/SIGINT).
IPv6 is turned off on the --no-ipv6 devices (the bridges, taps and links) so the WAN adds no frames of its own.
The process exits by itself when its parent dies or its network namespace is deleted (--netns NAME).

Modes:  wan.py --tap-a T --tap-b T --netns NS --stats FILE [--rtt S --jitter S --loss F --reorder F --mtu N
                --rate BPS --seed N]       run the emulator (prints "ready" once both taps are open)
        wan.py --pattern N [--loss F --reorder F --jitter S --rtt S --seed N --dir ab|ba]
                print the first N decisions of a direction, one per line: "lost" or "<delay ms> [reordered]"
        wan.py --selftest   check the packet code (fragments, ICMP) on made-up frames, without taps
"""

import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_HLEN = 14
ETH_P_IP = 0x0800
IP_DF = 0x4000
IP_MF = 0x2000
QUEUE_LIMIT_S = 0.1
COUNTERS = ("frames_in", "bytes_in", "frames_out", "bytes_out", "lost", "over_mtu", "fragmented", "fragments",
            "icmp_sent", "reordered", "queue_dropped", "write_dropped", "tap_dropped")


def checksum(data):
    """The Internet checksum (RFC 1071) of bytes."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_header(hdr, total_len, frag_field):
    """hdr with a new total length, flags/offset field and header checksum."""
    h = bytearray(hdr)
    struct.pack_into("!H", h, 2, total_len)
    struct.pack_into("!H", h, 6, frag_field)
    struct.pack_into("!H", h, 10, 0)
    struct.pack_into("!H", h, 10, checksum(bytes(h)))
    return bytes(h)


def copied_options(opts):
    """The IPv4 options that every fragment carries (copy flag set), padded to 4 bytes (RFC 791)."""
    out, i = b"", 0
    while i < len(opts):
        t = opts[i]
        if t == 0:
            break
        if t == 1:
            i += 1
            continue
        ln = opts[i + 1] if i + 1 < len(opts) else 0
        if ln < 2:
            break
        if t & 0x80:
            out += opts[i:i + ln]
        i += ln
    return out + b"\0" * (-len(out) % 4)


def fragment(frame, mtu):
    """Splits an Ethernet frame carrying IPv4 into frames whose IP packets fit mtu (DF not set)."""
    eth, ip = frame[:ETH_HLEN], frame[ETH_HLEN:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack_from("!H", ip, 2)[0]
    field = struct.unpack_from("!H", ip, 6)[0]
    base_off, last_mf = (field & 0x1FFF) * 8, field & IP_MF
    hdr, payload = ip[:ihl], ip[ihl:total]
    later = ip[:20] + copied_options(ip[20:ihl])
    later = bytes([0x40 | (len(later) // 4)]) + later[1:]
    out, pos = [], 0
    while pos < len(payload):
        h = hdr if pos == 0 else later
        room = (mtu - len(h)) & ~7
        if room <= 0:
            return []
        chunk = payload[pos:pos + room]
        more = IP_MF if pos + len(chunk) < len(payload) else last_mf
        field_out = (field & IP_DF) | more | ((base_off + pos) // 8)
        out.append(eth + ip_header(h, len(h) + len(chunk), field_out) + chunk)
        pos += len(chunk)
    return out


def frag_needed(frame, mtu):
    """The Ethernet frame of an ICMP "fragmentation needed" (type 3 code 4) answering frame, or None when
    no error may be sent for it (a non-first fragment, or itself an ICMP error)."""
    eth, ip = frame[:ETH_HLEN], frame[ETH_HLEN:]
    ihl = (ip[0] & 0x0F) * 4
    if struct.unpack_from("!H", ip, 6)[0] & 0x1FFF:
        return None
    if ip[9] == 1 and len(ip) > ihl and ip[ihl] in (3, 4, 5, 11, 12):
        return None
    quoted = ip[:ihl + 8]
    icmp = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted)
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)))
    src, dst = ip[16:20], ip[12:16]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(icmp), 0, 0, 64, 1, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return eth[6:12] + eth[0:6] + struct.pack("!H", ETH_P_IP) + hdr + bytes(icmp)


def over_mtu(frame, mtu):
    """(action, frames): 'pass' [frame], 'fragment' [fragments], 'icmp' [error frame or nothing], 'drop' []."""
    if len(frame) >= ETH_HLEN + 20 and struct.unpack_from("!H", frame, 12)[0] == ETH_P_IP:
        if struct.unpack_from("!H", frame, ETH_HLEN + 2)[0] <= mtu:
            return "pass", [frame]
        if struct.unpack_from("!H", frame, ETH_HLEN + 6)[0] & IP_DF:
            err = frag_needed(frame, mtu)
            return "icmp", [err] if err else []
        frags = fragment(frame, mtu)
        return ("fragment", frags) if frags else ("drop", [])
    return ("pass", [frame]) if len(frame) <= mtu + ETH_HLEN else ("drop", [])


class Direction:
    """One direction's decisions and counters; decide() is all the randomness there is."""

    def __init__(self, name, seed, rtt, jitter, loss, reorder, rate):
        self.name = name
        self.rng = random.Random(2 * seed + (0 if name == "ab" else 1))
        self.rtt, self.jitter, self.loss, self.reorder, self.rate = rtt, jitter, loss, reorder, rate
        self.last_departure = 0.0
        self.link_free = 0.0
        self.count = dict.fromkeys(COUNTERS, 0)

    def decide(self):
        """(lost, one-way delay in s, reordered) for the next frame: always three draws."""
        u_loss, u_jit, u_re = self.rng.random(), self.rng.random(), self.rng.random()
        delay = max(0.0, self.rtt / 2 + self.jitter * (2 * u_jit - 1))
        return u_loss < self.loss, delay, u_re < self.reorder

    def departure(self, now, size):
        """When a frame that arrived now leaves, or None when it is lost (counted)."""
        lost, delay, reordered = self.decide()
        if lost:
            self.count["lost"] += 1
            return None
        start = now
        if self.rate:
            start = max(now, self.link_free)
            if start - now > QUEUE_LIMIT_S:
                self.count["queue_dropped"] += 1
                return None
            self.link_free = start + size * 8 / self.rate
            start = self.link_free
        if reordered:
            self.count["reordered"] += 1
            return start
        t = max(start + delay, self.last_departure)
        self.last_departure = t
        return t


class Wan:
    def __init__(self, a):
        self.a = a
        self.dirs = {n: Direction(n, a.seed, a.rtt, a.jitter, a.loss, a.reorder, a.rate) for n in ("ab", "ba")}
        self.fds = {}
        self.heap = []
        self.seq = 0
        self.tap_base = {}

    def open_tap(self, name):
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        return fd

    def schedule(self, t, direction, frame):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, direction, frame))

    def on_frame(self, dname, frame, now):
        d, rev = self.dirs[dname], self.dirs["ba" if dname == "ab" else "ab"]
        d.count["frames_in"] += 1
        d.count["bytes_in"] += len(frame)
        action, frames = over_mtu(frame, self.a.mtu)
        if action == "icmp":
            d.count["over_mtu"] += 1
            for err in frames:
                d.count["icmp_sent"] += 1
                self.schedule(now + rev.rtt / 2, rev.name, err)
            return
        if action == "drop":
            d.count["over_mtu"] += 1
            return
        if action == "fragment":
            d.count["fragmented"] += 1
            d.count["fragments"] += len(frames)
        for f in frames:
            t = d.departure(now, len(f))
            if t is not None:
                self.schedule(t, dname, f)

    def flush(self, now):
        while self.heap and self.heap[0][0] <= now:
            _, _, dname, frame = heapq.heappop(self.heap)
            d = self.dirs[dname]
            try:
                os.write(self.fds[dname[1]], frame)
                d.count["frames_out"] += 1
                d.count["bytes_out"] += len(frame)
            except (BlockingIOError, OSError):
                d.count["write_dropped"] += 1

    def tap_dropped(self):
        """Frames the kernel dropped because this process did not read its tap in time (tap queue full)."""
        for dname, tap in (("ab", self.a.tap_a), ("ba", self.a.tap_b)):
            try:
                with open("/sys/class/net/%s/statistics/tx_dropped" % tap) as f:
                    self.dirs[dname].count["tap_dropped"] = int(f.read()) - self.tap_base.get(dname, 0)
            except (OSError, ValueError):
                pass

    def stats_json(self):
        self.tap_dropped()
        parts = []
        for n, d in self.dirs.items():
            parts.append('"%s":{%s}' % (n, ",".join('"%s":%d' % (k, v) for k, v in d.count.items())))
        return "{%s}\n" % ",".join(parts)

    def write_stats(self):
        if not self.a.stats:
            return
        tmp = self.a.stats + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.stats_json())
        os.replace(tmp, self.a.stats)

    def gone(self, ppid, ns_ino):
        if os.getppid() != ppid:
            return True
        if self.a.netns:
            try:
                return os.stat("/run/netns/" + self.a.netns).st_ino != ns_ino
            except OSError:
                return True
        return False

    def run(self):
        for dev in filter(None, self.a.no_ipv6.split(",")):
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % dev, "w") as f:
                f.write("1")
        self.fds = {"a": self.open_tap(self.a.tap_a), "b": self.open_tap(self.a.tap_b)}
        src = {self.fds["a"]: "ab", self.fds["b"]: "ba"}
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        signal.signal(signal.SIGUSR1, lambda *_: self.write_stats())
        ppid, ns_ino = os.getppid(), os.stat("/proc/self/ns/net").st_ino
        self.tap_dropped()
        self.tap_base = {n: d.count["tap_dropped"] for n, d in self.dirs.items()}
        self.write_stats()
        print("ready", flush=True)
        next_tick = time.monotonic() + 1
        while not stop:
            now = time.monotonic()
            timeout = next_tick - now
            if self.heap:
                timeout = min(timeout, self.heap[0][0] - now)
            try:
                readable, _, _ = select.select(list(src), [], [], max(0.0, timeout))
            except InterruptedError:
                readable = []
            now = time.monotonic()
            for fd in readable:
                for _ in range(64):  # drain a burst, but let the other side and the clock in
                    try:
                        frame = os.read(fd, 65536)
                    except BlockingIOError:
                        break
                    self.on_frame(src[fd], frame, now)
            self.flush(time.monotonic())
            if now >= next_tick:
                next_tick = now + 1
                self.write_stats()
                if self.gone(ppid, ns_ino):
                    break
        self.write_stats()


def pattern(a):
    d = Direction(a.dir, a.seed, a.rtt, a.jitter, a.loss, a.reorder, 0)
    for _ in range(a.pattern):
        lost, delay, reordered = d.decide()
        print("lost" if lost else "%.3f%s" % (delay * 1000, " reordered" if reordered else ""))


def selftest():
    """Checks fragment() and frag_needed() on made-up frames; exits non-zero on the first failure."""
    eth = bytes(range(6)) + bytes(range(6, 12)) + struct.pack("!H", ETH_P_IP)
    payload = bytes(i % 251 for i in range(1480))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0, 64, 17, 0, b"\x0a\0\0\1", b"\x0a\0\0\2")
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    frame = eth + hdr + payload
    action, frags = over_mtu(frame, 1492)
    assert action == "fragment" and len(frags) == 2, (action, len(frags))
    joined = b""
    for i, f in enumerate(frags):
        ip = f[ETH_HLEN:]
        assert len(ip) <= 1492 and checksum(ip[:20]) == 0, i
        field = struct.unpack_from("!H", ip, 6)[0]
        assert (field & 0x1FFF) * 8 == len(joined), (i, field)
        assert bool(field & IP_MF) == (i == 0), (i, field)
        assert struct.unpack_from("!H", ip, 2)[0] == len(ip)
        joined += ip[20:]
    assert joined == payload
    assert (len(frags[0]) - ETH_HLEN - 20) % 8 == 0
    df = eth + hdr[:6] + struct.pack("!H", IP_DF) + hdr[8:] + payload
    action, errs = over_mtu(df, 1492)
    assert action == "icmp" and len(errs) == 1
    err = errs[0][ETH_HLEN:]
    assert errs[0][:6] == eth[6:12] and err[12:16] == b"\x0a\0\0\2" and err[16:20] == b"\x0a\0\0\1"
    assert checksum(err[:20]) == 0 and checksum(err[20:]) == 0
    assert err[20:22] == b"\x03\x04" and struct.unpack_from("!H", err, 26)[0] == 1492
    assert over_mtu(b"\0" * 12 + b"\x86\xdd" + b"\0" * 1500, 1492)[0] == "drop"
    assert over_mtu(b"\0" * 12 + b"\x08\x06" + b"\0" * 28, 1492)[0] == "pass"
    assert over_mtu(frame, 1500) == ("pass", [frame])
    print("selftest ok")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tap-a")
    p.add_argument("--tap-b")
    p.add_argument("--netns")
    p.add_argument("--stats")
    p.add_argument("--no-ipv6", default="", help="comma-separated devices to turn IPv6 off on (no frames of our own)")
    p.add_argument("--rtt", type=float, default=0.0, help="seconds")
    p.add_argument("--jitter", type=float, default=0.0, help="seconds")
    p.add_argument("--loss", type=float, default=0.0, help="fraction 0..1")
    p.add_argument("--reorder", type=float, default=0.0, help="fraction 0..1")
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--rate", type=float, default=0.0, help="bit/s, 0 = unlimited")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pattern", type=int)
    p.add_argument("--dir", default="ab", choices=("ab", "ba"))
    p.add_argument("--selftest", action="store_true")
    a = p.parse_args()
    if a.selftest:
        return selftest()
    if a.pattern is not None:
        return pattern(a)
    if not (a.tap_a and a.tap_b):
        p.error("--tap-a and --tap-b are required")
    Wan(a).run()


if __name__ == "__main__":
    sys.exit(main())
