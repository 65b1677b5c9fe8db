// How fast the lab's user-space WAN emulator (lab/wan.ts, lab/wan/wan.py) forwards at rtt=0 on this machine:
// small UDP datagrams sent as fast as python can (frames/s that cross) and one TCP stream (Mbit/s with
// full-size frames), left -> wan -> right in namespaces of its own. Not part of `npm run bench` yet.
// Run (root): npx tsx bench/wan.ts [SECONDS] [SPEC]
import { NetnsSet } from '../lab/netns';
import { must, start } from '../lab/sh';
import { startWan } from '../lab/wan';

const RIGHT = '203.0.113.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Counts what arrives for `seconds` after the first datagram / connection; prints "<frames> <bytes> <elapsed>".
const UDP_RX = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("0.0.0.0", 5555))
print("listening", flush=True)
n = b = 0
s.settimeout(5)
b += len(s.recv(2048)); n += 1
t0 = time.monotonic(); end = t0 + float(sys.argv[1])
s.settimeout(0.5)
try:
    while time.monotonic() < end:
        b += len(s.recv(2048)); n += 1
except socket.timeout:
    pass
print(n, b, time.monotonic() - t0)
`;
const UDP_TX = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2]) + 0.5
data = b"x" * int(sys.argv[3])
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.sendto(data, (sys.argv[1], 5555))
        except OSError:
            pass
`;
const TCP_RX = `
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("0.0.0.0", 5556)); l.listen(1)
print("listening", flush=True)
c, _ = l.accept()
b = 0; t0 = time.monotonic(); end = t0 + float(sys.argv[1])
while time.monotonic() < end:
    d = c.recv(1 << 16)
    if not d:
        break
    b += len(d)
print(0, b, time.monotonic() - t0)
`;
const TCP_TX = `
import socket, sys, time
c = socket.create_connection((sys.argv[1], 5556))
end = time.monotonic() + float(sys.argv[2]) + 0.5
data = b"x" * (1 << 16)
try:
    while time.monotonic() < end:
        c.sendall(data)
except OSError:
    pass
`;

async function measure(lab: NetnsSet, rx: string, tx: string, seconds: number, size: string): Promise<number[]> {
  const r = start(['ip', 'netns', 'exec', lab.name('r'), 'python3', '-c', rx, String(seconds)]);
  for (let i = 0; i < 300 && !r.out().includes('listening'); i++) await sleep(10);
  must('ip', ['netns', 'exec', lab.name('l'), 'python3', '-c', tx, RIGHT, String(seconds), size]);
  const out = (await r.done).out.trim().split('\n').pop()!;
  return out.split(' ').map(Number);
}

async function main() {
  const seconds = Number(process.argv[2] ?? 3);
  const spec = process.argv[3] ?? 'rtt=0ms';
  const lab = new NetnsSet('wb');
  try {
    const [l, w, r] = [lab.add('l'), lab.add('w'), lab.add('r')];
    must('ip', ['link', 'add', 'wa', 'netns', w, 'type', 'veth', 'peer', 'eth0', 'netns', l]);
    must('ip', ['link', 'add', 'wb', 'netns', w, 'type', 'veth', 'peer', 'eth0', 'netns', r]);
    for (const [ns, addr] of [
      [l, '203.0.113.1'],
      [r, RIGHT],
    ]) {
      must('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    const wan = await startWan(w, { a: 'wa', b: 'wb', spec });
    await sleep(1500);
    must('ip', ['netns', 'exec', l, 'ping', '-c', '2', '-i', '0.2', RIGHT]);
    const lines: string[] = [];
    for (const size of ['18', '1472']) {
      const [n, b, t] = await measure(lab, UDP_RX, UDP_TX, seconds, size);
      lines.push(
        `UDP ${size}-byte payloads (${Number(size) + 42}-byte frames): ${Math.round(n / t)} frames/s, ${((b * 8) / t / 1e6).toFixed(1)} Mbit/s payload`,
      );
    }
    const [, b, t] = await measure(lab, TCP_RX, TCP_TX, seconds, '');
    lines.push(`TCP one stream: ${((b * 8) / t / 1e6).toFixed(1)} Mbit/s payload`);
    const s = await wan.stop();
    lines.push(`emulator counters a->b: ${JSON.stringify(s.ab)}`);
    console.log(`WAN emulator (${spec}), ${seconds} s per case:\n  ${lines.join('\n  ')}`);
  } finally {
    lab.teardown();
  }
}

void main();
