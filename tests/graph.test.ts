/**
 * Graph pictures (toDot, renderSvg) and the backward trace (traceBackward).
 */
import { composite, compositeCallsOf, tensor, toDot, renderSvg, traceBackward } from '../src';
import { graphColours } from '../src/tensor';

function smallGraph() {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = tensor([0.5, -0.5], { requiresGrad: true });
  const k = tensor([3, 3]);
  const a = x.mul(y);
  const b = a.exp();
  const c = a.add(b).mul(k);
  const loss = c.sum();
  return { x, y, k, a, b, c, loss };
}

describe('toDot', () => {
  it('draws tensors as boxes coloured by role and one node per backward Function', () => {
    const { x, y, k, a, b, c, loss } = smallGraph();
    const dot = toDot(loss, { names: { x, y, k, a, b, c, loss } });
    expect(dot.startsWith('digraph tsgrad {')).toBe(true);
    expect(dot).toContain(`t${x.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.leaf}", label="x [2]\\ndata [1, 2]"];`);
    expect(dot).toContain(`t${k.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.other}", label="k [2]\\ndata [3, 3]"];`);
    expect(dot).toContain(`t${a.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.forward}", label="a [2]\\ndata [0.5, -1]"];`);
    expect(dot).toContain(`f${a.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="MulBackward"];`);
    expect(dot).toContain(`f${loss.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="SumBackward"];`);
    // edges written from each result back to what it read, drawn with forward arrows (dir=back), output at the bottom
    expect(dot).toContain('rankdir=BT;');
    expect(dot).toContain('edge [dir=back];');
    expect(dot).toContain(`f${a.id} -> t${x.id};`);
    expect(dot).toContain(`f${a.id} -> t${y.id};`);
    expect(dot).toContain(`t${a.id} -> f${a.id};`);
    expect(dot).toContain(`f${b.id} -> t${a.id};`);
    // a is read twice (by exp and add) but drawn once
    expect(dot.split('\n').filter((l) => l.startsWith(`  t${a.id} [`))).toHaveLength(1);
  });

  it('escapes quotes and backslashes in names, so the DOT text stays valid', async () => {
    const x = tensor([1], { requiresGrad: true });
    const dot = toDot(x.exp(), { names: { 'say "hi" \\ bye': x } });
    expect(dot).toContain('label="say \\"hi\\" \\\\ bye [1]\\ndata 1"');
    expect(await renderSvg(x.exp(), { names: { 'a"b': x } })).toContain('a&quot;b');
  });

  it('labels unnamed tensors by id', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = x.exp();
    expect(toDot(y)).toContain(`label="#${x.id} [1]\\ndata 1"`);
  });

  it('shows values of small tensors only, and with a trace each gradient (summed where a tensor is read twice)', () => {
    const { x, y, k, a, b, c, loss } = smallGraph();
    const trace = traceBackward(() => loss.backward());
    const dot = toDot(loss, { names: { x, y, k, a, b, c, loss }, trace });
    // d(loss)/da = 3·(1 + e^a): both of a's readers report, and the box shows the sum
    const grad = [0.5, -1].map((v) => String(Number((3 * (1 + Math.exp(v))).toPrecision(4))));
    expect(dot).toContain(`label="a [2]\\ndata [0.5, -1]\\ngrad [${grad.join(', ')}]\\n`);
    expect(dot).toContain(`label="loss []\\ndata ${Number(loss.item().toPrecision(4))}\\ngrad 1\\n1:start, 2:fire"`);
    const big = tensor(new Array(5).fill(1), { requiresGrad: true });
    expect(toDot(big.exp(), { names: { big } })).toContain('label="big [5]"');
  });

  it('draws the nodes of each composite call in a dashed box with its name, nested calls inside', () => {
    const logits = tensor([[1, 2, 3]], { requiresGrad: true });
    const loss = logits.crossEntropy(tensor([2]));
    const dot = toDot(loss, { names: { logits, loss } });
    const calls = compositeCallsOf(loss.node!);
    expect(calls.map((c) => c.name)).toEqual(['crossEntropy', 'mean']);
    expect(dot).toContain(`subgraph cluster_c${calls[0].id} {\n    label="crossEntropy"; style=dashed;`);
    expect(dot).toMatch(/label="logSoftmax"/);
    expect(dot.indexOf('label="logSoftmax"')).toBeGreaterThan(dot.indexOf('label="crossEntropy"'));
    expect(compositeCallsOf(logits.exp().node!)).toEqual([]);
    // a call of one's own
    const y = composite('double', () => logits.mul(2));
    expect(compositeCallsOf(y.node!).map((c) => c.name)).toEqual(['double']);
    expect(() => composite('broken', () => { throw new Error('inside'); })).toThrow('inside');
    expect(compositeCallsOf(logits.mul(3).node!)).toEqual([]);
  });

  it('scales a wide graph down to maxWidth points', async () => {
    const xs = Array.from({ length: 12 }, (_, i) => tensor([i], { requiresGrad: true }));
    const total = xs.reduce((sum, x) => sum.add(x));
    const width = (svg: string): number => Number(/<svg width="([\d.]+)pt"/.exec(svg)?.[1]);
    expect(width(await renderSvg(total))).toBeLessThanOrEqual(600);
    expect(width(await renderSvg(total, { maxWidth: 200 }))).toBeLessThanOrEqual(200);
    expect(() => toDot(total, { maxWidth: 0 })).toThrow('toDot: maxWidth must be a positive number of points, got 0');
  });
});

describe('renderSvg', () => {
  it('turns the graph into an SVG document', async () => {
    const { x, loss } = smallGraph();
    const svg = await renderSvg(loss, { names: { x } });
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain('MulBackward');
    expect(svg).toContain('>x [2]</text>');
  });
});

describe('traceBackward', () => {
  it('records arrivals with their locks, firings, and leaf updates in the order the engine runs them', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([0.5, -0.5], { requiresGrad: true });
    const a = x.mul(y);
    const b = a.exp();
    const c = a.add(b);
    const loss = c.sum();
    const names = { x, y, a, b, c, loss };
    const trace = traceBackward(() => loss.backward());
    expect(trace.events.map((e) => `${e.kind} ${Object.entries(names).find(([, t]) => t === e.at || t.node === e.at)?.[0]} ${e.lock}`)).toEqual([
      'start loss 0', 'fire loss 0',
      'arrive c 0', 'fire c 0',
      'arrive a 1', 'arrive b 0', // a waits for its second consumer (exp)
      'fire b 0', 'arrive a 0',
      'fire a 0', 'leaf x 0', 'leaf y 0',
    ]);
    const text = trace.toString(names);
    expect(text.split('\n')[4]).toBe(`  5. arrive  a (MulBackward): grad [2] [1,1], lock now 1`);
    const e1 = Math.exp(0.5);
    const e2 = Math.exp(-1);
    expect(text).toContain(`leaf    x (leaf): grad [2] [${Math.round(0.5 * (1 + e1) * 1e4) / 1e4},${Math.round(-0.5 * (1 + e2) * 1e4) / 1e4}]`);
  });

  it('records the release of a side branch, and nothing outside traceBackward', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.exp(); // a side branch that never reaches the loss
    const trace = traceBackward(() => h.sum().backward());
    expect(trace.events.map((e) => e.kind)).toEqual(['start', 'fire', 'arrive', 'release', 'fire', 'leaf']);
    const later = tensor([1], { requiresGrad: true });
    later.mul(3).sum().backward();
    expect(trace.events).toHaveLength(6);
  });

  it('leaves gradient values out for large tensors', () => {
    const x = tensor(new Array(20).fill(1), { requiresGrad: true });
    const trace = traceBackward(() => x.mul(2).sum().backward());
    expect(trace.events.find((e) => e.kind === 'leaf')?.gradValues).toBeNull();
    expect(trace.toString()).toContain('leaf    #');
  });
});
