/**
 * Keeps the tagged examples of docs/ true to the code, beyond running them (snippets.test.ts does that):
 *
 * - ```ts cube-example``` in docs/extending.md: a complete program importing from 'tsgrad'. The import
 *   is rewritten to this repo's src/index.ts; the program is type-checked, transpiled to CommonJS and
 *   run, and must print the gradient [3, 12, 27]. Its `Cube` class is then checked on random inputs.
 * - ```ts autograd-example``` in docs/autograd.md must print exactly the ```text autograd-output``` block.
 */
import { Tensor, apply, manualSeed } from '../src';
import type { Function as TsgradFunction } from '../src';
import { fencedBlock, runProgram, typeErrors, useRepoSource } from './helpers/snippets';

describe('docs/extending.md: the cube-example block', () => {
  const source = (): string => useRepoSource(fencedBlock('docs/extending.md', 'ts cube-example'));

  it('is a single block that imports from tsgrad', () => {
    expect(fencedBlock('docs/extending.md', 'ts cube-example')).toMatch(/from 'tsgrad'/);
  });

  it('type-checks against src/ with the repo tsconfig', () => {
    expect(typeErrors({ 'cube-example.ts': source() })['cube-example.ts']).toEqual([]);
  }, 60_000);

  it('runs and prints x.grad = [3, 12, 27] and gradFn CubeBackward', () => {
    const { calls } = runProgram(source());
    expect(calls).toContainEqual([[3, 12, 27]]);
    expect(calls).toContainEqual(['CubeBackward']);
  });

  it('defines a Cube whose gradient is 3x² on random inputs, named CubeBackward', () => {
    const Cube = runProgram(source(), ['Cube']).names.Cube as (new () => TsgradFunction) | undefined;
    if (typeof Cube !== 'function') throw new Error('the example must define class Cube at top level');
    manualSeed(11);
    const x = Tensor.uniform([3, 4], -2, 2, { requiresGrad: true });
    const upstream = Tensor.uniform([3, 4], -1, 1);
    const y = apply(new Cube(), x);
    expect(y.gradFn).toBe('CubeBackward');
    y.mul(upstream).sum().backward();

    const xs = (x.toArray() as number[][]).flat();
    const gs = (upstream.toArray() as number[][]).flat();
    const forward = (y.toArray() as number[][]).flat();
    const grads = (x.grad?.toArray() as number[][]).flat();
    expect(x.grad?.shape).toEqual([3, 4]);
    xs.forEach((v, i) => {
      // float32 results against float64 math: atol 1e-5, rtol 1e-5.
      expect(Math.abs(forward[i] - v ** 3)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(v ** 3));
      const expected = gs[i] * 3 * v * v;
      expect(Math.abs(grads[i] - expected)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(expected));
    });
  });
});

describe('docs/autograd.md: the worked example', () => {
  it('prints exactly the autograd-output block', () => {
    const source = useRepoSource(fencedBlock('docs/autograd.md', 'ts autograd-example'));
    const expected = fencedBlock('docs/autograd.md', 'text autograd-output').trimEnd().split('\n');
    expect(runProgram(source).lines.join('\n').split('\n')).toEqual(expected);
  });
});
