// Panel 1: a small expression, and tsgrad's DFS-lock backward over it, one event at a time. The
// picture is tsgrad's own renderSvg (Graphviz in WebAssembly) with the trace cut at the current
// step; the list is BackwardTrace.toString, one line per event, the current one marked.
import * as tsgrad from '/dist/tsgrad.js';

/** The worked example of docs/autograd.md. The code must return { loss, names }. */
export const WORKED_EXAMPLE = `const x = tensor([1, 2], { requiresGrad: true });
const y = tensor([0.5, -0.5], { requiresGrad: true });
const a = x.mul(y);
const b = a.exp();
const c = a.add(b);
const loss = c.sum();
return { loss, names: { x, y, a, b, c, loss } };`;

/** Runs the user's code with tsgrad's exports in scope; returns the loss, names and trace. */
export function traceExpression(code) {
  const run = new Function(...Object.keys(tsgrad), code);
  const { loss, names } = run(...Object.values(tsgrad)) ?? {};
  if (!(loss instanceof tsgrad.Tensor)) throw new Error('the code must end with `return { loss, names }`, loss a Tensor');
  const trace = tsgrad.traceBackward(() => loss.backward());
  return { loss, names: names ?? {}, trace };
}

export class BackwardPanel {
  constructor(root) {
    this.code = root.querySelector('textarea');
    this.picture = root.querySelector('.graph');
    this.list = root.querySelector('.events');
    this.status = root.querySelector('.status');
    this.code.value = WORKED_EXAMPLE;
    root.querySelector('.run').onclick = () => this.load();
    root.querySelector('.prev').onclick = () => this.show(this.at - 1);
    root.querySelector('.next').onclick = () => this.show(this.at + 1);
    root.querySelector('.end').onclick = () => this.show(this.lines?.length ?? 0);
    this.at = 0;
  }

  /** Traces the expression in the box and shows step 0 (the forward graph, nothing run yet). */
  async load() {
    try {
      tsgrad.setDevice('cpu');
      Object.assign(this, traceExpression(this.code.value));
      this.lines = this.trace.toString(this.names).split('\n');
      await this.show(0);
    } catch (error) {
      this.status.textContent = `error: ${error.message}`;
      this.lines = null;
    }
  }

  /** Shows the graph after `step` events of backward. */
  async show(step) {
    if (!this.lines) return;
    this.at = Math.max(0, Math.min(step, this.lines.length));
    const partial = new tsgrad.BackwardTrace();
    partial.events.push(...this.trace.events.slice(0, this.at));
    this.picture.innerHTML = await tsgrad.renderSvg(this.loss, { names: this.names, trace: partial });
    this.list.replaceChildren(...this.lines.map((line, i) => {
      const item = document.createElement('li');
      item.textContent = line.trim();
      if (i === this.at - 1) item.className = 'current';
      if (i >= this.at) item.className = 'later';
      return item;
    }));
    const leaves = Object.entries(this.names).filter(([, t]) => t instanceof tsgrad.Tensor && t.grad && this.at === this.lines.length);
    this.status.textContent = `step ${this.at} of ${this.lines.length}` +
      (leaves.length ? ` — done: ${leaves.map(([n, t]) => `${n}.grad = ${JSON.stringify(t.grad.toArray().flat(Infinity).map((v) => Number(v.toFixed(4))))}`).join(', ')}` : '');
    return this.at;
  }
}
