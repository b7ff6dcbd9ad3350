/** One stored variant of an image, as listed in its manifest. */
export interface ImageVariant {
  width: number;
  height: number;
  format: ImageOutputFormat;
  /** File name inside the asset directory, e.g. `640.avif`. */
  file: string;
  bytes: number;
}

/** Formats the image pipeline writes; GIF only for kept animations. */
export type ImageOutputFormat = 'avif' | 'webp' | 'jpeg' | 'gif';

/** Preference order for negotiation and `<source>` order: smallest files first. */
export const formatPreference: readonly ImageOutputFormat[] = ['avif', 'webp', 'jpeg', 'gif'];

/** MIME type of each output format. */
export const mimeTypes: Record<ImageOutputFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
};

/** Ready-to-use HTML strings for one image. */
export interface ImageMarkup {
  /** `srcset` value per format present. */
  srcset: Partial<Record<ImageOutputFormat, string>>;
  sizes: string;
  /** A `<picture>` with one `<source>` per modern format and an `<img>` fallback carrying the LQIP as background. */
  picture: string;
}

const escapeAttr = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Builds srcset strings and a `<picture>` element from variants and a URL builder. */
export function buildMarkup(
  variants: readonly ImageVariant[],
  url: (variant: ImageVariant) => string,
  options: { sizes: string; alt: string; lqip: string | undefined },
): ImageMarkup {
  const srcset: Partial<Record<ImageOutputFormat, string>> = {};
  const present = formatPreference.filter((format) => variants.some((v) => v.format === format));
  for (const format of present) {
    srcset[format] = variants
      .filter((v) => v.format === format)
      .sort((a, b) => a.width - b.width)
      .map((v) => `${url(v)} ${v.width}w`)
      .join(', ');
  }
  const fallbackFormat = present[present.length - 1];
  const fallbacks = variants.filter((v) => v.format === fallbackFormat).sort((a, b) => a.width - b.width);
  // The <img> src is the largest fallback up to 1024 px: what a browser without srcset should get.
  const img = [...fallbacks].reverse().find((v) => v.width <= 1024) ?? fallbacks[0];
  const sources = present
    .slice(0, -1)
    .map(
      (f) =>
        `<source type="${mimeTypes[f]}" srcset="${escapeAttr(srcset[f] ?? '')}" sizes="${escapeAttr(options.sizes)}">`,
    );
  const style = options.lqip ? ` style="background-size:cover;background-image:url(${escapeAttr(options.lqip)})"` : '';
  const imgTag = img
    ? `<img src="${escapeAttr(url(img))}" srcset="${escapeAttr(srcset[img.format] ?? '')}" sizes="${escapeAttr(options.sizes)}" width="${img.width}" height="${img.height}" alt="${escapeAttr(options.alt)}" loading="lazy" decoding="async"${style}>`
    : '';
  return { srcset, sizes: options.sizes, picture: `<picture>${sources.join('')}${imgTag}</picture>` };
}
