// The setup form, in plain DOM. Runs in the webview; validates with the core's own validator (bundled).
// Test hooks: every input has data-field="<diagnostic path>", its error element data-error-for="<path>".
import type { Diagnostic } from '../../../core/topology/types';
import {
  coerceForm,
  diagramModel,
  mapDiagnostics,
  newClient,
  newDesktop,
  newSecond,
  validateForm,
  type DesktopFields,
  type FormState,
  type FormValidation,
} from '../formModel';
import type { FromWebview, ToWebview } from '../protocol';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: Persisted): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the panel being hidden (the webview is torn down and rebuilt from this). */
interface Persisted {
  form: FormState;
  /** Edited since the last load or save: a reload from the file must not overwrite it. */
  dirty: boolean;
  file: string | null;
  notice?: string;
}

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';

let state: Persisted | undefined = restore();
/** The desktop section's values while it is switched off, so switching it back on restores them. */
let parkedDesktop: DesktopFields | undefined;
/** The extension's validation of the merged file after a refused save; cleared by the next edit. */
let serverDiagnostics: Diagnostic[] = [];
let saving = false;

function restore(): Persisted | undefined {
  const s = vscode.getState() as Partial<Persisted> | undefined;
  if (!s || typeof s !== 'object' || !s.form) return undefined;
  return {
    form: coerceForm(s.form),
    dirty: s.dirty === true,
    file: typeof s.file === 'string' ? s.file : null,
    ...(typeof s.notice === 'string' ? { notice: s.notice } : {}),
  };
}

// ---- small DOM helpers ------------------------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const idFor = (path: string): string => `f-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
const $ = <T extends Element>(selector: string): T | null => document.querySelector<T>(selector);

/** A labelled control with its hint and error element; `control` gets the data-field and ARIA wiring. */
function field(path: string, label: string, hint: string, control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  const id = idFor(path);
  control.id = id;
  control.dataset.field = path;
  control.setAttribute('aria-describedby', `${id}-hint ${id}-error`);
  return el(
    'div',
    { class: 'field' },
    el('label', { for: id }, label),
    control,
    el('p', { class: 'hint', id: `${id}-hint` }, hint),
    el('p', { class: 'error', id: `${id}-error`, 'data-error-for': path }),
  );
}

function text(path: string, label: string, hint: string, get: () => string, set: (v: string) => void, placeholder = ''): HTMLElement {
  const input = el('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder });
  input.value = get();
  input.addEventListener('input', () => {
    set(input.value);
    edited();
  });
  return field(path, label, hint, input);
}

function select<T extends string>(
  path: string,
  label: string,
  hint: string,
  options: [T, string][],
  get: () => T,
  set: (v: T) => void,
): HTMLElement {
  const s = el('select');
  for (const [value, name] of options) s.append(el('option', { value }, name));
  s.value = get();
  s.addEventListener('change', () => {
    set(s.value as T);
    edited();
  });
  return field(path, label, hint, s);
}

function button(label: string, props: Record<string, string>, onClick: () => void): HTMLButtonElement {
  // type=button: nothing in this form submits; Save is an explicit action.
  const b = el('button', { type: 'button', ...props }, label);
  b.addEventListener('click', onClick);
  return b;
}

// ---- the form -----------------------------------------------------------------------------------------------

// long: the form's sections and fields in display order; it reads top to bottom like the form itself.
function build(): void {
  const app = $<HTMLElement>('#app');
  if (!app || !state) return;
  const f = state.form;
  const form = el(
    'form',
    { id: 'setup', novalidate: '' },
    el(
      'fieldset',
      {},
      el('legend', {}, 'Robot network'),
      text(
        'name',
        'Deployment name',
        "Lowercase letters, digits and '-'.",
        () => f.name,
        (v) => (f.name = v),
        'demo',
      ),
      text(
        'robotSubnet',
        'Robot subnet',
        'The robot LAN, e.g. 192.168.0.0/24.',
        () => f.robotSubnet,
        (v) => (f.robotSubnet = v),
        '192.168.0.0/24',
      ),
      select(
        'tunnel',
        'Tunnel mode',
        'How the gateway carries the LAN to the second instances.',
        [
          ['vxlan', 'VXLAN (UDP 4789)'],
          ['gretap', 'GRETAP (IP protocol 47)'],
        ],
        () => f.tunnel,
        (v) => (f.tunnel = v),
      ),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Cloud gateway'),
      text(
        'gateway.host',
        'SSH host',
        'Host name, IPv4 address or ~/.ssh/config alias.',
        () => f.gateway.host,
        (v) => (f.gateway.host = v),
        'ros-openvpn',
      ),
      text(
        'gateway.publicAddress',
        'Public address',
        'Elastic IP or DNS name the desktop connects to.',
        () => f.gateway.publicAddress,
        (v) => (f.gateway.publicAddress = v),
        '203.0.113.10',
      ),
      text(
        'gateway.cloudIp',
        'Cloud IP',
        'Private VPC address (ROSVPN_GATEWAY_CLOUD_IP).',
        () => f.gateway.cloudIp,
        (v) => (f.gateway.cloudIp = v),
        '172.31.1.11',
      ),
      text(
        'gateway.vpnIp',
        'VPN IP',
        'Address in the robot subnet, with prefix (ROSVPN_GATEWAY_VPN_IP).',
        () => f.gateway.vpnIp,
        (v) => (f.gateway.vpnIp = v),
        '192.168.0.130/24',
      ),
      text(
        'gateway.openvpnPort',
        'OpenVPN port',
        'Empty means 1194.',
        () => f.gateway.openvpnPort,
        (v) => (f.gateway.openvpnPort = v),
        '1194',
      ),
    ),
    el(
      'fieldset',
      { class: 'seconds' },
      el('legend', {}, 'Second instances'),
      el('div', { id: 'seconds' }),
      button('Add second instance', { id: 'add-second', class: 'secondary' }, secondsList.add),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'SSH (all hosts)'),
      text(
        'ssh.user',
        'User',
        'Empty means ubuntu.',
        () => f.ssh.user,
        (v) => (f.ssh.user = v),
        'ubuntu',
      ),
      text(
        'ssh.identityFile',
        'Private key',
        'Path of the key file; its passphrase is asked for when needed.',
        () => f.ssh.identityFile,
        (v) => (f.ssh.identityFile = v),
        '~/.ssh/id_ed25519',
      ),
      text(
        'ssh.jump',
        'Jump host',
        'A bastion for every host (not "gateway": set that per second instance).',
        () => f.ssh.jump,
        (v) => (f.ssh.jump = v),
      ),
    ),
    el('fieldset', { id: 'desktop' }, el('legend', {}, 'Desktop gateway'), checkbox(), el('div', { id: 'desktop-fields' })),
    el(
      'fieldset',
      { class: 'clients' },
      el('legend', {}, 'Clients'),
      el(
        'p',
        { class: 'hint' },
        'Machines with a certificate of their own (a laptop, a second site) that join the robot LAN through the gateway.',
      ),
      el('div', { id: 'clients' }),
      button('Add client', { id: 'add-client', class: 'secondary' }, clientsList.add),
    ),
  );
  // Enter in a text box must not submit or click anything; Save is a deliberate button press.
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target instanceof HTMLInputElement && e.target.type === 'text') e.preventDefault();
  });

  app.replaceChildren(
    el('h1', {}, 'ROS VPN setup'),
    el(
      'p',
      { class: 'intro' },
      'Checked as you type with the same validator as the rosvpn CLI. Save writes ',
      el('code', { id: 'file' }),
      '; keys this form does not show are kept.',
    ),
    el('p', { id: 'notice', class: 'notice' }),
    el(
      'section',
      { class: 'diagram', 'aria-labelledby': 'diagram-title' },
      el('h2', { id: 'diagram-title' }, 'Topology'),
      el('div', { id: 'diagram' }),
    ),
    el('div', { id: 'form-errors', class: 'form-errors' }),
    form,
    el('div', { class: 'actions' }, button('Save', { id: 'save' }, save), el('p', { id: 'status', role: 'status', 'aria-live': 'polite' })),
  );
  app.removeAttribute('aria-busy');
  renderSeconds();
  renderDesktop();
  renderClients();
  refresh();
}

const baseName = (p: string): string => p.split(/[\\/]/).pop() || p;

function checkbox(): HTMLElement {
  const box = el('input', { type: 'checkbox', id: 'desktop-enabled' });
  box.checked = !!state?.form.desktop;
  box.addEventListener('change', () => {
    if (!state) return;
    if (box.checked) state.form.desktop = parkedDesktop ?? newDesktop();
    else {
      parkedDesktop = state.form.desktop;
      delete state.form.desktop;
    }
    renderDesktop();
    edited();
  });
  return el(
    'div',
    { class: 'check' },
    box,
    el('label', { for: 'desktop-enabled' }, 'This desktop bridges the robot LAN into the VPN (OpenVPN client)'),
  );
}

function renderSeconds(focus?: number | 'add'): void {
  const box = $<HTMLElement>('#seconds');
  if (!box || !state) return;
  const f = state.form;
  box.replaceChildren(
    ...f.seconds.map((s, i) => {
      const p = `seconds[${i}]`;
      return el(
        'fieldset',
        { class: 'second', 'data-second': String(i) },
        el('legend', {}, `Second instance ${i + 1}`),
        text(
          `${p}.name`,
          'Name',
          'Its script is <name>.sh.',
          () => s.name,
          (v) => (s.name = v),
        ),
        text(
          `${p}.host`,
          'SSH host',
          'Usually its cloud IP.',
          () => s.host,
          (v) => (s.host = v),
          '172.31.1.12',
        ),
        text(
          `${p}.cloudIp`,
          'Cloud IP',
          'Private VPC address (ROSVPN_SECOND_CLOUD_IP).',
          () => s.cloudIp,
          (v) => (s.cloudIp = v),
          '172.31.1.12',
        ),
        text(
          `${p}.vpnIp`,
          'VPN IP',
          'Address in the robot subnet, with prefix (ROSVPN_SECOND_VPN_IP).',
          () => s.vpnIp,
          (v) => (s.vpnIp = v),
          '192.168.0.131/24',
        ),
        text(
          `${p}.jump`,
          'Jump host',
          '"gateway" reaches it through the cloud gateway.',
          () => s.jump,
          (v) => (s.jump = v),
          'gateway',
        ),
        button(
          'Remove',
          { class: 'secondary', 'data-remove-second': String(i), 'aria-label': `Remove second instance ${i + 1} (${s.name || 'unnamed'})` },
          () => secondsList.remove(i),
        ),
      );
    }),
  );
  if (focus === 'add') $<HTMLElement>('#add-second')?.focus();
  else if (focus !== undefined) $<HTMLElement>(`[data-field="seconds[${focus}].host"]`)?.focus();
}

/**
 * Add and Remove of a list section (seconds, clients). After a removal the keyboard user stays in the list:
 * on the row that took this one's place, else the one before, else the section's Add button.
 */
function listSection(key: 'seconds' | 'clients', kind: 'second' | 'client', render: (focus?: number) => void) {
  return {
    add(): void {
      if (!state) return;
      if (key === 'seconds') state.form.seconds.push(newSecond(state.form));
      else state.form.clients.push(newClient(state.form));
      render(state.form[key].length - 1);
      edited();
    },
    remove(i: number): void {
      if (!state) return;
      state.form[key].splice(i, 1);
      render();
      const next = Math.min(i, state.form[key].length - 1);
      (next >= 0 ? $<HTMLElement>(`[data-remove-${kind}="${next}"]`) : $<HTMLElement>(`#add-${kind}`))?.focus();
      edited();
    },
  };
}
const secondsList = listSection('seconds', 'second', (focus) => renderSeconds(focus));
const clientsList = listSection('clients', 'client', (focus) => renderClients(focus));

function renderClients(focus?: number): void {
  const box = $<HTMLElement>('#clients');
  if (!box || !state) return;
  box.replaceChildren(
    ...state.form.clients.map((c, i) => {
      const p = `clients[${i}]`;
      return el(
        'fieldset',
        { class: 'client', 'data-client': String(i) },
        el('legend', {}, `Client ${i + 1}`),
        text(
          `${p}.name`,
          'Name',
          'Its certificate and profile name (<name>.ovpn): lowercase letters, digits and -.',
          () => c.name,
          (v) => (c.name = v),
          'alice-laptop',
        ),
        text(
          `${p}.vpnIp`,
          'VPN IP',
          'Its address in the robot subnet, with prefix; the gateway gives it to the client.',
          () => c.vpnIp,
          (v) => (c.vpnIp = v),
          '192.168.0.150/24',
        ),
        text(
          `${p}.host`,
          'SSH host',
          'Optional: lets Provision Client set it up; empty when you install its profile by hand.',
          () => c.host,
          (v) => (c.host = v),
        ),
        button(
          'Remove',
          { class: 'secondary', 'data-remove-client': String(i), 'aria-label': `Remove client ${i + 1} (${c.name || 'unnamed'})` },
          () => clientsList.remove(i),
        ),
      );
    }),
  );
  if (focus !== undefined) $<HTMLElement>(`[data-field="clients[${focus}].name"]`)?.focus();
}

function renderDesktop(): void {
  const box = $<HTMLElement>('#desktop-fields');
  if (!box || !state) return;
  const d = state.form.desktop;
  if (!d) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    text(
      'desktop.host',
      'SSH host',
      '"localhost" when it is this machine.',
      () => d.host,
      (v) => (d.host = v),
      'localhost',
    ),
    text(
      'desktop.lanInterface',
      'LAN interface',
      'The NIC on the robot LAN, as "ip link" shows it.',
      () => d.lanInterface,
      (v) => (d.lanInterface = v),
      'eno1',
    ),
    select(
      'desktop.addressing',
      'Addressing',
      "How the desktop's LAN address is set once the NIC is bridged.",
      [
        ['dhcp', 'DHCP'],
        ['static', 'Static'],
      ],
      () => d.addressing,
      (v) => {
        d.addressing = v;
        renderDesktop();
        $<HTMLElement>('[data-field="desktop.addressing"]')?.focus();
      },
    ),
    ...(d.addressing === 'static'
      ? [
          text(
            'desktop.address',
            'Address',
            "The desktop's LAN address with prefix, e.g. 192.168.0.10/24.",
            () => d.address,
            (v) => (d.address = v),
            '192.168.0.10/24',
          ),
          text(
            'desktop.defaultGateway',
            'Default gateway',
            "The LAN router's address, if any.",
            () => d.defaultGateway,
            (v) => (d.defaultGateway = v),
            '192.168.0.1',
          ),
        ]
      : []),
  );
}

// ---- validation, diagram, status ------------------------------------------------------------------------------

function edited(): void {
  if (!state) return;
  state.dirty = true;
  serverDiagnostics = [];
  refresh();
}

function refresh(): void {
  if (!state) return;
  vscode.setState(state);
  const file = $<HTMLElement>('#file');
  if (file) file.textContent = state.file ?? 'rosvpn.json';
  const notice = $<HTMLElement>('#notice');
  if (notice) {
    notice.textContent = state.notice ?? '';
    notice.hidden = !state.notice;
  }
  const local = validateForm(state.form);
  const v = serverDiagnostics.length ? mapDiagnostics(serverDiagnostics, state.form) : local;
  for (const control of Array.from(document.querySelectorAll<HTMLElement>('[data-field]'))) {
    const path = control.dataset.field as string;
    const ds = v.fields[path] ?? [];
    const bad = ds.some((d) => d.severity === 'error');
    control.setAttribute('aria-invalid', String(bad));
    const out = document.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(path)}"]`);
    if (!out) continue;
    out.textContent = ds.map(describe).join(' ');
    out.classList.toggle('warning', ds.length > 0 && !bad);
  }
  const list = $<HTMLElement>('#form-errors');
  list?.replaceChildren(
    ...(v.form.length
      ? [el('ul', {}, ...v.form.map((d) => el('li', { class: d.severity }, `${d.path ? `${d.path}: ` : ''}${describe(d)}`)))]
      : []),
  );
  const errors = Math.max(local.errorCount, v.errorCount);
  const saveButton = $<HTMLButtonElement>('#save');
  if (saveButton) {
    saveButton.disabled = errors > 0 || saving;
    saveButton.textContent = `Save ${baseName(state.file ?? 'rosvpn.json')}`;
  }
  drawDiagram(v);
  if (saving) return;
  if (errors > 0) setStatus(`${errors} error${errors === 1 ? '' : 's'}: fix ${errors === 1 ? 'it' : 'them'} to save.`);
  else if (state.dirty) setStatus('No errors. Unsaved changes.');
  else if (!$('#status')?.textContent?.startsWith('Saved')) setStatus('No errors.');
}

const describe = (d: Diagnostic): string => `${d.severity === 'warning' ? 'Warning: ' : ''}${d.message}${d.fix ? ` — ${d.fix}` : ''}`;

/** Writes only on change, so a screen reader hears the status when it changes, not on every keystroke. */
function setStatus(message: string): void {
  const s = $<HTMLElement>('#status');
  if (s && s.textContent !== message) s.textContent = message;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

const clip = (s: string, n = 24): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function drawDiagram(v: FormValidation): void {
  const box = $<HTMLElement>('#diagram');
  if (!box || !state) return;
  const model = diagramModel(state.form, v);
  const W = 170,
    GAP = 110,
    LINE = 15,
    PAD = 8,
    VGAP = 10;
  const heightOf = (lines: number): number => PAD * 2 + LINE * (lines + 1);
  const colHeight = (c: (typeof model.columns)[number]): number => c.reduce((h, n) => h + heightOf(n.lines.length) + VGAP, -VGAP);
  const height = Math.max(...model.columns.map(colHeight)) + 24;
  const width = model.columns.length * W + (model.columns.length - 1) * GAP;
  // Node boxes laid out per column, vertically centred; links join each node to every node of the next column.
  const placed = model.columns.map((col, ci) => {
    let y = (height - colHeight(col)) / 2;
    return col.map((n) => {
      const h = heightOf(n.lines.length);
      const r = { n, x: ci * (W + GAP), y, h };
      y += h + VGAP;
      return r;
    });
  });
  const parts: SVGElement[] = [];
  placed.slice(0, -1).forEach((col, ci) => {
    const from = col[0];
    const next = placed[ci + 1] ?? [];
    if (!from) return;
    for (const to of next) {
      parts.push(svg('line', { class: 'link', x1: from.x + W, y1: from.y + from.h / 2, x2: to.x, y2: to.y + to.h / 2 }));
    }
    parts.push(
      svg(
        'text',
        { class: 'link-label', x: from.x + W + GAP / 2, y: from.y + from.h / 2 - 6, 'text-anchor': 'middle' },
        model.links[ci] ?? '',
      ),
    );
  });
  for (const { n, x, y, h } of placed.flat()) {
    const g = svg('g', { class: n.invalid ? 'node invalid' : 'node', 'data-node': n.id });
    g.append(svg('rect', { x, y, width: W, height: h, rx: 4 }));
    g.append(svg('text', { class: 'title', x: x + PAD, y: y + PAD + LINE - 3 }, clip(n.title)));
    n.lines.forEach((l, i) => g.append(svg('text', { x: x + PAD, y: y + PAD + LINE * (i + 2) - 3 }, clip(l))));
    parts.push(g);
  }
  // The SVG is a picture of the form; its text alternative reads the chain left to right.
  const summary = model.columns
    .map((c) => c.map((n) => `${n.title} (${n.lines.join(', ')})`).join('; '))
    .reduce((acc, c, i) => `${acc} — ${model.links[i - 1] ?? ''} — ${c}`);
  const picture = svg(
    'svg',
    { role: 'img', 'aria-label': `Topology: ${summary}`, viewBox: `0 0 ${width} ${height}`, width, height },
    ...parts,
  );
  box.replaceChildren(picture);
}

// ---- messages -----------------------------------------------------------------------------------------------

function save(): void {
  if (!state || saving || validateForm(state.form).errorCount > 0) return;
  saving = true;
  setStatus('Saving…');
  refresh();
  vscode.postMessage({ type: 'save', form: state.form });
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'load': {
      const same = !!state && JSON.stringify(state.form) === JSON.stringify(m.form);
      // Keep the form object whenever it stays: the inputs' handlers write into it. Unsaved edits win over
      // the file (hiding and showing the panel reloads it from getState); edits equal to the file are saved.
      if (state && (state.dirty || same)) {
        if (same) state.dirty = false;
        state.file = m.file;
        if (m.notice) state.notice = m.notice;
        else delete state.notice;
        refresh();
        return;
      }
      state = { form: coerceForm(m.form), dirty: false, file: m.file, ...(m.notice ? { notice: m.notice } : {}) };
      build();
      return;
    }
    case 'saved':
      saving = false;
      if (state) state.dirty = false;
      refresh();
      setStatus(`Saved ${m.file}.`);
      return;
    case 'saveError':
      saving = false;
      serverDiagnostics = Array.isArray(m.diagnostics) ? m.diagnostics : [];
      refresh();
      setStatus(`Not saved: ${m.message}`);
      return;
  }
});

if (state) build();
vscode.postMessage({ type: 'ready' });
