// Read-only helpers over schemas/rosvpn.schema.json: which keys are known where, their limits and defaults.
// The validator, the hostile-value pre-pass and applyTopologyEdit all derive "known" from the schema so that
// the three never disagree.

import schemaJson from '../../../schemas/rosvpn.schema.json';
import type { PathSegment } from './text';

export type SchemaNode = { readonly [keyword: string]: unknown };

export const ROSVPN_SCHEMA = schemaJson as unknown as SchemaNode;

function isNode(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follow local `$ref`s (`#/definitions/x`). */
export function deref(node: SchemaNode): SchemaNode {
  let cur = node;
  for (let hops = 0; hops < 16; hops++) {
    const ref = cur.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return cur;
    let target: unknown = ROSVPN_SCHEMA;
    for (const part of ref.slice(2).split('/')) {
      target = isNode(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    if (!isNode(target)) return cur;
    cur = target;
  }
  return cur;
}

/** The node itself, its `$ref` target and its `allOf` members (recursively), most specific first. */
function layers(node: SchemaNode): SchemaNode[] {
  const out: SchemaNode[] = [];
  const visit = (n: SchemaNode, depth: number): void => {
    if (depth > 8 || out.includes(n)) return;
    out.push(n);
    const d = deref(n);
    if (d !== n) visit(d, depth + 1);
    for (const sub of [n.allOf, d.allOf]) {
      if (Array.isArray(sub)) for (const m of sub) if (isNode(m)) visit(m, depth + 1);
    }
  };
  visit(node, 0);
  return out;
}

/** First value of `keyword` on the node, its `$ref` target or its `allOf` members. */
export function keywordOf(node: SchemaNode, keyword: string): unknown {
  for (const l of layers(node)) if (l[keyword] !== undefined) return l[keyword];
  return undefined;
}

const propsCache = new WeakMap<SchemaNode, Map<string, SchemaNode>>();

/** Known properties of an object node (including those brought in by `allOf`), in schema order. */
export function propertiesOf(node: SchemaNode): Map<string, SchemaNode> {
  const hit = propsCache.get(node);
  if (hit) return hit;
  const map = new Map<string, SchemaNode>();
  for (const l of layers(node)) {
    const props = l.properties;
    if (!isNode(props)) continue;
    for (const [k, v] of Object.entries(props)) if (isNode(v) && !map.has(k)) map.set(k, v);
  }
  propsCache.set(node, map);
  return map;
}

export function itemsOf(node: SchemaNode): SchemaNode | undefined {
  const items = keywordOf(node, 'items');
  return isNode(items) ? items : undefined;
}

export function isObjectNode(node: SchemaNode): boolean {
  return keywordOf(node, 'type') === 'object' || propertiesOf(node).size > 0;
}

export function numberKeyword(node: SchemaNode, keyword: 'maxLength' | 'minimum' | 'maximum' | 'maxItems'): number | undefined {
  const v = keywordOf(node, keyword);
  return typeof v === 'number' ? v : undefined;
}

export function enumOf(node: SchemaNode): unknown[] | undefined {
  const v = keywordOf(node, 'enum');
  return Array.isArray(v) ? v : undefined;
}

export function defaultOf(node: SchemaNode): unknown {
  return keywordOf(node, 'default');
}

/** The schema node describing the value at `segments`, or undefined if that location is not known. */
export function nodeAt(segments: readonly PathSegment[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = ROSVPN_SCHEMA;
  for (const seg of segments) {
    if (!node) return undefined;
    node = typeof seg === 'number' ? itemsOf(node) : propertiesOf(node).get(seg);
  }
  return node;
}
