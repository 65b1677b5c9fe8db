// Core helpers behind the VS Code commands: Add Second Instance suggestions, pasted `export` lines,
// the journal follow command and its JSON lines, and the OpenSSH command line of "Open SSH Terminal".
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { formatJournalJson, journalFollowCommand } from '../../src/core/provision/logs';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../../src/core/render/openvpn';
import { NET_UNIT } from '../../src/core/render/network';
import { opensshArgs } from '../../src/core/ssh/openssh';
import { parseExportLines, suggestSecond } from '../../src/core/topology/edit';
import { topologyFromEnv } from '../../src/core/topology/init';
import { validateTopology } from '../../src/core/topology/validate';
import { loadFixture } from '../support/fixtures';

describe('UI core helpers', () => {
  it('suggestSecond picks the next name and free cloud and VPN addresses, and the result validates', () => {
    const t = loadFixture('vxlan-3');
    const s = suggestSecond(t);
    assert.equal(s.name, 'second-4');
    assert.equal(s.cloudIp, '172.31.1.15');
    assert.equal(s.vpnIp, '192.168.0.134/24');
    const r = validateTopology({ ...t, seconds: [...t.seconds, s] });
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
  });

  it('suggestSecond never reuses an address the desktop or gateway has', () => {
    const t = loadFixture('vxlan-1');
    const s = suggestSecond({ ...t, seconds: [] } as typeof t);
    assert.equal(s.name, 'second');
    assert.notEqual(s.cloudIp, t.gateway.cloudIp);
    assert.notEqual(s.vpnIp.split('/')[0], t.gateway.vpnIp.split('/')[0]);
  });

  it("parseExportLines reads the guide's export lines, quoted lists and ; separators, and nothing else", () => {
    const vars = parseExportLines(
      'export ROSVPN_GATEWAY_CLOUD_IP=172.31.1.11\nexport ROSVPN_SECOND_CLOUD_IP="172.31.1.12 172.31.1.13"; ROSVPN_GATEWAY_VPN_IP=192.168.0.130/24 ' +
        "export ROSVPN_SECOND_VPN_IP='192.168.0.131/24,192.168.0.132/24'\nexport HOME=/root PATH=/bin",
    );
    assert.deepEqual(vars, {
      ROSVPN_GATEWAY_CLOUD_IP: '172.31.1.11',
      ROSVPN_SECOND_CLOUD_IP: '172.31.1.12 172.31.1.13',
      ROSVPN_GATEWAY_VPN_IP: '192.168.0.130/24',
      ROSVPN_SECOND_VPN_IP: '192.168.0.131/24,192.168.0.132/24',
    });
    const r = topologyFromEnv(vars);
    assert.equal(r.topology?.seconds?.length, 2);
  });

  it('journalFollowCommand: history first, then --after-cursor on resume; hostile units and cursors refused', () => {
    assert.equal(
      journalFollowCommand('openvpn-server@rosvpn.service', { lines: 10 }),
      "journalctl --no-pager -o json -u 'openvpn-server@rosvpn.service' -n 10 -f",
    );
    assert.equal(
      journalFollowCommand('rosvpn-net.service', { afterCursor: 's=1a;i=2f;b=3;m=4;t=5;x=6' }),
      "journalctl --no-pager -o json -u 'rosvpn-net.service' --after-cursor='s=1a;i=2f;b=3;m=4;t=5;x=6' -f",
    );
    assert.throws(() => journalFollowCommand("x'; reboot; '"), /invalid unit name/);
    assert.throws(() => journalFollowCommand('a.service', { afterCursor: "s=1'; reboot" }), /invalid journal cursor/);
  });

  it('formatJournalJson: timestamp, host, ident[pid] and message, with the cursor; byte-array messages; non-JSON passes', () => {
    const j = formatJournalJson(
      JSON.stringify({
        __CURSOR: 's=ab;i=1',
        __REALTIME_TIMESTAMP: '1764220200123456',
        _HOSTNAME: 'gw',
        SYSLOG_IDENTIFIER: 'openvpn',
        _PID: '42',
        MESSAGE: 'Initialization Sequence Completed',
      }),
    );
    assert.equal(j.text, '2025-11-27T05:10:00.123Z gw openvpn[42]: Initialization Sequence Completed');
    assert.equal(j.cursor, 's=ab;i=1');
    assert.equal(formatJournalJson(JSON.stringify({ MESSAGE: [104, 105, 255] })).text, 'hi\ufffd');
    assert.deepEqual(formatJournalJson('-- No entries --'), { text: '-- No entries --' });
  });

  it('opensshArgs: user@host, port, identity and the jump chain, each as its own argument', () => {
    const gw = { label: 'gateway', host: '44.232.53.80', user: 'ubuntu', identityFile: '/k' };
    assert.deepEqual(opensshArgs({ label: 's', host: '172.31.1.12', user: 'ubuntu', port: 2222, identityFile: '/k', jump: gw }), [
      '-p',
      '2222',
      '-i',
      '/k',
      '-J',
      'ubuntu@44.232.53.80',
      'ubuntu@172.31.1.12',
    ]);
    assert.deepEqual(opensshArgs({ label: 'd', host: 'desk' }), ['desk']);
    assert.deepEqual(opensshArgs({ label: 'd', host: 'desk' }, { knownHostsFile: '/h/.ssh/known_hosts', configFile: '/h/.ssh/config' }), [
      '-F',
      '/h/.ssh/config',
      '-o',
      'UserKnownHostsFile=/h/.ssh/known_hosts',
      'desk',
    ]);
  });

  it('the log task names the same units the core renders', () => {
    const src = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'extension', 'tasks', 'logTasks.ts'), 'utf8');
    for (const unit of [OPENVPN_SERVER_UNIT, OPENVPN_CLIENT_UNIT, NET_UNIT]) assert.ok(src.includes(`'${unit}'`), unit);
  });
});
