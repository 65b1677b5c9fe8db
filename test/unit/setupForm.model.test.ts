// The setup form's model: document ↔ form ↔ edit, and the core's diagnostics mapped onto the form's fields.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyTopologyEdit, serializeTopology } from '../../src/core/topology/file';
import { starterTopology } from '../../src/core/topology/init';
import { validateTopology } from '../../src/core/topology/validate';
import {
  coerceForm,
  diagramModel,
  editFromForm,
  fieldPaths,
  formFromDocument,
  mapDiagnostics,
  newClient,
  newSecond,
  validateForm,
  type FormState,
} from '../../src/extension/setupForm/formModel';
import { FIXTURES } from '../support/fixtures';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const readFixture = (name: string): Doc => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Doc;
const save = (raw: Doc, form: FormState): Doc => applyTopologyEdit(raw, editFromForm(form)) as Doc;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('setup form model', () => {
  const fixtures = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has fixtures to round-trip', () => assert.ok(fixtures.length >= 4, fixtures.join(', ')));

  for (const name of fixtures) {
    it(`round-trips ${name} unchanged, byte for byte, with no form errors`, () => {
      const raw = readFixture(name);
      const form = formFromDocument(raw);
      assert.equal(serializeTopology(save(raw, form)), serializeTopology(raw));
      const v = validateForm(form);
      assert.equal(v.errorCount, 0, JSON.stringify(v));
      // The form survives the webview's message boundary.
      assert.deepEqual(coerceForm(clone(form)), form);
    });
  }

  it('starts from the starter topology when there is no document', () => {
    const form = formFromDocument(undefined);
    // Same topology as the starter (defaults it spells out, like tunnel vxlan, are not written).
    assert.deepEqual(validateTopology(save({}, form)).topology, validateTopology(starterTopology()).topology);
    assert.equal(validateForm(form).errorCount, 0);
  });

  it('a bad address shows beside its field with the core validator’s message and fix', () => {
    const raw = readFixture('vxlan-3.json');
    const form = formFromDocument(raw);
    form.seconds[1]!.vpnIp = '192.168.1.5/24';
    const v = validateForm(form);
    assert.equal(v.errorCount, 1);
    assert.deepEqual(Object.keys(v.fields), ['seconds[1].vpnIp']);
    raw.seconds[1].vpnIp = '192.168.1.5/24';
    const core = validateTopology(raw).diagnostics.find((d) => d.path === 'seconds[1].vpnIp');
    assert.ok(core);
    assert.equal(core.message, '192.168.1.5/24 is outside robotSubnet 192.168.0.0/24');
    assert.deepEqual(v.fields['seconds[1].vpnIp'], [core]);
    assert.deepEqual(v.form, []);
    // The diagram marks that second, and only it.
    const d = diagramModel(form, v);
    assert.deepEqual(
      d.columns
        .flat()
        .filter((n) => n.invalid)
        .map((n) => n.id),
      ['second-1'],
    );
  });

  it('an empty required field and a non-numeric port are errors at their own paths', () => {
    const form = formFromDocument(readFixture('vxlan-1.json'));
    form.gateway.cloudIp = '';
    form.gateway.openvpnPort = 'abc';
    const v = validateForm(form);
    assert.deepEqual(Object.keys(v.fields).sort(), ['gateway.cloudIp', 'gateway.openvpnPort']);
    assert.equal(v.fields['gateway.openvpnPort']![0]!.message, '"abc" is a string; expected an integer');
  });

  it('removing a second removes it from the file and keeps the others’ unknown keys', () => {
    const raw = readFixture('vxlan-3.json');
    raw.seconds[2]['x-gpu'] = true;
    const form = formFromDocument(raw);
    form.seconds.splice(1, 1);
    const out = save(raw, form);
    assert.deepEqual(
      out.seconds.map((s: Doc) => s.name),
      ['second', 'second-3'],
    );
    assert.equal(out.seconds[1]['x-gpu'], true);
    assert.equal(validateTopology(out).diagnostics.length, 0);
  });

  it('a new second gets the next free name, free addresses and the gateway jump', () => {
    const form = formFromDocument(readFixture('vxlan-3.json'));
    form.seconds.splice(0, 1); // leaves second-2 and second-3
    const s = newSecond(form);
    assert.equal(s.name, 'second-4');
    assert.equal(s.jump, 'gateway');
    assert.equal(validateForm({ ...form, seconds: [...form.seconds, s] }).errorCount, 0);
    // While the form has errors there is nothing to suggest from: the row starts empty, and says so.
    form.robotSubnet = 'x';
    const blank = newSecond(form);
    assert.deepEqual(blank, { name: 'second-4', host: '', cloudIp: '', vpnIp: '', jump: 'gateway' });
    const v = validateForm({ ...form, seconds: [...form.seconds, blank] });
    for (const p of ['seconds[2].host', 'seconds[2].cloudIp', 'seconds[2].vpnIp']) assert.ok(v.fields[p], p);
  });

  it('empty optional fields are removed from the file; dhcp removes the static address', () => {
    const raw = readFixture('gretap-3.json');
    const form = formFromDocument(raw);
    form.gateway.publicAddress = ' ';
    form.gateway.openvpnPort = '';
    form.ssh.identityFile = '';
    form.seconds[0]!.jump = '';
    form.desktop!.addressing = 'dhcp';
    const out = save(raw, form);
    assert.ok(!('publicAddress' in out.gateway));
    assert.ok(!('openvpnPort' in out.gateway));
    assert.deepEqual(out.ssh, { user: 'ubuntu' });
    assert.ok(!('jump' in out.seconds[0]));
    assert.deepEqual(out.desktop, { host: 'localhost', lanInterface: 'eno1', addressing: 'dhcp' });
    // A missing public address is the core's warning, not an error: Save stays possible.
    const v = validateForm(form);
    assert.equal(v.errorCount, 0);
    assert.equal(v.fields['gateway.publicAddress']![0]!.severity, 'warning');
    // Unchecking the desktop section removes the desktop.
    delete form.desktop;
    assert.ok(!('desktop' in save(raw, form)));
  });

  it('unknown keys are not in the model, and saving keeps them in the file', () => {
    const raw = readFixture('vxlan-1.json');
    raw['x-owner'] = 'robotics team';
    raw.gateway['x-ami'] = 'ami-0123';
    raw.desktop['x-room'] = 'lab 2';
    raw.mtu = 1400;
    const form = formFromDocument(raw);
    assert.ok(!/x-owner|x-ami|x-room|mtu/.test(JSON.stringify(form)), JSON.stringify(form));
    form.gateway.vpnIp = '192.168.0.140/24';
    const out = save(raw, form);
    assert.equal(out['x-owner'], 'robotics team');
    assert.equal(out.gateway['x-ami'], 'ami-0123');
    assert.equal(out.desktop['x-room'], 'lab 2');
    assert.equal(out.mtu, 1400);
    assert.equal(out.gateway.vpnIp, '192.168.0.140/24');
  });

  it('saving keeps the deployment id and the instance ids the cloud commands wrote', () => {
    const raw = readFixture('vxlan-1.json');
    raw.deployment = '3f9c0a7d5e2b8c41';
    raw.gateway.instanceId = 'i-0123456789abcdef0';
    const form = formFromDocument(raw);
    form.name = 'renamed';
    const out = save(raw, form);
    assert.equal(out.deployment, '3f9c0a7d5e2b8c41');
    assert.equal(out.gateway.instanceId, 'i-0123456789abcdef0');
    assert.equal(out.name, 'renamed');
    assert.ok(validateTopology(out).topology);
  });

  it('tolerates partial and wrongly typed documents, pointing at the broken fields', () => {
    const form = formFromDocument({ name: 'demo', robotSubnet: 7, gateway: 'x', seconds: [null, { name: 'a' }], desktop: [] });
    assert.equal(form.robotSubnet, '7');
    assert.equal(form.gateway.host, '');
    assert.equal(form.seconds.length, 2);
    assert.equal(form.desktop, undefined);
    const v = validateForm(form);
    assert.ok(v.errorCount > 0);
    for (const p of ['robotSubnet', 'gateway.host', 'gateway.cloudIp', 'seconds[0].name', 'seconds[1].vpnIp']) {
      assert.ok(
        v.fields[p]?.some((d) => d.severity === 'error'),
        `${p}: ${JSON.stringify(v)}`,
      );
    }
  });

  it('coerces an untrusted message to the form shape', () => {
    const form = coerceForm({
      name: 5,
      tunnel: 'evil',
      gateway: { host: { toString: 1 } },
      seconds: 'x',
      ssh: null,
      desktop: { addressing: 'static' },
    });
    assert.equal(form.name, '5');
    assert.equal(form.tunnel, 'vxlan');
    assert.equal(form.gateway.host, '');
    assert.deepEqual(form.seconds, []);
    assert.deepEqual(form.ssh, { user: '', identityFile: '', jump: '' });
    assert.equal(form.desktop?.addressing, 'static');
  });

  it('diagnostics for fields the form does not show go to the form-level list', () => {
    const form = formFromDocument(readFixture('vxlan-1.json'));
    const v = mapDiagnostics(
      [
        { severity: 'error', path: 'mtu', message: 'm' },
        { severity: 'error', path: 'desktop.address', message: 'dhcp hides it' },
        { severity: 'warning', path: 'seconds[0].host', message: 'w' },
      ],
      form,
    );
    assert.deepEqual(
      v.form.map((d) => d.path),
      ['mtu', 'desktop.address'],
    );
    assert.deepEqual(Object.keys(v.fields), ['seconds[0].host']);
    assert.equal(v.errorCount, 2);
    // No seconds at all is the core's warning about the list itself.
    const none = validateForm({ ...form, seconds: [] });
    assert.deepEqual(
      none.form.map((d) => [d.severity, d.path]),
      [['warning', 'seconds']],
    );
    assert.ok(!fieldPaths({ ...form, seconds: [] }).some((p) => p.startsWith('seconds')));
  });

  it('the diagram follows the topology: LAN, desktop, gateway, seconds, with addresses and link labels', () => {
    const form = formFromDocument(readFixture('gretap-3.json'));
    const d = diagramModel(form);
    assert.deepEqual(
      d.columns.map((c) => c.map((n) => n.id)),
      [['robot'], ['desktop'], ['gateway'], ['second-0', 'second-1', 'second-2']],
    );
    assert.deepEqual(d.links, ['bridge', 'OpenVPN :1194', 'GRETAP']);
    assert.deepEqual(d.columns[2]![0]!.lines, ['44.232.53.80', 'cloud 172.31.1.11', 'VPN 192.168.0.130']);
    delete form.desktop;
    form.seconds = [];
    assert.deepEqual(diagramModel(form).links, ['OpenVPN :1194']);
  });
});

describe('setup form model: clients', () => {
  const withClients = (): Doc => ({
    ...readFixture('vxlan-3.json'),
    clients: [
      { name: 'alice-laptop', vpnIp: '192.168.0.150/24', 'x-owner': 'alice' },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7', user: 'robot' },
    ],
  });

  it('reads the clients into rows, shows a field for each, and survives the message boundary', () => {
    const form = formFromDocument(withClients());
    assert.deepEqual(form.clients, [
      { name: 'alice-laptop', vpnIp: '192.168.0.150/24', host: '' },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: '10.0.0.7' },
    ]);
    assert.deepEqual(
      fieldPaths(form).filter((p) => p.startsWith('clients')),
      ['clients[0].name', 'clients[0].vpnIp', 'clients[0].host', 'clients[1].name', 'clients[1].vpnIp', 'clients[1].host'],
    );
    assert.deepEqual(coerceForm(clone(form)), form);
    assert.deepEqual(coerceForm({ clients: [{ name: 7, vpnIp: null, host: 'h', evil: 1 }] }).clients, [
      { name: '7', vpnIp: '', host: 'h' },
    ]);
    assert.deepEqual(coerceForm({ clients: 'x' }).clients, []);
    assert.deepEqual(formFromDocument(readFixture('vxlan-1.json')).clients, []);
  });

  it('the edit lists the rows (an empty SSH host removed); no rows, no clients key', () => {
    const form = formFromDocument(withClients());
    form.clients[1]!.host = ' ';
    form.clients[0]!.vpnIp = ' 192.168.0.160/24 ';
    assert.deepEqual(editFromForm(form).clients, [
      { name: 'alice-laptop', vpnIp: '192.168.0.160/24', host: undefined },
      { name: 'field-pc', vpnIp: '192.168.0.151/24', host: undefined },
    ]);
    form.clients = [];
    const edit = editFromForm(form);
    assert.ok(Object.prototype.hasOwnProperty.call(edit, 'clients') && edit.clients === undefined, 'removes the key');
    assert.ok(!('clients' in save(readFixture('vxlan-1.json'), form)));
  });

  it('a new client row: the next free name and the highest free address of the robot subnet, downward', () => {
    const form = formFromDocument(readFixture('vxlan-3.json'));
    const a = newClient(form);
    assert.deepEqual(a, { name: 'client-1', vpnIp: '192.168.0.254/24', host: '' });
    form.clients.push(a, { name: 'client-3', vpnIp: '192.168.0.253/24', host: '' });
    assert.deepEqual(newClient(form), { name: 'client-4', vpnIp: '192.168.0.252/24', host: '' });
    form.robotSubnet = 'not a subnet';
    assert.equal(newClient(form).vpnIp, '', 'nothing to suggest from');
  });

  it('the diagram counts the clients on the gateway', () => {
    const d = diagramModel(formFromDocument(withClients()));
    assert.deepEqual(
      d.columns
        .flat()
        .find((n) => n.id === 'gateway')!
        .lines.at(-1),
      '2 clients',
    );
  });

  it('saving adds, edits and removes clients, keeping the keys the form does not show', () => {
    const raw = withClients();
    const form = formFromDocument(raw);
    form.clients[1]!.vpnIp = '192.168.0.155/24';
    form.clients.splice(0, 1);
    form.clients.push(newClient(form));
    const out = save(raw, form);
    assert.deepEqual(out.clients, [
      { name: 'field-pc', vpnIp: '192.168.0.155/24', host: '10.0.0.7', user: 'robot' },
      { name: 'client-2', vpnIp: '192.168.0.254/24' },
    ]);
    assert.equal(validateForm(form).errorCount, 0);
    assert.equal(serializeTopology(save(raw, formFromDocument(raw))), serializeTopology(raw), 'round trip byte for byte');
  });

  it('a client clash shows beside its field with the core validator’s message', () => {
    const form = formFromDocument(withClients());
    form.clients[1]!.name = 'alice-laptop';
    form.clients[0]!.vpnIp = '192.168.0.131/24'; // second's address
    form.clients.push({ name: 'gateway', vpnIp: '10.9.9.9/24', host: '' });
    const v = validateForm(form);
    for (const p of ['clients[1].name', 'clients[0].vpnIp', 'clients[2].name', 'clients[2].vpnIp'])
      assert.ok(
        v.fields[p]?.some((d) => d.severity === 'error'),
        `${p}: ${JSON.stringify(v)}`,
      );
  });
});
