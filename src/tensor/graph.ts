/**
 * Pictures of the graph: `toDot` writes it in Graphviz's DOT language, `renderSvg` draws it as SVG
 * in pure Node with a WebAssembly build of Graphviz (@viz-js/viz; no system install).
 *
 * Colours, after kittygrad: green for leaves that require grad (what training updates), blue for the
 * tensors of the forward pass that build the backward graph, orange for the backward nodes (one per
 * Function), grey for everything else (inputs and constants that need no gradient). With a trace,
 * each tensor also shows the steps of backward that touched it.
 *
 * May import: src/data, ./autograd and ./tensor (types only), ./trace, @viz-js/viz.
 */
import { instance } from '@viz-js/viz';
import { formatShape } from '../data';
import type { GraphInput } from './autograd';
import type { Tensor } from './tensor';
import { graphLabel, isConstant, isNode, type BackwardTrace } from './trace';

/** What `toDot` and `renderSvg` write next to the graph. */
export interface GraphPictureOptions {
  /** Labels for tensors (or graph nodes), e.g. { x, w, loss }; others show as #id. */
  names?: Record<string, Tensor | GraphInput>;
  /** A trace from `traceBackward`, whose steps are written next to each tensor. */
  trace?: BackwardTrace;
}

/** Fill colours by role: trained leaves, forward tensors, backward nodes, everything else. */
export const graphColours = { leaf: '#a8e6a1', forward: '#cfe2ff', backward: '#ffd59e', other: '#e6e6e6' } as const;

/** What a root tensor stands for in the graph: its node, or itself when it is a leaf. */
function graphRoot(root: Tensor): GraphInput {
  return root.node ?? root;
}

/** The inputs a graph item read (none for a leaf or a constant). */
function inputsOf(item: GraphInput): readonly GraphInput[] {
  return isNode(item) ? item.inputs : [];
}

/** A key that is the same for every use of one constant at one version. */
function keyOf(item: GraphInput): GraphInput | string {
  return isConstant(item) ? `${item.tensorId}:${item.version}` : item;
}

/** Every graph item (node, leaf, constant) the root tensor depends on, with the root first. */
export function graphOf(root: Tensor): GraphInput[] {
  return graphFrom(graphRoot(root));
}

/** Every graph item the root depends on, with the root first (walked with an explicit stack). */
export function graphFrom(root: GraphInput): GraphInput[] {
  const seen = new Set<GraphInput | string>([keyOf(root)]);
  const stack = [root];
  const order: GraphInput[] = [];
  while (stack.length) {
    const item = stack.pop() as GraphInput;
    order.push(item);
    for (const input of inputsOf(item)) {
      if (!seen.has(keyOf(input))) {
        seen.add(keyOf(input));
        stack.push(input);
      }
    }
  }
  return order;
}

function colourOf(item: GraphInput): string {
  if (isNode(item)) return graphColours.forward;
  return !isConstant(item) && item.requiresGrad ? graphColours.leaf : graphColours.other;
}

/** The DOT name of an item's box: t<id> (a constant read at a later version gets t<id>v<version>). */
function boxName(item: GraphInput): string {
  if (isNode(item)) return `t${item.id}`;
  if (isConstant(item)) return item.version === 0 ? `t${item.tensorId}` : `t${item.tensorId}v${item.version}`;
  return `t${item.id}`;
}

/** Text made safe for a quoted DOT label. */
function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function tensorBox(item: GraphInput, options: GraphPictureOptions): string {
  const lines = [escapeLabel(graphLabel(item, options.names ?? {})), formatShape(item.shape)];
  const steps = options.trace?.events.filter((e) => e.at === item) ?? [];
  if (steps.length) lines.push(steps.map((e) => `${e.step}:${e.kind}${e.kind === 'arrive' ? ` lock ${e.lock}` : ''}`).join(', '));
  return `  ${boxName(item)} [shape=box, style="rounded,filled", fillcolor="${colourOf(item)}", label="${lines.join('\\n')}"];`;
}

/** The graph behind `root` in DOT: tensors as boxes, backward nodes as ellipses, edges in forward order. */
export function toDot(root: Tensor, options: GraphPictureOptions = {}): string {
  const lines = ['digraph tsgrad {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const item of graphOf(root)) {
    lines.push(tensorBox(item, options));
    if (!isNode(item)) continue;
    lines.push(`  f${item.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="${item.fn.name}"];`);
    lines.push(`  f${item.id} -> ${boxName(item)};`);
    item.inputs.forEach((input) => lines.push(`  ${boxName(input)} -> f${item.id};`));
  }
  lines.push('}');
  return lines.join('\n');
}

/** The graph behind `root` as an SVG document. */
export async function renderSvg(root: Tensor, options: GraphPictureOptions = {}): Promise<string> {
  const viz = await instance();
  return viz.renderString(toDot(root, options), { format: 'svg' });
}
