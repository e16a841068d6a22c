/**
 * The two teaching applications: the scalar neuron (micrograd's example, checked by hand) and the
 * two-moons classifier with its decision-boundary picture.
 */
import { neuron, tinyMlp } from '../applications/scalarBackprop';
import { makeMoons, trainMoons } from '../applications/twoMoons';

describe('applications/scalarBackprop', () => {
  it('gives the neuron the gradients worked out by hand', async () => {
    const { output, grads, trace, svg } = neuron();
    // n = 2·(−3) + 0·1 + 6.8814 = 0.8814, o = tanh(n) = 0.7071, do/dn = 1 − o² = 0.5
    expect(output).toBeCloseTo(Math.SQRT1_2, 4);
    expect(grads.x1).toBeCloseTo(-1.5, 4); // w1 · 0.5
    expect(grads.w1).toBeCloseTo(1.0, 4);  // x1 · 0.5
    expect(grads.x2).toBeCloseTo(0.5, 4);  // w2 · 0.5
    expect(grads.w2).toBeCloseTo(0, 4);    // x2 · 0.5
    expect(grads.b).toBeCloseTo(0.5, 4);
    expect(trace).toMatch(/leaf +x1 \(leaf\): grad \[\] \[-1\.5\]/);
    expect(trace).toMatch(/fire +o \(TanhBackward\): grad \[\] \[1\]/); // the op written, not its parts
    const picture = await svg;
    expect(picture).toContain('<svg');
    expect(picture).toContain('>TanhBackward</text>');
    expect(picture).toContain('>x1w1 []</text>');
    expect(picture).toContain('>data &#45;6</text>'); // x1·w1
    expect(picture).toContain('>grad 0.5</text>');    // do/dn
  });

  it('fits the four points with a tiny MLP', () => {
    const { losses, predictions } = tinyMlp();
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 10);
    expect(predictions.map(Math.sign)).toEqual([1, -1, -1, 1]);
  });
});

describe('applications/twoMoons', () => {
  it('makes two labelled, seeded moons', () => {
    const a = makeMoons(20, 0.1, 3);
    expect(a.points).toHaveLength(40);
    expect(a.labels.filter((l) => l === 1)).toHaveLength(20);
    expect(makeMoons(20, 0.1, 3)).toEqual(a);
  });

  it('learns to separate them and draws the boundary', () => {
    const { accuracy, losses, svg } = trainMoons({ points: 60, steps: 200 });
    expect(accuracy).toBeGreaterThan(0.95);
    expect(losses[losses.length - 1]).toBeLessThan(0.2);
    expect(svg.match(/<rect /g)).toHaveLength(3600);
    expect(svg.match(/<circle /g)).toHaveLength(120);
    expect(svg).toContain('#f9d7b0'); // both classes appear in the picture
    expect(svg).toContain('#cfe2ff');
  }, 60_000);
});
