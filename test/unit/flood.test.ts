// The flood guard demo's pure parts (lab/flood.ts): what it floods, how it counts, and what it accepts from a
// lab host's sender. The flood itself runs in the lab (`npm run demo -- --flood`).
import { strict as assert } from 'assert';
import { allowUserMulticast, captureRuleset, parseCaptureCounters } from '../../lab/capture';
import { counterRuleset, FLOOD_SPORT, floodTargets, parseCounters, parseFloodReport } from '../../lab/flood';
import { renderCycloneDdsXml } from '../../src/core/render/cyclonedds';

describe('lab flood guard demo', () => {
  it('floods a non-discovery group, broadcast and the DDS user-data port of every domain, never a discovery port', () => {
    const t = floodTargets([0, 7]);
    assert.deepEqual(
      t.map((x) => `${x.ip}:${x.port}`),
      ['239.255.42.99:5001', '255.255.255.255:5001', '239.255.0.1:7401', '239.255.0.1:9151'],
    );
    for (const d of [0, 7]) assert.ok(!t.some((x) => x.port === 7400 + 250 * d), `domain ${d}'s discovery port is not flooded`);
  });

  it('counts per target, by source address and port, from zero on every run; reads nft JSON counters', () => {
    const rs = counterRuleset('netdev', '10.42.16.83', floodTargets([0]), 'eth0');
    assert.match(rs, /^table netdev rvflood\ndelete table netdev rvflood\n/);
    assert.match(rs, /hook ingress device "eth0"/);
    assert.match(
      rs,
      new RegExp(`ip saddr 10\\.42\\.16\\.83 ip daddr 239\\.255\\.0\\.1 udp sport ${FLOOD_SPORT} udp dport 7401 counter name "t2"`),
    );
    assert.match(counterRuleset('bridge', '10.0.0.1', floodTargets([0])), /hook prerouting priority -300/);
    const json =
      '{"nftables":[{"metainfo":{}},{"counter":{"name":"t0","packets":2,"bytes":2456}},{"counter":{"name":"t1","packets":0,"bytes":0}}]}';
    assert.deepEqual(
      [...parseCounters(json)],
      [
        ['t0', 2456],
        ['t1', 0],
      ],
    );
  });

  it("validates the sender's report (read from a lab host) and fails on none or a malformed one", () => {
    const ok = parseFloodReport(
      'noise\n{"seconds": 10.0, "errors": 0, "targets": [{"ip": "239.255.0.1", "port": 7401, "packets": 3, "bytes": 3684}]}\n',
    );
    assert.equal(ok.targets[0].bytes, 3684);
    assert.throws(() => parseFloodReport('Traceback: boom\n'), /printed no report: Traceback: boom/);
    assert.throws(() => parseFloodReport('{"seconds": 1, "errors": 0, "targets": [{"packets": -1, "bytes": 0}]}'), /malformed/);
    assert.throws(() => parseFloodReport('{"seconds": 1, "errors": 0}'), /malformed/);
  });
});

describe("lab tap capture (the desktop's tap: DDS user data by unicast only)", () => {
  it('counts per direction on the tap: discovery ports of every domain, any other port of the DDS group, unicast of the pair', () => {
    const rs = captureRuleset('tap0', [7, 0], '10.42.16.83', '10.42.16.201');
    assert.match(rs, /^table netdev rvcapture\ndelete table netdev rvcapture\n/);
    assert.match(rs, /chain in \{\n {4}type filter hook ingress device "tap0" priority -500; policy accept;/);
    assert.match(rs, /chain out \{\n {4}type filter hook egress device "tap0" priority -500; policy accept;/);
    assert.match(rs, /ip daddr 239\.255\.0\.1 udp dport \{ 7400, 9150 \} counter name "in_discovery"/);
    assert.match(rs, /ip daddr 239\.255\.0\.1 udp dport != \{ 7400, 9150 \} counter name "out_user_mc"/);
    assert.match(
      rs,
      /ip saddr \{ 10\.42\.16\.83, 10\.42\.16\.201 \} ip daddr \{ 10\.42\.16\.83, 10\.42\.16\.201 \} meta l4proto udp counter name "in_unicast"/,
    );
  });

  it('reads every counter from nft JSON (read from a lab host) and fails on a missing one', () => {
    const c = (name: string, packets: unknown) => ({ counter: { name, packets, bytes: 0 } });
    const names = ['in_user_mc', 'in_discovery', 'in_unicast', 'out_user_mc', 'out_discovery', 'out_unicast'];
    const json = (list: object[]) => JSON.stringify({ nftables: [{ metainfo: {} }, ...list] });
    const got = parseCaptureCounters(json(names.map((n, i) => c(n, i))));
    assert.deepEqual([got.in_user_mc, got.out_unicast], [0, 5]);
    assert.throws(() => parseCaptureCounters(json(names.slice(1).map((n) => c(n, 1)))), /no counter in_user_mc/);
    assert.throws(() => parseCaptureCounters(json(names.map((n) => c(n, n === 'in_unicast' ? -1 : 1)))), /no counter in_unicast/);
  });

  it("the negative control's config: rosvpn's own with user data allowed onto multicast and multicast preferred", () => {
    const xml = renderCycloneDdsXml('rosbridge');
    const mc = allowUserMulticast(xml);
    assert.match(mc, /<AllowMulticast>true<\/AllowMulticast>/);
    assert.match(mc, /<NetworkInterface name="rosbridge" prefer_multicast="true"\/>/);
    assert.doesNotMatch(mc, /<AllowMulticast>spdp/);
    assert.throws(() => allowUserMulticast('<CycloneDDS/>'), /no <AllowMulticast>spdp/);
  });
});
