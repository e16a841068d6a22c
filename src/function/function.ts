/**
 * The `Function` base: one differentiable op, with its forward and backward on TensorData.
 *
 * A Function instance is the context of one call: `forward` computes the output and keeps, with
 * `saveForBackward`, what the derivative needs; `backward` turns the output's gradient into one
 * gradient (or null) per input. The tensor layer creates the instance, fills `needsInputGrad`, and
 * links it into the graph (`apply` in src/tensor).
 *
 * May import: src/data.
 */
import { formatShape, type TensorData } from '../data';

/** A saved value and the storage version it had when saved. */
interface Saved {
  readonly data: TensorData;
  readonly version: number;
}

/**
 * A differentiable op. Subclass it with `forward` and `backward` on TensorData and call
 * `apply(new MyOp(), ...tensors)`; nothing needs registering (docs/extending.md).
 */
export abstract class Function {
  /** needsInputGrad[i] is true when input i wants a gradient; backward may skip the others. */
  needsInputGrad: boolean[] = [];
  private saved: Saved[] = [];
  private released = false;

  /** Computes the output from the inputs' data. */
  abstract forward(...inputs: TensorData[]): TensorData;

  /** Given d(loss)/d(output), returns d(loss)/d(input i) for each input, or null where not needed. */
  abstract backward(grad: TensorData): (TensorData | null)[];

  /** The op's name as autograd shows it, e.g. 'MulBackward'. */
  get name(): string {
    return `${this.constructor.name}Backward`;
  }

  /** Keeps values for backward, remembering their versions to detect later in-place writes. */
  protected saveForBackward(...data: TensorData[]): void {
    this.saved = data.map((d) => ({ data: d, version: d.version }));
  }

  /** The values saved in forward, in the order given; throws if one was modified in place since. */
  protected get savedTensors(): TensorData[] {
    if (this.released) {
      throw new Error(`${this.name}: its saved tensors were freed by an earlier backward; pass backward({ retainGraph: true }) to keep them for a second backward, or run the forward pass again`);
    }
    return this.saved.map(({ data, version }, i) => {
      if (data.version !== version) {
        throw new Error(
          `${this.name}: saved tensor ${i} (shape ${formatShape(data.shape)}) was modified in place after it was saved ` +
          `(version ${version}, now ${data.version}); do not use in-place ops such as add_ or mul_ on tensors that backward needs, or clone() them first`,
        );
      }
      return data;
    });
  }

  /** Frees what was saved; called by autograd once backward has run. */
  release(): void {
    this.saved = [];
    this.released = true;
  }

  /** True once backward has run and the saved values are gone. */
  get isReleased(): boolean {
    return this.released;
  }
}
