export {
  type AudioManifest,
  type AudioResult,
  type AudioStage,
  type LoudnessMeasurement,
  parseLoudnorm,
  type TranscodeAudioOptions,
  transcodeAudio,
} from './audio.js';
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
export { type MediaProgress, type ProcessOptions, type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';
export {
  type ImageManifest,
  type ImageResult,
  type OptimizeImageOptions,
  optimizeImage,
  type StillFormat,
  targetWidths,
  tuneSharp,
} from './image.js';
export {
  createJobQueue,
  type JobContext,
  type JobEvents,
  type JobHandler,
  type JobPatch,
  type JobQueue,
  type JobQueueOptions,
  type JobQueueStats,
  type JobRecord,
  type JobStatus,
  type JobStore,
} from './jobs.js';
export type { MediaLimits } from './limits.js';
export { buildMarkup, type ImageMarkup, type ImageOutputFormat, type ImageVariant } from './markup.js';
export type { MediaJobOptions } from './media-input.js';
export { type AudioStreamInfo, type MediaInfo, probe, type VideoStreamInfo } from './probe.js';
export { acceptedImageFormats, parseRange, type RangeResult } from './range.js';
export {
  createImageServer,
  createStaticServer,
  type ImageServerOptions,
  type MediaRequest,
  type MediaResponse,
  type MediaServer,
  pickVariant,
  type StaticServerOptions,
  toMediaRequest,
} from './serve.js';
export { imageFormats, mediaFormats, type SniffedFormat, sniffFormat } from './sniff.js';
export { type FileLayer, nodeFileLayer, sweepStaleTemp } from './store.js';
export {
  fitBox,
  type TranscodeVideoOptions,
  transcodeVideo,
  type VideoManifest,
  type VideoResult,
  type VideoStage,
} from './video.js';
