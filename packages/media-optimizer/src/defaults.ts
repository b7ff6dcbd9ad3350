/**
 * Every default of @pilms/media-optimizer in one place, tuned for an Orange Pi 5 class board
 * (4 fast + 4 slow ARM cores, SD/eMMC storage) serving a classroom on Wi-Fi.
 */
export const defaults = {
  /** Widths produced for each image, never upscaled; the source width is added when smaller than the largest. */
  widths: [320, 640, 1024, 1920] as readonly number[],
  /** Output image formats, best first; the serving handler negotiates in this order. */
  formats: ['avif', 'webp', 'jpeg'] as readonly ('avif' | 'webp' | 'jpeg')[],
  /**
   * Per-format quality matching the look of a JPEG at 85: AVIF and WebP reach it at lower numbers
   * (AVIF at 85 is large and slow).
   */
  quality: { jpeg: 85, webp: 80, avif: 60 },
  /** AVIF encoder effort (0-9): 2 keeps encodes a few times faster than sharp's 4 on slow ARM cores. */
  avifEffort: 2,
  /** `sizes` attribute of the generated `<img>`/`<source>` elements. */
  sizes: '(max-width: 1024px) 100vw, 1024px',
  /** Width in pixels of the inline blurred placeholder. */
  lqipWidth: 16,
  /** Animated GIF/WebP inputs: keep the animation (WebP + GIF outputs) or use the first frame. */
  animated: 'keep' as 'keep' | 'first-frame',
  /** libvips threads per image: 2 leaves cores for the web process. */
  sharpConcurrency: 2,
  /** libvips operation cache (MB); small because each upload is processed once. */
  sharpCacheMemoryMb: 16,
  limits: {
    /** Largest accepted image upload in bytes (30 MiB). */
    maxImageBytes: 30 * 2 ** 20,
    /** Largest accepted video/audio upload in bytes (4 GiB). */
    maxMediaBytes: 4 * 2 ** 30,
    /** Largest decoded image in pixels (40 MP: a big phone photo; rejects decompression bombs). */
    maxPixels: 40_000_000,
    /** Longest accepted video/audio in seconds (3 h). */
    maxDurationSec: 3 * 3600,
  },
  video: {
    /** Bounding box of the output; smaller inputs are never upscaled. */
    maxWidth: 1920,
    maxHeight: 1080,
    /** x264 preset: `veryfast` keeps a 1080p encode near real time on the A76 cores. */
    preset: 'veryfast',
    /** `capped-crf`: quality-targeted with `maxrate`; `target`: average bitrate `bitrateKbps`. */
    rateControl: 'capped-crf' as 'capped-crf' | 'target',
    crf: 23,
    /** Bitrate cap (capped-crf) or target (target) in kbit/s; `bufsize` is twice this. */
    bitrateKbps: 1500,
    audioBitrateKbps: 128,
    /** Number of thumbnails spread over the clip (0 for none). */
    thumbnails: 3,
    /** HLS segment length in seconds. */
    hlsSegmentSec: 4,
  },
  audio: {
    bitrateKbps: 128,
    sampleRate: 48_000,
    channels: 2 as 1 | 2,
    /** Integrated loudness target (LUFS): -16 suits speech on phones; use -23 for EBU R128 broadcast. */
    loudnessI: -16,
    truePeak: -1.5,
    loudnessRange: 11,
  },
  jobs: {
    /** Jobs run one at a time so encoding never starves the web process. */
    concurrency: 1,
    /** `nice` level for ffmpeg children (0-19). */
    nice: 10,
    /** Attempts before an interrupted or failed job is marked failed. */
    maxAttempts: 2,
    /** Log lines kept per job. */
    maxLogLines: 200,
  },
  /** Cache-Control sent for content-addressed variants. */
  immutableCacheControl: 'public, max-age=31536000, immutable',
} as const;
