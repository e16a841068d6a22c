/**
 * The gradient doctor: gradcheck against finite differences (passing and failing on a Function with a
 * wrong backward), detectAnomaly on NaN in forward and in backward, explainGrad's reasons, and
 * memoryReport's counts.
 */
import { apply, detectAnomaly, explainGrad, Function, gradcheck, memoryReport, noGrad, Tensor, tensor, TensorData } from '../src';

/** x³ with a backward that forgets the factor 3 (a learner's typical slip), or gets it right. */
class Cube extends Function {
  constructor(private readonly factor: number) { super(); }
  forward(x: TensorData): TensorData {
    this.saveForBackward(x);
    return x.mul(x).mul(x);
  }
  backward(grad: TensorData): TensorData[] {
    const [x] = this.savedTensors;
    return [grad.mul(x.mul(x)).mul(TensorData.const(this.factor, x.shape))];
  }
}

describe('gradcheck', () => {
  it('passes on built-in ops, for the whole Jacobian and for one gradOutput', () => {
    const a = tensor([[0.5, -1.2, 2], [0.3, 0.7, -0.4]], { requiresGrad: true });
    const b = tensor([[1.5], [-0.5], [0.25]], { requiresGrad: true });
    const report = gradcheck((x, y) => x.matmul(y).tanh(), [a, b]);
    expect(report.ok).toBe(true);
    expect(report.analytic[0]).toHaveLength(2); // one row per output value
    const projected = gradcheck((x, y) => x.matmul(y).tanh(), [a, b], { gradOutput: tensor([[1], [-2]]) });
    expect(projected.ok).toBe(true);
    expect(projected.numeric[1]).toHaveLength(1);
  });

  it('passes on a right Function and names the worst element of a wrong one', () => {
    const x = tensor([0.5, -1, 2], { requiresGrad: true });
    expect(gradcheck((t) => apply(new Cube(3), t), [x]).ok).toBe(true);
    expect(() => gradcheck((t) => apply(new Cube(1), t), [x])).toThrow(
      /gradcheck: the gradient of input 0 \(shape \[3\]\) disagrees with finite differences: d\(output\[2\]\)\/d\(input 0\[2\]\) is 12 numerically but backward gave 4 \(allowed: 0\.01 \+ 0\.01·\|numeric\|\)/,
    );
    const report = gradcheck((t) => apply(new Cube(1), t), [x], { raiseException: false });
    expect(report.ok).toBe(false);
    expect(report.worst).toMatchObject({ input: 0, index: [2], output: [2], analytic: 4 });
    expect(report.worst?.numeric).toBeCloseTo(12, 1);
  });

  it('skips inputs that need no gradient and leaves the inputs untouched', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    const report = gradcheck((a, b) => a.mul(b).sum(), [x, c]);
    expect(report.numeric[1]).toBeNull();
    expect(report.numeric[0]?.[0][0]).toBeCloseTo(3, 2);
    expect(x.grad).toBeNull();
    expect(x.toArray()).toEqual([1, 2]);
  });

  it('rejects bad arguments by name', () => {
    expect(() => gradcheck((t) => t, [tensor([1])])).toThrow(/gradcheck: no input requires grad/);
    expect(() => gradcheck((t) => t, [tensor([1], { requiresGrad: true })], { eps: 0 })).toThrow(/gradcheck: eps must be a positive number, got 0/);
    expect(() => gradcheck((t) => t, [[1] as unknown as Tensor])).toThrow(/gradcheck: inputs must be an array of Tensors/);
  });
});

describe('detectAnomaly', () => {
  it('names the op whose forward made NaN from finite inputs', () => {
    const x = tensor([-1, 4], { requiresGrad: true });
    expect(() => detectAnomaly(() => x.sqrt())).toThrow(/detectAnomaly: the forward of SqrtBackward made NaN in its result of shape \[2\] from finite inputs of shapes \[2\]/);
    expect(() => x.sqrt()).not.toThrow(); // outside, NaN flows silently as in PyTorch
  });

  it('names the op whose backward made Inf, what it read and where its forward was called', () => {
    const x = tensor([0, 4], { requiresGrad: true });
    let message = '';
    try {
      detectAnomaly(() => x.sqrt().sum().backward());
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/detectAnomaly: the backward of SqrtBackward returned Inf in the gradient of input 0 \(shape \[2\]\) from a finite incoming gradient of shape \[2\]/);
    expect(message).toMatch(/The op read: a leaf/);
    expect(message).toMatch(/doctor\.test\.ts/);
  });

  it('returns what the body returns and checks nothing once it is over', () => {
    expect(detectAnomaly(() => tensor([1, 2]).sum().item())).toBe(3);
    expect(tensor([0]).log().item()).toBe(-Infinity);
  });
});

describe('explainGrad', () => {
  it('says why a grad is null, case by case', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const plain = tensor([1, 2]);
    const frozen = noGrad(() => w.mul(2));
    const cut = w.detach();
    const hidden = w.mul(3);
    const unused = tensor([5], { requiresGrad: true });
    const loss = hidden.sum();
    loss.backward();
    expect(explainGrad(plain)).toMatch(/does not require grad: it was created without \{ requiresGrad: true \}/);
    expect(explainGrad(frozen)).toMatch(/made inside noGrad/);
    expect(explainGrad(cut)).toMatch(/made by detach\(\)/);
    expect(explainGrad(hidden)).toMatch(/made by MulBackward.*not a leaf.*retainGrad\(\)/);
    expect(explainGrad(unused)).toMatch(/not on the path from the output \(SumBackward\)/);
    expect(explainGrad(w)).toMatch(/has a grad of shape \[2\]: backward reached it/);
    expect(explainGrad(unused, w.mul(unused).sum())).toMatch(/on the path from SumBackward/);
  });

  it('rejects what is not a tensor', () => {
    expect(() => explainGrad(null as unknown as Tensor)).toThrow(/explainGrad: expected a Tensor, got null/);
  });
});

describe('memoryReport', () => {
  it('counts live tensors and their bytes, and forgets garbage-collected ones', () => {
    const before = memoryReport();
    const kept = [Tensor.zeros([1000]), Tensor.zeros([10, 100])];
    const made = (): void => { for (let i = 0; i < 50; i++) Tensor.zeros([100]); };
    made();
    const after = memoryReport();
    expect(after.tensors - before.tensors).toBe(2); // the 50 dropped ones were collected
    expect(after.bytes.host + after.bytes.device - before.bytes.host - before.bytes.device).toBe(8000);
    expect(String(after)).toMatch(/^\d+ live tensors, \d+ bytes on the host, \d+ bytes on the device$/);
    expect(kept).toHaveLength(2);
  });
});
