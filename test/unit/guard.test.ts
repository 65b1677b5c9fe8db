// The bridge guard's rendering (guard.ts): the nft ruleset per role, domains and budget; the refusal of values
// the validator would have rejected; the guard step enabled and disabled (shellchecked); the check script's
// guard part on the desktop and the gateway only; the ::guard line parser; the topology's filter validation.
import { strict as assert } from 'assert';
import { renderTopology } from '../../src/core/render';
import { renderCheckScript } from '../../src/core/render/check';
import { renderCycloneDdsXml, renderRobotCycloneDdsXml } from '../../src/core/render/cyclonedds';
import {
  budgetRate,
  GUARD_COUNTERS,
  GUARD_LINE_RE,
  guardStep,
  parseGuardLines,
  renderGuardNft,
  renderGuardUnit,
  spdpPort,
} from '../../src/core/render/guard';
import { formatDiagnostic, validateTopology } from '../../src/core/topology/validate';
import { requireTool, run } from '../../lab/sh';
import { loadFixture } from '../support/fixtures';

const ON = { enabled: true, domains: [0], multicastBudgetKbps: 100 };

describe('guard: the nft ruleset', () => {
  it('counters and limits by the fixed names; every counter declared once and used by exactly one rule', () => {
    const nft = renderGuardNft('desktop', ON);
    assert.deepEqual(GUARD_COUNTERS, [
      'to_lan_arp',
      'to_lan_unicast',
      'to_lan_discovery',
      'to_lan_budget_pass',
      'to_lan_dropped',
      'to_cloud_arp',
      'to_cloud_unicast',
      'to_cloud_discovery',
      'to_cloud_budget_pass',
      'to_cloud_dropped',
    ]);
    for (const c of GUARD_COUNTERS) {
      assert.equal(nft.split(`\n  counter ${c} { }\n`).length, 2, `${c} declared once`);
      assert.equal(nft.split(`counter name "${c}"`).length, 2, `${c} used once`);
    }
    assert.match(nft, /^table bridge rosvpn_guard\ndelete table bridge rosvpn_guard\ntable bridge rosvpn_guard \{$/m);
  });

  it('per direction in order: ARP, unicast (the group bit of the destination MAC), SPDP, budget, drop', () => {
    const chain = /chain to_lan \{\n([\s\S]*?)\n {2}\}/
      .exec(renderGuardNft('gateway', ON))![1]
      .split('\n')
      .map((l) => l.trim());
    assert.deepEqual(chain, [
      'ether type arp counter name "to_lan_arp" accept',
      'ether daddr & 01:00:00:00:00:00 == 00:00:00:00:00:00 counter name "to_lan_unicast" accept',
      'ip daddr 239.255.0.1 udp dport { 7400 } counter name "to_lan_discovery" accept',
      'limit name "to_lan_budget" counter name "to_lan_budget_pass" accept',
      'counter name "to_lan_dropped" drop',
    ]);
  });

  it('the desktop: in from the tap is to_lan, out to it to_cloud; the gateway the other way round', () => {
    const hooks = (s: string) => [
      /hook prerouting[^\n]*\n\s*iifname "tap\*" jump (\w+)/.exec(s)?.[1],
      /hook postrouting[^\n]*\n\s*oifname "tap\*" jump (\w+)/.exec(s)?.[1],
    ];
    assert.deepEqual(hooks(renderGuardNft('desktop', ON)), ['to_lan', 'to_cloud']);
    assert.deepEqual(hooks(renderGuardNft('gateway', ON)), ['to_cloud', 'to_lan']);
  });

  it('SPDP ports from filter.domains (7400 + 250 × domain, sorted, once each); the budget in kbytes/second rounded up', () => {
    assert.deepEqual([0, 1, 232].map(spdpPort), [7400, 7650, 65400]);
    const nft = renderGuardNft('desktop', { enabled: true, domains: [7, 0, 232], multicastBudgetKbps: 801 });
    assert.match(nft, /udp dport \{ 7400, 9150, 65400 \} counter name "to_cloud_discovery"/);
    assert.match(nft, /limit to_lan_budget \{ rate 101 kbytes\/second burst 101 kbytes \}/);
    assert.deepEqual(budgetRate(1), { kbytesPerSecond: 1, burstKbytes: 4 });
    assert.deepEqual(budgetRate(100), { kbytesPerSecond: 13, burstKbytes: 13 });
    assert.deepEqual(budgetRate(100000), { kbytesPerSecond: 12500, burstKbytes: 12500 });
  });

  it('refuses values the validator rejects (defence in depth)', () => {
    for (const bad of [
      { domains: [] },
      { domains: [233] },
      { domains: [-1] },
      { domains: [1.5] },
      { domains: ['0; flush ruleset'] },
      { multicastBudgetKbps: 0 },
      { multicastBudgetKbps: 100001 },
      { multicastBudgetKbps: 2.5 },
    ]) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- hostile values on purpose
      assert.throws(() => renderGuardNft('desktop', { ...ON, ...(bad as any) }), /refusing to render filter\./, JSON.stringify(bad));
    }
  });

  it('the unit: oneshot, loads the file, reload loads it again, stop deletes the table (absent is fine); before OpenVPN', () => {
    const u = renderGuardUnit('gateway');
    assert.match(u, /^Type=oneshot$/m);
    assert.match(u, /^RemainAfterExit=yes$/m);
    assert.match(u, /^ExecStart=\/usr\/sbin\/nft -f \/etc\/rosvpn\/guard\.nft$/m);
    assert.match(u, /^ExecReload=\/usr\/sbin\/nft -f \/etc\/rosvpn\/guard\.nft$/m);
    assert.match(u, /^ExecStop=-\/usr\/sbin\/nft delete table bridge rosvpn_guard$/m);
    assert.match(u, /^Before=network-pre\.target openvpn-server@rosvpn\.service /m);
    assert.match(renderGuardUnit('desktop'), /^Before=network-pre\.target openvpn-client@rosvpn\.service /m);
    assert.match(u, /^After=nftables\.service$/m);
    assert.match(u, /^WantedBy=multi-user\.target$/m);
  });
});

describe('guard: in the scripts', () => {
  const scripts = (t = loadFixture('vxlan-1')) => Object.fromEntries(renderTopology(t).scripts.map((s) => [s.hostName, s.content]));
  const off = loadFixture('vxlan-1', (raw) => (raw.filter = { enabled: false }));

  it('the desktop and the gateway get nftables and the guard step before their network; a second neither', () => {
    const s = scripts();
    for (const h of ['desktop', 'gateway']) {
      assert.match(s[h], /^ensure_packages .* nftables$/m, h);
      const guard = s[h].indexOf('\nstep_begin guard\n');
      assert.ok(guard > 0 && guard < s[h].indexOf('\nstep_begin network-config\n'), `${h}: guard before network-config`);
      assert.match(s[h], /^write_file \/etc\/rosvpn\/guard\.nft 644 <<'ROSVPN_EOF'$/m);
      assert.match(s[h], /^elif \[ "\$GUARD_DIRTY" = 1 \] \|\| ! nft list table bridge rosvpn_guard/m);
    }
    assert.doesNotMatch(s.second, /guard\.nft|nftables|rosvpn-guard/);
  });

  it('filter.enabled false: no nftables package; the step removes unit, file and table, or is skipped', () => {
    const s = scripts(off);
    for (const h of ['desktop', 'gateway']) {
      assert.doesNotMatch(s[h], /nftables$/m, h);
      assert.doesNotMatch(s[h], /write_file \/etc\/rosvpn\/guard\.nft/);
      assert.match(s[h], /systemctl disable --now --quiet rosvpn-guard\.service/);
      assert.match(s[h], /then nft delete table bridge rosvpn_guard; fi/);
      assert.match(s[h], /step_skip guard "filter\.enabled is false"/);
    }
  });

  it('both variants of the step pass shellcheck and bash -n', () => {
    requireTool('shellcheck');
    for (const role of ['desktop', 'gateway'] as const) {
      for (const filter of [ON, { ...ON, enabled: false }]) {
        const s = `#!/usr/bin/env bash\nset -euo pipefail\n${guardStep(role, filter)}\n`;
        // The helpers (step.sh, file.sh) are defined elsewhere in the script: SC2154/SC2034 do not apply here.
        const lint = run('shellcheck', ['-s', 'bash', '-e', 'SC2154', '-f', 'gcc', '-'], { input: s });
        assert.equal(lint.stdout + lint.stderr, '', `${role} ${filter.enabled}`);
        assert.equal(run('bash', ['-n'], { input: s }).status, 0);
      }
    }
  });

  it('the check script: the guard part on the desktop and the gateway (GUARD_WANTED from filter.enabled), not on a second', () => {
    const t = loadFixture('vxlan-1');
    for (const h of ['desktop', 'gateway']) {
      assert.match(renderCheckScript(t, h), /^GUARD_WANTED='1'\nGUARD_TABLE='rosvpn_guard'$/m);
      assert.match(renderCheckScript(off, h), /^GUARD_WANTED='0'$/m);
      assert.match(renderCheckScript(t, h), /nft list counters table bridge "\$GUARD_TABLE"/);
    }
    assert.doesNotMatch(renderCheckScript(t, t.seconds[0].name), /GUARD_|::guard/);
  });

  it('the check part prints the documented lines: off without nft; a fake nft listing parses into every counter', () => {
    const part = (wanted: string, fakeNft: string) => {
      const script = renderCheckScript(loadFixture('vxlan-1'), 'gateway');
      const body = script.slice(script.indexOf('GUARD_WANTED='), script.indexOf('results=$(mktemp -d)'));
      // id and nft as functions: the part as root, reading this listing.
      return run('bash', [
        '-c',
        `id() { echo 0; }\nnft() {\n${fakeNft}\n}\n${body.replace(/^GUARD_WANTED='.'/m, `GUARD_WANTED='${wanted}'`)}`,
      ]);
    };
    assert.equal(part('0', 'exit 1').stdout, '::guard-state off\n');
    assert.equal(part('1', 'exit 1').stdout, '::guard-state missing\n');
    const listing = GUARD_COUNTERS.map((c, i) => `\tcounter ${c} {\n\t\tpackets ${i} bytes ${i * 100}\n\t}\n`).join('');
    const out = part('1', `cat <<'LISTING'\ntable bridge rosvpn_guard {\n${listing}}\nLISTING\n`).stdout;
    const lines = out.trim().split('\n');
    assert.equal(lines[0], '::guard-state on');
    for (const l of lines.slice(1)) assert.match(l, GUARD_LINE_RE);
    const r = parseGuardLines(out)!;
    assert.equal(r.state, 'on');
    assert.deepEqual(r.counters.to_cloud_dropped, { packets: 9, bytes: 900 });
    assert.equal(Object.keys(r.counters).length, GUARD_COUNTERS.length);
  });
});

describe('guard: parseGuardLines', () => {
  it('reads the state and known counters; ignores other lines, unknown names and malformed numbers', () => {
    const r = parseGuardLines(
      [
        '::check name=bridge status=pass msg="x"',
        '::guard-state on',
        '::guard to_lan_dropped packets=12 bytes=34000',
        '::guard evil packets=1 bytes=1',
        '::guard to_lan_arp packets=-1 bytes=2',
        '::guard to_cloud_arp packets=3 bytes=180 extra',
        '::guard to_cloud_unicast packets=5 bytes=500\r',
      ].join('\n'),
    );
    assert.deepEqual(r, {
      state: 'on',
      counters: { to_lan_dropped: { packets: 12, bytes: 34000 }, to_cloud_unicast: { packets: 5, bytes: 500 } },
    });
    assert.equal(parseGuardLines('::check name=bridge status=pass msg="x"\n'), undefined);
    assert.deepEqual(parseGuardLines('::guard-state unreadable\n'), { state: 'unreadable', counters: {} });
    assert.equal(parseGuardLines('::guard-state maybe\n'), undefined);
  });
});

describe('guard: the topology filter', () => {
  const base = { name: 'n', robotSubnet: '10.9.0.0/24', gateway: { host: 'gw', cloudIp: '172.31.1.11', vpnIp: '10.9.0.2/24' } };
  const errors = (filter: unknown) =>
    validateTopology({ ...base, filter })
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => formatDiagnostic(d));

  it('defaults: enabled, domain 0, 100 kbit/s; given values kept', () => {
    assert.deepEqual(validateTopology(base).topology!.filter, { enabled: true, domains: [0], multicastBudgetKbps: 100 });
    assert.deepEqual(validateTopology({ ...base, filter: { domains: [3, 1], multicastBudgetKbps: 5, enabled: false } }).topology!.filter, {
      enabled: false,
      domains: [3, 1],
      multicastBudgetKbps: 5,
    });
  });

  it('bad values: an error naming the field and the fix', () => {
    assert.deepEqual(errors({ domains: [] }), [
      'rosvpn.json: filter.domains: is an empty list — use a list of distinct DDS domain ids (ROS_DOMAIN_ID) from 0 to 232, e.g. [0]',
    ]);
    assert.match(errors({ domains: [0, 0] })[0], /^rosvpn\.json: filter\.domains: lists 0 more than once — use a list of distinct/);
    assert.match(errors({ domains: [233] })[0], /^rosvpn\.json: filter\.domains\[0\]: 233 is out of range 0–232 — use a DDS domain id/);
    assert.match(errors({ domains: ['0'] })[0], /^rosvpn\.json: filter\.domains\[0\]: "0" is a string; expected an integer/);
    assert.match(errors({ domains: 0 })[0], /^rosvpn\.json: filter\.domains: 0 is a number; expected a list/);
    assert.match(
      errors({ multicastBudgetKbps: 0 })[0],
      /^rosvpn\.json: filter\.multicastBudgetKbps: 0 is out of range 1–100000 — use an integer/,
    );
    assert.match(
      errors({ multicastBudgetKbps: 1.5 })[0],
      /filter\.multicastBudgetKbps: 1\.5 is a number with a fraction; expected an integer/,
    );
    assert.match(errors({ enabled: 'yes' })[0], /^rosvpn\.json: filter\.enabled: "yes" is a string; expected true or false/);
    assert.match(errors('on')[0], /^rosvpn\.json: filter: "on" is a string; expected an object — use an object like \{ "enabled": true/);
  });

  it('an unknown key: the usual warning with a suggestion', () => {
    const d = validateTopology({ ...base, filter: { enable: false } }).diagnostics.find((x) => x.path === 'filter.enable');
    assert.equal(d?.severity, 'warning');
    assert.equal(d?.fix, 'did you mean enabled?');
  });
});

describe('CycloneDDS: discovery by multicast, user data by unicast', () => {
  it('AllowMulticast spdp in the hosts’ config and in the robot recommendation', () => {
    for (const xml of [renderCycloneDdsXml('rosbridge'), renderRobotCycloneDdsXml('eth0')]) {
      assert.match(xml, /<General>\n\s*<Interfaces>[\s\S]*?<\/Interfaces>\n\s*<AllowMulticast>spdp<\/AllowMulticast>\n/);
    }
    for (const s of renderTopology(loadFixture('clients-2')).scripts) {
      if (/cyclonedds\.xml/.test(s.content)) assert.match(s.content, /<AllowMulticast>spdp<\/AllowMulticast>/, s.fileName);
    }
  });
});
