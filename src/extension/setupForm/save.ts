// What the form starts from and how it is saved: shared by the webview panel and the QuickPick flow, so
// both write rosvpn.json the same way (through the store, validated here again: never trust the webview).
import * as vscode from 'vscode';
import { applyTopologyEdit } from '../../core/topology/file';
import { TOPOLOGY_FILE, type Diagnostic } from '../../core/topology/types';
import { formatDiagnostic, validateTopology } from '../../core/topology/validate';
import type { TopologyStore } from '../workspace/topologyStore';
import { editFromForm, formFromDocument, type FormState } from './formModel';

export interface SetupFormDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  store: TopologyStore;
}

export interface FormSource {
  form: FormState;
  /** rosvpn.json relative to the workspace, or null without a folder. */
  file: string | null;
  /** Why saving may not do what the user expects (no folder, no file yet, a file that does not parse). */
  notice?: string;
}

const relative = (uri: vscode.Uri): string => vscode.workspace.asRelativePath(uri, false);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function formSource(store: TopologyStore): FormSource {
  const s = store.state;
  switch (s.kind) {
    case 'noFolder':
      return { form: formFromDocument(undefined), file: null, notice: `Open a folder first: Save writes ${TOPOLOGY_FILE} at its root.` };
    case 'missing':
      return {
        form: formFromDocument(undefined),
        file: relative(s.file),
        notice: `There is no ${TOPOLOGY_FILE} yet: these are the guide's example values, and Save creates the file.`,
      };
    case 'invalid':
      if (s.raw === undefined) {
        const first = s.diagnostics[0];
        return {
          form: formFromDocument(undefined),
          file: relative(s.file),
          notice: `${TOPOLOGY_FILE} cannot be read${first ? ` (${first.message})` : ''}: fix it in the editor; until then Save is refused and the form shows example values.`,
        };
      }
      return {
        form: formFromDocument(s.raw),
        file: relative(s.file),
        notice: `${TOPOLOGY_FILE} has problems; they are shown beside the fields (or above the form).`,
      };
    case 'valid':
      return { form: formFromDocument(s.raw), file: relative(s.file) };
  }
}

export type SaveOutcome = { ok: true; file: string } | { ok: false; message: string; diagnostics: Diagnostic[] };

/**
 * Validate the file as it would be written (the form applied to the current file, unknown keys and all),
 * then write it through the store. Never throws; failures are logged and returned.
 */
export async function saveForm(deps: SetupFormDeps, form: FormState, via: string): Promise<SaveOutcome> {
  const { log, store } = deps;
  const edit = editFromForm(form);
  const s = store.state;
  const base = (s.kind === 'valid' || s.kind === 'invalid') && isObj(s.raw) ? s.raw : {};
  const diagnostics = validateTopology(applyTopologyEdit(base, edit)).diagnostics;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) log.warn(`${via}: ${formatDiagnostic(d, TOPOLOGY_FILE)}`);
    const message = `${errors.length} error${errors.length === 1 ? '' : 's'}, first: ${formatDiagnostic(errors[0] as Diagnostic, TOPOLOGY_FILE)}`;
    log.error(`${via}: not saved: ${message}`);
    return { ok: false, message, diagnostics };
  }
  try {
    const file = relative(await store.edit(edit));
    log.info(`${via}: saved ${file}`);
    return { ok: true, file };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`${via}: not saved: ${message}`);
    return { ok: false, message, diagnostics: [] };
  }
}
