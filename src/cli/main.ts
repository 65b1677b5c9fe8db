// `rosvpn`: the command-line shell over the core engine. Thin: parse arguments, call the core, print.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs, type ParseArgsConfig } from 'util';
import { selectHosts } from '../core/provision/endpoints';
import { renderTopology } from '../core/render';
import { renderRobotCycloneDdsXml } from '../core/render/cyclonedds';
import { loadTopology, serializeTopology } from '../core/topology/file';
import { starterTopology, topologyFromEnv } from '../core/topology/init';
import { CLIENT_PROFILE_NAME, type Diagnostic, type Role, TOPOLOGY_FILE, type ValidTopology } from '../core/topology/types';
import { checkCommand, ddsTestCommand, fetchOvpnCommand, logsCommand, provisionCommand, type SshFlags, unprovisionCommand } from './remote';
import { CA_PASSPHRASE_ENV, PassphraseFileError, cliCaPassphrase, passphraseFileOption } from './caPassphrase';
import { clientAdd, clientList, clientRevoke, clientRotate, type ClientCommandIo } from './clients';
import { askYesNo, canPrompt } from './prompt';
import { cloudCommand } from './cloud';
import { offerRemovedSeconds, secondsDone } from './removed';
import { forgetTracked, recordProvisioned, trackedSecond, withRemovedSecond } from '../core/provision/tracked';
import type { ProvisionReport } from '../core/provision/orchestrator';
import { formatDiagnostic, hasErrors, validateTopology } from '../core/topology/validate';
import schema from '../../schemas/rosvpn.schema.json';
import { version } from '../../package.json';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit codes: 0 success, 1 the input or an operation failed, 2 wrong usage. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export const HELP = `rosvpn ${version} — put ROS 2 nodes on AWS EC2 onto your robot's LAN at layer 2
(OpenVPN tap + VXLAN/gretap), with DDS multicast discovery unchanged.

Usage: rosvpn <command> [options]

Commands:
  init [FILE] [--from-env] [--force]
      Write a starter topology (default ./${TOPOLOGY_FILE}). --from-env builds it from the original
      guide's variables ROSVPN_GATEWAY_CLOUD_IP, ROSVPN_SECOND_CLOUD_IP, ROSVPN_GATEWAY_VPN_IP and
      ROSVPN_SECOND_VPN_IP (the SECOND ones may be comma-separated lists for several seconds; optional:
      ROSVPN_GATEWAY_HOST, ROSVPN_GATEWAY_PUBLIC_IP). Never overwrites without --force.
  validate [FILE] [--json]
      Check the topology; every problem names the field and the fix. Exit 0 when valid, 1 otherwise.
  render [FILE] --out DIR
      Write one provisioning script per host: DIR/gateway.sh, DIR/<second name>.sh, DIR/desktop.sh and
      DIR/<client name>.sh for each client with a host. Review them, then run each as root on its host
      (sudo bash gateway.sh). Nothing is written when the topology has errors.
  schema
      Print the JSON Schema of ${TOPOLOGY_FILE} (for editors other than VS Code).
  robot-config --interface NIC
      Print the CycloneDDS config recommended for the robot when large samples cross a WAN: its LAN NIC,
      1344-byte messages (no IP fragmentation through the VPN), a 4 MB writer history from the start, and
      discovery by multicast but user data by unicast (AllowMulticast spdp: the bridge guard passes only
      discovery). rosvpn never changes the robot; copy it there and point CYCLONEDDS_URI at it. See README,
      "DDS over a WAN".

Over SSH (hosts may be ~/.ssh/config aliases; keys from ssh-agent or identityFile):
  provision [FILE] [--host NAME | --role gateway|second|desktop|client|all] [--ca-passphrase-file F] [--timings]
      Render, upload and run each host's script with sudo, streaming its steps; then a summary per host
      (changed / ok / failed). Every host runs at once; the OpenVPN client of the desktop gateway and of
      the clients with a host waits for its profile, copied from the gateway through this machine the
      moment the gateway has written it (checked first: only the directives the gateway writes); if the
      gateway fails before, they fail at once. --timings: per host, each step's duration (in the order
      the steps ran), their sum, the host's total and its script's CPU time. Exit 1 on any failure.
      A second provisioned from FILE before and no longer in it (deleted or renamed) still runs ROS VPN:
      provision first offers to unprovision it (on a terminal; without one it prints the command), with
      the SSH details this machine recorded in $XDG_STATE_HOME/rosvpn/provisioned (no secrets).
  unprovision [FILE] [--host NAME | --role gateway|second|desktop|client|all] [--purge] [--yes]
      Remove ROS VPN from the hosts (default: all) and return each to its state before provisioning:
      units stopped, disabled and removed; bridge, tunnels and taps deleted; its files removed; sysctl
      values restored; the desktop's LAN NIC handed back to its network manager with its addressing
      (guarded by the same commit-confirm rollback as provisioning). The gateway's PKI is kept in a
      dated backup (/var/backups) unless --purge. Says what will change per host first and asks on a
      terminal (without one: needs --yes). Order: clients and the desktop, then the seconds, the
      gateway last. Exit 1 on any failure; a second run changes nothing. --host NAME also reaches a
      second already deleted from FILE, if this machine provisioned it (see provision).
  fetch-ovpn [FILE] [--client NAME] [--out PATH] [--force]
      Download ${CLIENT_PROFILE_NAME}.ovpn (the desktop's) or, with --client, NAME.ovpn from the gateway
      (default ./${CLIENT_PROFILE_NAME}.ovpn or ./NAME.ovpn), mode 0600, after checking that it holds only
      the directives the gateway writes. Never overwrites without --force. The desktop's: warns when PATH is
      in a git work tree and not ignored; a client's is added to .gitignore.
  client list [FILE] [--json]
      Every client: address, host, certificate (expiry, revoked, not issued yet), connected now and since
      when, from where; also certificates issued to clients no longer in FILE. Read-only (sudo on the gateway).
  client add NAME [FILE] [--vpn-ip CIDR] [--host HOST]
      Add a client to FILE (formatting kept; address: the highest free one of robotSubnet unless --vpn-ip)
      and issue its certificate and profile on the gateway (the PKI step only).
  client revoke NAME [FILE] [--yes]
      Remove the client from FILE, revoke its certificate, publish the new CRL and disconnect it now (no
      restart: the others stay connected). Asks first on a terminal; without one, needs --yes.
  client rotate NAME [FILE]
      A new certificate for the client (the old one revoked); a client with a host is provisioned with its
      new profile, else fetch it again: rosvpn fetch-ovpn --client NAME --force.

  The CA key on the gateway is encrypted. provision (of the gateway) and client add/revoke/rotate take its
  passphrase from --ca-passphrase-file F or the file named by ${CA_PASSPHRASE_ENV}; else they ask on the
  terminal when the gateway needs it (the first time: a new one, typed twice). Without a terminal and
  without a file they fail, naming both. It reaches the gateway only as a file in RAM (/dev/shm, mode 0600,
  removed afterwards), never on a command line.
  logs HOST [--topology FILE] [--unit UNIT] [--follow] [--lines N]
      journalctl over SSH. Default unit: the OpenVPN server on the gateway, the OpenVPN client on the
      desktop, rosvpn-net.service on seconds. --follow reconnects after a dropped connection and
      resumes after the last line shown; Ctrl-C ends it, remote process included.
  check [FILE] [--host NAME] [--json]
      Per host: reachable, bridge up, tunnel up, OpenVPN connected, and every other host's robot-subnet
      address reachable across the bridge, also with MTU-size don't-fragment frames; between every pair of
      hosts checked together, DDS discovery multicast (239.255.0.1, TTL 1; needs python3 on the hosts);
      on the gateway every certificate (CA, server, desktop, clients), with a warning 30 days before one
      expires. --json has the pairs (mcast, mtu) per host. Exit 0 only when every host is healthy.
  dds-test [FILE] [--seconds N] [--json]
      The guide's last test: a DDS talker on each second in turn, a listener on the desktop (ddsperf, or
      ROS 2's demo talker/listener), pinned to rosbridge; samples and loss per second. Exit 0 when none lost.

In EC2 (AWS SDK; credentials and region from the standard AWS chain, SSO profiles included):
  cloud plan|up|status|start|stop|down [FILE] [--region R] [--profile P] [--instance-type T]
        [--key-name K] [--ami ID] [--subnet ID] [--ssh-cidr CIDR|auto] [--openvpn-cidr CIDR] [--yes]
        [--no-wait-ssh] [--host NAME]...
      Ownership: the first up writes a random "deployment" id into FILE and tags everything it
      creates rosvpn:deployment=<id>; every cloud command acts only on resources with that tag in the
      subnet's VPC. Resources with the same topology name but another (or no) id are listed as
      "not ours" and never touched.
      plan: what would be created, reused, authorized or revoked and the API calls, before anything
      is spent. up: needs --ssh-cidr (your network, or auto = this machine's public address from
      checkip.amazonaws.com; 0.0.0.0/0 only if written); a DryRun permission check, then the security
      group rosvpn-<name>-<id> (SSH and ping from that CIDR and from the group itself, OpenVPN from
      --openvpn-cidr, the tunnel from the group), one instance per cloud host at its cloud IP (IMDSv2
      only, encrypted root volume; newest Canonical Ubuntu 24.04 unless --ami; --key-name needed to
      launch), an Elastic IP on the gateway; waits for SSH, then writes instance ids and the Elastic
      IP (publicAddress) into FILE. A rerun changes only what differs (a narrowed CIDR revokes the old
      rule) and sends nothing when all is as wanted. status: this deployment's resources and state.
      start/stop: every cloud host, or the --host ones. down: lists every id it will delete, asks
      (--yes: prints the list and goes on), DryRuns every delete, then deletes exactly that list; on
      a failure it lists what is still there and billed.

SSH options (for the commands above):
  --accept-new         Record unknown host keys (otherwise: ask on a terminal, refuse without one)
  --known-hosts PATH   Instead of ~/.ssh/known_hosts
  --ssh-config PATH    Instead of ~/.ssh/config
  A changed host key is always refused, and nothing runs on that host.

Options:
  -h, --help       Show this help (also: rosvpn <command> --help)
  -v, --version    Show the version

FILE defaults to ./${TOPOLOGY_FILE}. Exit codes: 0 success, 1 invalid input or failure, 2 usage error.
`;

class UsageError extends Error {}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: OptionSpecs): Parsed {
  try {
    const r = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function topologyPath(io: CliIo, positionals: string[]): string {
  if (positionals.length > 1) throw new UsageError(`expected at most one FILE, got: ${positionals.join(' ')}`);
  return path.resolve(io.cwd, positionals[0] ?? TOPOLOGY_FILE);
}

function printDiagnostics(io: CliIo, file: string, diagnostics: Diagnostic[]): void {
  const name = path.basename(file);
  for (const d of diagnostics) (d.severity === 'error' ? io.err : io.out)(formatDiagnostic(d, name));
}

/** Loads and validates; prints diagnostics; returns the topology only when valid. */
async function loadValid(io: CliIo, file: string): Promise<ValidTopology | undefined> {
  if (!fs.existsSync(file)) {
    io.err(`${path.basename(file)}: not found at ${file} — create one with: rosvpn init`);
    return undefined;
  }
  const loaded = await loadTopology(file);
  const diagnostics = [...loaded.diagnostics, ...(loaded.result?.diagnostics ?? [])];
  printDiagnostics(io, file, diagnostics);
  return loaded.result?.topology;
}

async function cmdInit(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'from-env': { type: 'boolean' }, force: { type: 'boolean' } });
  if (values.help) return help(io);
  const file = topologyPath(io, positionals);
  let doc: object;
  if (values['from-env']) {
    const fromEnv = topologyFromEnv(io.env);
    printDiagnostics(io, file, fromEnv.diagnostics);
    if (!fromEnv.topology || hasErrors(fromEnv.diagnostics)) {
      io.err(`nothing written: fix the variables above and run rosvpn init --from-env again`);
      return EXIT_FAIL;
    }
    doc = fromEnv.topology;
  } else {
    doc = starterTopology();
  }
  if (fs.existsSync(file) && !values.force) {
    io.err(`${path.basename(file)}: already exists at ${file}; nothing written (use --force to replace it)`);
    return EXIT_FAIL;
  }
  fs.writeFileSync(file, serializeTopology(doc));
  io.out(`wrote ${file}`);
  const check = validateTopology(doc);
  printDiagnostics(
    io,
    file,
    check.diagnostics.filter((d) => d.severity === 'warning'),
  );
  io.out(`next: edit it for your hosts, then: rosvpn validate && rosvpn render --out scripts`);
  return EXIT_OK;
}

async function cmdValidate(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help(io);
  const file = topologyPath(io, positionals);
  if (values.json) {
    const loaded = fs.existsSync(file) ? await loadTopology(file) : undefined;
    const diagnostics = loaded
      ? [...loaded.diagnostics, ...(loaded.result?.diagnostics ?? [])]
      : [{ severity: 'error', path: '', message: `not found at ${file}`, fix: 'create one with: rosvpn init' }];
    const valid = !!loaded?.result?.topology;
    io.out(JSON.stringify({ file, valid, diagnostics }, null, 2));
    return valid ? EXIT_OK : EXIT_FAIL;
  }
  const t = await loadValid(io, file);
  if (!t) return EXIT_FAIL;
  const clients = t.clients.length ? `, ${t.clients.length} client(s)` : '';
  io.out(
    `${path.basename(file)}: valid — ${t.seconds.length} second(s), tunnel ${t.tunnel}${t.desktop ? ', desktop gateway' : ''}${clients}`,
  );
  return EXIT_OK;
}

async function cmdRender(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' } });
  if (values.help) return help(io);
  if (!values.out) throw new UsageError('render needs --out DIR');
  const file = topologyPath(io, positionals);
  const t = await loadValid(io, file);
  if (!t) {
    io.err('nothing rendered: fix the errors above');
    return EXIT_FAIL;
  }
  const result = renderTopology(t);
  printDiagnostics(io, file, result.diagnostics);
  if (hasErrors(result.diagnostics)) {
    io.err('nothing rendered: fix the errors above');
    return EXIT_FAIL;
  }
  const outDir = path.resolve(io.cwd, String(values.out));
  fs.mkdirSync(outDir, { recursive: true });
  for (const s of result.scripts) {
    const target = path.join(outDir, s.fileName);
    fs.writeFileSync(target, s.content, { mode: 0o755 });
    fs.chmodSync(target, 0o755);
    io.out(`wrote ${target}  (${s.role}${s.role === 'second' || s.role === 'client' ? ` ${s.hostName}` : ''})`);
  }
  io.out(`run each as root on its host, gateway first: sudo bash gateway.sh`);
  for (const s of result.scripts.filter((x) => x.role === 'client')) {
    io.out(`  ${s.hostName}: sudo bash ${s.fileName} ~/${s.hostName}.ovpn (its profile: rosvpn fetch-ovpn --client ${s.hostName})`);
  }
  return EXIT_OK;
}

const SSH_OPTIONS: OptionSpecs = {
  'accept-new': { type: 'boolean' },
  'known-hosts': { type: 'string' },
  'ssh-config': { type: 'string' },
};

function sshFlags(io: CliIo, values: Parsed['values']): SshFlags {
  const resolve = (v: unknown) => (typeof v === 'string' ? path.resolve(io.cwd, v) : undefined);
  return { acceptNew: !!values['accept-new'], knownHosts: resolve(values['known-hosts']), sshConfig: resolve(values['ssh-config']) };
}

const ROLES = ['gateway', 'second', 'desktop', 'client', 'all'];

const CA_OPTIONS: OptionSpecs = { 'ca-passphrase-file': { type: 'string' } };

/** The CA passphrase source of a command that may run the gateway's PKI step; a bad file is an error now. */
function caSource(io: CliIo, values: Parsed['values']) {
  const flag = typeof values['ca-passphrase-file'] === 'string' ? values['ca-passphrase-file'] : undefined;
  return cliCaPassphrase(io, passphraseFileOption(flag, io.env, io.cwd));
}

/** --host NAME or --role ROLE (not both, a known role), checked before the topology is read. */
function hostSelector(values: { host?: unknown; role?: unknown }): { host?: string; role?: Role | 'all' } {
  if (values.host && values.role) throw new UsageError('use either --host or --role, not both');
  if (values.role && !ROLES.includes(String(values.role))) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return { host: values.host as string | undefined, role: values.role as Role | 'all' | undefined };
}

async function cmdProvision(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SSH_OPTIONS,
    ...CA_OPTIONS,
    host: { type: 'string' },
    role: { type: 'string' },
    timings: { type: 'boolean' },
  });
  if (values.help) return help(io);
  const sel = hostSelector(values);
  const file = topologyPath(io, positionals);
  const t = await loadValid(io, file);
  if (!t) return EXIT_FAIL;
  const flags = sshFlags(io, values);
  // Seconds gone from the file: offered for removal first, while this machine still knows how to reach them.
  const allSeconds = !sel.host && (!sel.role || sel.role === 'all' || sel.role === 'second');
  if (allSeconds && !(await offerRemovedSeconds({ ...io, confirm: askYesNo, canPrompt }, file, t, flags))) return EXIT_FAIL;
  // The passphrase matters only when the gateway runs; a file named for another run is not read.
  const withGateway = selectHosts(t, sel).some((h) => h.role === 'gateway');
  const ca = withGateway ? caSource(io, values) : undefined;
  return provisionCommand(io, t, sel, flags, ca, (report) => recordProvisioned(file, t, secondsDone(report), io.env), {
    timings: !!values.timings,
  });
}

async function cmdUnprovision(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SSH_OPTIONS,
    host: { type: 'string' },
    role: { type: 'string' },
    purge: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
  });
  if (values.help) return help(io);
  const sel = hostSelector(values);
  const file = topologyPath(io, positionals);
  const loaded = await loadValid(io, file);
  if (!loaded) return EXIT_FAIL;
  // A second deleted from the file is still reachable through what this machine recorded when it provisioned it.
  const removed = sel.host ? trackedSecond(file, loaded, sel.host, io.env) : undefined;
  if (removed)
    io.out(`'${sel.host}' is no longer in ${path.basename(file)}; its SSH details are the ones recorded when it was provisioned.`);
  const t = removed ? withRemovedSecond(loaded, removed) : loaded;
  const hosts = selectHosts(t, sel);
  if (!hosts.length) {
    io.err(`unprovision: no ${sel.role} host in the topology; nothing to do`);
    return EXIT_FAIL;
  }
  const purge = !!values.purge;
  if (purge && !hosts.some((h) => h.role === 'gateway'))
    throw new UsageError("--purge deletes the gateway's PKI: it needs the gateway in the run");
  const onReport = (report: ProvisionReport) => forgetTracked(file, secondsDone(report), io.env);
  return unprovisionCommand({ ...io, confirm: askYesNo, canPrompt }, t, sel, { purge, yes: !!values.yes, onReport }, sshFlags(io, values));
}

const CLIENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

async function cmdFetchOvpn(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SSH_OPTIONS,
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    client: { type: 'string' },
  });
  if (values.help) return help(io);
  const client = values.client as string | undefined;
  if (client !== undefined && !CLIENT_NAME.test(client))
    throw new UsageError(`--client takes a client's name from rosvpn.json, not ${JSON.stringify(client)}`);
  const t = await loadValid(io, topologyPath(io, positionals));
  if (!t) return EXIT_FAIL;
  if (client !== undefined && !t.clients.some((c) => c.name === client)) {
    const names = t.clients.map((c) => c.name);
    io.err(
      `fetch-ovpn: no client named ${client} in rosvpn.json${names.length ? ` (clients: ${names.join(', ')})` : ''}; add it with: rosvpn client add ${client}`,
    );
    return EXIT_FAIL;
  }
  const out = path.resolve(io.cwd, String(values.out ?? `${client ?? CLIENT_PROFILE_NAME}.ovpn`));
  return fetchOvpnCommand(io, t, out, !!values.force, sshFlags(io, values), client);
}

const CLIENT_SUBCOMMANDS = ['list', 'add', 'revoke', 'rotate'];

// long: one place that parses the four client subcommands (their own positionals and flags) and hands each
// to clients.ts with the file, SSH flags and CA passphrase source they share.
async function cmdClient(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SSH_OPTIONS,
    ...CA_OPTIONS,
    json: { type: 'boolean' },
    'vpn-ip': { type: 'string' },
    host: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
  });
  if (values.help) return help(io);
  const [sub, ...rest] = positionals;
  if (!sub || !CLIENT_SUBCOMMANDS.includes(sub)) throw new UsageError(`client needs ${CLIENT_SUBCOMMANDS.join(', ')}`);
  const only = (allowed: string[]) => {
    for (const k of ['json', 'vpn-ip', 'host', 'yes']) {
      if (values[k] !== undefined && !allowed.includes(k)) throw new UsageError(`client ${sub} does not take --${k}`);
    }
  };
  const flags = sshFlags(io, values);
  if (sub === 'list') {
    only(['json']);
    const file = topologyPath(io, rest);
    const t = values.json ? await loadQuiet(io, file) : await loadValid(io, file);
    if (!t) return EXIT_FAIL;
    return clientList(io, t, !!values.json, flags);
  }
  const [name, ...fileArgs] = rest;
  if (!name) throw new UsageError(`client ${sub} needs a NAME`);
  if (!CLIENT_NAME.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a client name: a lowercase letter, then up to 30 lowercase letters, digits and '-'`,
    );
  }
  const file = topologyPath(io, fileArgs);
  if (!fs.existsSync(file)) {
    io.err(`${path.basename(file)}: not found at ${file} — create one with: rosvpn init`);
    return EXIT_FAIL;
  }
  const cio: ClientCommandIo = { ...io, confirm: askYesNo, canPrompt };
  const options = { file, flags, caPassphrase: () => caSource(io, values), load: () => loadValid(io, file) };
  if (sub === 'add') {
    only(['vpn-ip', 'host']);
    return clientAdd(cio, name, values['vpn-ip'] as string | undefined, values.host as string | undefined, options);
  }
  if (sub === 'revoke') {
    only(['yes']);
    return clientRevoke(cio, name, !!values.yes, options);
  }
  only([]);
  return clientRotate(cio, name, options);
}

async function cmdLogs(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...SSH_OPTIONS,
    topology: { type: 'string' },
    unit: { type: 'string', short: 'u' },
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
  });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new UsageError("logs needs exactly one HOST (gateway, desktop or a second's name)");
  const lines = values.lines === undefined ? 200 : Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError('--lines takes a whole number');
  const t = await loadValid(io, path.resolve(io.cwd, String(values.topology ?? TOPOLOGY_FILE)));
  if (!t) return EXIT_FAIL;
  return logsCommand(io, t, positionals[0], values.unit as string | undefined, !!values.follow, lines, sshFlags(io, values));
}

async function cmdCheck(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...SSH_OPTIONS, host: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return help(io);
  const file = topologyPath(io, positionals);
  const t = values.json ? await loadQuiet(io, file) : await loadValid(io, file);
  if (!t) return EXIT_FAIL;
  return checkCommand(io, t, values.host as string | undefined, !!values.json, sshFlags(io, values));
}

async function cmdDdsTest(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...SSH_OPTIONS, seconds: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return help(io);
  const seconds = values.seconds === undefined ? 3 : Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new UsageError('--seconds takes a whole number from 1 to 60');
  const file = topologyPath(io, positionals);
  const t = values.json ? await loadQuiet(io, file) : await loadValid(io, file);
  if (!t) return EXIT_FAIL;
  return ddsTestCommand(io, t, seconds, !!values.json, sshFlags(io, values));
}

/** loadValid for machine-readable output: diagnostics go to stderr only. */
async function loadQuiet(io: CliIo, file: string): Promise<ValidTopology | undefined> {
  return loadValid({ ...io, out: io.err }, file);
}

function help(io: CliIo): number {
  io.out(HELP);
  return EXIT_OK;
}

async function cmdCloud(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    region: { type: 'string' },
    profile: { type: 'string' },
    'instance-type': { type: 'string' },
    'key-name': { type: 'string' },
    ami: { type: 'string' },
    subnet: { type: 'string' },
    'ssh-cidr': { type: 'string' },
    'openvpn-cidr': { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
    'no-wait-ssh': { type: 'boolean' },
    host: { type: 'string', multiple: true },
  });
  if (values.help) return help(io);
  const [sub, ...rest] = positionals;
  if (!sub || !['plan', 'up', 'status', 'start', 'stop', 'down'].includes(sub))
    throw new UsageError('cloud needs plan, up, status, start, stop or down');
  const file = topologyPath(io, rest);
  const t = await loadValid(io, file);
  if (!t) return EXIT_FAIL;
  const str = (k: string) => values[k] as string | undefined;
  return cloudCommand(io, sub, t, file, {
    region: str('region'),
    profile: str('profile'),
    instanceType: str('instance-type'),
    keyName: str('key-name'),
    ami: str('ami'),
    subnet: str('subnet'),
    sshCidr: str('ssh-cidr'),
    openvpnCidr: str('openvpn-cidr'),
    yes: !!values.yes,
    waitSsh: !values['no-wait-ssh'],
    ...(values.host ? { hosts: values.host as unknown as string[] } : {}),
  });
}

/** `robot-config --interface NIC`: the robot's recommended CycloneDDS XML on stdout. */
async function cmdRobotConfig(io: CliIo, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { interface: { type: 'string' } });
  if (values.help) return help(io);
  if (positionals.length) throw new UsageError(`robot-config takes no FILE, got: ${positionals.join(' ')}`);
  const nic = values.interface;
  if (typeof nic !== 'string')
    throw new UsageError("--interface NIC is needed: the robot's LAN interface (e.g. eth0; see `ip link` on the robot)");
  // The topology's rule for a Linux interface name (schema: ifname).
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(nic) || nic === '.' || nic === '..') {
    throw new UsageError(
      `--interface ${JSON.stringify(nic)} is not a Linux interface name: up to 15 letters, digits, '_', '.', '-' (e.g. eth0)`,
    );
  }
  io.out(renderRobotCycloneDdsXml(nic).trimEnd());
  return EXIT_OK;
}

const COMMANDS: Record<string, (io: CliIo, args: string[]) => Promise<number>> = {
  client: cmdClient,
  'robot-config': cmdRobotConfig,
  cloud: cmdCloud,
  init: cmdInit,
  validate: cmdValidate,
  render: cmdRender,
  provision: cmdProvision,
  unprovision: cmdUnprovision,
  'fetch-ovpn': cmdFetchOvpn,
  logs: cmdLogs,
  check: cmdCheck,
  'dds-test': cmdDdsTest,
  schema: async (io) => {
    io.out(JSON.stringify(schema, null, 2));
    return EXIT_OK;
  },
};

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') return help(io);
  if (command === '-v' || command === '--version') {
    io.out(version);
    return EXIT_OK;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.err(`rosvpn: unknown command '${command}'. Commands: ${Object.keys(COMMANDS).join(', ')}. See: rosvpn --help`);
    return EXIT_USAGE;
  }
  try {
    return await handler(io, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rosvpn ${command}: ${e.message}. See: rosvpn --help`);
      return EXIT_USAGE;
    }
    if (e instanceof PassphraseFileError) {
      io.err(`rosvpn ${command}: ${e.message}`);
      return EXIT_FAIL;
    }
    io.err(`rosvpn ${command}: ${(e as Error).message}`);
    return EXIT_FAIL;
  }
}
