// Client identities in VS Code against the lab: a gateway with the real PKI (its CA key encrypted), two
// client hosts with certificates of their own, and code-server + Chromium in the lab's controller namespace
// (no default route). Provision All from VS Code makes the CA (its passphrase typed twice, kept for this
// session) and sets up the client hosts; the Clients node reads their status from the gateway when expanded
// (address, certificate expiry, connected since when and from where); Revoke Client asks in a modal that names
// the client — Cancel changes nothing (negative control), confirming removes it from rosvpn.json, revokes its
// certificate on the gateway and disconnects it now, asking the CA passphrase once after it was forgotten.
import { strict as assert } from 'assert';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { loadLabTopology } from '../../lab/demo';
import { Lab, labDown, type LabHost, type LabState } from '../../lab/lab';
import { OPENVPN_CLIENT_UNIT, OPENVPN_SERVER_UNIT } from '../../src/core/render/openvpn';
import { CLIENT_TAP, type ValidTopology } from '../../src/core/topology/types';
import { validateTopology } from '../../src/core/topology/validate';
import { Artifacts, ensureVsix, poll, tempWorkspace, type TempWorkspace, untilProvisioned, VsCode } from './harness';

const PKI_INDEX = '/etc/openvpn/pki/index.txt';
const REVOKE_DETAIL = 'Its certificate is revoked, it is disconnected now and cannot reconnect; it is removed from rosvpn.json.';

/**
 * known_hosts lines for every lab host under the name the topology reaches it by (the seconds by their cloud
 * IP, through the gateway): the host keys are trusted here so that no modal interrupts; lab.ui.test.ts covers
 * the host key modal.
 */
function knownHosts(s: LabState): string {
  const topo = JSON.parse(fs.readFileSync(s.topologyFile, 'utf8'));
  const nameOf = (h: LabHost): string | undefined => {
    if (h.role === 'gateway') return topo.gateway.host;
    if (h.role === 'desktop') return topo.desktop?.host;
    return [...(topo.seconds ?? []), ...(topo.clients ?? [])].find((x: { name: string }) => x.name === h.name)?.host;
  };
  return s.hosts
    .flatMap((h) => {
      const name = nameOf(h);
      if (!name) return [];
      return ['ed25519', 'ecdsa', 'rsa'].flatMap((k) => {
        const pub = Lab.inHost(h, ['cat', `/etc/ssh/ssh_host_${k}_key.pub`])
          .stdout.trim()
          .split(/\s+/);
        return pub.length >= 2 ? [`${name} ${pub[0]} ${pub[1]}`] : [];
      });
    })
    .join('\n');
}

/** The lab's starter topology with two clients at the top of the robot subnet. */
function labTopology(): ValidTopology {
  const base = loadLabTopology(undefined, 1, () => undefined);
  assert.ok(base);
  const [net, bits] = base.robotSubnet.split('/');
  const top = (n: number) => `${net.split('.').slice(0, 3).join('.')}.${n}/${bits}`;
  const r = validateTopology({
    ...base,
    clients: [
      { name: 'laptop-1', vpnIp: top(254) },
      { name: 'laptop-2', vpnIp: top(253) },
    ],
  });
  assert.ok(r.topology, JSON.stringify(r.diagnostics));
  return r.topology;
}

describe('ROS VPN in VS Code: client identities against the lab', function () {
  this.timeout(900_000);
  const lab = new Lab(`rvcl${process.pid % 1000}`);
  const passphrase = `ca-${randomBytes(12).toString('hex')}`;
  let s: LabState;
  let t: ValidTopology;
  let ws: TempWorkspace;
  let vs: VsCode;
  let gateway: LabHost;

  const row = async (label: string) => (await vs.wb.treeRows()).find((r) => r.label === label);
  const clientHost = (name: string) => s.hosts.find((h) => (h.role as string) === 'client' && h.name === name)!;
  const tapHas = (name: string, ip: string) =>
    Lab.inHost(clientHost(name), ['ip', '-o', '-4', 'addr', 'show', 'dev', CLIENT_TAP]).stdout.includes(` ${ip}/`);
  const revokedOnGateway = (name: string) => new RegExp(`^R\\t.*/CN=${name}$`, 'm').test(Lab.inHost(gateway, ['cat', PKI_INDEX]).stdout);
  const journal = (h: LabHost, unit: string, since: number) =>
    Lab.inHost(h, ['journalctl', '--no-pager', '-q', '-o', 'cat', '-u', unit, '--since', `@${since}`]).stdout;
  const serverPid = () => Lab.inHost(gateway, ['systemctl', 'show', '-p', 'MainPID', '--value', OPENVPN_SERVER_UNIT]).stdout.trim();
  const clientNames = () =>
    (JSON.parse(fs.readFileSync(ws.file('rosvpn.json'), 'utf8')).clients ?? []).map((c: { name: string }) => c.name);

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root; CI runs as root');
    const vsix = ensureVsix();
    t = labTopology();
    s = lab.up(t);
    gateway = s.hosts.find((h) => h.role === 'gateway')!;
    ws = tempWorkspace({ 'rosvpn.json': fs.readFileSync(s.topologyFile, 'utf8') });
    vs = await VsCode.open({
      workspace: ws.dir,
      vsix: [vsix],
      netns: s.controllerNs,
      env: { SSH_AUTH_SOCK: '' },
      artifacts: new Artifacts('extension-clients'),
    });
    fs.mkdirSync(path.join(vs.server.home, '.ssh'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(vs.server.home, '.ssh', 'known_hosts'), `${knownHosts(s)}\n`);
  });

  after(async () => {
    const errors: unknown[] = [];
    await vs?.close().catch((e) => errors.push(e));
    ws?.remove();
    if (s) {
      const left = labDown(lab.prefix);
      assert.deepEqual(left, [], 'lab teardown left something behind');
    }
    if (errors.length) throw errors[0];
  });

  it('Provision All makes the CA (a new passphrase, typed twice, kept for this session) and connects both clients', async () => {
    await vs.wb.openViewContainer('ROS VPN');
    await vs.wb.waitForTreeRow('Clients');
    assert.equal((await row('Clients'))?.description, '2', 'nothing read before the node is expanded');
    await vs.wb.runCommand('ROS VPN: Provision All');
    const asked = await untilProvisioned(vs, /Provision All done/, /Provision All failed/, passphrase);
    assert.deepEqual(asked, [
      'ROS VPN: New CA passphrase (1/2)',
      'ROS VPN: New CA passphrase (2/2)',
      'ROS VPN: Keep the CA passphrase where?',
    ]);
    // The CA key on the gateway is encrypted.
    assert.match(Lab.inHost(gateway, ['cat', '/etc/openvpn/pki/private/ca.key']).stdout, /ENCRYPTED/);
    for (const c of t.clients) {
      const ip = c.vpnIp.split('/')[0];
      await poll(`${c.name}'s tap holding ${ip}`, async () => (tapHas(c.name, ip) ? true : undefined), 120_000, 1000);
    }
    await vs.wb.clearNotifications();
  });

  it('the Clients node, once expanded, lists each client with its address, certificate expiry and "connected"', async () => {
    assert.equal(await row('laptop-1'), undefined, 'collapsed at first');
    await vs.wb.setTreeRowExpanded('Clients', true);
    const today = Date.now();
    for (const c of t.clients) {
      const ip = c.vpnIp.split('/')[0].replace(/\./g, '\\.');
      const r = await poll(
        `${c.name} listed as connected`,
        async () => {
          const x = await row(c.name);
          return x && new RegExp(`^${ip} · expires \\d{4}-\\d{2}-\\d{2} · connected$`).test(x.description) ? x : undefined;
        },
        60_000,
      );
      // Clients get 365-day certificates.
      const expires = Date.parse(/expires (\S+)/.exec(r.description)![1]);
      const days = (expires - today) / 86_400_000;
      assert.ok(days > 363 && days < 367, `${c.name} expires in ${days.toFixed(1)} days`);
    }
    assert.equal((await row('Clients'))?.description, '2 · 2 connected');
    const tip = await vs.wb.treeRowTooltip('laptop-1');
    assert.match(tip, /Connected since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from 203\.0\.113\.\d+:\d+/);
    assert.match(tip, /Certificate valid until \d{4}-\d{2}-\d{2} \(36\d days\)/);
    await vs.shot('02-clients');
  });

  it('negative control: Cancel in the Revoke modal changes nothing — rosvpn.json, the certificate, the connection', async () => {
    await vs.wb.clearNotifications();
    const before = fs.readFileSync(ws.file('rosvpn.json'), 'utf8');
    await vs.wb.treeContextAction('laptop-2', 'Revoke Client');
    const dialog = await vs.wb.waitForDialog(30_000);
    assert.equal(dialog.message, 'Revoke laptop-2?');
    assert.equal(dialog.detail, REVOKE_DETAIL);
    assert.ok(dialog.buttons.includes('Revoke laptop-2') && dialog.buttons.includes('Cancel'), dialog.buttons.join(', '));
    await vs.shot('03-revoke-modal');
    await vs.wb.answerDialog('Cancel');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(fs.readFileSync(ws.file('rosvpn.json'), 'utf8'), before);
    assert.equal(revokedOnGateway('laptop-2'), false);
    assert.ok(tapHas('laptop-2', t.clients[1].vpnIp.split('/')[0]), 'laptop-2 was disconnected');
    assert.match((await row('laptop-2'))!.description, /· connected$/);
    assert.equal((await vs.wb.notifications()).length, 0, 'a cancelled command says nothing');
  });

  it('Revoke Client: laptop-2 leaves rosvpn.json, is revoked and disconnected now, and the tree shows it revoked; laptop-1 stays', async () => {
    // Forgotten (Forget Stored Passwords clears this session's too): the revocation must ask for it.
    await vs.wb.runCommand('ROS VPN: Forget Stored Passwords');
    await vs.wb.waitForNotification(/and 1 CA passphrase\(s\)/);
    await vs.wb.clearNotifications();
    const since = Math.floor(Date.now() / 1000) - 1;
    const pid = serverPid();
    await vs.wb.treeContextAction('laptop-2', 'Revoke Client');
    await vs.wb.waitForDialog(30_000);
    await vs.wb.answerDialog('Revoke laptop-2');
    // It asks once, in a password box.
    let asked = 0;
    await poll(
      'the revocation to finish',
      async () => {
        const n = await vs.wb.notifications();
        const failed = n.find((x) => /Revoke Client failed/.test(x.message));
        if (failed) throw new Error(failed.message);
        if (n.some((x) => /revoked laptop-2: its certificate is revoked and it was disconnected/.test(x.message))) return true;
        const box = await vs.wb.quickInputState().catch(() => undefined);
        if (box && /CA passphrase/.test(box.title) && (await vs.page.locator('.quick-input-widget').isVisible())) {
          asked++;
          await vs.shot('04-ca-passphrase');
          await vs.wb.typeInQuickInput(passphrase);
        }
        return undefined;
      },
      300_000,
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; asked for the CA passphrase ${asked} time(s)`);
    });
    assert.equal(asked, 1, 'the CA passphrase is asked once');
    assert.deepEqual(clientNames(), ['laptop-1']);
    assert.equal(revokedOnGateway('laptop-2'), true, `laptop-2 not revoked in ${PKI_INDEX}`);
    // Disconnected now: its OpenVPN client reconnects at once and the gateway refuses the revoked certificate.
    await poll(
      'the gateway refusing laptop-2',
      async () =>
        journal(gateway, OPENVPN_SERVER_UNIT, since)
          .split('\n')
          .some((l) => /CN=laptop-2\b/.test(l) && /VERIFY ERROR|CRL|revoked|certificate verify failed/i.test(l))
          ? true
          : undefined,
      90_000,
      1000,
    );
    assert.equal(serverPid(), pid, 'the OpenVPN server was restarted (everyone dropped)');
    let seen = '';
    await poll(
      'the tree to show laptop-2 gone or revoked, laptop-1 still connected',
      async () => {
        const rows = await vs.wb.treeRows();
        const find = (l: string) => rows.find((r) => r.label === l);
        seen = rows.map((r) => `${r.label}: ${r.description}`).join(' | ');
        const gone = find('laptop-2');
        return (!gone || /revoked$/.test(gone.description)) &&
          /· connected$/.test(find('laptop-1')?.description ?? '') &&
          /· 1 connected$/.test(find('Clients')?.description ?? '')
          ? true
          : undefined;
      },
      60_000,
    ).catch(async (e: Error) => {
      await vs.shot('05x-tree-after-revoke');
      // What the gateway says now, for the failure: its OpenVPN status file and its log about laptop-2.
      const status = Lab.inHost(gateway, ['sh', '-c', 'cat /run/openvpn-server/status-*.log']).stdout;
      const log = journal(gateway, OPENVPN_SERVER_UNIT, since)
        .split('\n')
        .filter((l) => l.includes('laptop-2'))
        .slice(-15);
      throw new Error(`${e.message}; the tree: ${seen}\ngateway status file:\n${status}\nserver log about laptop-2:\n${log.join('\n')}`);
    });
    assert.ok(tapHas('laptop-1', t.clients[0].vpnIp.split('/')[0]), 'laptop-1 must stay connected');
    assert.doesNotMatch(
      journal(clientHost('laptop-1'), OPENVPN_CLIENT_UNIT, since),
      /Initialization Sequence Completed/,
      'laptop-1 was disconnected and reconnected',
    );
    await vs.shot('05-revoked');
    // The passphrase went to the gateway's RAM for each run, never into the extension's log.
    const logs = vs.server.extensionLogs('rosvpn.rosvpn');
    assert.ok(
      logs.some((l) => /Revoke Client \(laptop-2\)/.test(l.text)),
      'the run is in the log',
    );
    for (const l of logs) assert.ok(!l.text.includes(passphrase), `the CA passphrase is in ${l.file}`);
  });
});
