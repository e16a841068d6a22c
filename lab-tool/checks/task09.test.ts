/**
 * Lab task 9: Adam's update rule (docs/lab/09-adam.md), against torch.optim.Adam and AdamW step by
 * step (the rows of tests/fixtures/optim.json).
 *
 * May import: src, tests/helpers.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { Tensor, optim } from '../../src';
import { expectClose, type Packed } from '../../tests/helpers/fixtures';
import { makeTensor, unpack } from '../../tests/helpers/gradcheck';

interface OptimizerRow {
  name: string;
  kind: string;
  options: optim.AdamOptions;
  gradients: 'fixed' | 'problem';
  initial: Packed[];
  grads?: Packed[][];
  x?: Packed;
  y?: Packed;
  steps: Packed[][];
}

const rows = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'optim.json'), 'utf8')) as { optimizers: OptimizerRow[] })
  .optimizers.filter((r) => r.kind === 'Adam' || r.kind === 'AdamW');

/** Sets each parameter's gradient for step k: stored, or from the least-squares problem. */
function setGradients(row: OptimizerRow, params: Tensor[], k: number): void {
  if (row.gradients === 'fixed') {
    params.forEach((p, i) => { p.grad = makeTensor((row.grads as Packed[][])[k][i].values, (row.grads as Packed[][])[k][i].shape); });
    return;
  }
  const [w, b] = params;
  const diff = makeTensor((row.x as Packed).values, (row.x as Packed).shape).matmul(w).add(b).sub(makeTensor((row.y as Packed).values, (row.y as Packed).shape));
  diff.mul(diff).mean().backward();
}

describe('Adam.update', () => {
  it('has the PyTorch rows to check against', () => {
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['adam', 'adam_options', 'adam_problem', 'adamw']));
  });

  it.each(rows.map((r) => [r.name, r] as const))('matches torch.optim step by step: %s', (_, row) => {
    const params = row.initial.map((p) => makeTensor(p.values, p.shape, true));
    const opt = row.kind === 'AdamW' ? new optim.AdamW(params, row.options) : new optim.Adam(params, row.options);
    row.steps.forEach((expected, k) => {
      opt.zeroGrad();
      setGradients(row, params, k);
      opt.step();
      params.forEach((p, i) => expectClose(`${row.name}: parameter ${i} after step ${k + 1}`, unpack(p), expected[i], { atol: 1e-6, rtol: 1e-5 }));
    });
  });

  it('keeps its moments in the state, where stateDict finds them', () => {
    const p = makeTensor([1, 2], [2], true);
    const opt = new optim.Adam([p], { lr: 0.1 });
    p.grad = makeTensor([0.5, -1], [2]);
    opt.step();
    const state = opt.stateDict();
    expect(Object.keys(state.buffers).sort()).toEqual(['0.expAvg', '0.expAvgSq']);
    const [m0, m1] = unpack(state.buffers['0.expAvg']).values;
    expect(m0).toBeCloseTo(0.05, 6);
    expect(m1).toBeCloseTo(-0.1, 6);
  });
});
