// The provisioning scripts' output protocol (see render/bash.ts) parsed into events.
export type StepStatus = 'ok' | 'changed' | 'skipped' | 'failed';

export type ScriptLine =
  | {
      kind: 'step';
      name: string;
      status: StepStatus;
      msg?: string;
      code?: string;
      /** How long the step took on the host (absent from the lines of scripts older than the field). */
      ms?: number;
    }
  | { kind: 'warn'; msg: string }
  | {
      kind: 'summary';
      changed: number;
      ok: number;
      skipped: number;
      failed: number;
      /** CPU time of the script and its children. */ cpuMs?: number;
    }
  | { kind: 'text'; text: string };

// The step's duration comes last (ms=N), and is optional: a line without it is still a step line.
const STEP = /^::step name=(\S+) status=(ok|changed|skipped|failed)(?: code=([A-Z][A-Z0-9_]*))?(?: msg="(.*)")?(?: ms=(\d{1,9}))?$/;
const WARN = /^::warn msg="(.*)"$/;
const SUMMARY = /^::summary role=\S+ host=\S+ changed=(\d+) ok=(\d+) skipped=(\d+) failed=(\d+)(?: cpu_ms=(\d+))?$/;

export function parseScriptLine(line: string): ScriptLine {
  let m = STEP.exec(line);
  if (m)
    return {
      kind: 'step',
      name: m[1],
      status: m[2] as StepStatus,
      msg: m[4],
      ...(m[3] ? { code: m[3] } : {}),
      ...(m[5] ? { ms: +m[5] } : {}),
    };
  m = WARN.exec(line);
  if (m) return { kind: 'warn', msg: m[1] };
  m = SUMMARY.exec(line);
  if (m) return { kind: 'summary', changed: +m[1], ok: +m[2], skipped: +m[3], failed: +m[4], ...(m[5] ? { cpuMs: +m[5] } : {}) };
  return { kind: 'text', text: line };
}
