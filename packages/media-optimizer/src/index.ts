export { defaults } from './defaults.js';
export {
  CorruptMediaError,
  errors,
  FfmpegError,
  InvalidOptionError,
  JobNotFoundError,
  MediaCancelledError,
  MediaLimitError,
  MediaWriteError,
  PilmsMediaError,
  UnsupportedFormatError,
} from './errors.js';
export { type MediaProgress, type ProcessOptions, runFfmpeg } from './ffmpeg.js';
export {
  type ImageManifest,
  type ImageResult,
  type OptimizeImageOptions,
  optimizeImage,
  type StillFormat,
  targetWidths,
  tuneSharp,
} from './image.js';
export type { MediaLimits } from './limits.js';
export { buildMarkup, type ImageMarkup, type ImageOutputFormat, type ImageVariant } from './markup.js';
export { type AudioStreamInfo, type MediaInfo, probe, type VideoStreamInfo } from './probe.js';
export { imageFormats, mediaFormats, type SniffedFormat, sniffFormat } from './sniff.js';
export { type FileLayer, nodeFileLayer } from './store.js';
