// "ROS VPN: Set Up Topology Step by Step": the setup form's inputs as a multi-step InputBox/QuickPick flow for keyboard users.
// Each step is checked with validateForm's diagnostics for its own field; the save path is the form's.
import * as vscode from 'vscode';
import type { Diagnostic } from '../../core/topology/types';
import { newDesktop, newSecond, validateForm, type FormState } from './formModel';
import { formSource, saveForm, type SetupFormDeps } from './save';

interface TextStep {
  kind: 'text';
  /** The diagnostic path of the field this step sets. */
  path: string;
  title: string;
  prompt: string;
  placeholder?: string;
  get(f: FormState): string;
  set(f: FormState, v: string): void;
  /** Checks of the step itself (not the topology), e.g. a count. */
  check?(v: string): string | undefined;
}
interface PickStep {
  kind: 'pick';
  path: string;
  title: string;
  items: { label: string; detail?: string; value: string }[];
  get(f: FormState): string;
  set(f: FormState, v: string): void;
}
type Step = TextStep | PickStep;
type Move = 'next' | 'back' | 'cancel';

const MAX_SECONDS = 50;

function text(
  path: string,
  title: string,
  prompt: string,
  get: (f: FormState) => string,
  set: (f: FormState, v: string) => void,
  placeholder?: string,
): TextStep {
  return { kind: 'text', path, title, prompt, get, set, ...(placeholder ? { placeholder } : {}) };
}

// long: the table of steps, in the order the user meets them; each row is a field, its prompt and check.
/** The steps for the form as it is now: the seconds and the desktop add steps as they are answered. */
function stepsFor(f: FormState): Step[] {
  const steps: Step[] = [
    text(
      'name',
      'Deployment name',
      "Lowercase letters, digits and '-'",
      (x) => x.name,
      (x, v) => (x.name = v),
      'demo',
    ),
    text(
      'robotSubnet',
      'Robot subnet',
      'The robot LAN, network address and prefix length',
      (x) => x.robotSubnet,
      (x, v) => (x.robotSubnet = v),
      '192.168.0.0/24',
    ),
    {
      kind: 'pick',
      path: 'tunnel',
      title: 'Tunnel mode',
      items: [
        { label: 'VXLAN', detail: 'UDP 4789 between the gateway and the seconds', value: 'vxlan' },
        { label: 'GRETAP', detail: 'IP protocol 47', value: 'gretap' },
      ],
      get: (x) => x.tunnel,
      set: (x, v) => (x.tunnel = v === 'gretap' ? 'gretap' : 'vxlan'),
    },
    text(
      'gateway.host',
      'Cloud gateway: SSH host',
      'Host name, IPv4 address or ~/.ssh/config alias',
      (x) => x.gateway.host,
      (x, v) => (x.gateway.host = v),
      'ros-openvpn',
    ),
    text(
      'gateway.publicAddress',
      'Cloud gateway: public address',
      'Elastic IP or DNS name the desktop connects to (empty: set later)',
      (x) => x.gateway.publicAddress,
      (x, v) => (x.gateway.publicAddress = v),
      '203.0.113.10',
    ),
    text(
      'gateway.cloudIp',
      'Cloud gateway: cloud IP',
      'Private VPC address (ROSVPN_GATEWAY_CLOUD_IP)',
      (x) => x.gateway.cloudIp,
      (x, v) => (x.gateway.cloudIp = v),
      '172.31.1.11',
    ),
    text(
      'gateway.vpnIp',
      'Cloud gateway: VPN IP',
      'Address in the robot subnet with prefix (ROSVPN_GATEWAY_VPN_IP)',
      (x) => x.gateway.vpnIp,
      (x, v) => (x.gateway.vpnIp = v),
      '192.168.0.130/24',
    ),
    text(
      'gateway.openvpnPort',
      'Cloud gateway: OpenVPN port',
      'Empty means 1194',
      (x) => x.gateway.openvpnPort,
      (x, v) => (x.gateway.openvpnPort = v),
      '1194',
    ),
    text(
      'ssh.user',
      'SSH user (all hosts)',
      'Empty means ubuntu',
      (x) => x.ssh.user,
      (x, v) => (x.ssh.user = v),
      'ubuntu',
    ),
    text(
      'ssh.identityFile',
      'SSH private key (all hosts)',
      'Path of the key file',
      (x) => x.ssh.identityFile,
      (x, v) => (x.ssh.identityFile = v),
      '~/.ssh/id_ed25519',
    ),
    text(
      'ssh.jump',
      'SSH jump host (all hosts)',
      'A bastion for every host; empty for none ("gateway" is set per second instance)',
      (x) => x.ssh.jump,
      (x, v) => (x.ssh.jump = v),
    ),
    {
      ...text(
        'seconds',
        'Second instances',
        `How many (0–${MAX_SECONDS})`,
        (x) => String(x.seconds.length),
        (x, v) => {
          const n = Number(v);
          if (n < x.seconds.length) x.seconds.splice(n);
          while (x.seconds.length < n) x.seconds.push(newSecond(x));
        },
      ),
      check: (v) => (/^\d+$/.test(v.trim()) && Number(v) <= MAX_SECONDS ? undefined : `enter a number from 0 to ${MAX_SECONDS}`),
    },
  ];
  f.seconds.forEach((_, i) => {
    const p = `seconds[${i}]`;
    const at = (x: FormState) => x.seconds[i] as FormState['seconds'][number];
    const t = (k: 'name' | 'host' | 'cloudIp' | 'vpnIp' | 'jump', what: string, prompt: string) =>
      steps.push(
        text(
          `${p}.${k}`,
          `Second instance ${i + 1}: ${what}`,
          prompt,
          (x) => at(x)[k],
          (x, v) => (at(x)[k] = v),
        ),
      );
    t('name', 'name', 'Its script is <name>.sh');
    t('host', 'SSH host', 'Usually its cloud IP');
    t('cloudIp', 'cloud IP', 'Private VPC address (ROSVPN_SECOND_CLOUD_IP)');
    t('vpnIp', 'VPN IP', 'Address in the robot subnet with prefix (ROSVPN_SECOND_VPN_IP)');
    t('jump', 'jump host', '"gateway" reaches it through the cloud gateway; empty for none');
  });
  steps.push({
    kind: 'pick',
    path: 'desktop',
    title: 'Desktop gateway',
    items: [
      { label: 'Yes', detail: 'This desktop bridges the robot LAN into the VPN (OpenVPN client)', value: 'yes' },
      { label: 'No', detail: 'No desktop gateway in rosvpn.json', value: 'no' },
    ],
    get: (x) => (x.desktop ? 'yes' : 'no'),
    set: (x, v) => {
      if (v === 'no') delete x.desktop;
      else x.desktop ??= newDesktop();
    },
  });
  const d = f.desktop;
  if (d) {
    steps.push(
      text(
        'desktop.host',
        'Desktop: SSH host',
        '"localhost" when it is this machine',
        (x) => x.desktop?.host ?? '',
        (x, v) => x.desktop && (x.desktop.host = v),
        'localhost',
      ),
      text(
        'desktop.lanInterface',
        'Desktop: LAN interface',
        'The NIC on the robot LAN, as "ip link" shows it',
        (x) => x.desktop?.lanInterface ?? '',
        (x, v) => x.desktop && (x.desktop.lanInterface = v),
        'eno1',
      ),
      {
        kind: 'pick',
        path: 'desktop.addressing',
        title: 'Desktop: addressing',
        items: [
          { label: 'DHCP', value: 'dhcp' },
          { label: 'Static', detail: 'Give its LAN address and default gateway next', value: 'static' },
        ],
        get: (x) => x.desktop?.addressing ?? 'dhcp',
        set: (x, v) => x.desktop && (x.desktop.addressing = v === 'static' ? 'static' : 'dhcp'),
      },
    );
    if (d.addressing === 'static') {
      steps.push(
        text(
          'desktop.address',
          'Desktop: address',
          "The desktop's LAN address with prefix",
          (x) => x.desktop?.address ?? '',
          (x, v) => x.desktop && (x.desktop.address = v),
          '192.168.0.10/24',
        ),
        text(
          'desktop.defaultGateway',
          'Desktop: default gateway',
          "The LAN router's address (empty for none)",
          (x) => x.desktop?.defaultGateway ?? '',
          (x, v) => x.desktop && (x.desktop.defaultGateway = v),
          '192.168.0.1',
        ),
      );
    }
  }
  return steps;
}

/** The diagnostics of one field if the form held `value` there. */
function fieldDiagnostics(step: Step, form: FormState, value: string): Diagnostic[] {
  const trial = structuredClone(form);
  step.set(trial, value);
  return validateForm(trial).fields[step.path] ?? [];
}

const say = (d: Diagnostic): string => `${d.message}${d.fix ? ` — ${d.fix}` : ''}`;

function runText(step: TextStep, form: FormState, title: string, first: boolean): Promise<Move> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = title;
    box.prompt = step.prompt;
    box.placeholder = step.placeholder ?? '';
    box.value = step.get(form);
    box.ignoreFocusOut = true;
    box.buttons = first ? [] : [vscode.QuickInputButtons.Back];
    const problem = (v: string): vscode.InputBoxValidationMessage | undefined => {
      const own = step.check?.(v);
      if (own) return { message: own, severity: vscode.InputBoxValidationSeverity.Error };
      if (step.check) return undefined; // a step with its own check (the count) is not a topology field
      const ds = fieldDiagnostics(step, form, v);
      const d = ds.find((x) => x.severity === 'error') ?? ds[0];
      if (!d) return undefined;
      const severity = d.severity === 'error' ? vscode.InputBoxValidationSeverity.Error : vscode.InputBoxValidationSeverity.Warning;
      return { message: say(d), severity };
    };
    box.validationMessage = problem(box.value);
    let done = false;
    const finish = (m: Move): void => {
      done = true;
      box.dispose();
      resolve(m);
    };
    box.onDidChangeValue((v) => (box.validationMessage = problem(v)));
    box.onDidAccept(() => {
      const p = problem(box.value);
      if (p?.severity === vscode.InputBoxValidationSeverity.Error) return;
      step.set(form, box.value);
      finish('next');
    });
    box.onDidTriggerButton(() => finish('back'));
    box.onDidHide(() => {
      if (!done) finish('cancel');
    });
    box.show();
  });
}

function runPick(step: PickStep, form: FormState, title: string, first: boolean): Promise<Move> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<{ label: string; detail?: string; value: string }>();
    pick.title = title;
    pick.items = step.items;
    pick.activeItems = step.items.filter((i) => i.value === step.get(form));
    pick.ignoreFocusOut = true;
    pick.buttons = first ? [] : [vscode.QuickInputButtons.Back];
    let done = false;
    const finish = (m: Move): void => {
      done = true;
      pick.dispose();
      resolve(m);
    };
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (!chosen) return;
      step.set(form, chosen.value);
      finish('next');
    });
    pick.onDidTriggerButton(() => finish('back'));
    pick.onDidHide(() => {
      if (!done) finish('cancel');
    });
    pick.show();
  });
}

/** The last step: save, or jump to a field that still has a problem. Returns the step index to go to, or 'save'. */
async function review(form: FormState, steps: Step[], file: string): Promise<number | 'save' | 'cancel'> {
  const v = validateForm(form);
  const problems = [...Object.values(v.fields).flat(), ...v.form];
  type Item = vscode.QuickPickItem & { go: number | 'save' };
  const indexOf = (path: string): number => {
    const i = steps.findIndex((s) => s.path === path);
    return i >= 0 ? i : steps.length - 1;
  };
  const items: Item[] = [
    ...(v.errorCount === 0 ? [{ label: `$(save) Save ${file}`, go: 'save' as const }] : []),
    ...problems.map((d) => ({
      label: `$(${d.severity === 'error' ? 'error' : 'warning'}) ${d.path || 'topology'}`,
      detail: say(d),
      go: indexOf(d.path),
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Quick Setup: review (${v.errorCount} error${v.errorCount === 1 ? '' : 's'})`,
    placeHolder: v.errorCount ? 'Pick a problem to go back to its step' : 'Save, or pick a warning to go back to its step',
    ignoreFocusOut: true,
  });
  return picked ? picked.go : 'cancel';
}

export async function quickSetup(deps: SetupFormDeps): Promise<void> {
  const source = formSource(deps.store);
  const form = source.form;
  const file = source.file ?? 'rosvpn.json';
  if (source.notice) void vscode.window.showInformationMessage(`ROS VPN: ${source.notice}`);
  let i = 0;
  for (;;) {
    const steps = stepsFor(form);
    if (i >= steps.length) {
      const next = await review(form, steps, file);
      if (next === 'cancel') return;
      if (next === 'save') break;
      i = next;
      continue;
    }
    const step = steps[i] as Step;
    // Step numbers count the steps as they are now; answering "how many seconds" changes the total.
    const title = `ROS VPN Quick Setup (${i + 1}/${steps.length + 1}): ${step.title}`;
    const move = step.kind === 'text' ? await runText(step, form, title, i === 0) : await runPick(step, form, title, i === 0);
    if (move === 'cancel') return;
    i = move === 'back' ? Math.max(0, i - 1) : i + 1;
  }
  const r = await saveForm(deps, form, 'Quick setup');
  // saveForm logged every problem; the command registry shows this with "Show Log".
  if (!r.ok) throw new Error(`${file} not saved: ${r.message}`);
  void vscode.window.showInformationMessage(`ROS VPN: saved ${r.file}.`);
}
