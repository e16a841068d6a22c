/**
 * The networks learnMnist can train, chosen with --model. Written the way a user of tsgrad would
 * write them: fields for the layers, a forward method.
 *
 * Sizes for a 28x28 input (conv 5x5 with padding 2 and conv 3x3 with padding 1 keep the size;
 * 3x3 without padding takes 2 off; each 2x2 pool halves it):
 *   small:   28 → conv3 26 → pool 13 → conv3 11 → pool 5:  16·5·5 = 400 features
 *   compact: 28 → conv5 28 → pool 14 → conv5 14 → pool 7:  16·7·7 = 784 features
 *   medium:  28 → conv5 28 → pool 14 → conv5 14 → pool 7:  32·7·7 = 1568 features
 *   large:   28 → conv3 28 → pool 14 → conv3 14 → pool 7:  64·7·7 = 3136 features
 *
 * Each model also gives its forward in PyTorch (`torchForward`), so that `nn.exportToTorch` can
 * write the equivalent torch.nn.Module (learnMnist --export; docs/pytorch.md).
 *
 * May import: src (tsgrad's public API).
 */
import { nn, type Tensor } from '../../src';

/** edugrad's ConvNet (with biases): about 5,000 parameters. Tops out near 97% on the npm digits. */
export class SmallNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3);
  conv2 = new nn.Conv2d(8, 16, 3);
  fc = new nn.Linear(16 * 5 * 5, 10);

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x).relu().maxPool2d(2);
    x = this.conv2.forward(x).relu().maxPool2d(2);
    return this.fc.forward(x.flatten(1));
  }

  /** The same forward in PyTorch, for nn.exportToTorch. */
  torchForward(): string[] {
    return [
      'def forward(self, x):',
      '    x = F.max_pool2d(F.relu(self.conv1(x)), 2)',
      '    x = F.max_pool2d(F.relu(self.conv2(x)), 2)',
      '    return self.fc(torch.flatten(x, 1))',
    ];
  }
}

/**
 * Two 5x5 conv layers (16 and 32 channels by default) and a hidden layer of 128: about 215,000
 * parameters.
 */
export class MediumNet extends nn.Module {
  conv1: nn.Conv2d;
  conv2: nn.Conv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(channels1 = 16, channels2 = 32) {
    super();
    this.conv1 = new nn.Conv2d(1, channels1, 5, { padding: 2 });
    this.conv2 = new nn.Conv2d(channels1, channels2, 5, { padding: 2 });
    this.fc1 = new nn.Linear(channels2 * 7 * 7, 128);
    this.fc2 = new nn.Linear(128, 10);
  }

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x).relu().maxPool2d(2);
    x = this.conv2.forward(x).relu().maxPool2d(2);
    x = this.fc1.forward(x.flatten(1)).relu();
    return this.fc2.forward(x);
  }

  /** The same forward in PyTorch, for nn.exportToTorch. */
  torchForward(): string[] {
    return [
      'def forward(self, x):',
      '    x = F.max_pool2d(F.relu(self.conv1(x)), 2)',
      '    x = F.max_pool2d(F.relu(self.conv2(x)), 2)',
      '    x = F.relu(self.fc1(torch.flatten(x, 1)))',
      '    return self.fc2(x)',
    ];
  }
}

/**
 * MediumNet with half its channels (8 and 16): about 105,000 parameters and about 40% of MediumNet's
 * time per training step, with as good an accuracy on MNIST at a higher learning rate
 * (docs/mnist.md). The default.
 */
export class CompactNet extends MediumNet {
  constructor() {
    super(8, 16);
  }
}

/** Wider 3x3 convs with batch norm, dropout before the classifier: about 420,000 parameters. */
export class LargeNet extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential(
    new nn.Flatten(), new nn.Dropout(0.3), new nn.Linear(64 * 7 * 7, 128), new nn.ReLU(), new nn.Linear(128, 10),
  );

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }

  /** The same forward in PyTorch, for nn.exportToTorch. */
  torchForward(): string[] {
    return ['def forward(self, x):', '    return self.classifier(self.features(x))'];
  }
}

export const models = {
  small: SmallNet,
  compact: CompactNet,
  medium: MediumNet,
  large: LargeNet,
};

export type ModelName = keyof typeof models;

export function isModelName(name: string): name is ModelName {
  return Object.prototype.hasOwnProperty.call(models, name);
}
