// A line chart on a canvas, redrawn as points arrive: enough for live training curves.

export class Chart {
  constructor(canvas, title, range = null) {
    Object.assign(this, { canvas, title, range, points: [] });
    this.clear();
  }

  clear() {
    this.points = [];
    this.draw();
  }

  add(x, y) {
    this.points.push([x, y]);
    this.draw();
  }

  draw() {
    const { canvas, points } = this;
    const pen = canvas.getContext('2d');
    const [w, h, pad] = [canvas.width, canvas.height, 28];
    pen.fillStyle = '#fff';
    pen.fillRect(0, 0, w, h);
    pen.strokeStyle = '#ccc';
    pen.strokeRect(pad, 8, w - pad - 8, h - pad - 8);
    pen.fillStyle = '#333';
    pen.font = '12px sans-serif';
    pen.fillText(this.title, pad + 6, 22);
    if (points.length === 0) return;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    const [y0, y1] = this.range ?? [Math.min(0, ...ys), Math.max(...ys, 1e-6)];
    const px = (x) => pad + ((x - x0) / (x1 - x0)) * (w - pad - 8);
    const py = (y) => h - pad - ((y - y0) / (y1 - y0)) * (h - pad - 16);
    pen.fillText(y1.toFixed(2), 2, 16);
    pen.fillText(y0.toFixed(2), 2, h - pad);
    pen.fillText(`step ${x1}`, w - 70, h - 8);
    pen.strokeStyle = '#1f6feb';
    pen.lineWidth = 1.5;
    pen.beginPath();
    points.forEach(([x, y], i) => (i ? pen.lineTo(px(x), py(y)) : pen.moveTo(px(x), py(y))));
    pen.stroke();
  }
}
