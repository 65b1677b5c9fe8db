// Validation of rosvpn.json: a hostile-value pre-pass, JSON Schema structure (draft-07, @cfworker/json-schema),
// then the network rules (rules/: subnets, addresses, desktop, cloud, ports, names, clients, ssh). Only a topology without error diagnostics comes out
// as a ValidTopology, normalized (defaults filled in, unknown keys dropped, a deep copy).
// Never throws on any input; never imports `vscode`.

import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import { DEFAULTS, type Diagnostic, type SecondConfig, type SshSettings, type ValidTopology } from './types';
import { parseCidr, parseIpv4 } from './ipv4';
import { GLOBAL_STRING_CAP, checkHostileString, describeType, formatPath, quote, show, type PathSegment, type StringPolicy } from './text';
import { ROSVPN_SCHEMA, enumOf, itemsOf, nodeAt, numberKeyword, propertiesOf, type SchemaNode } from './schema';
import { robotLanRules } from './rules/addresses';
import { cloudAddressRules, publicAddressRule } from './rules/cloud';
import { EXAMPLE_CLIENT, EXAMPLE_SECOND, asObject, isPlainObject, valueAt, type Doc, type RuleContext } from './rules/context';
import { clientRules } from './rules/clients';
import { desktopRules } from './rules/desktop';
import { secondNameRules } from './rules/names';
import { gatewayPortRules } from './rules/ports';
import { subnetRules } from './rules/subnets';
import { jumpRules } from './rules/ssh';

export interface ValidationResult {
  diagnostics: Diagnostic[];
  /** Set only when no diagnostic has severity `error`. */
  topology?: ValidTopology;
}

/** Nesting deeper than this anywhere in the document is rejected (resource bomb). */
export const MAX_DEPTH = 32;
/** More values than this anywhere in the document is rejected (resource bomb). */
export const MAX_NODES = 10_000;
/** At most this many hostile-value errors are listed; the rest are summarized. */
const MAX_LISTED_ERRORS = 50;

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * One line per diagnostic:
 * `rosvpn.json: seconds[1].vpnIp: 192.168.1.5/24 is outside robotSubnet 192.168.0.0/24 — choose a free address inside 192.168.0.0/24`
 * Warnings read `rosvpn.json: warning: gateway.publicAddress: ...`.
 */
export function formatDiagnostic(d: Diagnostic, file = 'rosvpn.json'): string {
  const severity = d.severity === 'warning' ? 'warning: ' : '';
  const where = d.path ? `${d.path}: ` : '';
  const fix = d.fix ? ` — ${d.fix}` : '';
  return `${file}: ${severity}${where}${d.message}${fix}`;
}

export function validateTopology(raw: unknown): ValidationResult {
  try {
    return validateInner(raw);
  } catch (e) {
    // Defensive: no input should get here. Report instead of throwing.
    const detail = e instanceof Error ? e.message : String(e);
    return {
      diagnostics: [
        {
          severity: 'error',
          path: '',
          message: `internal error while validating: ${quote(detail, 200)}`,
          fix: 'please report this as a rosvpn bug, with the file',
        },
      ],
    };
  }
}

// ---- diagnostics collector ----------------------------------------------------------------------------------

class Collector {
  readonly diagnostics: Diagnostic[] = [];
  /** Paths that already have an error; later rules skip them so each bad field gets one message. */
  readonly bad = new Set<string>();

  error(path: string | readonly PathSegment[], message: string, fix: string): void {
    const p = typeof path === 'string' ? path : formatPath(path);
    this.bad.add(p);
    this.diagnostics.push({ severity: 'error', path: p, message, fix });
  }

  warn(path: string | readonly PathSegment[], message: string, fix: string): void {
    const p = typeof path === 'string' ? path : formatPath(path);
    this.diagnostics.push({ severity: 'warning', path: p, message, fix });
  }

  sorted(): Diagnostic[] {
    return [...this.diagnostics.filter((d) => d.severity === 'error'), ...this.diagnostics.filter((d) => d.severity !== 'error')];
  }
}

function setOwn(obj: Doc, key: string, value: unknown): void {
  // defineProperty, not assignment: a key named "__proto__" must stay an ordinary key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---- 1. the pre-pass: resource limits, hostile strings, a JSON-only snapshot ------------------------------

/** How strings of a known field are checked, from its key and schema node. */
function policyFor(segments: readonly PathSegment[], node: SchemaNode): StringPolicy {
  const key = segments[segments.length - 1];
  const maxLength = Math.min(numberKeyword(node, 'maxLength') ?? GLOBAL_STRING_CAP, GLOBAL_STRING_CAP);
  if (segments.length === 1 && key === '$schema') return { maxLength, inert: true };
  if (key === 'identityFile') return { maxLength, allow: '\\' };
  if (key === 'host' || key === 'user' || key === 'jump') return { maxLength, sshArgument: true };
  return { maxLength };
}

const FIELD_LIMIT_NOTES: Record<string, string> = {
  lanInterface: 'Linux interface names are at most 15 characters',
  host: 'host names are at most 253 characters',
  user: 'user names are at most 32 characters',
};

interface Snapshot {
  doc?: Doc;
  /** A structural problem (not an object, too deep, too big, not JSON): nothing else was looked at. */
  fatal: boolean;
}

/** The pre-pass walk: counts the values, rejects hostile ones, and copies the document as plain JSON. */
class SnapshotWalk {
  private nodes = 0;
  /** A resource limit was hit: the walk stopped, and nothing else is looked at. */
  fatal = false;
  /** Hostile values found; only the first MAX_LISTED_ERRORS are reported one by one. */
  hostile = 0;

  constructor(private readonly out: Collector) {}

  private fail(segments: readonly PathSegment[], message: string, fix: string): void {
    if (this.fatal) return;
    this.fatal = true;
    this.out.error(segments, message, fix);
  }

  private reject(segments: readonly PathSegment[], message: string, fix: string): void {
    this.hostile++;
    if (this.hostile <= MAX_LISTED_ERRORS) this.out.error(segments, message, fix);
  }

  walk(value: unknown, segments: PathSegment[], depth: number, node: SchemaNode | undefined): unknown {
    if (this.fatal) return undefined;
    if (++this.nodes > MAX_NODES) {
      this.fail([], `the document has more than ${MAX_NODES} values`, 'a topology is small; remove the bulk data (resource limit)');
      return undefined;
    }
    if (depth > MAX_DEPTH) {
      this.fail(segments, `nesting is deeper than ${MAX_DEPTH} levels`, 'flatten or remove this value (resource limit)');
      return undefined;
    }
    switch (typeof value) {
      case 'string':
        return this.string(value, segments, node);
      case 'number':
        if (!Number.isFinite(value)) this.reject(segments, `${String(value)} is not a JSON number`, 'use a finite number');
        return value;
      case 'boolean':
        return value;
      case 'object':
        if (value === null) return null;
        if (Array.isArray(value)) return this.array(value, segments, depth, node);
        return this.object(value, segments, depth, node);
      default:
        this.reject(segments, `is not a JSON value (${typeof value})`, 'use a JSON string, number, boolean, object, list or null');
        return undefined;
    }
  }

  private string(value: string, segments: PathSegment[], node: SchemaNode | undefined): string {
    if (node) {
      const problem = checkHostileString(value, policyFor(segments, node));
      if (problem) {
        const key = segments[segments.length - 1];
        const max = numberKeyword(node, 'maxLength');
        const note =
          typeof key === 'string' && value.length > (max ?? Infinity)
            ? key === 'name'
              ? `names are at most ${max} characters`
              : FIELD_LIMIT_NOTES[key]
            : undefined;
        this.reject(segments, note ? `${problem.message} (${note})` : problem.message, problem.fix);
      }
    } else if (value.length > GLOBAL_STRING_CAP) {
      this.reject(
        segments,
        `${quote(value, 40)} is ${value.length} characters long; no string may exceed ${GLOBAL_STRING_CAP}`,
        'shorten or remove it',
      );
    }
    return value;
  }

  private array(value: unknown[], segments: PathSegment[], depth: number, node: SchemaNode | undefined): unknown[] | undefined {
    if (value.length > MAX_NODES - this.nodes) {
      this.fail(
        value.length > MAX_NODES ? segments : [],
        value.length > MAX_NODES ? `the list has ${value.length} entries` : `the document has more than ${MAX_NODES} values`,
        `a topology is small; at most ${MAX_NODES} values in all (resource limit)`,
      );
      return undefined;
    }
    const items = node ? itemsOf(node) : undefined;
    const arr: unknown[] = [];
    for (let i = 0; i < value.length && !this.fatal; i++) {
      const el: unknown = value[i];
      if (el === undefined) {
        this.reject([...segments, i], 'is not a JSON value (undefined)', 'use null or remove the entry');
        arr.push(null);
      } else arr.push(this.walk(el, [...segments, i], depth + 1, items));
    }
    return arr;
  }

  private object(value: object, segments: PathSegment[], depth: number, node: SchemaNode | undefined): Doc | undefined {
    if (!isPlainObject(value)) {
      this.reject(segments, 'is not a plain JSON object', 'use a JSON object, list, string, number, boolean or null');
      return undefined;
    }
    const keys = Object.keys(value);
    if (keys.length > MAX_NODES - this.nodes) {
      this.fail(
        keys.length > MAX_NODES ? segments : [],
        keys.length > MAX_NODES ? `the object has ${keys.length} keys` : `the document has more than ${MAX_NODES} values`,
        `a topology is small; at most ${MAX_NODES} values in all (resource limit)`,
      );
      return undefined;
    }
    const props = node ? propertiesOf(node) : undefined;
    const obj: Doc = {};
    for (const key of keys) {
      if (this.fatal) break;
      const v: unknown = value[key];
      if (v === undefined) continue; // absent, as JSON.stringify would have it
      const keySegs = [...segments, key];
      const exempt = segments.length === 0 && key === '$schema';
      if (!exempt) {
        const problem = checkHostileString(key, { maxLength: GLOBAL_STRING_CAP, allowLeadingDash: true }, 'key');
        if (problem) {
          this.reject(keySegs, `key ${problem.message}`, `${problem.fix}; rename the key (x-… and _… keys are kept as notes)`);
        }
      }
      setOwn(obj, key, this.walk(v, keySegs, depth + 1, props?.get(key)));
    }
    return obj;
  }
}

function snapshot(raw: unknown, out: Collector): Snapshot {
  if (!isPlainObject(raw)) {
    const what = raw === undefined ? 'empty' : describeType(raw);
    out.error(
      '',
      `the document is ${what}; it must be a JSON object`,
      'start from the starter topology: { "name": "demo", "robotSubnet": "192.168.0.0/24", "gateway": { ... }, "seconds": [ ... ] }',
    );
    return { fatal: true };
  }
  const w = new SnapshotWalk(out);
  const doc = w.walk(raw, [], 0, ROSVPN_SCHEMA) as Doc | undefined;
  if (w.hostile > MAX_LISTED_ERRORS) {
    out.error('', `${w.hostile - MAX_LISTED_ERRORS} more values were rejected`, 'fix the values listed above first');
  }
  return w.fatal ? { fatal: true } : { doc, fatal: false };
}

// ---- 2. structure: JSON Schema --------------------------------------------------------------------------

let validator: Validator | undefined;
function schemaValidator(): Validator {
  validator ??= new Validator(ROSVPN_SCHEMA as Schema, '7', false);
  return validator;
}

/** Keywords that only wrap other failures. */
const WRAPPERS = new Set([
  '$ref',
  '$recursiveRef',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'properties',
  'patternProperties',
  'additionalProperties',
  'items',
  'additionalItems',
  'contains',
  'propertyNames',
  'dependencies',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'prefixItems',
]);
const PRIORITY: Record<string, number> = {
  type: 0,
  required: 1,
  enum: 2,
  const: 2,
  pattern: 3,
  maxLength: 4,
  minLength: 4,
  minimum: 5,
  maximum: 5,
  exclusiveMinimum: 5,
  exclusiveMaximum: 5,
  multipleOf: 6,
  maxItems: 7,
  minItems: 7,
};

/** Per-field hints: what a good value looks like. Keyed by generic path (`seconds[].vpnIp`), then by key. */
const HINTS: Record<string, string> = {
  '': 'a JSON object with name, robotSubnet, gateway and seconds',
  $schema: 'a schema path or URL',
  name: "a deployment name of lowercase letters, digits and '-', e.g. demo",
  deployment:
    "the 16 hex digits 'rosvpn cloud up' wrote, e.g. 3f9c0a7d5e2b8c41; remove the key to start a new deployment (the old one's resources are then not yours)",
  robotSubnet: 'the robot LAN as network address and prefix length, e.g. 192.168.0.0/24',
  cloudSubnet: 'the VPC subnet as network address and prefix length, e.g. 172.31.1.0/24',
  tunnel: 'vxlan or gretap',
  mtu: 'an integer from 1280 to 8950, e.g. 1500',
  vxlan: 'an object like { "vni": 42, "port": 4789 }',
  'vxlan.vni': 'an integer from 1 to 16777215, e.g. 42',
  'vxlan.port': 'a UDP port from 1 to 65535, e.g. 4789',
  features: 'an object like { "docker": false, "ros2": false }',
  'features.docker': 'true or false',
  'features.ros2': 'true or false',
  filter: 'an object like { "enabled": true, "domains": [0], "multicastBudgetKbps": 100 }',
  'filter.enabled': 'true (guard the tap port) or false (no guard)',
  'filter.domains': 'a list of distinct DDS domain ids (ROS_DOMAIN_ID) from 0 to 232, e.g. [0]',
  'filter.domains[]': 'a DDS domain id (ROS_DOMAIN_ID), an integer from 0 to 232, e.g. 0',
  'filter.multicastBudgetKbps': 'an integer from 1 to 100000 (kbit/s per direction), e.g. 100',
  ssh: 'an object like { "user": "ubuntu", "identityFile": "~/.ssh/id_ed25519" }',
  gateway: 'an object with host, cloudIp and vpnIp',
  'gateway.host': 'the ssh host, IPv4 address or ~/.ssh/config alias of the cloud gateway, e.g. ros-openvpn',
  'gateway.publicAddress': "the gateway's Elastic IP or DNS name, e.g. 203.0.113.10",
  'gateway.cloudIp': "the gateway's private VPC address, e.g. 172.31.1.11",
  'gateway.vpnIp': 'an IPv4 address with prefix length inside robotSubnet, e.g. 192.168.0.130/24',
  'gateway.openvpnPort': 'a port from 1 to 65535, e.g. 1194',
  'gateway.openvpnProto': 'udp or tcp',
  'gateway.instanceId': "the gateway's EC2 instance id, e.g. i-0123456789abcdef0 (rosvpn cloud up writes it)",
  seconds: `a list of second instances like [ ${EXAMPLE_SECOND} ]`,
  'seconds[]': `an object like ${EXAMPLE_SECOND}`,
  'seconds[].name': "a short name of lowercase letters, digits and '-', e.g. second",
  'seconds[].host': 'the ssh host, IPv4 address or ~/.ssh/config alias of the instance, e.g. 172.31.1.12',
  'seconds[].cloudIp': "the instance's private VPC address, e.g. 172.31.1.12",
  'seconds[].vpnIp': 'an IPv4 address with prefix length inside robotSubnet, e.g. 192.168.0.131/24',
  'seconds[].instanceId': "the instance's EC2 id, e.g. i-0123456789abcdef0 (rosvpn cloud up writes it)",
  desktop: 'an object with host and lanInterface',
  'desktop.host': 'the ssh host of the desktop gateway, e.g. localhost',
  'desktop.lanInterface': 'the LAN NIC to bridge as shown by "ip link", e.g. eno1',
  'desktop.addressing': 'dhcp or static',
  'desktop.address': "the desktop's LAN address with prefix length inside robotSubnet, e.g. 192.168.0.10/24",
  'desktop.defaultGateway': "the LAN router's address inside robotSubnet, e.g. 192.168.0.1",
  clients: `a list of clients like [ ${EXAMPLE_CLIENT} ]`,
  'clients[]': `an object like ${EXAMPLE_CLIENT}`,
  'clients[].name': "a lowercase letter, then up to 30 lowercase letters, digits and '-', e.g. alice-laptop",
  'clients[].vpnIp': 'a free IPv4 address with prefix length inside robotSubnet, e.g. 192.168.0.254/24',
  'clients[].host': 'the ssh host, IPv4 address or ~/.ssh/config alias of the client machine, e.g. alice-laptop.local',
  user: 'a login name such as ubuntu',
  port: 'an SSH port from 1 to 65535, e.g. 22',
  identityFile: 'a private key path such as ~/.ssh/id_ed25519',
  jump: 'gateway, an ssh config alias, or user@host:port',
};

function genericPath(segments: readonly PathSegment[]): string {
  return formatPath(segments).replace(/\[\d+\]/g, '[]');
}

function hintFor(segments: readonly PathSegment[]): string {
  const g = genericPath(segments);
  if (HINTS[g] !== undefined) return HINTS[g];
  const last = segments[segments.length - 1];
  if (typeof last === 'string' && Object.prototype.hasOwnProperty.call(HINTS, last)) return HINTS[last] as string;
  return 'a value as described in the schema';
}

type FieldKind = 'ipv4' | 'cidr' | 'name' | 'clientName' | 'host' | 'hostOrIp' | 'ifname' | 'user' | 'identityFile' | 'jump';
const KIND_BY_KEY: Record<string, FieldKind> = {
  robotSubnet: 'cidr',
  cloudSubnet: 'cidr',
  vpnIp: 'cidr',
  address: 'cidr',
  cloudIp: 'ipv4',
  defaultGateway: 'ipv4',
  name: 'name',
  host: 'host',
  publicAddress: 'hostOrIp',
  lanInterface: 'ifname',
  user: 'user',
  identityFile: 'identityFile',
  jump: 'jump',
};

function charName(ch: string): string {
  if (ch === ' ') return 'a space';
  if (ch === "'") return 'a single quote';
  return `'${ch}'`;
}

/** The first character not matching `allowed`, described. */
function badChar(value: string, allowed: RegExp, what: string): string | undefined {
  for (const ch of value) if (!allowed.test(ch)) return `contains ${charName(ch)}, which ${what} cannot contain`;
  return undefined;
}

/** Why a client name failed its pattern: a certificate common name and a file name (a letter first, ≤ 31). */
function explainClientName(value: string): { problem: string; suggestion?: string } {
  const ok = (s: string): boolean => /^[a-z][a-z0-9-]{0,30}$/.test(s);
  const fixed = value
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 31);
  const suggestion = ok(fixed) ? { suggestion: fixed } : {};
  if (value.toLowerCase() !== value) return { problem: 'contains uppercase letters; client names are lowercase', ...suggestion };
  const c = badChar(value, /[a-z0-9-]/, "a client name (a-z, 0-9, '-')");
  if (c) return { problem: c, ...suggestion };
  if (!/^[a-z]/.test(value)) return { problem: 'must start with a lowercase letter', ...suggestion };
  return { problem: "is not a valid client name (a lowercase letter, then up to 30 lowercase letters, digits and '-')" };
}

/** Explain why a string failed its schema pattern, and suggest a corrected value when obvious. */
function explainPattern(kind: FieldKind | undefined, value: string, robotPrefix: number): { problem: string; suggestion?: string } {
  switch (kind) {
    case 'ipv4': {
      const r = parseIpv4(value);
      return r.ok
        ? { problem: 'is not a valid IPv4 address' }
        : { problem: r.problem, ...(r.suggestion ? { suggestion: r.suggestion } : {}) };
    }
    case 'cidr': {
      const r = parseCidr(value, robotPrefix);
      return r.ok
        ? { problem: 'is not a valid IPv4 address with prefix length' }
        : { problem: r.problem, ...(r.suggestion ? { suggestion: r.suggestion } : {}) };
    }
    case 'name': {
      const lower = value.toLowerCase();
      const ok = (s: string): boolean => /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(s);
      if (lower !== value)
        return { problem: 'contains uppercase letters; names are lowercase', ...(ok(lower) ? { suggestion: lower } : {}) };
      const c = badChar(value, /[a-z0-9-]/, "a name (a-z, 0-9, '-')");
      if (c) {
        const s = value.replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
        return { problem: c, ...(ok(s) ? { suggestion: s } : {}) };
      }
      if (value.startsWith('-') || value.endsWith('-')) {
        const s = value.replace(/^-+|-+$/g, '');
        return { problem: "starts or ends with '-'", ...(ok(s) ? { suggestion: s } : {}) };
      }
      return { problem: "is not a valid name (lowercase letters, digits and '-')" };
    }
    case 'clientName':
      return explainClientName(value);
    case 'host': {
      const c = badChar(value, /[A-Za-z0-9._-]/, "a host name (letters, digits, '.', '-', '_')");
      if (c) return { problem: c };
      return { problem: 'must start with a letter, digit or underscore' };
    }
    case 'hostOrIp': {
      const c = badChar(value, /[A-Za-z0-9.-]/, "an address or DNS name (letters, digits, '.', '-')");
      if (c) return { problem: c };
      return { problem: 'must start and end with a letter or digit' };
    }
    case 'ifname': {
      if (value === '.' || value === '..') return { problem: 'is not a valid Linux interface name' };
      if (value.includes('/')) return { problem: "contains '/', which Linux interface names cannot contain" };
      if (value.includes(':'))
        return {
          problem: "contains ':' (an alias like eth0:1 is not an interface); use the interface itself",
          suggestion: value.split(':')[0] as string,
        };
      if (/\s/.test(value)) return { problem: 'contains whitespace, which Linux interface names cannot contain' };
      const c = badChar(value, /[A-Za-z0-9_.-]/, 'an interface name');
      if (c) return { problem: c };
      return { problem: 'must start with a letter, digit or underscore' };
    }
    case 'user': {
      const c = badChar(value, /[A-Za-z0-9._-]/, 'a user name');
      if (c) return { problem: c };
      return { problem: 'must start with a letter or underscore' };
    }
    case 'identityFile': {
      const c = badChar(value, /[A-Za-z0-9~/._+@:\\ -]/, 'a key path');
      if (c) return { problem: c };
      return { problem: "must not start with '-' or a space" };
    }
    case 'jump': {
      const c = badChar(value, /[A-Za-z0-9._@:-]/, 'a jump host');
      if (c) return { problem: c };
      return { problem: 'is not of the form gateway, alias, host, user@host or user@host:port' };
    }
    default:
      return { problem: 'has an invalid format' };
  }
}

function typeWord(t: string): string {
  switch (t) {
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'object':
      return 'an object';
    case 'array':
      return 'a list (JSON array)';
    case 'boolean':
      return 'true or false';
    default:
      return t;
  }
}

function decodePointer(pointer: string, doc: unknown): PathSegment[] {
  const body = pointer.replace(/^#/, '');
  if (body === '') return [];
  const segs: PathSegment[] = [];
  let cur: unknown = doc;
  for (const rawSeg of body.split('/').slice(1)) {
    let seg: string;
    try {
      seg = decodeURIComponent(rawSeg);
    } catch {
      seg = rawSeg;
    }
    seg = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      const i = Number(seg);
      segs.push(i);
      cur = cur[i];
    } else {
      segs.push(seg);
      cur = isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, seg) ? cur[seg] : undefined;
    }
  }
  return segs;
}

function robotPrefixOf(doc: Doc): number {
  const r = typeof doc.robotSubnet === 'string' ? parseCidr(doc.robotSubnet) : undefined;
  return r && r.ok ? r.prefix : 24;
}

// long: one case per JSON Schema keyword that can fail, each turned into a message that names the field
// and the fix.
function schemaDiagnostics(doc: Doc, out: Collector): void {
  const result = schemaValidator().validate(doc);
  if (result.valid) return;
  const groups = new Map<string, { segments: PathSegment[]; unit: OutputUnit }>();
  for (const unit of result.errors) {
    if (WRAPPERS.has(unit.keyword)) continue;
    let segments = decodePointer(unit.instanceLocation, doc);
    if (unit.keyword === 'required') {
      const m = /"([^"]*)"/.exec(unit.error);
      if (m && m[1] !== undefined) segments = [...segments, m[1]];
    }
    const key = formatPath(segments);
    const prev = groups.get(key);
    if (!prev || (PRIORITY[unit.keyword] ?? 9) < (PRIORITY[prev.unit.keyword] ?? 9)) groups.set(key, { segments, unit });
  }
  const robotPrefix = robotPrefixOf(doc);
  for (const { segments, unit } of groups.values()) {
    const value = valueAt(doc, segments);
    const hint = hintFor(segments);
    const node = nodeAt(segments);
    const last = segments[segments.length - 1];
    switch (unit.keyword) {
      case 'type': {
        const expected = /Expected "([^"]+)"/.exec(unit.error)?.[1];
        out.error(
          segments,
          `${typeof value === 'string' ? quote(value) : show(value)} is ${describeType(value)}; expected ${expected ? typeWord(expected) : 'another type'}`,
          `use ${hint}`,
        );
        break;
      }
      case 'required': {
        out.error(segments, 'is missing (required)', `add "${String(last)}": ${hint}`);
        break;
      }
      case 'enum':
      case 'const': {
        const allowed = (node && enumOf(node)) ?? [];
        const ci =
          typeof value === 'string' ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === value.toLowerCase()) : undefined;
        out.error(
          segments,
          `${show(value)} is not one of: ${allowed.map((a) => String(a)).join(', ')}`,
          ci !== undefined ? `write ${String(ci)} (lowercase)` : `use ${hint}`,
        );
        break;
      }
      case 'pattern': {
        const kind = genericPath(segments) === 'clients[].name' ? 'clientName' : typeof last === 'string' ? KIND_BY_KEY[last] : undefined;
        const ex = explainPattern(kind, String(value), robotPrefix);
        out.error(segments, `${show(value)} ${ex.problem}`, ex.suggestion !== undefined ? `write ${ex.suggestion}` : `use ${hint}`);
        break;
      }
      case 'maxLength':
      case 'minLength': {
        const n = typeof value === 'string' ? value.length : 0;
        out.error(segments, `${show(value)} is ${n} characters long`, `use ${hint}`);
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const min = node ? numberKeyword(node, 'minimum') : undefined;
        const max = node ? numberKeyword(node, 'maximum') : undefined;
        out.error(segments, `${show(value)} is out of range ${min ?? '…'}–${max ?? '…'}`, `use ${hint}`);
        break;
      }
      case 'minItems': {
        out.error(segments, 'is an empty list', `use ${hint}`);
        break;
      }
      case 'uniqueItems': {
        const seen = new Set<string>();
        const dup = Array.isArray(value) ? value.find((x) => seen.size === seen.add(JSON.stringify(x)).size) : undefined;
        out.error(segments, `lists ${show(dup)} more than once`, `use ${hint}`);
        break;
      }
      case 'maxItems': {
        const max = node ? numberKeyword(node, 'maxItems') : undefined;
        out.error(
          segments,
          `has ${Array.isArray(value) ? value.length : '?'} entries; at most ${max ?? '?'} are supported`,
          'split the deployment into several topologies',
        );
        break;
      }
      default:
        out.error(segments, `${show(value)} is invalid (${unit.error})`, `use ${hint}`);
    }
  }
}

// ---- 3. unknown keys ----------------------------------------------------------------------------------------

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

function suggestKey(key: string, known: Iterable<string>): string | undefined {
  const list = [...known].filter((k) => k !== '$schema');
  const ci = list.find((k) => k.toLowerCase() === key.toLowerCase());
  if (ci) return ci;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of list) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= 2 && bestD < Math.max(2, key.length / 2) ? best : undefined;
}

function unknownKeys(value: unknown, segments: PathSegment[], node: SchemaNode, out: Collector): void {
  if (Array.isArray(value)) {
    const items = itemsOf(node);
    if (items) value.forEach((v, i) => unknownKeys(v, [...segments, i], items, out));
    return;
  }
  if (!isPlainObject(value)) return;
  const props = propertiesOf(node);
  if (props.size === 0) return;
  for (const key of Object.keys(value)) {
    const child = props.get(key);
    if (child) {
      unknownKeys(value[key], [...segments, key], child, out);
      continue;
    }
    if (key.startsWith('x-') || key.startsWith('_')) continue;
    const guess = suggestKey(key, props.keys());
    out.warn(
      [...segments, key],
      'unknown key',
      guess ? `did you mean ${guess}?` : `remove it, or rename it to x-${key} to keep it as a note (it is kept but ignored)`,
    );
  }
}

// ---- 4. the network rules (one module per concern under rules/, run in this order) ------------------------

function rules(doc: Doc, out: Collector): void {
  const ctx: RuleContext = {
    doc,
    out,
    gateway: asObject(doc.gateway),
    desktop: asObject(doc.desktop),
    seconds: Array.isArray(doc.seconds) ? doc.seconds : undefined,
    clients: Array.isArray(doc.clients) ? doc.clients : undefined,
    str: (segments) => {
      const v = valueAt(doc, segments);
      return typeof v === 'string' && !out.bad.has(formatPath(segments)) ? v : undefined;
    },
    hint: hintFor,
  };
  const { robot, cloud } = subnetRules(ctx);
  const lan = robotLanRules(ctx, robot);
  desktopRules(ctx, robot, lan);
  cloudAddressRules(ctx, robot, cloud);
  publicAddressRule(ctx, robot);
  gatewayPortRules(ctx);
  secondNameRules(ctx);
  clientRules(ctx);
  jumpRules(ctx);
}

// ---- 5. normalization ---------------------------------------------------------------------------------------

function pickSsh(o: Doc | undefined): SshSettings {
  const out: SshSettings = {};
  if (!o) return out;
  if (typeof o.user === 'string') out.user = o.user;
  if (typeof o.port === 'number') out.port = o.port;
  if (typeof o.identityFile === 'string') out.identityFile = o.identityFile;
  if (typeof o.jump === 'string') out.jump = o.jump;
  return out;
}

function normalize(doc: Doc): ValidTopology {
  const gateway = doc.gateway as Doc;
  const vxlan = asObject(doc.vxlan);
  const features = asObject(doc.features);
  const filter = asObject(doc.filter);
  const desktop = asObject(doc.desktop);
  const seconds: SecondConfig[] = (Array.isArray(doc.seconds) ? (doc.seconds as Doc[]) : []).map((s) => ({
    name: s.name as string,
    host: s.host as string,
    cloudIp: s.cloudIp as string,
    vpnIp: s.vpnIp as string,
    ...(typeof s.instanceId === 'string' ? { instanceId: s.instanceId } : {}),
    ...pickSsh(s),
  }));
  const topology = {
    name: doc.name as string,
    ...(typeof doc.deployment === 'string' ? { deployment: doc.deployment } : {}),
    robotSubnet: doc.robotSubnet as string,
    ...(typeof doc.cloudSubnet === 'string' ? { cloudSubnet: doc.cloudSubnet } : {}),
    tunnel: (doc.tunnel as ValidTopology['tunnel'] | undefined) ?? DEFAULTS.tunnel,
    mtu: (doc.mtu as number | undefined) ?? DEFAULTS.mtu,
    vxlan: {
      vni: (vxlan?.vni as number | undefined) ?? DEFAULTS.vni,
      port: (vxlan?.port as number | undefined) ?? DEFAULTS.vxlanPort,
    },
    features: {
      docker: (features?.docker as boolean | undefined) ?? false,
      ros2: (features?.ros2 as boolean | undefined) ?? false,
    },
    filter: {
      enabled: (filter?.enabled as boolean | undefined) ?? true,
      domains: [...((filter?.domains as number[] | undefined) ?? DEFAULTS.filterDomains)],
      multicastBudgetKbps: (filter?.multicastBudgetKbps as number | undefined) ?? DEFAULTS.multicastBudgetKbps,
    },
    ssh: pickSsh(asObject(doc.ssh)),
    gateway: {
      host: gateway.host as string,
      ...(typeof gateway.publicAddress === 'string' ? { publicAddress: gateway.publicAddress } : {}),
      cloudIp: gateway.cloudIp as string,
      vpnIp: gateway.vpnIp as string,
      openvpnPort: (gateway.openvpnPort as number | undefined) ?? DEFAULTS.openvpnPort,
      openvpnProto: (gateway.openvpnProto as 'udp' | 'tcp' | undefined) ?? DEFAULTS.openvpnProto,
      ...(typeof gateway.instanceId === 'string' ? { instanceId: gateway.instanceId } : {}),
      ...pickSsh(gateway),
    },
    seconds,
    ...(desktop
      ? {
          desktop: (() => {
            const addressing = (desktop.addressing as 'dhcp' | 'static' | undefined) ?? DEFAULTS.addressing;
            return {
              host: desktop.host as string,
              lanInterface: desktop.lanInterface as string,
              addressing,
              // With dhcp these are ignored (and warned about), so they are not passed on.
              ...(addressing === 'static' && typeof desktop.address === 'string' ? { address: desktop.address } : {}),
              ...(addressing === 'static' && typeof desktop.defaultGateway === 'string' ? { defaultGateway: desktop.defaultGateway } : {}),
              ...pickSsh(desktop),
            };
          })(),
        }
      : {}),
    clients: (Array.isArray(doc.clients) ? (doc.clients as Doc[]) : []).map((c) => ({
      name: c.name as string,
      vpnIp: c.vpnIp as string,
      ...(typeof c.host === 'string' ? { host: c.host } : {}),
      ...pickSsh(c),
    })),
  };
  return topology as ValidTopology;
}

// ---- the pipeline -------------------------------------------------------------------------------------------

function validateInner(raw: unknown): ValidationResult {
  const out = new Collector();
  const snap = snapshot(raw, out);
  // Hostile or structurally unsound input: report it and interpret nothing else.
  if (snap.fatal || !snap.doc || hasErrors(out.diagnostics)) return { diagnostics: out.sorted() };
  const doc = snap.doc;
  schemaDiagnostics(doc, out);
  unknownKeys(doc, [], ROSVPN_SCHEMA, out);
  rules(doc, out);
  const diagnostics = out.sorted();
  if (hasErrors(diagnostics)) return { diagnostics };
  return { diagnostics, topology: normalize(doc) };
}
