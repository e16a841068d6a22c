/**
 * `Module`, `Parameter`, `Buffer` and `Sequential`: the building blocks of a network.
 *
 * How a module finds its parts. There is no registration step and no setter magic: a module looks at
 * its own enumerable fields with `Object.entries(this)` and keeps those that are
 *   - a `Parameter` (a trainable tensor),
 *   - a `Buffer` (state that is saved but not trained, like BatchNorm's running mean),
 *   - a `Module` (a child, whose parts are named `child.part`),
 *   - an array of those (named `field.0`, `field.1`, ...).
 * Any other field (a number, a string, a plain Tensor used as a constant) is ignored. Class fields
 * are visited in the order they are declared, so `parameters()` has a stable order that optimizers
 * and checkpoints rely on.
 *
 * May import: src/tensor, src/data (shape helpers only).
 */
import { formatShape, shapesEqual } from '../data';
import { keep, noGrad, Tensor } from '../tensor';

/** A tensor that a module trains: it always requires grad and owns its own storage. */
export class Parameter extends Tensor {
  constructor(value: Tensor) {
    super(value.data.clone(), { requiresGrad: true });
    keep(this); // long-lived: no tidy() scope frees it
  }

  /** `Parameter containing:` and the tensor, as PyTorch prints a parameter. */
  toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** A tensor that a module saves in its state dict but does not train (no gradient). */
export class Buffer extends Tensor {
  constructor(value: Tensor) {
    super(value.data.clone());
    keep(this); // long-lived: no tidy() scope frees it
  }
}

/** The modules whose toString is running: a module met again inside its own tree prints as `Name(...)`. */
const modulesBeingPrinted = new Set<object>();

/** What `stateDict()` returns and `loadStateDict()` accepts: dotted names to tensors. */
export type StateDict = Record<string, Tensor>;

/** One part found by walking a module: its dotted name and what it is. */
type Part = { name: string; value: Parameter | Buffer | Module };

export abstract class Module {
  /** True in training mode (the default); Dropout and BatchNorm behave differently in eval mode. */
  training = true;

  /** Computes the module's output. Subclasses choose how many tensors they take. */
  abstract forward(...inputs: Tensor[]): Tensor;

  // ---- walking the fields -----------------------------------------------------------------------

  /**
   * The direct parts of this module, in field order. Sequential overrides this to name its layers
   * 0, 1, 2, ... as PyTorch does.
   */
  protected ownParts(): Part[] {
    const parts: Part[] = [];
    for (const [name, value] of Object.entries(this)) {
      if (isPart(value)) parts.push({ name, value });
      else if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (isPart(item)) parts.push({ name: `${name}.${i}`, value: item });
        });
      }
    }
    return parts;
  }

  /** The direct child modules with their names. */
  namedChildren(): [string, Module][] {
    return this.ownParts().filter((p) => p.value instanceof Module).map((p) => [p.name, p.value as Module]);
  }

  /**
   * This module and every module below it, depth first, with dotted names ('' for this one). A module
   * reached twice (shared, or a field pointing back up) is listed once, under its first name.
   */
  namedModules(prefix = '', seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(join(prefix, name), seen));
    return out;
  }

  /** Every parameter of this module and its children, with dotted names such as 'conv1.weight'. */
  namedParameters(): [string, Parameter][] {
    return this.collect((v): v is Parameter => v instanceof Parameter);
  }

  /** Every parameter, in a stable order: what an optimizer is given. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer (saved, untrained state), with dotted names such as 'bn1.runningMean'. */
  namedBuffers(): [string, Buffer][] {
    return this.collect((v): v is Buffer => v instanceof Buffer);
  }

  private collect<T extends Tensor>(keep: (v: Tensor) => v is T): [string, T][] {
    const out: [string, T][] = [];
    const seen = new Set<Tensor>(); // a tensor shared by two layers (tied weights) is listed once
    for (const [prefix, module] of this.namedModules()) {
      for (const part of module.ownParts()) {
        if (part.value instanceof Module || !keep(part.value) || seen.has(part.value)) continue;
        seen.add(part.value);
        out.push([join(prefix, part.name), part.value]);
      }
    }
    return out;
  }

  // ---- modes and gradients ------------------------------------------------------------------------

  /** Sets training mode on this module and every child. Returns this, for chaining. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Sets evaluation mode (the same as `train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradient of every parameter (sets `.grad` to null). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  // ---- saving and loading -------------------------------------------------------------------------

  /** Parameters and buffers by dotted name. The tensors share storage with the module (no copy). */
  stateDict(): StateDict {
    const state: StateDict = {};
    for (const [name, p] of this.namedParameters()) state[name] = p;
    for (const [name, b] of this.namedBuffers()) state[name] = b;
    return state;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers. With `strict` (the
   * default) every key must match: the error lists missing keys, unexpected keys and mismatched
   * shapes together, and nothing is changed unless everything fits.
   */
  loadStateDict(state: StateDict, strict = true): void {
    this.checkStateDict(state, strict);
    const own = this.stateDict();
    noGrad(() => {
      for (const [name, target] of Object.entries(own)) if (hasKey(state, name)) target.copy_(state[name]);
    });
  }

  /** Throws what loadStateDict would refuse (missing or unexpected keys, mismatched shapes); changes nothing. */
  checkStateDict(state: StateDict, strict = true): void {
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !hasKey(state, k));
    const unexpected = Object.keys(state).filter((k) => !hasKey(own, k));
    const misShaped = Object.keys(own)
      .filter((k) => hasKey(state, k) && !shapesEqual(own[k].shape, state[k].shape))
      .map((k) => `${k}: checkpoint ${formatShape(state[k].shape)}, model ${formatShape(own[k].shape)}`);
    const problems = [
      ...(strict && missing.length ? [`missing keys: ${missing.join(', ')}`] : []),
      ...(strict && unexpected.length ? [`unexpected keys: ${unexpected.join(', ')}`] : []),
      ...(misShaped.length ? [`shape mismatch: ${misShaped.join('; ')}`] : []),
    ];
    if (problems.length) throw new Error(`loadStateDict (${this.constructor.name}): ${problems.join('. ')}`);
  }

  /**
   * The module tree as PyTorch prints it: the class name, its settings (`extraRepr`), then one
   * `(name): child` line per child module, indented. Sequential names its children 0, 1, 2, ...;
   * an array field prints as PyTorch's ModuleList.
   */
  toString(): string {
    if (modulesBeingPrinted.has(this)) return `${this.constructor.name}(...)`; // a field pointing back up
    modulesBeingPrinted.add(this);
    try {
      return this.tree();
    } finally {
      modulesBeingPrinted.delete(this);
    }
  }

  private tree(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = this.childGroups().map(([name, text]) => `(${name}): ${indentAfterFirstLine(text)}`);
    if (extraLines.length === 1 && childLines.length === 0) return `${this.constructor.name}(${extra})`;
    const lines = [...extraLines, ...childLines];
    return lines.length ? `${this.constructor.name}(\n  ${lines.join('\n  ')}\n)` : `${this.constructor.name}()`;
  }

  /** What `console.log(module)` prints in Node: the same tree as `toString`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * The module's own settings inside its parentheses, as PyTorch's `extra_repr`:
   * `in_features=784, out_features=128, bias=True` for a Linear. Empty by default; layers override it.
   */
  extraRepr(): string {
    return '';
  }

  /** Each child's name and text; an array field's modules are grouped as one ModuleList. */
  private childGroups(): [string, string][] {
    const groups: [string, string][] = [];
    const lists = new Map<string, string[]>();
    for (const [name, child] of this.namedChildren()) {
      const [field, index] = name.split('.');
      if (index === undefined) {
        groups.push([name, child.toString()]);
        continue;
      }
      if (!lists.has(field)) {
        lists.set(field, []);
        groups.push([field, '']);
      }
      (lists.get(field) as string[]).push(`(${index}): ${indentAfterFirstLine(child.toString())}`);
    }
    return groups.map(([name, text]) => (lists.has(name) ? [name, `ModuleList(\n  ${(lists.get(name) as string[]).join('\n  ')}\n)`] : [name, text]));
  }
}

/** Runs its modules one after another; the parameters of layer i are named `i.weight`, `i.bias`. */
export class Sequential extends Module {
  /** The modules, in the order forward runs them. */
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }

  protected ownParts(): Part[] {
    return this.layers.map((value, i) => ({ name: String(i), value }));
  }
}

function isPart(value: unknown): value is Parameter | Buffer | Module {
  return value instanceof Parameter || value instanceof Buffer || value instanceof Module;
}

/** Indents every line but the first by two spaces (PyTorch's `_addindent`). */
function indentAfterFirstLine(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** An own key of `o` (so that names such as 'constructor' are not found on Object.prototype). */
function hasKey(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}
