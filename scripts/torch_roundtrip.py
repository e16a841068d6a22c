"""The PyTorch half of the round trip test (tests/roundtrip.test.ts), run with /usr/bin/python3.

    torch_roundtrip.py logits FOLDER INPUTS OUT
        Rebuilds the model that tsgrad's nn.exportToTorch wrote to FOLDER (model.py, then
        load_state_dict(strict=True) from model.safetensors), prints it (its repr), runs it in eval
        mode on the 'images' of INPUTS and writes its 'logits' to OUT.
    torch_roundtrip.py train FOLDER INPUTS OUT_WEIGHTS OUT_WEIGHTS64 OUT_LOGITS
        The other way: rebuilds the model, trains one SGD step on 'images' and 'labels' (train mode,
        so batch norm updates its running statistics), saves its state_dict to OUT_WEIGHTS (float32)
        and OUT_WEIGHTS64 (floats as float64), and writes its eval-mode logits on the images.

Safetensors files are read and written with the functions model.py defines (no extra package).
"""
import importlib.util
import os
import sys

import torch
import torch.nn.functional as F


def load_model_py(folder):
    spec = importlib.util.spec_from_file_location('exported_model', os.path.join(folder, 'model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logits(folder, inputs, out):
    model_py = load_model_py(folder)
    net = model_py.load(folder)
    print(net)
    images = model_py.read_safetensors(inputs)['images']
    with torch.no_grad():
        model_py.write_safetensors({'logits': net(images)}, out)


def train(folder, inputs, out_weights, out_weights64, out_logits):
    torch.manual_seed(0)
    model_py = load_model_py(folder)
    net = model_py.load(folder).train()
    batch = model_py.read_safetensors(inputs)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(batch['images']), batch['labels'].long())
        loss.backward()
        optimizer.step()
    net.eval()
    model_py.save(net, out_weights)
    state64 = {k: v.double() if v.is_floating_point() else v for k, v in net.state_dict().items()}
    model_py.write_safetensors(state64, out_weights64)
    with torch.no_grad():
        model_py.write_safetensors({'logits': net(batch['images'])}, out_logits)


if __name__ == '__main__':
    commands = {'logits': (logits, 3), 'train': (train, 5)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) != 2 + commands[sys.argv[1]][1]:
        sys.exit(__doc__)
    command, _ = commands[sys.argv[1]]
    command(*sys.argv[2:])
