#!/usr/bin/python3
"""PyTorch's side of `npm run bench`: one training step (forward, backward, Adam step) of the bench's
models A and B (bench/tsgradModels.ts) on the same shapes, on the CPU with 2 threads.

  /usr/bin/python3 bench/torch_models.py MODEL BATCH STEPS ROUNDS     (MODEL: A or B)

Prints one JSON object: the median ms per step of the model ({"A": ...}), over ROUNDS
rounds of STEPS timed steps after one warm-up step. Exits with status 3 and a reason on stderr when
torch cannot be imported, so that the bench can say why it leaves the column out.
"""
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # the bench prints the reason and skips the PyTorch column
    print(f'torch cannot be imported: {error}', file=sys.stderr)
    sys.exit(3)


def uniform(shape, fan_in):
    bound = 1 / fan_in ** 0.5
    return (torch.rand(shape) * 2 - 1).mul_(bound).requires_grad_()


def model_a(batch):
    """conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3, relu, maxpool 2, linear 400->10 (no biases)."""
    w1, w2, w3 = uniform((8, 1, 3, 3), 9), uniform((16, 8, 3, 3), 72), uniform((10, 400), 400)
    x, y = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))

    def loss():
        h1 = F.max_pool2d(F.relu(F.conv2d(x, w1)), 2)
        h2 = F.max_pool2d(F.relu(F.conv2d(h1, w2)), 2)
        return F.cross_entropy(F.linear(h2.reshape(batch, 400), w3), y)
    return [w1, w2, w3], loss


def model_b(batch):
    """linear 784->128, relu, linear 128->10 (with biases)."""
    w1, b1, w2, b2 = uniform((128, 784), 784), uniform((128,), 784), uniform((10, 128), 128), uniform((10,), 128)
    x, y = torch.rand(batch, 784), torch.randint(0, 10, (batch,))
    return [w1, b1, w2, b2], lambda: F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y)


def median_step_ms(make, batch, steps, rounds):
    params, loss = make(batch)
    opt = torch.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
        return value.item()
    step()
    times = []
    for _ in range(rounds):
        for _ in range(steps):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


if __name__ == '__main__':
    name = sys.argv[1]
    batch, steps, rounds = (int(a) for a in sys.argv[2:5])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print(json.dumps({name: median_step_ms({'A': model_a, 'B': model_b}[name], batch, steps, rounds)}))
