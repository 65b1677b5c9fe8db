// src/core/clients without a gateway: the status lines, expiry, the check's certificate item, picking an
// address, and editing rosvpn.json's clients as text (formatting kept, result validated).
import { strict as assert } from 'node:assert';
import {
  ClientError,
  addClientToDocument,
  clientStatusesFrom,
  expiryWarnings,
  parseClientStatus,
  pickClientAddress,
  removeClientFromDocument,
  revokeClient,
  rotateClient,
  runPki,
} from '../../src/core/clients';
import { certificateCheck } from '../../src/core/provision/check';
import { applyTopologyEdit, serializeTopology } from '../../src/core/topology/file';
import type { ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';
import type { SshPool } from '../../src/core/ssh/types';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = any;

const NOW = new Date('2026-12-01T12:00:00Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function doc(clients?: Doc[]): Doc {
  return {
    name: 'demo',
    robotSubnet: '192.168.0.0/24',
    gateway: { host: 'gw', publicAddress: '44.232.53.80', cloudIp: '172.31.1.11', vpnIp: '192.168.0.130/24' },
    seconds: [{ name: 'second', host: '172.31.1.12', jump: 'gateway', cloudIp: '172.31.1.12', vpnIp: '192.168.0.131/24' }],
    desktop: { host: 'localhost', lanInterface: 'eno1' },
    ...(clients ? { clients } : {}),
  };
}

function valid(d: Doc): ValidTopology {
  const r = validateTopology(d);
  assert.ok(r.topology, JSON.stringify(r.diagnostics));
  return r.topology;
}

/** A pool that fails the test when anything tries to connect. */
const noPool: SshPool = {
  session: async () => assert.fail('no SSH expected'),
  dispose: async () => undefined,
};

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

describe('clients (core)', () => {
  describe('parseClientStatus', () => {
    it('reads ::cert and ::conn lines, ignores everything else', () => {
      const out = [
        '::cert name=ca kind=ca status=valid not_after=2036-11-28T08:00:00Z',
        '::cert name=server kind=server status=valid not_after=2029-03-04T08:00:00Z',
        '::cert name=ros_local_gateway kind=desktop status=valid not_after=2027-12-01T08:00:00Z',
        '::cert name=alice kind=client status=valid not_after=2027-12-01T08:00:00Z\r',
        '::cert name=bob kind=client status=missing',
        '::cert name=old-laptop kind=client status=revoked not_after=2027-01-01T00:00:00Z',
        '::conn name=alice real=198.51.100.7:40112 since=1796000000',
        'some noise',
        '::step name=x status=ok',
      ].join('\n');
      const s = parseClientStatus(out);
      assert.deepEqual(s.certs[3], { name: 'alice', kind: 'client', status: 'valid', notAfter: '2027-12-01T08:00:00Z' });
      assert.deepEqual(s.certs[4], { name: 'bob', kind: 'client', status: 'missing' });
      assert.equal(s.certs.length, 6);
      assert.deepEqual(s.connections, [{ name: 'alice', realAddress: '198.51.100.7:40112', since: '2026-11-30T00:53:20Z' }]);
      assert.deepEqual(parseClientStatus(out.split('\n')), s);
    });

    it('refuses hostile or malformed lines instead of guessing', () => {
      const bad = [
        '::cert name=a;rm kind=client status=valid',
        '::cert name=a kind=root status=valid',
        '::cert name=a kind=client status=expired',
        '::cert name=a kind=client status=valid not_after=tomorrow',
        '::cert name=a kind=client status=valid not_after=2027-13-45T99:99:99Z',
        `::cert name=${'a'.repeat(65)} kind=client status=valid`,
        ' ::cert name=a kind=client status=valid',
        '::cert name=a kind=client status=valid extra=1',
        '::conn name=a real= since=1',
        '::conn name=a real=1.2.3.4:5 since=-1',
        `::conn name=a real=${'x'.repeat(65)} since=1`,
      ];
      const s = parseClientStatus(bad);
      assert.deepEqual(
        s.certs.map((c) => c),
        [{ name: 'a', kind: 'client', status: 'valid' }],
        'only the unparsable date is dropped, the line is kept without it',
      );
      assert.deepEqual(s.connections, []);
    });
  });

  describe('clientStatusesFrom', () => {
    it('declared clients in file order with address, host, expiry and connection; then undeclared certificates', () => {
      const t = valid(
        doc([
          { name: 'zed', vpnIp: '192.168.0.254/24', host: 'zed.local' },
          { name: 'alice', vpnIp: '192.168.0.253/24' },
          { name: 'new', vpnIp: '192.168.0.252/24' },
        ]),
      );
      const pki = parseClientStatus([
        `::cert name=alice kind=client status=revoked not_after=${inDays(10)}`,
        `::cert name=alice kind=client status=valid not_after=${inDays(364)}`,
        `::cert name=zed kind=client status=valid not_after=${inDays(20)}`,
        `::cert name=gone kind=client status=revoked not_after=${inDays(100)}`,
        `::cert name=left kind=client status=valid not_after=${inDays(100)}`,
        '::conn name=zed real=203.0.113.5:1194 since=1796000000',
      ]);
      const list = clientStatusesFrom(t, pki, NOW);
      assert.deepEqual(
        list.map((c) => [c.name, c.declared, c.cert, c.expiresInDays, c.connected]),
        [
          ['zed', true, 'valid', 20, true],
          ['alice', true, 'valid', 364, false],
          ['new', true, 'missing', undefined, false],
          ['gone', false, 'revoked', 100, false],
          ['left', false, 'valid', 100, false],
        ],
      );
      assert.deepEqual(list[0], {
        name: 'zed',
        vpnIp: '192.168.0.254/24',
        host: 'zed.local',
        declared: true,
        cert: 'valid',
        notAfter: inDays(20),
        expiresInDays: 20,
        connected: true,
        connectedSince: '2026-11-30T00:53:20Z',
        realAddress: '203.0.113.5:1194',
      });
      assert.equal(list[3]!.vpnIp, undefined);
    });
  });

  describe('expiryWarnings', () => {
    it('warns 30 days ahead for every kind, sorted soonest first; not at 31 days, not for revoked or missing', () => {
      const certs = parseClientStatus([
        `::cert name=ca kind=ca status=valid not_after=${inDays(29)}`,
        `::cert name=server kind=server status=valid not_after=${inDays(30)}`,
        `::cert name=ros_local_gateway kind=desktop status=valid not_after=${inDays(31)}`,
        `::cert name=alice kind=client status=valid not_after=${inDays(-2)}`,
        `::cert name=bob kind=client status=revoked not_after=${inDays(1)}`,
        '::cert name=carol kind=client status=missing',
      ]).certs;
      const w = expiryWarnings(certs, NOW);
      assert.deepEqual(
        w.map((x) => [x.name, x.days]),
        [
          ['alice', -2],
          ['ca', 29],
          ['server', 30],
        ],
      );
      assert.match(
        w[0]!.message,
        /^the client certificate alice expired on \d{4}-\d{2}-\d{2}: .*rosvpn client rotate alice.*fetch-ovpn --client alice/,
      );
      assert.match(
        w[1]!.message,
        /^the CA certificate ca expires in 29 days .*cannot be renewed in place: make a new PKI.*\/etc\/openvpn\/pki/,
      );
      assert.match(w[2]!.message, /rosvpn provision --host gateway/);
      assert.deepEqual(
        expiryWarnings(certs, NOW, 0).map((x) => x.name),
        ['alice'],
      );
    });
  });

  describe("check's certificate item", () => {
    const t = valid(doc([{ name: 'alice', vpnIp: '192.168.0.254/24' }]));
    const healthy = [
      `::cert name=ca kind=ca status=valid not_after=${inDays(3000)}`,
      `::cert name=server kind=server status=valid not_after=${inDays(800)}`,
      `::cert name=ros_local_gateway kind=desktop status=valid not_after=${inDays(300)}`,
      `::cert name=alice kind=client status=valid not_after=${inDays(25)}`,
    ];
    it('passes with a warning 30 days ahead', () => {
      const r = certificateCheck(t, parseClientStatus(healthy), NOW);
      assert.equal(r.item.status, 'pass');
      assert.match(r.item.msg, /^4 valid; the first to expire: alice on /);
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0]!, /alice expires in 25 days/);
    });
    it('fails when the CA or the server certificate is missing, revoked or expired; warns about clients without one', () => {
      const noServer = certificateCheck(t, parseClientStatus([healthy[0]!]), NOW);
      assert.equal(noServer.item.status, 'fail');
      assert.match(noServer.item.msg, /server's certificate is missing/);
      assert.ok(noServer.warnings.some((w) => /client alice has no valid certificate yet/.test(w)));
      assert.ok(noServer.warnings.some((w) => /the desktop has no valid certificate/.test(w)));
      const expired = certificateCheck(
        t,
        parseClientStatus([`::cert name=ca kind=ca status=valid not_after=${inDays(-1)}`, ...healthy.slice(1)]),
        NOW,
      );
      assert.match(expired.item.msg, /the CA expired on/);
    });
  });

  describe('pickClientAddress', () => {
    it('takes the highest free host address, skipping hosts, the static desktop, its router and other clients', () => {
      assert.equal(pickClientAddress(valid(doc())), '192.168.0.254/24');
      const d = doc([{ name: 'a', vpnIp: '192.168.0.254/24' }]);
      d.desktop = {
        host: 'localhost',
        lanInterface: 'eno1',
        addressing: 'static',
        address: '192.168.0.252/24',
        defaultGateway: '192.168.0.253',
      };
      assert.equal(pickClientAddress(valid(d)), '192.168.0.251/24');
      const small = doc();
      small.robotSubnet = '10.1.2.0/30';
      small.gateway.vpnIp = '10.1.2.1/30';
      small.seconds = [];
      small.desktop = undefined;
      small.clients = [{ name: 'a', vpnIp: '10.1.2.2/30' }];
      assert.throws(
        () => pickClientAddress(valid(small)),
        (e: unknown) => e instanceof ClientError && e.code === 'NO_FREE_ADDRESS' && /10\.1\.2\.0\/30 has no free address/.test(e.message),
      );
    });
  });

  describe('addClientToDocument / removeClientFromDocument', () => {
    const canonical = (d: Doc) => serializeTopology(d);

    it('on a file rosvpn wrote: the same text as a whole-document edit would give', () => {
      for (const before of [doc(), doc([]), doc([{ name: 'bob', vpnIp: '192.168.0.254/24' }])]) {
        const text = canonical(before);
        const added = addClientToDocument(text, 'alice', '192.168.0.200/24');
        const clients = [...(before.clients ?? []), { name: 'alice', vpnIp: '192.168.0.200/24' }];
        assert.equal(added, canonical(applyTopologyEdit(before, { clients })));
        assert.equal(removeClientFromDocument(added, 'alice'), canonical({ ...before, clients: before.clients ?? [] }));
      }
    });

    it('keeps the rest of the text byte for byte: 4-space and tab indentation, CRLF, a BOM, notes and key order', () => {
      const base = doc([{ name: 'bob', vpnIp: '192.168.0.254/24', 'x-owner': 'Bob' }]);
      base['x-note'] = 'kept';
      for (const [indent, nl, bom] of [
        ['    ', '\n', ''],
        ['\t', '\n', ''],
        ['  ', '\r\n', '\ufeff'],
      ] as const) {
        const text = bom + JSON.stringify(base, null, indent).replace(/\n/g, nl) + nl;
        const added = addClientToDocument(text, 'alice', undefined, { host: 'alice.local' });
        const entry = JSON.stringify({ name: 'alice', vpnIp: '192.168.0.253/24', host: 'alice.local' }, null, indent)
          .split('\n')
          .join(nl + indent + indent);
        const bobEnd = text.indexOf('"Bob"') + '"Bob"'.length + nl.length + indent.length * 2 + 1;
        assert.equal(added, text.slice(0, bobEnd) + ',' + nl + indent + indent + entry + text.slice(bobEnd), JSON.stringify(indent));
        assert.ok(added.startsWith(bom));
        assert.equal(removeClientFromDocument(added, 'alice'), text, 'remove undoes add exactly');
      }
    });

    it('a one-line file stays on one line; a file without clients gets the list after its last member', () => {
      const one = JSON.stringify(doc());
      const added = addClientToDocument(one, 'alice');
      assert.equal(added, one.slice(0, -1) + ', "clients": [{"name":"alice","vpnIp":"192.168.0.254/24"}]}');
      assert.equal(removeClientFromDocument(added, 'alice'), one.slice(0, -1) + ', "clients": []}');
      const two = addClientToDocument(added, 'bob');
      assert.match(two, /\[\{"name":"alice","vpnIp":"192\.168\.0\.254\/24"\}, \{"name":"bob","vpnIp":"192\.168\.0\.253\/24"\}\]\}$/);
      assert.equal(
        removeClientFromDocument(two, 'alice'),
        added.replace('"alice","vpnIp":"192.168.0.254/24"', '"bob","vpnIp":"192.168.0.253/24"'),
      );
    });

    it('removes the first, a middle and the last entry cleanly', () => {
      const three = [
        { name: 'a', vpnIp: '192.168.0.254/24' },
        { name: 'b', vpnIp: '192.168.0.253/24' },
        { name: 'c', vpnIp: '192.168.0.252/24' },
      ];
      const text = canonical(doc(three));
      for (const gone of ['a', 'b', 'c']) {
        assert.equal(removeClientFromDocument(text, gone), canonical(doc(three.filter((c) => c.name !== gone))), gone);
      }
    });

    it('refuses a taken name, an unknown name, an address the file cannot hold, and a file with errors, naming the fix', () => {
      const text = canonical(doc([{ name: 'bob', vpnIp: '192.168.0.254/24' }]));
      assert.throws(
        () => addClientToDocument(text, 'bob'),
        (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_EXISTS' && /rosvpn client rotate bob/.test(e.message),
      );
      assert.throws(
        () => addClientToDocument(text, 'alice', '192.168.0.131/24'),
        (e: unknown) =>
          e instanceof ClientError &&
          e.code === 'TOPOLOGY_INVALID' &&
          /clients\[1\]\.vpnIp: 192\.168\.0\.131\/24 is already used by seconds\[0\]\.vpnIp — /.test(e.message),
      );
      assert.throws(() => addClientToDocument(text, 'second'), /clients\[1\]\.name: second is already the name of seconds\[0\]/);
      assert.throws(() => addClientToDocument(text, 'Bad Name'), /clients\[1\]\.name: .*uppercase/);
      assert.throws(
        () => removeClientFromDocument(text, 'carol'),
        (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_UNKNOWN' && /clients: bob$/.test(e.message),
      );
      assert.throws(() => removeClientFromDocument(canonical(doc()), 'carol'), /it has no clients/);
      assert.throws(
        () => addClientToDocument('{ "name": ', 'alice'),
        (e: unknown) => e instanceof ClientError && e.code === 'TOPOLOGY_INVALID' && /line 1/.test(e.message),
      );
      const broken = doc();
      broken.gateway.vpnIp = '10.0.0.1/24';
      assert.throws(
        () => addClientToDocument(canonical(broken), 'alice'),
        /rosvpn\.json has errors; fix them first:\nrosvpn\.json: gateway\.vpnIp/,
      );
    });

    it('a name inside another string is not taken for the entry', () => {
      const text = canonical(
        doc([
          { name: 'alice', vpnIp: '192.168.0.254/24', 'x-note': 'bob' },
          { name: 'bob', vpnIp: '192.168.0.253/24' },
        ]),
      );
      assert.equal(JSON.parse(removeClientFromDocument(text, 'bob')).clients.length, 1);
      assert.equal(JSON.parse(removeClientFromDocument(text, 'bob')).clients[0]['x-note'], 'bob');
    });
  });

  describe('operations refuse before any SSH', () => {
    const t = valid(doc([{ name: 'alice', vpnIp: '192.168.0.254/24' }]));
    it('revokeClient on a topology that still declares the client', async () => {
      await rejects(revokeClient(t, noPool, 'alice'), 'CLIENT_EXISTS', /still in rosvpn\.json's clients: remove it from the file first/);
    });
    it('rotateClient and runPki with rotate of an unknown client', async () => {
      await rejects(
        rotateClient(t, noPool, 'bob'),
        'CLIENT_UNKNOWN',
        /cannot rotate bob: no client of that name in rosvpn\.json \(clients: alice\)/,
      );
      await rejects(runPki(t, noPool, { rotate: ['bob'] }), 'CLIENT_UNKNOWN', /cannot rotate bob/);
    });
  });
});
