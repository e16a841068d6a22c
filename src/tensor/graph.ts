/**
 * Pictures of the graph: `toDot` writes it in Graphviz's DOT language, `renderSvg` draws it as SVG
 * in pure Node with a WebAssembly build of Graphviz (@viz-js/viz; no system install).
 *
 * Colours, after kittygrad: green for leaves that require grad (what training updates), blue for the
 * tensors of the forward pass that build the backward graph, orange for the backward nodes (one per
 * Function), grey for everything else (inputs and constants that need no gradient). With a trace,
 * each tensor also shows the steps of backward that touched it.
 *
 * May import: src/data, ./tensor, ./trace, @viz-js/viz.
 */
import { instance } from '@viz-js/viz';
import { formatShape } from '../data';
import type { Tensor } from './tensor';
import { tensorLabel, type BackwardTrace } from './trace';

/** What `toDot` and `renderSvg` write next to the graph. */
export interface GraphPictureOptions {
  /** Labels for tensors, e.g. { x, w, loss }; others show as #id. */
  names?: Record<string, Tensor>;
  /** A trace from `traceBackward`, whose steps are written next to each tensor. */
  trace?: BackwardTrace;
}

/** Fill colours by role: trained leaves, forward tensors, backward nodes, everything else. */
export const graphColours = { leaf: '#a8e6a1', forward: '#cfe2ff', backward: '#ffd59e', other: '#e6e6e6' } as const;

/** Every tensor the root depends on, with the root first (walked with an explicit stack). */
function reachable(root: Tensor): Tensor[] {
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  const order: Tensor[] = [];
  while (stack.length) {
    const t = stack.pop() as Tensor;
    order.push(t);
    for (const input of t.node?.inputs ?? []) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return order;
}

function colourOf(t: Tensor): string {
  if (t.node) return graphColours.forward;
  return t.requiresGrad ? graphColours.leaf : graphColours.other;
}

/** Text made safe for a quoted DOT label. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function tensorNode(t: Tensor, options: GraphPictureOptions): string {
  const lines = [escapeLabel(tensorLabel(t, options.names ?? {})), formatShape(t.shape)];
  const steps = options.trace?.events.filter((e) => e.tensor === t) ?? [];
  if (steps.length) lines.push(steps.map((e) => `${e.step}:${e.kind}${e.kind === 'arrive' ? ` lock ${e.lock}` : ''}`).join(', '));
  return `  t${t.id} [shape=box, style="rounded,filled", fillcolor="${colourOf(t)}", label="${lines.join('\\n')}"];`;
}

/** The graph behind `root` in DOT: tensors as boxes, backward nodes as ellipses, edges in forward order. */
export function toDot(root: Tensor, options: GraphPictureOptions = {}): string {
  const lines = ['digraph tsgrad {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const t of reachable(root)) {
    lines.push(tensorNode(t, options));
    if (!t.node) continue;
    lines.push(`  f${t.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="${t.node.fn.name}"];`);
    lines.push(`  f${t.id} -> t${t.id};`);
    t.node.inputs.forEach((input) => lines.push(`  t${input.id} -> f${t.id};`));
  }
  lines.push('}');
  return lines.join('\n');
}

/** The graph behind `root` as an SVG document. */
export async function renderSvg(root: Tensor, options: GraphPictureOptions = {}): Promise<string> {
  const viz = await instance();
  return viz.renderString(toDot(root, options), { format: 'svg' });
}
