/**
 * A one-line progress bar per epoch on stderr:
 *   epoch 3/10 [########------------] 40% loss 0.1234 acc 96.52% 1830 img/s left 0:21
 * On a terminal the line is redrawn in place (at most 10 times a second); into a file or pipe only
 * the finished line of each epoch is written, so logs stay short.
 *
 * May import: nothing.
 */
export interface ProgressStats {
  /** Batches done in this epoch, and in all. */
  done: number;
  total: number;
  /** Mean loss and accuracy of this epoch's batches so far. */
  loss: number;
  accuracy: number;
  /** Images per second in this epoch so far. */
  rate: number;
  /** Seconds this epoch has taken so far. */
  elapsed: number;
}

export class ProgressBar {
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }, private readonly epochs: number) {}

  /** Redraws the line (on a terminal, throttled). */
  update(epoch: number, stats: ProgressStats): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && stats.done < stats.total) return;
    this.lastDraw = now;
    this.stream.write(`\r${this.line(epoch, stats)}\x1b[K`);
  }

  /** Ends the epoch's line. */
  finish(epoch: number, stats: ProgressStats): void {
    const line = this.line(epoch, stats);
    this.stream.write(this.stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }

  private line(epoch: number, s: ProgressStats): string {
    const width = 20;
    const filled = Math.round((s.done / s.total) * width);
    const left = s.done > 0 ? (s.elapsed / s.done) * (s.total - s.done) : 0;
    const timeText = s.done < s.total ? `left ${clock(left)}` : `took ${clock(s.elapsed)}`;
    return `epoch ${epoch}/${this.epochs} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((100 * s.done) / s.total)}% ` +
      `loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(2)}% ${Math.round(s.rate)} img/s ${timeText}`;
  }
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
