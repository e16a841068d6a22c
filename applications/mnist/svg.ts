/**
 * Small SVG pictures for the training report: a line chart and a confusion-matrix heat map.
 * Plain strings, no dependencies.
 *
 * May import: nothing.
 */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Line width; thin lines suit noisy per-batch values. */
  width?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed ranges; by default the data's. */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Where the legend goes, so that it does not hide the lines (default top). */
  legend?: 'top' | 'bottom';
}

const W = 640;
const H = 400;
const M = { left: 70, right: 20, top: 40, bottom: 50 };

/** A line chart with axes, five ticks on each, and a legend. */
export function lineChart(options: ChartOptions): string {
  const all = options.series.flatMap((s) => s.points);
  if (all.length === 0) throw new RangeError(`lineChart(${options.title}): no points`);
  const [x0, x1] = options.xRange ?? range(all.map((p) => p[0]));
  const [y0, y1] = options.yRange ?? range(all.map((p) => p[1]));
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<rect width="${W}" height="${H}" fill="white"/>`,
    text(W / 2, 24, options.title, 'middle', 16),
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`,
    text(W / 2, H - 10, options.xLabel, 'middle', 13),
    `<text x="16" y="${H / 2}" font-family="sans-serif" font-size="13" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${escape(options.yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(text(sx(x), H - M.bottom + 18, format(x), 'middle', 11));
    parts.push(text(M.left - 6, sy(y) + 4, format(y), 'end', 11));
    parts.push(`<line x1="${M.left}" y1="${sy(y)}" x2="${W - M.right}" y2="${sy(y)}" stroke="#ddd"/>`);
  }
  const legendTop = options.legend === 'bottom' ? H - M.bottom - 12 - 18 * options.series.length : M.top + 6;
  options.series.forEach((s, k) => {
    const path = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}" points="${path}"/>`);
    if (s.points.length === 1) parts.push(`<circle cx="${sx(s.points[0][0])}" cy="${sy(s.points[0][1])}" r="4" fill="${s.color}"/>`);
    parts.push(`<rect x="${W - M.right - 190}" y="${legendTop + 18 * k}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(text(W - M.right - 172, legendTop + 10 + 18 * k, s.name, 'start', 12));
  });
  return svg(W, H, parts);
}

/** A heat map of counts[true][predicted], darker for larger counts, with the numbers written in. */
export function confusionSvg(counts: number[][], labels: string[]): string {
  const cell = 40;
  const left = 70;
  const top = 70;
  const n = counts.length;
  const rowTotals = counts.map((row) => row.reduce((a, b) => a + b, 0) || 1);
  const parts: string[] = [
    `<rect width="${left + n * cell + 20}" height="${top + n * cell + 20}" fill="white"/>`,
    text(left + (n * cell) / 2, 20, 'confusion matrix (rows: true class, columns: predicted)', 'middle', 14),
    text(left + (n * cell) / 2, top - 30, 'predicted', 'middle', 12),
    `<text x="20" y="${top + (n * cell) / 2}" font-family="sans-serif" font-size="12" text-anchor="middle" transform="rotate(-90 20 ${top + (n * cell) / 2})">true</text>`,
  ];
  counts.forEach((row, i) => {
    parts.push(text(left - 8, top + i * cell + cell / 2 + 4, labels[i], 'end', 12));
    parts.push(text(left + i * cell + cell / 2, top - 8, labels[i], 'middle', 12));
    row.forEach((count, j) => {
      const share = count / rowTotals[i];
      const shade = Math.round(255 * (1 - Math.sqrt(share)));
      const fill = i === j ? `rgb(${shade},${Math.round(shade * 0.6 + 100)},${shade})` : `rgb(255,${shade},${shade})`;
      parts.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      if (count > 0) parts.push(text(left + j * cell + cell / 2, top + i * cell + cell / 2 + 4, String(count), 'middle', 11, share > 0.5 ? 'white' : 'black'));
    });
  });
  return svg(left + n * cell + 20, top + n * cell + 20, parts);
}

function svg(width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${parts.join('\n')}\n</svg>\n`;
}

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end', size: number, color = 'black'): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="sans-serif" font-size="${size}" text-anchor="${anchor}" fill="${color}">${escape(content)}</text>`;
}

function range(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

function format(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
