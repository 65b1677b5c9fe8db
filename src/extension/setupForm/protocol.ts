// Messages between the setup form's webview and the extension. The webview speaks first ('ready'); the
// extension sends nothing before that, because messages posted before the script listens are lost.
import type { Diagnostic } from '../../core/topology/types';
import type { FormState } from './formModel';

export type ToWebview =
  /** The form to show; also sent when rosvpn.json changes (the webview keeps unsaved edits instead). */
  | { type: 'load'; form: FormState; file: string | null; notice?: string }
  | { type: 'saved'; file: string }
  /** `diagnostics`: the extension's own validation of the merged file, shown beside the fields. */
  | { type: 'saveError'; message: string; diagnostics?: Diagnostic[] };

export type FromWebview = { type: 'ready' } | { type: 'save'; form: FormState };
