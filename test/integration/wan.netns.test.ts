// The user-space WAN emulator (lab/wan.ts, lab/wan/wan.py) on real taps, between two plain namespaces of the
// test's own: left (203.0.113.1) -- wan -- right (203.0.113.2). Delay (with rtt=0 as the negative control),
// seeded loss predicted frame by frame, the path MTU (DF: ICMP "fragmentation needed" and the sender's PMTU
// cache; no DF: fragments that arrive), order with and without reorder, and that nothing is left behind.
// Needs root (ip netns). Light: three namespaces, a few hundred packets per case.
import { strict as assert } from 'assert';
import { NetnsSet } from '../../lab/netns';
import { must, requireTool, run, start } from '../../lab/sh';
import { lossPattern, startWan, type Wan } from '../../lab/wan';

const LEFT = '203.0.113.1';
const RIGHT = '203.0.113.2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ping's summary line as numbers (ms). */
function rtts(out: string): { min: number; avg: number; max: number } {
  const m = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(out);
  assert.ok(m, `no rtt summary in:\n${out}`);
  return { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]) };
}

const RECEIVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5555))
s.settimeout(1.5)
print("listening", flush=True)
got = []
try:
    while True:
        got.append(int(s.recv(2048)))
except socket.timeout:
    pass
print("got", " ".join(map(str, got)))
`;
const SENDER = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(str(i).encode().ljust(int(sys.argv[3]), b" "), (sys.argv[1], 5555))
    time.sleep(0.002)
`;

describe('WAN emulator between two namespaces (real taps)', function () {
  this.timeout(120_000);
  const lab = new NetnsSet('wan');
  let wan: Wan | undefined;
  const pids: number[] = [];

  async function withWan(spec: string): Promise<Wan> {
    wan = await startWan(lab.name('w'), { a: 'wa', b: 'wb', spec });
    pids.push(wan.pid);
    return wan;
  }

  /** Sends n numbered UDP datagrams left -> right; returns the numbers in the order they arrived. */
  async function udpOrder(n: number, size = 8): Promise<number[]> {
    const rx = start(['ip', 'netns', 'exec', lab.name('r'), 'python3', '-c', RECEIVER]);
    for (let i = 0; i < 200 && !rx.out().includes('listening'); i++) await sleep(10);
    must('ip', ['netns', 'exec', lab.name('l'), 'python3', '-c', SENDER, RIGHT, String(n), String(size)]);
    const r = await rx.done;
    const m = /^got ?(.*)$/m.exec(r.out);
    assert.ok(m, r.out);
    return m[1].trim() ? m[1].trim().split(' ').map(Number) : [];
  }

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns); CI runs as root');
    requireTool('ip');
    requireTool('python3');
    const [l, w, r] = [lab.add('l'), lab.add('w'), lab.add('r')];
    must('ip', ['link', 'add', 'wa', 'netns', w, 'type', 'veth', 'peer', 'eth0', 'netns', l]);
    must('ip', ['link', 'add', 'wb', 'netns', w, 'type', 'veth', 'peer', 'eth0', 'netns', r]);
    const mac = (ns: string) => /link\/ether (\S+)/.exec(must('ip', ['-n', ns, 'link', 'show', 'eth0']))![1];
    for (const [ns, addr, peer, peerNs] of [
      [l, LEFT, RIGHT, r],
      [r, RIGHT, LEFT, l],
    ]) {
      // no IPv6 and no ARP: the only frames through the WAN are the test's, so loss can be predicted per frame
      must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.eth0.disable_ipv6=1']);
      must('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      must('ip', ['-n', ns, 'neigh', 'replace', peer, 'lladdr', mac(peerNs), 'dev', 'eth0', 'nud', 'permanent']);
      must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    for (const d of ['wa', 'wb']) must('ip', ['-n', w, 'link', 'set', d, 'up']);
    // a veth drops what it is given until its queue is activated, up to a second after carrier
    for (let i = 0; i < 300 && [l, r].some((ns) => /qdisc noop|state DOWN/.test(must('ip', ['-n', ns, 'link', 'show', 'eth0']))); i++)
      await sleep(10);
  });

  afterEach(async () => {
    await wan?.stop();
    wan = undefined;
  });

  after(async () => {
    assert.deepEqual(lab.teardown(), [], 'namespaces left behind');
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `WAN process ${pid} still running`);
  });

  it('negative control, rtt=0: ping sees the bare path (< 10 ms) and every frame crosses the emulator', async () => {
    const w = await withWan('rtt=0ms');
    const r = lab.exec('l', 'ping', ['-c', '10', '-i', '0.05', RIGHT]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t = rtts(r.stdout);
    console.log(`      rtt=0: ping min/avg/max ${t.min}/${t.avg}/${t.max} ms`);
    assert.ok(t.max < 10, `bare path ${t.max} ms`);
    const s = await w.stats();
    assert.deepEqual([s.ab.frames_in, s.ab.frames_out, s.ba.frames_in, s.ba.frames_out, s.ab.tap_dropped], [10, 10, 10, 10, 0]);
  });

  it('rtt=80ms: every ping takes at least 80 ms, on average less than 80 + 10 ms', async () => {
    await withWan('rtt=80ms');
    const r = lab.exec('l', 'ping', ['-c', '10', '-i', '0.05', RIGHT]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t = rtts(r.stdout);
    console.log(`      rtt=80ms: ping min/avg/max ${t.min}/${t.avg}/${t.max} ms`);
    assert.ok(t.min >= 80 && t.avg < 90, `${t.min}..${t.max} ms, avg ${t.avg}`);
  });

  it('rtt=80ms,jitter=5ms: round trips vary from 70 ms up, average within 75..90 ms, FIFO keeps every reply', async () => {
    await withWan('rtt=80ms,jitter=5ms,seed=3');
    const r = lab.exec('l', 'ping', ['-c', '20', '-i', '0.05', RIGHT]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t = rtts(r.stdout);
    console.log(`      rtt=80ms,jitter=5ms: ping min/avg/max ${t.min}/${t.avg}/${t.max} ms`);
    assert.ok(t.min >= 70 && t.avg >= 75 && t.avg < 90 && t.max - t.min > 1, `${t.min}..${t.max} ms, avg ${t.avg}`);
  });

  it('loss=30%,seed=7: exactly the pings the seeded pattern predicts are lost (per direction: about 51% of round trips)', async () => {
    const w = await withWan('loss=30%,seed=7');
    const r = lab.exec('l', 'ping', ['-c', '200', '-i', '0.01', '-W', '1', RIGHT]);
    const got = [...r.stdout.matchAll(/icmp_seq=(\d+) /g)].map((m) => Number(m[1]));
    /** The echo replies a seed predicts: requests not lost left -> right whose replies are not lost right -> left. */
    const predict = (seed: number) => {
      const delivered = lossPattern(200, 0.3, seed, 'ab').flatMap((lost, i) => (lost ? [] : [i + 1]));
      const ba = lossPattern(delivered.length, 0.3, seed, 'ba');
      return { delivered, expected: delivered.filter((_, j) => !ba[j]) };
    };
    const { delivered, expected } = predict(7);
    console.log(
      `      loss=30%,seed=7: ${200 - got.length}/200 pings lost (requests lost ${200 - delivered.length}, replies lost ${delivered.length - expected.length})`,
    );
    assert.deepEqual(got, expected);
    assert.notDeepEqual(got, predict(8).expected, 'negative control: another seed predicts the same pings');
    const s = await w.stats();
    assert.deepEqual([s.ab.lost, s.ba.lost], [200 - delivered.length, delivered.length - expected.length]);
    assert.ok(got.length > 60 && got.length < 140, `${got.length} of 200 round trips`);
  });

  it('negative control, mtu=1500: a 1500-byte DF ping crosses, nothing is fragmented or answered with ICMP', async () => {
    const w = await withWan('mtu=1500');
    const r = lab.exec('l', 'ping', ['-c', '2', '-i', '0.1', '-M', 'do', '-s', '1472', RIGHT]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const s = await w.stop();
    assert.deepEqual([s.ab.over_mtu, s.ab.icmp_sent, s.ab.fragmented, s.ba.fragmented], [0, 0, 0, 0]);
  });

  it('mtu=1492, no DF: a 1500-byte ping arrives in fragments (both ways), and the fragment counters rise', async () => {
    const w = await withWan('mtu=1492');
    const r = lab.exec('l', 'ping', ['-c', '3', '-i', '0.1', '-M', 'dont', '-s', '1472', RIGHT]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 received/);
    const s = await w.stats();
    console.log(`      mtu=1492 no DF: ab fragmented ${s.ab.fragmented} into ${s.ab.fragments}, ba fragmented ${s.ba.fragmented}`);
    assert.deepEqual([s.ab.fragmented, s.ab.fragments, s.ba.fragmented], [3, 6, 3]);
  });

  it('mtu=1492, DF: the ping fails with "Frag needed" from the path, and the sender caches path MTU 1492', async () => {
    const w = await withWan('mtu=1492');
    const r = lab.exec('l', 'ping', ['-c', '2', '-i', '0.2', '-M', 'do', '-s', '1472', RIGHT]);
    assert.notEqual(r.status, 0, 'a 1500-byte DF ping crossed a 1492 path');
    assert.match(r.stdout + r.stderr, /Frag needed and DF set \(mtu = 1492\)|message too long, mtu=1492/);
    assert.match(lab.exec('l', 'ip', ['route', 'get', RIGHT]).stdout, /mtu 1492/);
    const s = await w.stats();
    assert.ok(s.ab.icmp_sent >= 1 && s.ab.over_mtu >= 1, JSON.stringify(s.ab));
    const small = lab.exec('l', 'ping', ['-c', '1', '-M', 'do', '-s', '1464', RIGHT]);
    assert.equal(small.status, 0, `a 1492-byte DF ping did not cross: ${small.stdout}`);
  });

  it('UDP without reorder keeps its order (rtt=20ms,jitter=5ms); reorder=20% reorders it', async () => {
    await withWan('rtt=20ms,jitter=5ms,seed=5');
    const fifo = await udpOrder(300);
    await wan!.stop();
    const w = await withWan('rtt=20ms,jitter=5ms,reorder=20%,seed=5');
    const mixed = await udpOrder(300);
    const s = await w.stats();
    const inversions = (xs: number[]) => xs.filter((x, i) => i > 0 && x < xs[i - 1]).length;
    console.log(
      `      UDP 300: FIFO ${fifo.length} arrived, ${inversions(fifo)} out of order; reorder=20%: ${mixed.length} arrived, ${inversions(mixed)} out of order (${s.ab.reordered} sent ahead)`,
    );
    assert.deepEqual(fifo, [...Array(300).keys()]);
    assert.equal(mixed.length, 300);
    assert.ok(inversions(mixed) > 10, `reorder=20%: only ${inversions(mixed)} out of order`);
    assert.ok(s.ab.reordered > 30 && s.ab.reordered < 90, `${s.ab.reordered} reordered`);
  });

  it('rate=2mbit: 1000-byte datagrams offered at about twice the rate are queued, then tail-dropped; no rate: all arrive', async () => {
    const w = await withWan('rate=2mbit');
    const t0 = Date.now();
    const got = await udpOrder(300, 1000);
    const s = await w.stats();
    console.log(`      rate=2mbit: ${got.length}/300 arrived, ${s.ab.queue_dropped} dropped by the queue (${Date.now() - t0} ms)`);
    assert.equal(got.length + s.ab.queue_dropped, 300);
    assert.ok(s.ab.queue_dropped > 30 && got.length > 100, `${got.length} arrived, ${s.ab.queue_dropped} dropped`);
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
      'the rate limit reordered',
    );
    await w.stop();
    await withWan('rtt=0ms');
    assert.equal((await udpOrder(300, 1000)).length, 300, 'negative control: without a rate, datagrams were lost');
  });

  it('the process ends with stop() (devices removed) and by itself when its namespace is deleted; a failed start leaves nothing', async () => {
    const w = await withWan('rtt=0ms');
    await w.stop();
    wan = undefined;
    assert.throws(() => process.kill(w.pid, 0), /ESRCH/);
    assert.doesNotMatch(must('ip', ['-n', lab.name('w'), 'link']), /wan-/);
    await assert.rejects(startWan(lab.name('w'), { a: 'wa', b: 'nosuch0', spec: 'rtt=0ms', tag: 'bad' }), /nosuch0/);
    assert.doesNotMatch(must('ip', ['-n', lab.name('w'), 'link']), /bad-/, 'a failed start left devices');
    const x = lab.add('x');
    must('ip', ['-n', x, 'link', 'add', 'xa', 'type', 'veth', 'peer', 'xb']);
    const orphan = await startWan(x, { a: 'xa', b: 'xb', spec: 'rtt=0ms', tag: 'orph' });
    pids.push(orphan.pid);
    run('ip', ['netns', 'del', x]);
    const status = await Promise.race([orphan.exited, sleep(5000).then(() => 'still running')]);
    assert.notEqual(status, 'still running', 'the WAN process outlived its namespace');
    await orphan.stop();
  });
});
