// The setup form's model, shared by the webview script and the extension: no `vscode`, no node modules,
// because it is bundled into the webview together with the core's validator.
import { suggestSecond } from '../../core/topology/edit';
import { parseCidr } from '../../core/topology/ipv4';
import { secondName, starterTopology } from '../../core/topology/init';
import type { ClientConfig, Diagnostic, TopologyDocument, TunnelMode } from '../../core/topology/types';
import { validateTopology } from '../../core/topology/validate';

/**
 * The shape of core/topology/file.ts's TopologyEdit (what TopologyStore.edit takes), restated because
 * file.ts needs node's fs and cannot be part of the webview, not even for its types.
 */
export type TopologyEdit = { [K in keyof TopologyDocument]?: TopologyDocument[K] | undefined };

// Every value is the text of an input, so the form can hold what the user typed, valid or not; the
// validator judges the document built from it.
export interface SecondRow {
  name: string;
  host: string;
  cloudIp: string;
  vpnIp: string;
  jump: string;
}
/** A client (a machine with a certificate of its own): the form shows its name, address and optional SSH host. */
export interface ClientRow {
  name: string;
  vpnIp: string;
  host: string;
}
export interface DesktopFields {
  host: string;
  lanInterface: string;
  addressing: 'dhcp' | 'static';
  address: string;
  defaultGateway: string;
}
export interface FormState {
  name: string;
  robotSubnet: string;
  tunnel: TunnelMode;
  gateway: { host: string; publicAddress: string; cloudIp: string; vpnIp: string; openvpnPort: string };
  seconds: SecondRow[];
  ssh: { user: string; identityFile: string; jump: string };
  desktop?: DesktopFields;
  clients: ClientRow[];
}

/** Diagnostics sorted to where the form shows them: beside a field (keyed by its path) or above the form. */
export interface FormValidation {
  fields: Record<string, Diagnostic[]>;
  form: Diagnostic[];
  errorCount: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
/** A form cannot usefully show more rows than the validator accepts values; this also bounds hostile input. */
const MAX_SECONDS = 200;
const MAX_CLIENTS = 200;

/**
 * A new second row: the core's suggestion (next free name and addresses) when the form is valid so far,
 * otherwise the next free name and empty addresses; reached through the cloud gateway as in the guide.
 */
export function newSecond(form: FormState): SecondRow {
  const valid = validateTopology(documentFromForm(form)).topology;
  if (valid) {
    const s = suggestSecond(valid);
    return { name: s.name, host: s.host, cloudIp: s.cloudIp, vpnIp: s.vpnIp, jump: s.jump ?? '' };
  }
  const used = new Set(form.seconds.map((s) => s.name));
  let i = form.seconds.length;
  while (used.has(secondName(i))) i++;
  return { name: secondName(i), host: '', cloudIp: '', vpnIp: '', jump: 'gateway' };
}

/**
 * A new client row: the next free name `client-N` and the highest free address of the robot subnet (clients
 * fill the subnet from the top down, as `rosvpn client add` does), with the subnet's prefix; no SSH host.
 */
export function newClient(form: FormState): ClientRow {
  const names = new Set([...form.clients.map((c) => c.name), ...form.seconds.map((s) => s.name)]);
  let i = form.clients.length + 1;
  while (names.has(`client-${i}`)) i++;
  const net = parseCidr(form.robotSubnet.trim());
  const used = new Set(
    [
      form.gateway.vpnIp,
      ...form.seconds.map((s) => s.vpnIp),
      ...form.clients.map((c) => c.vpnIp),
      form.desktop?.address ?? '',
      form.desktop?.defaultGateway ?? '',
    ].map((c) => c.trim().split('/')[0]),
  );
  let vpnIp = '';
  if (net.ok && net.prefix <= 30) {
    const [a, b, c, d] = net.broadcast.toByteArray();
    const top = ((a * 256 + b) * 256 + c) * 256 + d - 1;
    const bottom = top - Math.min(4096, 2 ** (32 - net.prefix) - 3);
    for (let n = top; n > bottom && !vpnIp; n--) {
      const ip = [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join('.');
      if (!used.has(ip)) vpnIp = `${ip}/${net.prefix}`;
    }
  }
  return { name: `client-${i}`, vpnIp, host: '' };
}

export function newDesktop(): DesktopFields {
  return { host: 'localhost', lanInterface: '', addressing: 'dhcp', address: '', defaultGateway: '' };
}

/**
 * The form for a rosvpn.json as parsed (any JSON value, or undefined when there is no file). Wrong types read
 * as empty fields, so the validator points at them; no object at all starts from the starter topology.
 */
export function formFromDocument(raw: unknown): FormState {
  const doc: Obj = isObj(raw) ? raw : (starterTopology() as unknown as Obj);
  const gw = obj(doc.gateway);
  const ssh = obj(doc.ssh);
  const seconds = (Array.isArray(doc.seconds) ? doc.seconds : []).slice(0, MAX_SECONDS).map((v) => {
    const s = obj(v);
    return { name: text(s.name), host: text(s.host), cloudIp: text(s.cloudIp), vpnIp: text(s.vpnIp), jump: text(s.jump) };
  });
  const d = isObj(doc.desktop) ? doc.desktop : undefined;
  const clients = (Array.isArray(doc.clients) ? doc.clients : []).slice(0, MAX_CLIENTS).map((v) => {
    const c = obj(v);
    return { name: text(c.name), vpnIp: text(c.vpnIp), host: text(c.host) };
  });
  return {
    name: text(doc.name),
    robotSubnet: text(doc.robotSubnet),
    tunnel: doc.tunnel === 'gretap' ? 'gretap' : 'vxlan',
    gateway: {
      host: text(gw.host),
      publicAddress: text(gw.publicAddress),
      cloudIp: text(gw.cloudIp),
      vpnIp: text(gw.vpnIp),
      openvpnPort: text(gw.openvpnPort),
    },
    seconds,
    ssh: { user: text(ssh.user), identityFile: text(ssh.identityFile), jump: text(ssh.jump) },
    ...(d
      ? {
          desktop: {
            host: text(d.host),
            lanInterface: text(d.lanInterface),
            addressing: d.addressing === 'static' ? 'static' : 'dhcp',
            address: text(d.address),
            defaultGateway: text(d.defaultGateway),
          },
        }
      : {}),
    clients,
  };
}

/**
 * A FormState from an untrusted message (the webview): the same shape with every value coerced to text.
 * The extension never uses a webview's object as is.
 */
export function coerceForm(v: unknown): FormState {
  const f = obj(v);
  const gw = obj(f.gateway);
  const ssh = obj(f.ssh);
  const d = isObj(f.desktop) ? f.desktop : undefined;
  // The form's field names are the document's, so formFromDocument does the coercion (text, the tunnel and
  // addressing choices, the row limit); only the form's own fields are passed on.
  return formFromDocument({
    name: text(f.name),
    robotSubnet: text(f.robotSubnet),
    tunnel: f.tunnel,
    gateway: { ...pick(gw, ['host', 'publicAddress', 'cloudIp', 'vpnIp', 'openvpnPort']) },
    seconds: Array.isArray(f.seconds) ? f.seconds.map((s) => pick(obj(s), ['name', 'host', 'cloudIp', 'vpnIp', 'jump'])) : [],
    ssh: pick(ssh, ['user', 'identityFile', 'jump']),
    ...(d ? { desktop: pick(d, ['host', 'lanInterface', 'addressing', 'address', 'defaultGateway']) } : {}),
    clients: Array.isArray(f.clients) ? f.clients.map((c) => pick(obj(c), ['name', 'vpnIp', 'host'])) : [],
  });
}

function pick(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(o, k)) out[k] = o[k];
  return out;
}

/** Optional fields: an empty input removes the key. */
const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** The port as a number when it is one; otherwise the text, so the validator names the field. */
function port(s: string): number | undefined {
  const t = opt(s);
  if (t === undefined) return undefined;
  return (/^\d{1,6}$/.test(t) ? Number(t) : t) as number;
}

/**
 * The edit that makes rosvpn.json say what the form says (TopologyStore.edit / applyTopologyEdit semantics):
 * keys set to `undefined` are removed; fields the form does not show, and unknown keys, are left to the file.
 * Required fields stay as typed (even empty), so the validator reports them at their own path.
 */
export function editFromForm(form: FormState): TopologyEdit {
  const d = form.desktop;
  const isStatic = d?.addressing === 'static';
  return {
    name: form.name.trim(),
    robotSubnet: form.robotSubnet.trim(),
    tunnel: form.tunnel,
    ssh: { user: opt(form.ssh.user), identityFile: opt(form.ssh.identityFile), jump: opt(form.ssh.jump) },
    gateway: {
      host: form.gateway.host.trim(),
      publicAddress: opt(form.gateway.publicAddress),
      cloudIp: form.gateway.cloudIp.trim(),
      vpnIp: form.gateway.vpnIp.trim(),
      openvpnPort: port(form.gateway.openvpnPort),
    },
    seconds: form.seconds.map((s) => ({
      name: s.name.trim(),
      host: s.host.trim(),
      cloudIp: s.cloudIp.trim(),
      vpnIp: s.vpnIp.trim(),
      jump: opt(s.jump),
    })),
    // With dhcp the static fields are ignored by rosvpn (and warned about), so they are removed, not kept stale.
    desktop: d
      ? {
          host: d.host.trim(),
          lanInterface: d.lanInterface.trim(),
          addressing: d.addressing,
          address: isStatic ? opt(d.address) : undefined,
          defaultGateway: isStatic ? opt(d.defaultGateway) : undefined,
        }
      : undefined,
    // No rows: no `clients` key (a file that never had one keeps not having one).
    clients: form.clients.length
      ? form.clients.map((c) => ({ name: c.name.trim(), vpnIp: c.vpnIp.trim(), host: opt(c.host) }) as ClientConfig)
      : undefined,
  };
}

/** The edit as a standalone document (what a new rosvpn.json would hold): `undefined` keys dropped. */
export function documentFromForm(form: FormState): TopologyDocument {
  return JSON.parse(JSON.stringify(editFromForm(form))) as TopologyDocument;
}

/** The diagnostic path of every field the form currently shows (the webview's `data-field` values). */
export function fieldPaths(form: FormState): string[] {
  const paths = [
    'name',
    'robotSubnet',
    'tunnel',
    'gateway.host',
    'gateway.publicAddress',
    'gateway.cloudIp',
    'gateway.vpnIp',
    'gateway.openvpnPort',
  ];
  form.seconds.forEach((_, i) => paths.push(...['name', 'host', 'cloudIp', 'vpnIp', 'jump'].map((k) => `seconds[${i}].${k}`)));
  paths.push('ssh.user', 'ssh.identityFile', 'ssh.jump');
  if (form.desktop) {
    paths.push('desktop.host', 'desktop.lanInterface', 'desktop.addressing');
    if (form.desktop.addressing === 'static') paths.push('desktop.address', 'desktop.defaultGateway');
  }
  form.clients.forEach((_, i) => paths.push(...['name', 'vpnIp', 'host'].map((k) => `clients[${i}].${k}`)));
  return paths;
}

/** Sort diagnostics to the fields of `form`; paths the form has no input for go to the form-level list. */
export function mapDiagnostics(diagnostics: readonly Diagnostic[], form: FormState): FormValidation {
  const known = new Set(fieldPaths(form));
  const out: FormValidation = { fields: {}, form: [], errorCount: 0 };
  for (const d of diagnostics) {
    if (d.severity === 'error') out.errorCount++;
    if (known.has(d.path)) (out.fields[d.path] ??= []).push(d);
    else out.form.push(d);
  }
  return out;
}

/** Validate what the form says with the core's own validator (the same one the CLI and the store use). */
export function validateForm(form: FormState): FormValidation {
  return mapDiagnostics(validateTopology(documentFromForm(form)).diagnostics, form);
}

// ---- the diagram ----------------------------------------------------------------------------------------

export interface DiagramNode {
  id: string;
  title: string;
  lines: string[];
  /** Some field of this node has an error. */
  invalid: boolean;
}

/** Columns left to right (robot LAN, desktop, gateway, seconds) and the label of the link between each pair. */
export interface DiagramModel {
  columns: DiagramNode[][];
  links: string[];
}

const host = (cidr: string): string => cidr.split('/')[0] ?? cidr;

export function diagramModel(form: FormState, v?: FormValidation): DiagramModel {
  const bad = (prefix: string): boolean =>
    !!v &&
    Object.entries(v.fields).some(([p, ds]) => (p === prefix || p.startsWith(`${prefix}.`)) && ds.some((d) => d.severity === 'error'));
  const or = (s: string, missing: string): string => s.trim() || missing;
  const columns: DiagramNode[][] = [
    [{ id: 'robot', title: 'Robot LAN', lines: [or(form.robotSubnet, 'subnet?')], invalid: bad('robotSubnet') }],
  ];
  const links: string[] = [];
  const d = form.desktop;
  if (d) {
    columns.push([
      {
        id: 'desktop',
        title: 'Desktop gateway',
        lines: [
          or(d.host, 'host?'),
          `${or(d.lanInterface, 'NIC?')} · ${d.addressing === 'static' ? or(host(d.address), 'address?') : 'DHCP'}`,
        ],
        invalid: bad('desktop'),
      },
    ]);
    links.push('bridge');
  }
  const g = form.gateway;
  columns.push([
    {
      id: 'gateway',
      title: 'Cloud gateway',
      lines: [
        or(g.publicAddress, 'public address?'),
        `cloud ${or(g.cloudIp, '?')}`,
        `VPN ${or(host(g.vpnIp), '?')}`,
        // Clients reach the gateway over OpenVPN like the desktop; the picture only counts them.
        ...(form.clients.length ? [`${form.clients.length} client${form.clients.length === 1 ? '' : 's'}`] : []),
      ],
      invalid: bad('gateway'),
    },
  ]);
  links.push(`OpenVPN :${or(g.openvpnPort, '1194')}`);
  if (form.seconds.length > 0) {
    columns.push(
      form.seconds.map((s, i) => ({
        id: `second-${i}`,
        title: or(s.name, `second ${i + 1}`),
        lines: [`cloud ${or(s.cloudIp, '?')}`, `VPN ${or(host(s.vpnIp), '?')}`],
        invalid: bad(`seconds[${i}]`),
      })),
    );
    links.push(form.tunnel === 'gretap' ? 'GRETAP' : 'VXLAN');
  }
  return { columns, links };
}
