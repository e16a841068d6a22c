#!/usr/bin/python3
"""Records PyTorch reference values for tsgrad's nn layer, optimizer and scheduler tests.

Writes:
  tests/fixtures/optim.json  optimizer rows (parameters after each of 5 steps) and scheduler rows
                             (learning rate, and momentum/beta1 where it cycles, after each step),
                             for tests/optim.test.ts
  tests/fixtures/nn.json     layer rows (BatchNorm train/eval with running stats, GELU, Conv2d
                             options, a small network's loss and gradients) and init statistics,
                             for tests/nn.test.ts

Rerun from the repository root with Debian's PyTorch (the pyenv `python3` on PATH has no torch):
  /usr/bin/python3 scripts/generate_optim_fixtures.py

Everything runs in float32, as tsgrad does. Each row is seeded from its name (crc32), so adding a
row changes no other row. Numbers are printed with 9 significant digits (enough to read back the
same float32). Names of tsgrad options are written in camelCase in the rows; the torch call that
uses them is next to each row here.
"""
import json
import math
import os
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures')
STEPS = 5


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode()))


def f32(t):
    return [float('%.9g' % v) for v in t.detach().float().reshape(-1).tolist()]


def packed(t):
    return {'shape': list(t.shape), 'values': f32(t)}


# ---- optimizers ------------------------------------------------------------------------------
# Two parameters, w [3, 2] and b [2]. With 'fixed' gradients, the gradient of each step is drawn
# up front and stored; with 'problem', it comes from a small least-squares loss
# mean((x·w + b − y)²) on stored x, y, so it depends on the parameters as training does.

OPTIMIZERS = [
    # name, torch class, torch kwargs, tsgrad options, gradient source
    ('sgd', torch.optim.SGD, dict(lr=0.1), dict(lr=0.1), 'fixed'),
    ('sgd_momentum', torch.optim.SGD, dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9), 'fixed'),
    ('sgd_dampening_weight_decay', torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.5, weight_decay=0.01),
     dict(lr=0.05, momentum=0.8, dampening=0.5, weightDecay=0.01), 'fixed'),
    ('sgd_nesterov', torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
     dict(lr=0.1, momentum=0.9, nesterov=True, weightDecay=0.1), 'fixed'),
    ('sgd_momentum_problem', torch.optim.SGD, dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9), 'problem'),
    ('adam', torch.optim.Adam, dict(lr=0.01), dict(lr=0.01), 'fixed'),
    ('adam_options', torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     dict(lr=0.02, betas=[0.8, 0.99], eps=1e-6, weightDecay=0.1), 'fixed'),
    ('adam_problem', torch.optim.Adam, dict(lr=0.05), dict(lr=0.05), 'problem'),
    ('adamw', torch.optim.AdamW, dict(lr=0.01), dict(lr=0.01), 'fixed'),
    ('adamw_options', torch.optim.AdamW, dict(lr=0.03, betas=(0.85, 0.95), weight_decay=0.3),
     dict(lr=0.03, betas=[0.85, 0.95], weightDecay=0.3), 'problem'),
]


def optimizer_row(name, cls, torch_kwargs, options, source):
    seed(name)
    w = (torch.rand(3, 2) * 2 - 1).requires_grad_()
    b = (torch.rand(2) * 2 - 1).requires_grad_()
    row = {'name': name, 'kind': cls.__name__, 'options': options, 'gradients': source,
           'initial': [packed(w), packed(b)]}
    if source == 'fixed':
        grads = [[torch.randn(3, 2), torch.randn(2)] for _ in range(STEPS)]
        row['grads'] = [[packed(g) for g in step] for step in grads]
    else:
        x, y = torch.randn(4, 3), torch.randn(4, 2)
        row['x'], row['y'] = packed(x), packed(y)
    opt = cls([w, b], **torch_kwargs)
    row['steps'] = []
    for k in range(STEPS):
        opt.zero_grad()
        if source == 'fixed':
            w.grad, b.grad = grads[k][0].clone(), grads[k][1].clone()
        else:
            ((x @ w + b - y) ** 2).mean().backward()
        opt.step()
        row['steps'].append([packed(w), packed(b)])
    return row


# ---- schedulers ------------------------------------------------------------------------------

def momentum_of(opt):
    group = opt.param_groups[0]
    return group['betas'][0] if 'betas' in group else group['momentum']


SCHEDULERS = [
    # name, optimizer (kind, torch kwargs, tsgrad options), scheduler (kind, torch kwargs, tsgrad options), steps
    ('step_lr', ('SGD', dict(lr=0.1), dict(lr=0.1)),
     ('StepLR', dict(step_size=3, gamma=0.5), dict(stepSize=3, gamma=0.5)), 10),
    ('cosine', ('SGD', dict(lr=0.1), dict(lr=0.1)),
     ('CosineAnnealingLR', dict(T_max=8, eta_min=0.001), dict(tMax=8, etaMin=0.001)), 12),
    ('one_cycle_adam', ('Adam', dict(lr=1e-3), dict(lr=1e-3)),
     ('OneCycleLR', dict(max_lr=3e-3, total_steps=20), dict(maxLr=3e-3, totalSteps=20)), 20),
    ('one_cycle_sgd_three_phase_linear', ('SGD', dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9)),
     ('OneCycleLR', dict(max_lr=0.5, total_steps=16, pct_start=0.25, anneal_strategy='linear', three_phase=True,
                         div_factor=10, final_div_factor=100, base_momentum=0.8, max_momentum=0.9),
      dict(maxLr=0.5, totalSteps=16, pctStart=0.25, annealStrategy='linear', threePhase=True,
           divFactor=10, finalDivFactor=100, baseMomentum=0.8, maxMomentum=0.9)), 16),
    ('one_cycle_no_momentum', ('Adam', dict(lr=1e-3), dict(lr=1e-3)),
     ('OneCycleLR', dict(max_lr=0.01, total_steps=10, cycle_momentum=False),
      dict(maxLr=0.01, totalSteps=10, cycleMomentum=False)), 10),
]


def scheduler_row(name, optimizer, scheduler, steps):
    opt_kind, opt_kwargs, opt_options = optimizer
    sched_kind, sched_kwargs, sched_options = scheduler
    p = torch.zeros(1, requires_grad=True)
    opt = getattr(torch.optim, opt_kind)([p], **opt_kwargs)
    sched = getattr(torch.optim.lr_scheduler, sched_kind)(opt, **sched_kwargs)
    lrs, momenta = [opt.param_groups[0]['lr']], [momentum_of(opt)]
    # The learning rate of the step after each step (the last one, steps − 1 steps in).
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]['lr'])
        momenta.append(momentum_of(opt))
    return {'name': name, 'optimizer': {'kind': opt_kind, 'options': opt_options},
            'scheduler': {'kind': sched_kind, 'options': sched_options},
            'lr': lrs, 'momentum': momenta}


# ---- layers ----------------------------------------------------------------------------------

def batchnorm_row(name, cls, shape, eval_shape):
    seed(name)
    features = shape[1]
    bn = cls(features)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(features) + 0.5)
        bn.bias.copy_(torch.randn(features))
    x = (torch.randn(*shape) * 2 + 1).requires_grad_()
    out = bn(x)
    grad_out = torch.randn(*out.shape)
    (out * grad_out).sum().backward()
    row = {'name': name, 'weight': packed(bn.weight), 'bias': packed(bn.bias), 'input': packed(x),
           'output': packed(out), 'gradOut': packed(grad_out),
           'gradInput': packed(x.grad), 'gradWeight': packed(bn.weight.grad), 'gradBias': packed(bn.bias.grad),
           'runningMean': packed(bn.running_mean), 'runningVar': packed(bn.running_var)}
    # A second training batch, then eval mode, which uses the running statistics.
    bn(torch.randn(*shape))
    row['runningMean2'], row['runningVar2'] = packed(bn.running_mean), packed(bn.running_var)
    bn.eval()
    x_eval = torch.randn(*eval_shape)
    row['evalInput'], row['evalOutput'] = packed(x_eval), packed(bn(x_eval))
    return row


def unary_row(name, fn, shape):
    seed(name)
    x = (torch.randn(*shape) * 2).requires_grad_()
    out = fn(x)
    grad_out = torch.randn(*out.shape)
    (out * grad_out).sum().backward()
    return {'name': name, 'input': packed(x), 'output': packed(out), 'gradOut': packed(grad_out), 'gradInput': packed(x.grad)}


def conv_row(name, in_ch, out_ch, kernel, options, input_shape):
    """nn.Conv2d with its default init; the weights are stored. The options have the same names in both."""
    seed(name)
    conv = nn.Conv2d(in_ch, out_ch, kernel, **options)
    x = torch.randn(*input_shape).requires_grad_()
    out = conv(x)
    grad_out = torch.randn(*out.shape)
    (out * grad_out).sum().backward()
    row = {'name': name, 'inChannels': in_ch, 'outChannels': out_ch, 'kernel': kernel, 'options': options,
           'weight': packed(conv.weight), 'input': packed(x), 'output': packed(out), 'gradOut': packed(grad_out),
           'gradInput': packed(x.grad), 'gradWeight': packed(conv.weight.grad)}
    if conv.bias is not None:
        row['bias'], row['gradBias'] = packed(conv.bias), packed(conv.bias.grad)
    return row


class SmallNet(nn.Module):
    """Mirrors the TS SmallNet in tests/nn.test.ts: conv, batchnorm, relu, pool, linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 3 * 3, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1))


def network_row(name):
    seed(name)
    net = SmallNet()
    x = torch.rand(5, 1, 6, 6)
    y = torch.randint(0, 4, (5,))
    loss = F.cross_entropy(net(x), y, label_smoothing=0.1)
    loss.backward()
    rename = {'running_mean': 'runningMean', 'running_var': 'runningVar'}
    state = {}
    for key, value in net.state_dict().items():
        if key.endswith('num_batches_tracked'):
            continue
        prefix, leaf = key.rsplit('.', 1)
        state[f'{prefix}.{rename.get(leaf, leaf)}'] = value
    # `state` holds the running stats after this training-mode forward; the initial ones are 0 and 1.
    return {'name': name, 'input': packed(x), 'labels': [int(v) for v in y], 'loss': f32(loss)[0],
            'parameters': {n: packed(p) for n, p in net.named_parameters()},
            'grads': {n: packed(p.grad) for n, p in net.named_parameters()},
            'stateAfter': {n: packed(v) for n, v in state.items()}}


def init_stats():
    """Sample statistics of torch.nn.init on large tensors; tsgrad's draws must match them closely."""
    rows = []
    cases = [
        ('kaimingUniform_fanIn_relu', (256, 128), lambda t: nn.init.kaiming_uniform_(t, nonlinearity='relu')),
        ('kaimingUniform_fanOut_conv', (64, 32, 3, 3), lambda t: nn.init.kaiming_uniform_(t, mode='fan_out', nonlinearity='relu')),
        ('kaimingNormal_fanIn_relu', (256, 128), lambda t: nn.init.kaiming_normal_(t, nonlinearity='relu')),
        ('kaimingNormal_leaky', (128, 64, 3, 3), lambda t: nn.init.kaiming_normal_(t, a=0.2, nonlinearity='leaky_relu')),
        ('xavierUniform', (300, 100), lambda t: nn.init.xavier_uniform_(t)),
        ('xavierNormal_tanh', (300, 100), lambda t: nn.init.xavier_normal_(t, gain=nn.init.calculate_gain('tanh'))),
        ('defaultLinear', (100, 300), lambda t: t.copy_(nn.Linear(300, 100).weight)),
        ('defaultConv2d', (32, 16, 5, 5), lambda t: t.copy_(nn.Conv2d(16, 32, 5).weight)),
    ]
    for name, shape, fill in cases:
        seed(name)
        t = torch.empty(*shape)
        with torch.no_grad():
            fill(t)
        rows.append({'name': name, 'shape': list(shape), 'mean': float(t.mean()), 'std': float(t.std()),
                     'absMax': float(t.abs().max())})
    return rows


def write(filename, data):
    path = os.path.join(OUT_DIR, filename)
    data = {'description': data.pop('description'), 'generator': 'scripts/generate_optim_fixtures.py',
            'torch': torch.__version__, **data}
    with open(path, 'w') as f:
        f.write('{\n')
        items = list(data.items())
        for i, (key, value) in enumerate(items):
            end = ',' if i < len(items) - 1 else ''
            if isinstance(value, list):
                # One row per line keeps diffs readable.
                body = ',\n'.join('    ' + json.dumps(r, separators=(',', ':')) for r in value)
                f.write(f'  {json.dumps(key)}: [\n{body}\n  ]{end}\n')
            else:
                f.write(f'  {json.dumps(key)}: {json.dumps(value)}{end}\n')
        f.write('}\n')
    print(f'{path}: {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUT_DIR, exist_ok=True)
    write('optim.json', {
        'description': f'Optimizer rows: parameters after each of {STEPS} torch.optim steps; scheduler rows: lr and momentum (beta1 for Adam) at step 0, 1, ...',
        'optimizers': [optimizer_row(*r) for r in OPTIMIZERS],
        'schedulers': [scheduler_row(*r) for r in SCHEDULERS],
    })
    write('nn.json', {
        'description': 'Layer rows (forward, gradients of sum(out*gradOut), BatchNorm running stats), a small network, and init sample statistics.',
        'layers': [
            batchnorm_row('batchnorm2d', nn.BatchNorm2d, (4, 3, 5, 5), (2, 3, 5, 5)),
            batchnorm_row('batchnorm1d', nn.BatchNorm1d, (8, 4), (3, 4)),
            batchnorm_row('batchnorm1d_3d', nn.BatchNorm1d, (4, 3, 6), (2, 3, 6)),
            unary_row('gelu_tanh', lambda x: F.gelu(x, approximate='tanh'), (4, 5)),
            conv_row('conv2d_stride_padding', 2, 4, 3, dict(stride=2, padding=1), (2, 2, 7, 7)),
            conv_row('conv2d_dilation_groups', 4, 6, (3, 2), dict(dilation=2, groups=2, padding=(1, 0)), (2, 4, 8, 7)),
            conv_row('conv2d_no_bias', 3, 2, 2, dict(bias=False), (1, 3, 4, 4)),
        ],
        'network': network_row('small_net'),
        'init': init_stats(),
    })
