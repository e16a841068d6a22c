/**
 * The ten tasks of tsgrad Lab: for each, the pieces a learner writes (found by name, see stub.ts),
 * the check file that grades them, the page that teaches them, and a hint per group of checks.
 * The solutions are tsgrad itself: the pieces as they stand in src/ (and applications/).
 *
 * May import: ./stub (types only).
 */
import type { Piece } from './stub';

/** One task of the course. */
export interface Task {
  /** 1 to 10. */
  number: number;
  /** One line: what the learner builds. */
  title: string;
  /** The page in docs/lab/. */
  page: string;
  /** What `start` replaces by stubs. */
  pieces: Piece[];
  /** The jest file under lab-tool/checks/ that grades the task. */
  check: string;
  /** A hint for each describe block of the check file, shown when a check in it fails. */
  hints: Record<string, string>;
}

/** The course, in order. */
export const tasks: Task[] = [
  {
    number: 1,
    title: 'a scalar derivative by finite differences, then by hand',
    page: 'docs/lab/01-derivative.md',
    pieces: [
      { file: 'applications/derivative.ts', name: 'numericalDerivative' },
      { file: 'applications/derivative.ts', name: 'slopeOfF' },
      { file: 'src/function/unary.ts', name: 'Tanh.backward' },
    ],
    check: 'task01.test.ts',
    hints: {
      numericalDerivative: 'A one-sided quotient (fn(x + h) − fn(x)) / h is off by about h·f\'\'(x)/2, which the check with h = 0.001 on x³ sees. Step h to both sides of x and divide by the whole width of the step. Use the h you are given.',
      slopeOfF: 'Differentiate term by term: d/dx axⁿ = n·a·xⁿ⁻¹, and a constant has slope 0.',
      'Tanh.backward': 'Two parts: the local slope, d/dx tanh x = 1 − tanh²x, written with the saved output (out = tanh x); and the chain rule: backward receives ∂L/∂out in grad and must multiply by it. If the neuron passes but the PyTorch row does not, grad is missing: the neuron\'s root gradient is 1, the row\'s is not.',
    },
  },
  {
    number: 2,
    title: 'backward of elementwise Functions: Mul, Exp, Log, Relu',
    page: 'docs/lab/02-elementwise.md',
    pieces: [
      { file: 'src/function/binary.ts', name: 'Mul.backward' },
      { file: 'src/function/unary.ts', name: 'Exp.backward' },
      { file: 'src/function/unary.ts', name: 'Log.backward' },
      { file: 'src/function/unary.ts', name: 'Relu.backward' },
    ],
    check: 'task02.test.ts',
    hints: {
      'Mul.backward': 'Each input\'s gradient is grad times the other input (∂(a·b)/∂a = b). forward saved only what a needed gradient reads, so give null for an input whose this.needsInputGrad[i] is false.',
      'Exp.backward': 'd/dx eˣ = eˣ, which is the output: forward saved it, so there is nothing to recompute. Multiply by grad.',
      'Log.backward': 'd/dx ln x = 1/x, with the x forward saved; dividing grad by x does it in one op.',
      'Relu.backward': 'The slope is 1 where x > 0 and 0 elsewhere (0 at x = 0 too, as in PyTorch). Read what forward saved, and build the 0/1 mask with cmplt against fill(0, …).',
    },
  },
  {
    number: 3,
    title: "broadcasting's backward: the reduce-to-shape rule",
    page: 'docs/lab/03-broadcasting.md',
    pieces: [{ file: 'src/function/movement.ts', name: 'Expand.backward' }],
    check: 'task03.test.ts',
    hints: {
      'Expand.backward': 'A size-1 axis that grew was read once per cell of the grown axis, so its gradient is the sum over that axis: sum grad over exactly the axes where the input had size 1 and the output did not, keeping the rank (TensorData.sum keeps reduced axes as size 1). Return [grad] unchanged when nothing grew.',
    },
  },
  {
    number: 4,
    title: "the DFS-lock engine's backward walk: locks, pending gradients, the release rule",
    page: 'docs/lab/04-engine.md',
    pieces: [
      { file: 'src/tensor/autograd.ts', name: 'Walk.arrive' },
      { file: 'src/tensor/autograd.ts', name: 'Walk.releaseNewestWaiting' },
    ],
    check: 'task04.test.ts',
    hints: {
      'pending gradients and locks': 'A node read by two consumers gets two gradients: keep their sum in this.pending, not the last one. Every arrival lowers the lock by one, with or without a gradient, and a node goes on this.ready only when its lock reaches 0 and it holds a gradient; before that it waits. An error saying a Function "was already used by an earlier backward" means a node fired twice.',
      'the release rule': 'The heap can hold nodes that no longer wait: a node pushed while its lock was above 0 may have fired since (its lock reached 0), or been pushed twice. Skip a popped node that has no pending gradient or whose lock is 0 already, and release the first one that still waits. The newest first matters: an older waiting node may still get a gradient from a newer one.',
    },
  },
  {
    number: 5,
    title: "matmul's and the reductions' backward",
    page: 'docs/lab/05-matmul-reductions.md',
    pieces: [
      { file: 'src/function/linalg.ts', name: 'Matmul.backward' },
      { file: 'src/function/reduce.ts', name: 'Sum.backward' },
      { file: 'src/function/reduce.ts', name: 'Max.backward' },
    ],
    check: 'task05.test.ts',
    hints: {
      'Matmul.backward': '∂L/∂A = ∂L/∂C·Bᵀ and ∂L/∂B = Aᵀ·∂L/∂C over the last two axes: matmulData(grad, swapLastTwo(b)) and matmulData(swapLastTwo(a), grad); null where needsInputGrad is false.',
      'Sum.backward': 'Every input cell adds once into its output cell, so each receives the output\'s gradient: expand grad (which has size 1 on the reduced axes) back to the input\'s shape.',
      'Max.backward': 'Only the cells equal to the max get gradient, and ties split it evenly (PyTorch\'s amax rule): mask = (x == max), grad · mask / (count of ties), with max and the count expanded back to the input\'s shape.',
    },
  },
  {
    number: 6,
    title: 'a view op on TensorData: permute with strides, not copies',
    page: 'docs/lab/06-views.md',
    pieces: [{ file: 'src/data/tensorData.ts', name: 'TensorData.permute' }],
    check: 'task06.test.ts',
    hints: {
      'TensorData.permute': 'Axis i of the result is axis order[i]: take shape[order[i]] and strides[order[i]], keep the offset, and return this.withView(shape, strides, offset). No values move. Refuse an order that is not a permutation of 0..rank−1 with a RangeError that names permute, the order and the shape.',
    },
  },
  {
    number: 7,
    title: 'a primitive op (where) as a reference loop and as a gpu.js kernel, checked against each other',
    page: 'docs/lab/07-kernel.md',
    pieces: [
      { file: 'src/data/reference.ts', name: 'where' },
      { file: 'src/data/gpu/kernels.ts', name: 'whereKernel', kernel: true },
    ],
    check: 'task07.test.ts',
    hints: {
      'where (reference loop)': 'Pack each view (packed(x) gives its cells in row-major order, whatever its strides), then one loop: out[i] = c[i] !== 0 ? a[i] : b[i].',
      'whereKernel (gpu.js)': 'Turn this.thread.x into the 8 indices i0..i7 (divide by n7, n6, … n1, as unaryKernel does), then read each input at its offset plus Σ index·stride: c at co + i0·c0 + …, and return a\'s or b\'s cell. No closures or arrays: gpu.js compiles this function to a shader.',
    },
  },
  {
    number: 8,
    title: 'conv2d from window views and mulacc',
    page: 'docs/lab/08-conv2d.md',
    pieces: [{ file: 'src/function/linalg.ts', name: 'Conv2d.forward' }],
    check: 'task08.test.ts',
    hints: {
      'Conv2d.forward': 'windows = this.windows(x, [kh, kw]) is [B, groups, C/groups, outH, outW, kh, kw]. Line windows and w up on one 8-d shape [B, groups, O/groups, outH, outW, C/groups, kh, kw] (permute and reshape the windows, reshape w, expand both: views, no copies), mulacc over the last three axes, reshape to [B, O, outH, outW]. Save windows and w for backward.',
    },
  },
  {
    number: 9,
    title: 'Adam',
    page: 'docs/lab/09-adam.md',
    pieces: [{ file: 'src/nn/optim/optimizers.ts', name: 'Adam.update' }],
    check: 'task09.test.ts',
    hints: {
      'Adam.update': 'With t = state.step (already counted): g = this.decayed(p, grad); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps). Keep m and v in state.buffers.expAvg and expAvgSq (zeros on the first step) and update them and p in place (mul_, add_, sub_).',
    },
  },
  {
    number: 10,
    title: 'train learnMnist to 98% with the pieces you wrote',
    page: 'docs/lab/10-mnist.md',
    pieces: [],
    check: 'task10.test.ts',
    hints: {
      learnMnist: 'A short run fell below its floor: run the checks of tasks 1 to 9 (npm run lab -- check N) and fix the first that fails; the training uses all of them.',
    },
  },
];

/** The task numbered `n`; throws with the valid range otherwise. */
export function taskByNumber(n: number): Task {
  const task = tasks.find((t) => t.number === n);
  if (task === undefined) throw new Error(`lab: no task ${n}; the tasks are 1 to ${tasks.length} (npm run lab lists them)`);
  return task;
}
