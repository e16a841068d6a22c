/**
 * Graph pictures (toDot, renderSvg) and the backward trace (traceBackward).
 */
import { tensor, toDot, renderSvg, traceBackward } from '../src';
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
    expect(dot).toContain(`t${x.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.leaf}", label="x\\n[2]"];`);
    expect(dot).toContain(`t${k.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.other}", label="k\\n[2]"];`);
    expect(dot).toContain(`t${a.id} [shape=box, style="rounded,filled", fillcolor="${graphColours.forward}", label="a\\n[2]"];`);
    expect(dot).toContain(`f${a.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="MulBackward"];`);
    expect(dot).toContain(`f${loss.id} [shape=ellipse, style=filled, fillcolor="${graphColours.backward}", label="SumBackward"];`);
    // edges in forward order: input -> Function -> output
    expect(dot).toContain(`t${x.id} -> f${a.id};`);
    expect(dot).toContain(`t${y.id} -> f${a.id};`);
    expect(dot).toContain(`f${a.id} -> t${a.id};`);
    expect(dot).toContain(`t${a.id} -> f${b.id};`);
    // a is read twice (by exp and add) but drawn once
    expect(dot.split('\n').filter((l) => l.startsWith(`  t${a.id} [`))).toHaveLength(1);
  });

  it('escapes quotes and backslashes in names, so the DOT text stays valid', async () => {
    const x = tensor([1], { requiresGrad: true });
    const dot = toDot(x.exp(), { names: { 'say "hi" \\ bye': x } });
    expect(dot).toContain('label="say \\"hi\\" \\\\ bye\\n[1]"');
    expect(await renderSvg(x.exp(), { names: { 'a"b': x } })).toContain('a&quot;b');
  });

  it('labels unnamed tensors by id', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = x.exp();
    expect(toDot(y)).toContain(`label="#${x.id}\\n[1]"`);
  });
});

describe('renderSvg', () => {
  it('turns the graph into an SVG document', async () => {
    const { x, loss } = smallGraph();
    const svg = await renderSvg(loss, { names: { x } });
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain('MulBackward');
    expect(svg).toContain('>x</text>');
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
