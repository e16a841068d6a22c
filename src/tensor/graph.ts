/**
 * Pictures of the graph: `toDot` writes it in Graphviz's DOT language, `renderSvg` draws it as SVG
 * in pure Node with a WebAssembly build of Graphviz (@viz-js/viz; no system install).
 *
 * Colours, after kittygrad: green for leaves that require grad (what training updates), blue for the
 * tensors of the forward pass that build the backward graph, orange for the backward nodes (one per
 * Function), grey for everything else (inputs and constants that need no gradient). A tensor of a few
 * values shows them (`data`); with a trace, also its gradient (`grad`) and the steps of backward that
 * touched it. The nodes made inside one call of a composite method (softmax, mseLoss, ...; see
 * `composite` in trace.ts) sit in a dashed box labelled with the method's name.
 *
 * May import: src/data, ./autograd and ./tensor (types only), ./trace, @viz-js/viz.
 */
import { instance } from '@viz-js/viz';
import { formatShape } from '../data';
import type { GraphInput } from './autograd';
import type { Tensor } from './tensor';
import { compositeCallsOf, graphLabel, isConstant, isCurrent, isNode, type BackwardTrace, type CompositeCall } from './trace';

/** What `toDot` and `renderSvg` write next to the graph. */
export interface GraphPictureOptions {
  /** Labels for tensors (or graph nodes), e.g. { x, w, loss }; others show as #id. */
  names?: Record<string, Tensor | GraphInput>;
  /** A trace from `traceBackward`, whose steps are written next to each tensor. */
  trace?: BackwardTrace;
  /** The widest the picture may be, in points (1/72 inch); a wider graph is scaled down. Default 600 (800 px): a page's width. */
  maxWidth?: number;
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

/** Tensors with at most this many values show them (and their gradient) in their box. */
export const maxCellsShown = 4;

/** Values as a box shows them: a number for one value, a list for a few, nothing for more. */
function formatValues(values: readonly number[] | null): string | null {
  if (values === null || values.length > maxCellsShown) return null;
  const text = values.map((v) => String(Number(v.toPrecision(4))));
  return values.length === 1 ? text[0] : `[${text.join(', ')}]`;
}

/** The values of the tensor a graph item stands for, when they are known: a leaf's, or a named tensor's that it still is. */
function valuesOf(item: GraphInput, names: Record<string, Tensor | GraphInput>): number[] | null {
  const tensor = !isNode(item) && !isConstant(item) ? item : Object.values(names).find((t): t is Tensor => 'data' in t && isCurrent(item, t));
  return tensor && tensor.numel() <= maxCellsShown ? tensor.data.toFlat() : null;
}

/** The gradient backward gave a graph item in the trace: what its node fired with, or the sum of what reached a leaf. */
function gradOf(item: GraphInput, trace: BackwardTrace): number[] | null {
  const kind = isNode(item) ? 'fire' : 'leaf';
  const grads = trace.events.filter((e) => e.at === item && e.kind === kind).map((e) => e.gradValues);
  if (grads.length === 0 || grads.some((g) => g === null)) return null;
  return (grads as number[][]).reduce((sum, g) => sum.map((v, i) => v + g[i]));
}

/** The trace's steps at one item, two to a line. */
function stepLines(item: GraphInput, trace: BackwardTrace): string[] {
  const steps = trace.events.filter((e) => e.at === item).map((e) => `${e.step}:${e.kind}${e.kind === 'arrive' ? ` lock ${e.lock}` : ''}`);
  const lines: string[] = [];
  for (let i = 0; i < steps.length; i += 2) lines.push(steps.slice(i, i + 2).join(', '));
  return lines;
}

function tensorBox(item: GraphInput, options: GraphPictureOptions): string {
  const names = options.names ?? {};
  const lines = [`${escapeLabel(graphLabel(item, names))} ${formatShape(item.shape)}`];
  const data = formatValues(valuesOf(item, names));
  if (data !== null) lines.push(`data ${data}`);
  if (options.trace) {
    const grad = formatValues(gradOf(item, options.trace));
    if (grad !== null) lines.push(`grad ${grad}`);
    lines.push(...stepLines(item, options.trace));
  }
  return `${boxName(item)} [shape=box, style="rounded,filled", fillcolor="${colourOf(item)}", label="${lines.join('\\n')}"];`;
}

/** The DOT lines that declare one item: its tensor box and, for a node, its backward ellipse. */
function declare(item: GraphInput, options: GraphPictureOptions): string[] {
  const lines = [tensorBox(item, options)];
  if (isNode(item)) lines.push(`f${item.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="${item.fn.name}"];`);
  return lines;
}

/**
 * The composite calls each item is drawn inside: a node's own; for a leaf or constant, the calls that
 * all its readers share (so a layer's weight sits in the box of the call that reads it).
 */
function callsByItem(items: readonly GraphInput[]): Map<GraphInput, readonly CompositeCall[]> {
  const readers = new Map<GraphInput | string, (readonly CompositeCall[])[]>();
  for (const node of items.filter(isNode)) {
    for (const input of node.inputs) readers.set(keyOf(input), [...(readers.get(keyOf(input)) ?? []), compositeCallsOf(node)]);
  }
  const shared = (lists: (readonly CompositeCall[])[]): readonly CompositeCall[] =>
    lists.reduce((common, calls) => common.filter((call, i) => calls[i] === call));
  return new Map(items.map((item) => [item, isNode(item) ? compositeCallsOf(item) : shared(readers.get(keyOf(item)) ?? [[]])]));
}

/** Declarations of `items`, those made inside composite calls nested in a dashed box per call (depth = calls already opened). */
function declareGrouped(items: readonly GraphInput[], calls: Map<GraphInput, readonly CompositeCall[]>, options: GraphPictureOptions, depth: number, indent: string): string[] {
  const lines: string[] = [];
  const groups = new Map<number, { call: CompositeCall; items: GraphInput[] }>();
  for (const item of items) {
    const call = (calls.get(item) ?? [])[depth];
    if (call === undefined) {
      lines.push(...declare(item, options).map((l) => indent + l));
      continue;
    }
    if (!groups.has(call.id)) groups.set(call.id, { call, items: [] });
    (groups.get(call.id) as { items: GraphInput[] }).items.push(item);
  }
  for (const { call, items: inside } of groups.values()) {
    lines.push(`${indent}subgraph cluster_c${call.id} {`, `${indent}  label="${escapeLabel(call.name)}"; style=dashed; fontname="Helvetica"; fontsize=11;`);
    lines.push(...declareGrouped(inside, calls, options, depth + 1, `${indent}  `), `${indent}}`);
  }
  return lines;
}

/**
 * The graph behind `root` in DOT: tensors as boxes (name, shape, and for small tensors their values
 * and, with a trace, their gradients), backward nodes as ellipses, forward arrows from top to bottom
 * (the output at the bottom), and the nodes of each composite call (see `composite`) in a dashed box with its name.
 */
export function toDot(root: Tensor, options: GraphPictureOptions = {}): string {
  const items = graphOf(root);
  // Edges are written from each result back to what it read, drawn with the arrow reversed (dir=back),
  // and ranked bottom to top: so every input sits just above the op that reads it, and a leaf next to
  // its use instead of in one wide row of all the leaves at the top.
  const maxWidth = options.maxWidth ?? 600;
  if (!(maxWidth > 0)) throw new RangeError(`toDot: maxWidth must be a positive number of points, got ${maxWidth}`);
  const lines = ['digraph tsgrad {', '  rankdir=BT;', `  size="${maxWidth / 72},1000";`, '  node [fontname="Helvetica", fontsize=11];', '  edge [dir=back];'];
  lines.push(...declareGrouped(items, callsByItem(items), options, 0, '  '));
  for (const item of items) {
    if (!isNode(item)) continue;
    lines.push(`  ${boxName(item)} -> f${item.id};`);
    item.inputs.forEach((input) => lines.push(`  f${item.id} -> ${boxName(input)};`));
  }
  lines.push('}');
  return lines.join('\n');
}

/** The graph behind `root` as an SVG document. */
export async function renderSvg(root: Tensor, options: GraphPictureOptions = {}): Promise<string> {
  const viz = await instance();
  return viz.renderString(toDot(root, options), { format: 'svg' });
}
