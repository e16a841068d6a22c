/**
 * Draws the figures of docs/ with tsgrad itself (`renderSvg`, `traceBackward`) and writes them to
 * docs/figures/:
 *
 *   npx tsc -p tsconfig.json && node build/scripts/make_figures.js
 *
 * tests/figures.test.ts calls `makeFigures()` and checks that every committed file is identical, so a
 * change to the graph code, the trace or an example shows up as a failing test until the figures are
 * made again.
 *
 * The pictures must not depend on what ran before. Tensor ids count every tensor made in the process,
 * so each figure names all its tensors (unnamed ones become #1, #2, ... in creation order) and
 * `stableIds` renumbers the Graphviz node names (t<id>, f<id>, cluster_c<id>) in order of appearance. Random weights
 * come from `manualSeed`.
 *
 * May import: src (the public API), node's fs and path.
 */
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { apply, Function, graphLabel, graphOf, manualSeed, nn, renderSvg, Tensor, tensor, TensorData, traceBackward, type BackwardTrace, type GraphInput } from '../src';

/** One figure: a file name in docs/figures/ and its SVG text. */
export interface Figure {
  file: string;
  svg: string;
}

/** The creation number of a graph item: a node's own, a leaf's, a constant's tensor. */
function orderOf(item: GraphInput): number {
  return 'fn' in item || 'data' in item ? item.id : item.tensorId;
}

/** `names`, plus #1, #2, ... for the other items of the graph, in creation order. */
function nameEverything(root: Tensor, names: Record<string, Tensor>): Record<string, Tensor | GraphInput> {
  const rest = graphOf(root).filter((item) => graphLabel(item, names).startsWith('#')).sort((a, b) => orderOf(a) - orderOf(b));
  return { ...names, ...Object.fromEntries(rest.map((item, i) => [`#${i + 1}`, item])) };
}

/** Renumbers Graphviz's node names t<id> and f<id>, and composite boxes cluster_c<id>, in order of first appearance. */
export function stableIds(svg: string): string {
  const renamed = new Map<string, string>();
  return svg.replace(/\b(cluster_c|[tf])(\d+)\b/g, (name: string, kind: string) => {
    if (!renamed.has(name)) renamed.set(name, `${kind}${renamed.size + 1}`);
    return renamed.get(name) as string;
  });
}

async function draw(file: string, root: Tensor, names: Record<string, Tensor>, trace?: BackwardTrace): Promise<Figure> {
  const svg = await renderSvg(root, { names: nameEverything(root, names), trace });
  return { file, svg: stableIds(svg) };
}

/** The worked example of docs/autograd.md, with the trace of its backward written on each tensor. */
async function autogradExample(): Promise<Figure> {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = tensor([0.5, -0.5], { requiresGrad: true });
  const a = x.mul(y);
  const b = a.exp();
  const c = a.add(b);
  const loss = c.sum();
  const trace = traceBackward(() => loss.backward());
  return draw('autograd-example.svg', loss, { x, y, a, b, c, loss }, trace);
}

/** A [2, 1] times a [3]: the Reshape and Expand views that broadcasting records, and the sums their backward does. */
async function broadcastMul(): Promise<Figure> {
  const x = tensor([[1], [2]], { requiresGrad: true });
  const y = tensor([10, 20, 30], { requiresGrad: true });
  const z = x.mul(y);
  const loss = z.sum();
  const trace = traceBackward(() => loss.backward());
  return draw('broadcast-mul.svg', loss, { x, y, z, loss }, trace);
}

/** Two Linear layers with a ReLU between them (docs/nn.md builds the same one). */
class TinyMlp extends nn.Module {
  hidden = new nn.Linear(2, 3);
  out = new nn.Linear(3, 1);
  forward(x: Tensor): Tensor {
    return this.out.forward(this.hidden.forward(x).relu());
  }
}

/** The graph of a 2-3-1 MLP with an MSE loss, on a batch of 4; parameters are named as namedParameters() names them. */
async function tinyMlp(): Promise<Figure> {
  manualSeed(0);
  const model = new TinyMlp();
  const x = Tensor.randn([4, 2]);
  const target = Tensor.randn([4, 1]);
  const loss = nn.mseLoss(model.forward(x), target);
  return draw('mlp.svg', loss, { x, target, loss, ...Object.fromEntries(model.namedParameters()) });
}

/** The user-defined Function of docs/extending.md: d/dx x³ = 3x² (tests/printing.test.ts prints it too). */
export class Cube extends Function {
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.mul(x).mul(x);
  }

  backward(grad: TensorData): (TensorData | null)[] {
    const [x] = this.savedTensors;
    return [grad.mul(x.mul(x).mul(TensorData.const(3, x.shape)))];
  }
}

/** Cube applied with `apply`, then summed: the user's Function is a node like any other. */
async function cube(): Promise<Figure> {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = apply(new Cube(), x);
  const loss = y.sum();
  const trace = traceBackward(() => loss.backward());
  return draw('cube.svg', loss, { x, y, loss }, trace);
}

/** The in-place example of docs/autograd.md: c = a.detach(); c.div_(b); the division joins c's history. */
async function inPlaceDiv(): Promise<Figure> {
  const a = tensor([2, 4], { requiresGrad: true });
  const b = tensor([1, 2], { requiresGrad: true });
  const c = a.detach();
  c.div_(b);
  const loss = c.add(b).sum();
  const trace = traceBackward(() => loss.backward());
  return draw('inplace-div.svg', loss, { a, b, c, loss }, trace);
}

/** An in-place op through a view: h's history gets CopySlices, and `before` still reads h's old node. */
async function inPlaceView(): Promise<Figure> {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const w = tensor([10, 20], { requiresGrad: true });
  const h = x.mul(2);
  const before = h.exp();
  const v = h.narrow(0, 0, 2);
  v.mul_(w);
  const loss = before.add(h).sum();
  const trace = traceBackward(() => loss.backward());
  return draw('inplace-view.svg', loss, { x, w, h, before, v, loss }, trace);
}

/** Every figure, in memory. */
export async function makeFigures(): Promise<Figure[]> {
  return [await autogradExample(), await broadcastMul(), await tinyMlp(), await cube(), await inPlaceDiv(), await inPlaceView()];
}

/** The repository root: the nearest folder above this file that holds package.json. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`make_figures: no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

async function main(): Promise<void> {
  const out = path.join(repoRoot(), 'docs', 'figures');
  mkdirSync(out, { recursive: true });
  for (const { file, svg } of await makeFigures()) {
    writeFileSync(path.join(out, file), svg);
    console.log(`wrote ${path.relative(process.cwd(), path.join(out, file))} (${svg.length} bytes)`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
