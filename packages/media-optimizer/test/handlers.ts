import type { JobHandler, ProcessOptions } from '../src/index.js';
import { optimizeImage, transcodeVideo } from '../src/index.js';

/** The job handlers the queue tests (and the crash child) use: real encodes, small settings. */
export function mediaHandlers(
  outDir: string,
  hooks: { onSpawn?: (pid: number) => void; onRunning?: (pid: number) => void } = {},
): Record<string, JobHandler<{ input: string }>> {
  return {
    video: async ({ input }, context) => {
      let pid = 0;
      let reported = false;
      const process: ProcessOptions = {
        ...context.process,
        onSpawn: (spawned) => {
          pid = spawned;
          hooks.onSpawn?.(spawned);
        },
      };
      const result = await transcodeVideo(input, {
        outDir,
        ...process,
        poster: false,
        thumbnails: 0,
        preset: 'ultrafast',
        onProgress: (progress) => {
          if (!reported) hooks.onRunning?.(pid);
          reported = true;
          context.progress(progress);
        },
      });
      return { hash: result.hash, bytes: result.mp4.bytes };
    },
    image: async ({ input }, context) => {
      context.log(`optimizing ${input}`);
      const result = await optimizeImage(input, { outDir, widths: [160], formats: ['webp'], signal: context.signal });
      return { hash: result.hash };
    },
  };
}
