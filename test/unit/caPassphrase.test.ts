// The CA passphrase in VS Code (src/extension/clients/caPassphrase.ts) under a stub `vscode`: a new CA asks
// twice and where to keep it (this session by default), an existing CA once; a wrong one is forgotten and
// asked again; Forget clears SecretStorage and the session; the passphrase never reaches the log.
import { strict as assert } from 'assert';
import { installVscodeStub } from '../support/vscodeStub';
import type * as CaModule from '../../src/extension/clients/caPassphrase';

interface Box {
  title?: string;
  prompt?: string;
  password?: boolean;
  validateInput?: (v: string) => string | undefined;
}

function stubVscode() {
  const state = {
    boxes: [] as Box[],
    /** What the "user" types into the next input boxes, in order; undefined = Escape. */
    typed: [] as (string | undefined)[],
    picks: [] as { title?: string; placeHolder?: string; labels: string[] }[],
    /** The label picked in the next QuickPick; null = Enter on the first (active) row; undefined = Escape. */
    pick: null as string | null | undefined,
  };
  const vscode = {
    window: {
      showInputBox: async (o: Box) => {
        state.boxes.push(o);
        const v = state.typed.shift();
        // A real input box does not accept a value its validateInput rejects.
        if (v !== undefined && o.validateInput?.(v)) throw new Error(`the box "${o.title}" refuses ${v}: ${o.validateInput(v)}`);
        return v;
      },
      showQuickPick: async <T extends { label: string }>(items: T[], o: { title?: string; placeHolder?: string }) => {
        state.picks.push({ title: o.title, placeHolder: o.placeHolder, labels: items.map((i) => i.label) });
        const p = state.pick;
        return p === undefined ? undefined : p === null ? items[0] : items.find((i) => i.label === p);
      },
    },
  };
  return { vscode, state };
}

function stubSecrets() {
  const m = new Map<string, string>();
  return {
    map: m,
    secrets: {
      get: async (k: string) => m.get(k),
      store: async (k: string, v: string) => void m.set(k, v),
      delete: async (k: string) => void m.delete(k),
    },
  };
}

function stubMemento() {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string, d: T) => (m.has(k) ? (m.get(k) as T) : d), update: async (k: string, v: unknown) => void m.set(k, v) };
}

function stubLog() {
  const lines: string[] = [];
  const at = (text: string) => void lines.push(text);
  return { lines, channel: { info: at, warn: at, error: at, debug: at, trace: at } };
}

describe('CA passphrase in VS Code', () => {
  const stub = stubVscode();
  let ca: typeof CaModule;
  let restore: () => void;
  const topo = { name: 'demo', gateway: { host: 'ros-openvpn' } } as never;
  const PASS = 'correct-horse-battery';

  before(() => {
    restore = installVscodeStub(stub.vscode);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the vscode stub is in place
    ca = require('../../src/extension/clients/caPassphrase');
  });

  after(() => {
    restore();
  });

  let secrets: ReturnType<typeof stubSecrets>;
  let log: ReturnType<typeof stubLog>;
  let store: CaModule.CaPassphrases;
  beforeEach(() => {
    stub.state.boxes = [];
    stub.state.typed = [];
    stub.state.picks = [];
    stub.state.pick = null;
    secrets = stubSecrets();
    log = stubLog();
    store = new ca.CaPassphrases(secrets.secrets as never, stubMemento() as never, log.channel as never);
  });

  afterEach(() => {
    assert.ok(
      !log.lines.some((l) => l.includes(PASS) || l.includes('wrong-one-123')),
      `a passphrase reached the log: ${log.lines.join(' | ')}`,
    );
  });

  it('one secret per deployment (id, else name) and gateway host', () => {
    assert.equal(ca.caSecretKey(topo), 'rosvpn.caPassphrase:demo@ros-openvpn');
    assert.equal(
      ca.caSecretKey({ ...(topo as object), deployment: '3f9c0a7d5e2b8c41' } as never),
      'rosvpn.caPassphrase:3f9c0a7d5e2b8c41@ros-openvpn',
    );
  });

  it('a new CA: typed twice (both hidden, the second must match), kept for this session by default', async () => {
    const src = store.sourceFor(topo);
    assert.equal(await src.known(), undefined);
    stub.state.typed = [PASS, PASS];
    assert.equal(await src.ask('new', 'issue alice-laptop'), PASS);
    assert.equal(stub.state.boxes.length, 2);
    assert.ok(stub.state.boxes.every((b) => b.password));
    assert.match(stub.state.boxes[0].prompt ?? '', /issue alice-laptop.*password manager/s);
    assert.equal(stub.state.boxes[0].validateInput?.('short'), 'At least 8 characters (a long phrase from a password manager is best).');
    assert.equal(stub.state.boxes[1].validateInput?.(`${PASS}x`), 'Not the same as the first one.');
    assert.deepEqual(stub.state.picks, [
      { title: 'ROS VPN: Keep the CA passphrase where?', placeHolder: ca.SESSION_ONLY, labels: [ca.SESSION_ONLY, ca.REMEMBER] },
    ]);
    assert.equal(await src.known(), PASS, 'known for the rest of the session');
    assert.equal(secrets.map.size, 0, 'not in SecretStorage');
    // Another window (a new CaPassphrases) does not know it.
    assert.equal(
      await new ca.CaPassphrases(secrets.secrets as never, stubMemento() as never, log.channel as never).sourceFor(topo).known(),
      undefined,
    );
  });

  it('"Remember on this machine" keeps it in SecretStorage; Forget clears it', async () => {
    stub.state.typed = [PASS, PASS];
    stub.state.pick = ca.REMEMBER;
    assert.equal(await store.sourceFor(topo).ask('new', 'make the CA'), PASS);
    assert.deepEqual([...secrets.map], [['rosvpn.caPassphrase:demo@ros-openvpn', PASS]]);
    assert.equal(await store.forgetAll(), 1);
    assert.equal(secrets.map.size, 0);
    assert.equal(await store.sourceFor(topo).known(), undefined);
  });

  it('cancelling any of the three questions cancels', async () => {
    for (const [typed, pick] of [
      [[undefined], null],
      [[PASS, undefined], null],
      [[PASS, PASS], undefined],
    ] as const) {
      stub.state.typed = [...typed];
      stub.state.pick = pick;
      assert.equal(await store.sourceFor(topo).ask('new', 'x'), undefined);
      assert.equal(await store.sourceFor(topo).known(), undefined);
    }
  });

  it('an existing CA: asked once; a wrong remembered one is forgotten and the new answer remembered in its place', async () => {
    secrets.map.set('rosvpn.caPassphrase:demo@ros-openvpn', 'wrong-one-123');
    const src = store.sourceFor(topo);
    assert.equal(await src.known(), 'wrong-one-123');
    stub.state.typed = [PASS];
    assert.equal(await src.ask('retry', 'issue alice-laptop'), PASS);
    assert.equal(stub.state.boxes.length, 1);
    assert.match(stub.state.boxes[0].title ?? '', /the last one was wrong/);
    assert.equal(secrets.map.get('rosvpn.caPassphrase:demo@ros-openvpn'), PASS);
    assert.equal(await src.known(), PASS);
    // Unlocking without a stored one: for this session only.
    secrets.map.clear();
    const other = store.sourceFor({ name: 'lab', gateway: { host: '203.0.113.1' } } as never);
    stub.state.typed = [PASS];
    assert.equal(await other.ask('unlock', 'revoke bob'), PASS);
    assert.equal(secrets.map.size, 0);
    assert.equal(await other.known(), PASS);
    assert.equal(await store.forgetAll(), 2, 'Forget counts the session ones too');
    assert.equal(await other.known(), undefined);
  });
});
