// Panel 3: draw a digit; the trained model says what it sees. The drawing is cut to its bounding
// box, scaled to 20x20 and centred in 28x28, as the MNIST digits were made.

export class DrawPanel {
  /** @param predict async (784 values in [0, 1]) => 10 probabilities, or null before any training */
  constructor(root, predict) {
    this.canvas = root.querySelector('canvas');
    this.bars = root.querySelector('.bars');
    this.status = root.querySelector('.status');
    this.predict = predict;
    this.pen = this.canvas.getContext('2d', { willReadFrequently: true });
    this.clear();
    root.querySelector('.clear').onclick = () => this.clear();
    let drawing = false;
    const at = (event) => {
      const box = this.canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * (this.canvas.width / box.width), (event.clientY - box.top) * (this.canvas.height / box.height)];
    };
    this.canvas.onpointerdown = (event) => { drawing = true; this.pen.beginPath(); this.pen.moveTo(...at(event)); };
    this.canvas.onpointermove = (event) => { if (drawing) { this.pen.lineTo(...at(event)); this.pen.stroke(); } };
    this.canvas.onpointerup = this.canvas.onpointerleave = () => { if (drawing) { drawing = false; void this.update(); } };
    this.drawBars(null);
  }

  clear() {
    const pen = this.pen;
    pen.fillStyle = 'black';
    pen.fillRect(0, 0, this.canvas.width, this.canvas.height);
    Object.assign(pen, { strokeStyle: 'white', lineWidth: 18, lineCap: 'round', lineJoin: 'round' });
    this.drawBars(null);
  }

  /** Draws a stroke given as canvas points (the browser test draws a digit this way). */
  stroke(points) {
    this.pen.beginPath();
    this.pen.moveTo(...points[0]);
    points.slice(1).forEach((p) => this.pen.lineTo(...p));
    this.pen.stroke();
    return this.update();
  }

  /** The drawing as 28x28 values in [0, 1], or null when nothing is drawn. */
  pixels() {
    const { width, height } = this.canvas;
    const image = this.pen.getImageData(0, 0, width, height).data;
    let [top, left, bottom, right] = [height, width, -1, -1];
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      if (image[(y * width + x) * 4] > 0) [top, left, bottom, right] = [Math.min(top, y), Math.min(left, x), Math.max(bottom, y), Math.max(right, x)];
    }
    if (bottom < 0) return null;
    const side = Math.max(bottom - top, right - left) + 1;
    const small = new OffscreenCanvas(28, 28);
    const ctx = small.getContext('2d', { willReadFrequently: true });
    ctx.fillStyle = 'black';
    ctx.fillRect(0, 0, 28, 28);
    const scale = 20 / side;
    ctx.drawImage(this.canvas, left, top, right - left + 1, bottom - top + 1,
      14 - ((right - left + 1) * scale) / 2, 14 - ((bottom - top + 1) * scale) / 2, (right - left + 1) * scale, (bottom - top + 1) * scale);
    const data = ctx.getImageData(0, 0, 28, 28).data;
    return Float32Array.from({ length: 784 }, (_, i) => data[i * 4] / 255);
  }

  async update() {
    const pixels = this.pixels();
    if (pixels === null) return this.drawBars(null);
    const probabilities = await this.predict(pixels);
    if (probabilities === null) {
      this.status.textContent = 'train the model first (panel 2)';
      return null;
    }
    this.drawBars(probabilities);
    return probabilities;
  }

  drawBars(probabilities) {
    const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    this.bars.replaceChildren(...Array.from({ length: 10 }, (_, digit) => {
      const row = document.createElement('div');
      const p = probabilities ? probabilities[digit] : 0;
      row.className = digit === best ? 'bar best' : 'bar';
      row.innerHTML = `<span>${digit}</span><i style="width:${(p * 100).toFixed(1)}%"></i><b>${(p * 100).toFixed(1)}%</b>`;
      return row;
    }));
    this.status.textContent = probabilities ? `the model says ${best}` : 'draw a digit in the box';
  }
}
