/**
 * Lab task 8: conv2d's forward from window views and mulacc (docs/lab/08-conv2d.md). Backward is
 * given and reads what forward saved, so the gradient rows check the saved windows too.
 *
 * May import: src, ./rows.
 */
import { checkRows } from './rows';

describe('Conv2d.forward', () => {
  checkRows('ops.json', {
    conv2d: (x, w) => x.conv2d(w),
    conv2d_bias: (x, w, b) => x.conv2d(w, b),
    conv2d_stride_padding: (x, w) => x.conv2d(w, undefined, { stride: 2, padding: 1 }),
    conv2d_dilation: (x, w) => x.conv2d(w, undefined, { dilation: 2 }),
    conv2d_groups_bias: (x, w, b) => x.conv2d(w, b, { groups: 2 }),
    conv2d_all: (x, w, b) => x.conv2d(w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 }),
  });
});
