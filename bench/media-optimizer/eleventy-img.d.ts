// The slice of @11ty/eleventy-img's API the benchmark uses (the package ships no types).
declare module '@11ty/eleventy-img' {
  interface EleventyImageOptions {
    widths: number[];
    formats: string[];
    outputDir: string;
    useCache: boolean;
    sharpAvifOptions: Record<string, unknown>;
    sharpWebpOptions: Record<string, unknown>;
    sharpJpegOptions: Record<string, unknown>;
  }
  export default function Image(src: string, options: EleventyImageOptions): Promise<unknown>;
}
