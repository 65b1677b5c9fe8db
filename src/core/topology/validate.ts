// Validation of rosvpn.json: a hostile-value pre-pass, JSON Schema structure (draft-07, @cfworker/json-schema),
// then the network rules (addresses, subnets, names, ssh). Only a topology without error diagnostics comes out
// as a ValidTopology, normalized (defaults filled in, unknown keys dropped, a deep copy).
// Never throws on any input; never imports `vscode`.

import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  BRIDGE_NAME,
  DEFAULTS,
  VXLAN_DEVICE,
  type Diagnostic,
  type SecondConfig,
  type SshSettings,
  type ValidTopology,
} from './types';
import {
  awsReserved,
  awsUsableRange,
  firstFreeAddress,
  inside,
  isPrivateNetwork,
  knownNetwork,
  overlaps,
  parseCidr,
  parseIpv4,
  sameAddress,
  type ParsedCidr,
} from './ipv4';
import {
  GLOBAL_STRING_CAP,
  checkHostileString,
  describeType,
  formatPath,
  quote,
  show,
  type PathSegment,
  type StringPolicy,
} from './text';
import { ROSVPN_SCHEMA, enumOf, itemsOf, nodeAt, numberKeyword, propertiesOf, type SchemaNode } from './schema';

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
    return [
      ...this.diagnostics.filter((d) => d.severity === 'error'),
      ...this.diagnostics.filter((d) => d.severity !== 'error'),
    ];
  }
}

type Doc = Record<string, unknown>;

function isPlainObject(v: unknown): v is Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
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
  name: 'names are at most 40 characters',
  host: 'host names are at most 253 characters',
  user: 'user names are at most 32 characters',
};

interface Snapshot {
  doc?: Doc;
  /** A structural problem (not an object, too deep, too big, not JSON): nothing else was looked at. */
  fatal: boolean;
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
  let nodes = 0;
  let fatal = false;
  let hostile = 0;
  const fail = (segments: readonly PathSegment[], message: string, fix: string): void => {
    if (fatal) return;
    fatal = true;
    out.error(segments, message, fix);
  };
  const reject = (segments: readonly PathSegment[], message: string, fix: string): void => {
    hostile++;
    if (hostile <= MAX_LISTED_ERRORS) out.error(segments, message, fix);
  };

  const walk = (value: unknown, segments: PathSegment[], depth: number, node: SchemaNode | undefined): unknown => {
    if (fatal) return undefined;
    if (++nodes > MAX_NODES) {
      fail([], `the document has more than ${MAX_NODES} values`, 'a topology is small; remove the bulk data (resource limit)');
      return undefined;
    }
    if (depth > MAX_DEPTH) {
      fail(segments, `nesting is deeper than ${MAX_DEPTH} levels`, 'flatten or remove this value (resource limit)');
      return undefined;
    }
    switch (typeof value) {
      case 'string': {
        if (node) {
          const problem = checkHostileString(value, policyFor(segments, node));
          if (problem) {
            const key = segments[segments.length - 1];
            const note = typeof key === 'string' && value.length > (numberKeyword(node, 'maxLength') ?? Infinity)
              ? FIELD_LIMIT_NOTES[key] : undefined;
            reject(segments, note ? `${problem.message} (${note})` : problem.message, problem.fix);
          }
        } else if (value.length > GLOBAL_STRING_CAP) {
          reject(
            segments,
            `${quote(value, 40)} is ${value.length} characters long; no string may exceed ${GLOBAL_STRING_CAP}`,
            'shorten or remove it',
          );
        }
        return value;
      }
      case 'number':
        if (!Number.isFinite(value)) reject(segments, `${String(value)} is not a JSON number`, 'use a finite number');
        return value;
      case 'boolean':
        return value;
      case 'object': {
        if (value === null) return null;
        if (Array.isArray(value)) {
          if (value.length > MAX_NODES - nodes) {
            fail(value.length > MAX_NODES ? segments : [], value.length > MAX_NODES ? `the list has ${value.length} entries` : `the document has more than ${MAX_NODES} values`, `a topology is small; at most ${MAX_NODES} values in all (resource limit)`);
            return undefined;
          }
          const items = node ? itemsOf(node) : undefined;
          const arr: unknown[] = [];
          for (let i = 0; i < value.length && !fatal; i++) {
            const el: unknown = value[i];
            if (el === undefined) {
              reject([...segments, i], 'is not a JSON value (undefined)', 'use null or remove the entry');
              arr.push(null);
            } else arr.push(walk(el, [...segments, i], depth + 1, items));
          }
          return arr;
        }
        if (!isPlainObject(value)) {
          reject(segments, 'is not a plain JSON object', 'use a JSON object, list, string, number, boolean or null');
          return undefined;
        }
        const keys = Object.keys(value);
        if (keys.length > MAX_NODES - nodes) {
          fail(keys.length > MAX_NODES ? segments : [], keys.length > MAX_NODES ? `the object has ${keys.length} keys` : `the document has more than ${MAX_NODES} values`, `a topology is small; at most ${MAX_NODES} values in all (resource limit)`);
          return undefined;
        }
        const props = node ? propertiesOf(node) : undefined;
        const obj: Doc = {};
        for (const key of keys) {
          if (fatal) break;
          const v: unknown = value[key];
          if (v === undefined) continue; // absent, as JSON.stringify would have it
          const keySegs = [...segments, key];
          const exempt = segments.length === 0 && key === '$schema';
          if (!exempt) {
            const problem = checkHostileString(key, { maxLength: GLOBAL_STRING_CAP, allowLeadingDash: true }, 'key');
            if (problem) {
              reject(keySegs, `key ${problem.message}`, `${problem.fix}; rename the key (x-… and _… keys are kept as notes)`);
            }
          }
          setOwn(obj, key, walk(v, keySegs, depth + 1, props?.get(key)));
        }
        return obj;
      }
      default:
        reject(segments, `is not a JSON value (${typeof value})`, 'use a JSON string, number, boolean, object, list or null');
        return undefined;
    }
  };

  const doc = walk(raw, [], 0, ROSVPN_SCHEMA) as Doc | undefined;
  if (hostile > MAX_LISTED_ERRORS) {
    out.error('', `${hostile - MAX_LISTED_ERRORS} more values were rejected`, 'fix the values listed above first');
  }
  return fatal ? { fatal } : { doc, fatal: false };
}

// ---- 2. structure: JSON Schema --------------------------------------------------------------------------

let validator: Validator | undefined;
function schemaValidator(): Validator {
  validator ??= new Validator(ROSVPN_SCHEMA as Schema, '7', false);
  return validator;
}

/** Keywords that only wrap other failures. */
const WRAPPERS = new Set([
  '$ref', '$recursiveRef', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'properties',
  'patternProperties', 'additionalProperties', 'items', 'additionalItems', 'contains', 'propertyNames',
  'dependencies', 'dependentSchemas', 'unevaluatedProperties', 'unevaluatedItems', 'prefixItems',
]);
const PRIORITY: Record<string, number> = {
  type: 0, required: 1, enum: 2, const: 2, pattern: 3, maxLength: 4, minLength: 4, minimum: 5, maximum: 5,
  exclusiveMinimum: 5, exclusiveMaximum: 5, multipleOf: 6, maxItems: 7, minItems: 7,
};

const EXAMPLE_SECOND = '{ "name": "second", "host": "172.31.1.12", "cloudIp": "172.31.1.12", "vpnIp": "192.168.0.131/24" }';

/** Per-field hints: what a good value looks like. Keyed by generic path (`seconds[].vpnIp`), then by key. */
const HINTS: Record<string, string> = {
  '': 'a JSON object with name, robotSubnet, gateway and seconds',
  $schema: 'a schema path or URL',
  name: "a deployment name of lowercase letters, digits and '-', e.g. demo",
  deployment: "the 16 hex digits 'rosvpn cloud up' wrote, e.g. 3f9c0a7d5e2b8c41; remove the key to start a new deployment (the old one's resources are then not yours)",
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
  'seconds[].host': "the ssh host, IPv4 address or ~/.ssh/config alias of the instance, e.g. 172.31.1.12",
  'seconds[].cloudIp': "the instance's private VPC address, e.g. 172.31.1.12",
  'seconds[].vpnIp': 'an IPv4 address with prefix length inside robotSubnet, e.g. 192.168.0.131/24',
  'seconds[].instanceId': "the instance's EC2 id, e.g. i-0123456789abcdef0 (rosvpn cloud up writes it)",
  desktop: 'an object with host and lanInterface',
  'desktop.host': 'the ssh host of the desktop gateway, e.g. localhost',
  'desktop.lanInterface': 'the LAN NIC to bridge as shown by "ip link", e.g. eno1',
  'desktop.addressing': 'dhcp or static',
  'desktop.address': "the desktop's LAN address with prefix length inside robotSubnet, e.g. 192.168.0.10/24",
  'desktop.defaultGateway': "the LAN router's address inside robotSubnet, e.g. 192.168.0.1",
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

type FieldKind = 'ipv4' | 'cidr' | 'name' | 'host' | 'hostOrIp' | 'ifname' | 'user' | 'identityFile' | 'jump';
const KIND_BY_KEY: Record<string, FieldKind> = {
  robotSubnet: 'cidr', cloudSubnet: 'cidr', vpnIp: 'cidr', address: 'cidr', cloudIp: 'ipv4', defaultGateway: 'ipv4',
  name: 'name', host: 'host', publicAddress: 'hostOrIp', lanInterface: 'ifname', user: 'user',
  identityFile: 'identityFile', jump: 'jump',
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

/** Explain why a string failed its schema pattern, and suggest a corrected value when obvious. */
function explainPattern(kind: FieldKind | undefined, value: string, robotPrefix: number): { problem: string; suggestion?: string } {
  switch (kind) {
    case 'ipv4': {
      const r = parseIpv4(value);
      return r.ok ? { problem: 'is not a valid IPv4 address' } : { problem: r.problem, ...(r.suggestion ? { suggestion: r.suggestion } : {}) };
    }
    case 'cidr': {
      const r = parseCidr(value, robotPrefix);
      return r.ok ? { problem: 'is not a valid IPv4 address with prefix length' } : { problem: r.problem, ...(r.suggestion ? { suggestion: r.suggestion } : {}) };
    }
    case 'name': {
      const lower = value.toLowerCase();
      const ok = (s: string): boolean => /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(s);
      if (lower !== value) return { problem: 'contains uppercase letters; names are lowercase', ...(ok(lower) ? { suggestion: lower } : {}) };
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
      if (value.includes(':')) return { problem: "contains ':' (an alias like eth0:1 is not an interface); use the interface itself" , suggestion: value.split(':')[0] as string };
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
    case 'integer': return 'an integer';
    case 'number': return 'a number';
    case 'string': return 'a string';
    case 'object': return 'an object';
    case 'array': return 'a list (JSON array)';
    case 'boolean': return 'true or false';
    default: return t;
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

function valueAt(doc: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = doc;
  for (const s of segments) {
    if (typeof s === 'number') cur = Array.isArray(cur) ? cur[s] : undefined;
    else cur = isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, s) ? cur[s] : undefined;
  }
  return cur;
}

function robotPrefixOf(doc: Doc): number {
  const r = typeof doc.robotSubnet === 'string' ? parseCidr(doc.robotSubnet) : undefined;
  return r && r.ok ? r.prefix : 24;
}

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
        const ci = typeof value === 'string' ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === value.toLowerCase()) : undefined;
        out.error(
          segments,
          `${show(value)} is not one of: ${allowed.map((a) => String(a)).join(', ')}`,
          ci !== undefined ? `write ${String(ci)} (lowercase)` : `use ${hint}`,
        );
        break;
      }
      case 'pattern': {
        const kind = typeof last === 'string' ? KIND_BY_KEY[last] : undefined;
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
      case 'maxItems': {
        const max = node ? numberKeyword(node, 'maxItems') : undefined;
        out.error(segments, `has ${Array.isArray(value) ? value.length : '?'} entries; at most ${max ?? '?'} are supported`, 'split the deployment into several topologies');
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

// ---- 4. the network rules ---------------------------------------------------------------------------------

const DOCKER_DEFAULT = knownNetwork('172.17.0.0/16');
const OPENVPN_POOL = knownNetwork('192.168.255.0/24');
const LINK_LOCAL = knownNetwork('169.254.0.0/16');
/** Ranges of ipaddr.js that can never be the address a desktop reaches over the internet. */
const NOT_PUBLIC: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};
/** Second names whose script would collide with a file the engine writes or uploads. */
const RESERVED_SECOND_NAMES: Record<string, string> = {
  gateway: "the gateway's script gateway.sh (uploaded as ~/rosvpn-gateway.sh)",
  desktop: "the desktop's script desktop.sh (uploaded as ~/rosvpn-desktop.sh)",
};

function asObject(v: unknown): Doc | undefined {
  return isPlainObject(v) ? v : undefined;
}

function rules(doc: Doc, out: Collector): void {
  /** A string at `segments` that has no error yet. */
  const str = (segments: readonly PathSegment[]): string | undefined => {
    const v = valueAt(doc, segments);
    return typeof v === 'string' && !out.bad.has(formatPath(segments)) ? v : undefined;
  };
  const gateway = asObject(doc.gateway);
  const desktop = asObject(doc.desktop);
  const seconds = Array.isArray(doc.seconds) ? doc.seconds : undefined;

  // -- subnets (rule 2, 5, 6)
  const subnet = (key: 'robotSubnet' | 'cloudSubnet', what: string): ParsedCidr | undefined => {
    const v = str([key]);
    if (v === undefined) return undefined;
    const p = parseCidr(v);
    if (!p.ok) {
      out.error(key, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${hintFor([key])}`);
      return undefined;
    }
    if (!sameAddress(p.addr, p.network)) {
      out.error(key, `${v} is not a network address (host bits are set)`, `use ${p.networkText}`);
      return undefined;
    }
    if (p.prefix > 30) {
      out.error(key, `${v} is too small for ${what} (a /${p.prefix} has no room for hosts)`, `use a larger network, e.g. ${knownNetwork(`${p.network.toString()}/24`).networkText}`);
      return undefined;
    }
    return p;
  };
  let robot = subnet('robotSubnet', 'the robot LAN');
  const cloud = subnet('cloudSubnet', 'the VPC subnet');
  if (robot && overlaps(robot, LINK_LOCAL)) {
    out.error('robotSubnet', `${robot.networkText} overlaps the link-local range ${LINK_LOCAL.networkText} (EC2's instance metadata and DNS live there)`, 'use a private range, e.g. 192.168.0.0/24');
    robot = undefined;
  } else if (robot && !isPrivateNetwork(robot)) {
    out.error('robotSubnet', `${robot.networkText} is not a private range: the bridge would hide public addresses of that range from every host`, 'use a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, e.g. 192.168.0.0/24');
    robot = undefined;
  }
  if (robot && cloud && overlaps(robot, cloud)) {
    out.error(
      'robotSubnet',
      `${robot.networkText} overlaps cloudSubnet ${cloud.networkText} (routing conflict: the cloud hosts could not tell robot LAN addresses from VPC addresses)`,
      'choose a robot LAN subnet that does not overlap the VPC subnet, or give the instances a VPC subnet elsewhere',
    );
  }
  if (robot && overlaps(robot, DOCKER_DEFAULT)) {
    out.warn(
      'robotSubnet',
      `${robot.networkText} overlaps Docker's default bridge network ${DOCKER_DEFAULT.networkText}`,
      'hosts running Docker would route these addresses to docker0; pick another robot subnet or move Docker\'s bridge ("bip" in /etc/docker/daemon.json)',
    );
  }
  if (robot && overlaps(robot, OPENVPN_POOL)) {
    out.warn(
      'robotSubnet',
      `${robot.networkText} overlaps OpenVPN's server address pool ${OPENVPN_POOL.networkText} (the original guide's "server" line)`,
      'pick another robot subnet so the pool and its route cannot shadow the LAN',
    );
  }

  // -- addresses on the robot LAN (rule 3)
  const addressing = desktop ? (desktop.addressing ?? DEFAULTS.addressing) : undefined;
  const lan: { segments: PathSegment[]; value: string; parsed: ParsedCidr }[] = [];
  const lanCandidates: PathSegment[][] = [];
  if (gateway) lanCandidates.push(['gateway', 'vpnIp']);
  seconds?.forEach((s, i) => {
    if (isPlainObject(s)) lanCandidates.push(['seconds', i, 'vpnIp']);
  });
  if (desktop && addressing === 'static') lanCandidates.push(['desktop', 'address']);
  for (const segments of lanCandidates) {
    const v = str(segments);
    if (v === undefined) continue;
    const p = parseCidr(v, robot?.prefix ?? 24);
    if (!p.ok) {
      out.error(segments, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${hintFor(segments)}`);
      continue;
    }
    lan.push({ segments, value: v, parsed: p });
  }
  const gatewayDefault = desktop && addressing === 'static' ? str(['desktop', 'defaultGateway']) : undefined;
  const parsedDefault = gatewayDefault !== undefined ? parseIpv4(gatewayDefault) : undefined;
  const usedLan = new Set<string>(lan.map((e) => e.parsed.addr.toString()));
  if (parsedDefault?.ok) usedLan.add(parsedDefault.text);
  const gatewayLan = lan.find((e) => e.segments[0] === 'gateway');
  const example = (): string => {
    if (!robot) return '';
    const free = firstFreeAddress(robot, usedLan, gatewayLan?.parsed.addr);
    return free ? `, e.g. ${free.toString()}/${robot.prefix}` : '';
  };
  const holder = new Map<string, string>();
  for (const e of lan) {
    const { segments, value, parsed } = e;
    const path = formatPath(segments);
    if (robot) {
      if (!inside(parsed.addr, robot)) {
        out.error(path, `${value} is outside robotSubnet ${robot.networkText}`, `choose a free address inside ${robot.networkText}${example()}`);
        continue;
      }
      if (parsed.prefix !== robot.prefix) {
        out.error(path, `${value} has prefix length /${parsed.prefix} but robotSubnet ${robot.networkText} is a /${robot.prefix}`, `write ${parsed.addr.toString()}/${robot.prefix}`);
        continue;
      }
      if (sameAddress(parsed.addr, robot.network)) {
        out.error(path, `${value} is the network address of robotSubnet ${robot.networkText}`, `choose a free host address inside ${robot.networkText}${example()}`);
        continue;
      }
      if (sameAddress(parsed.addr, robot.broadcast)) {
        out.error(path, `${value} is the broadcast address of robotSubnet ${robot.networkText}`, `choose a free host address inside ${robot.networkText}${example()}`);
        continue;
      }
    }
    const key = parsed.addr.toString();
    const other = holder.get(key);
    if (other !== undefined) {
      out.error(path, `${value} is already used by ${other}`, `every host needs its own address; choose a free address${robot ? ` inside ${robot.networkText}${example()}` : ''}`);
      continue;
    }
    holder.set(key, path);
  }

  // -- desktop (rules 3, 7, 9, 10)
  if (desktop) {
    if (addressing === 'static' && !out.bad.has('desktop.addressing')) {
      if (desktop.address === undefined) {
        out.error('desktop.address', 'is missing; desktop.addressing is static', `add "address": ${hintFor(['desktop', 'address'])}, or set "addressing": "dhcp"`);
      }
      if (gatewayDefault !== undefined && parsedDefault) {
        const path = 'desktop.defaultGateway';
        if (!parsedDefault.ok) {
          out.error(path, `${show(gatewayDefault)} ${parsedDefault.problem}`, parsedDefault.suggestion ? `write ${parsedDefault.suggestion}` : `use ${hintFor(['desktop', 'defaultGateway'])}`);
        } else if (robot && !inside(parsedDefault.addr, robot)) {
          out.error(path, `${gatewayDefault} is outside robotSubnet ${robot.networkText}`, `use the LAN router's address inside ${robot.networkText}, e.g. ${firstFreeAddress(robot, new Set())?.toString() ?? robot.network.toString()}`);
        } else if (robot && (sameAddress(parsedDefault.addr, robot.network) || sameAddress(parsedDefault.addr, robot.broadcast))) {
          out.error(path, `${gatewayDefault} is the ${sameAddress(parsedDefault.addr, robot.network) ? 'network' : 'broadcast'} address of robotSubnet ${robot.networkText}`, "use the LAN router's address");
        } else if (holder.has(parsedDefault.text)) {
          out.error(path, `${gatewayDefault} is already used by ${holder.get(parsedDefault.text) as string}`, "the default gateway is the LAN's router; it cannot be a rosvpn host's address");
        }
      }
    } else if (addressing === 'dhcp') {
      for (const key of ['address', 'defaultGateway'] as const) {
        if (desktop[key] !== undefined) {
          out.warn(`desktop.${key}`, `${show(desktop[key])} is ignored because desktop.addressing is dhcp`, `remove it, or set "addressing": "static" to use it`);
        }
      }
    }
    const nic = str(['desktop', 'lanInterface']);
    if (nic !== undefined) {
      const ours = notALanNic(nic);
      if (ours) out.error('desktop.lanInterface', `${ours}, not the LAN NIC`, 'use the physical NIC that connects to the robot LAN, as shown by "ip link", e.g. eno1');
    }
  }

  // -- cloud addresses (rules 4, 5)
  const cloudHolder = new Map<string, string>();
  const cloudCandidates: PathSegment[][] = [];
  if (gateway) cloudCandidates.push(['gateway', 'cloudIp']);
  seconds?.forEach((s, i) => {
    if (isPlainObject(s)) cloudCandidates.push(['seconds', i, 'cloudIp']);
  });
  for (const segments of cloudCandidates) {
    const v = str(segments);
    if (v === undefined) continue;
    const path = formatPath(segments);
    const p = parseIpv4(v);
    if (!p.ok) {
      out.error(path, `${show(v)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${hintFor(segments)}`);
      continue;
    }
    if (cloud && !inside(p.addr, cloud)) {
      out.error(path, `${v} is outside cloudSubnet ${cloud.networkText}`, `use the instance's private address inside ${cloud.networkText} (EC2 console: Private IPv4 address), or correct cloudSubnet`);
      continue;
    }
    const reserved = cloud ? awsReserved(p.addr, cloud) : undefined;
    if (cloud && reserved) {
      const [first, last] = awsUsableRange(cloud);
      out.error(path, `${v} is ${reserved} of cloudSubnet ${cloud.networkText}; AWS reserves it in every subnet`, `use a free address from ${first} to ${last}`);
      continue;
    }
    if (robot && inside(p.addr, robot)) {
      out.error(path, `${v} lies inside robotSubnet ${robot.networkText} (routing conflict)`, 'cloud IPs are VPC addresses and must lie outside the robot LAN; check the address, or move the robot subnet or the VPC');
      continue;
    }
    const other = cloudHolder.get(p.text);
    if (other !== undefined) {
      out.error(path, `${v} is already used by ${other}`, "every instance has its own private address; copy this instance's from the EC2 console");
      continue;
    }
    cloudHolder.set(p.text, path);
  }

  // -- the gateway's public address (rule 6)
  if (gateway) {
    if (gateway.publicAddress === undefined) {
      out.warn(
        'gateway.publicAddress',
        'is not set; it is needed to render the OpenVPN client profile',
        "'rosvpn cloud up' fills it in, or set it to the gateway's Elastic IP",
      );
    } else {
      const pub = str(['gateway', 'publicAddress']);
      if (pub !== undefined && /^[0-9.]+$/.test(pub)) {
        const p = parseIpv4(pub);
        if (!p.ok) {
          out.error('gateway.publicAddress', `${show(pub)} ${p.problem}`, p.suggestion ? `write ${p.suggestion}` : `use ${hintFor(['gateway', 'publicAddress'])}`);
        } else if (robot && inside(p.addr, robot)) {
          out.error('gateway.publicAddress', `${pub} lies inside robotSubnet ${robot.networkText}; the VPN would be routed through itself`, "use the gateway's Elastic IP");
        } else if (NOT_PUBLIC[p.addr.range()]) {
          out.error('gateway.publicAddress', `${pub} is ${NOT_PUBLIC[p.addr.range()]}; the desktop reaches the gateway over the internet`, "use the gateway's Elastic IP or public DNS name ('rosvpn cloud up' writes it)");
        }
      } else if (pub !== undefined && /^localhost\.?$|\.localhost\.?$/i.test(pub)) {
        out.error('gateway.publicAddress', `${pub} names this machine (loopback); the desktop reaches the gateway over the internet`, "use the gateway's Elastic IP or public DNS name ('rosvpn cloud up' writes it)");
      }
    }
  }

  // -- ports on the gateway: OpenVPN, the VXLAN underlay and sshd must not share a socket
  if (gateway) {
    const num = (segments: readonly PathSegment[], dflt: number): number | undefined => {
      const v = valueAt(doc, segments);
      if (v === undefined) return dflt;
      return typeof v === 'number' && !out.bad.has(formatPath(segments)) ? v : undefined;
    };
    const proto = typeof gateway.openvpnProto === 'string' ? gateway.openvpnProto : DEFAULTS.openvpnProto;
    const ovpn = num(['gateway', 'openvpnPort'], DEFAULTS.openvpnPort);
    const vxPort = num(['vxlan', 'port'], DEFAULTS.vxlanPort);
    const tunnel = typeof doc.tunnel === 'string' ? doc.tunnel : DEFAULTS.tunnel;
    if (proto === 'udp' && tunnel === 'vxlan' && ovpn !== undefined && ovpn === vxPort) {
      const explicit = asObject(doc.vxlan)?.port !== undefined;
      out.error(
        explicit ? 'vxlan.port' : 'gateway.openvpnPort',
        explicit ? `UDP ${vxPort} is also gateway.openvpnPort: OpenVPN and VXLAN cannot share a UDP port on the gateway` : `UDP ${ovpn} is also the VXLAN port (vxlan.port, default ${DEFAULTS.vxlanPort}): OpenVPN and VXLAN cannot share a UDP port on the gateway`,
        explicit ? `use another vxlan.port, e.g. ${ovpn === DEFAULTS.vxlanPort ? 4790 : DEFAULTS.vxlanPort}` : `use another openvpnPort, e.g. ${DEFAULTS.openvpnPort}`,
      );
    }
    if (proto === 'tcp' && ovpn === 22) {
      out.error('gateway.openvpnPort', 'TCP 22 is SSH on the gateway: OpenVPN over TCP cannot listen there', `use another port, e.g. ${DEFAULTS.openvpnPort} or 443`);
    }
  }

  // -- names (rule 8)
  if (seconds) {
    const names = new Map<string, string>();
    seconds.forEach((_, i) => {
      const segments = ['seconds', i, 'name'];
      const n = str(segments);
      if (n === undefined) return;
      if (Object.prototype.hasOwnProperty.call(RESERVED_SECOND_NAMES, n)) {
        out.error(segments, `${n} is reserved: a second's script is written as ${n}.sh and uploaded as ~/rosvpn-${n}.sh, which is ${RESERVED_SECOND_NAMES[n]}`, `choose another name, e.g. second-${i + 1}`);
        return;
      }
      const other = names.get(n);
      if (other !== undefined) {
        out.error(segments, `${n} is already the name of ${other}`, `give each second a unique name, e.g. ${n}-${i + 1}`);
        return;
      }
      names.set(n, formatPath(['seconds', i]));
    });
  }
  if (seconds === undefined || seconds.length === 0) {
    if (!out.bad.has('seconds')) {
      out.warn('seconds', '0 second instances are defined', `add one, e.g. ${EXAMPLE_SECOND} (without seconds only the desktop and the gateway share the robot LAN)`);
    }
  }

  // -- jumps (rules 9, 10)
  const jumpPaths: PathSegment[][] = [['ssh', 'jump'], ['gateway', 'jump'], ['desktop', 'jump']];
  seconds?.forEach((_, i) => jumpPaths.push(['seconds', i, 'jump']));
  for (const segments of jumpPaths) {
    const j = str(segments);
    const port = j !== undefined ? /:(\d+)$/.exec(j)?.[1] : undefined;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      out.error(segments, `${show(j)} has port ${port}, outside 1–65535`, 'use user@host:port with a valid port, e.g. ubuntu@bastion:22');
    }
  }
  const sshJump = str(['ssh', 'jump']);
  const selfJump = (host: 'gateway' | 'desktop', obj: Doc | undefined): void => {
    if (!obj) return;
    const reason = host === 'gateway' ? 'the gateway cannot jump through itself' : 'the desktop is on the robot LAN, not in the VPC, so it is not reached through the cloud gateway';
    const fix = host === 'gateway' ? 'remove jump, or name a bastion host or ssh config alias' : 'remove jump (the desktop is usually localhost or reachable on the LAN)';
    const own = obj.jump !== undefined ? str([host, 'jump']) : undefined;
    if (own === 'gateway') {
      out.error([host, 'jump'], `gateway is not allowed here: ${reason}`, fix);
    } else if (obj.jump === undefined && sshJump === 'gateway') {
      out.error(['ssh', 'jump'], `gateway is inherited by the ${host}: ${reason}`, `set "jump": "gateway" on the seconds only, or override ${host}.jump`);
    }
  };
  selfJump('gateway', gateway);
  selfJump('desktop', desktop);
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

/** What a device that is not the LAN NIC is, for desktop.lanInterface; undefined for a plausible NIC. */
function notALanNic(nic: string): string | undefined {
  if (nic === BRIDGE_NAME) return `${nic} is the bridge rosvpn creates`;
  if (nic.startsWith('tap')) return `${nic} is an OpenVPN tap device (rosvpn creates tap devices itself)`;
  if (nic === VXLAN_DEVICE) return `${nic} is the VXLAN device rosvpn creates`;
  if (nic.startsWith('rosgre')) return `${nic} is a gretap device name rosvpn creates`;
  if (nic === 'docker0') return `${nic} is Docker's bridge`;
  if (nic === 'lo') return `${nic} is the loopback interface`;
  return undefined;
}
