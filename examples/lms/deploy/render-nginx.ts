import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const deployDir = dirname(fileURLToPath(import.meta.url));

/** Where Debian's brotli filter module lives once `libnginx-mod-http-brotli-filter` is installed. */
export const brotliModulePath = '/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so';

/** Values substituted into `nginx-site.conf.template`. */
export interface NginxSiteValues {
  /** Port nginx listens on. Default 80. */
  listenPort: number;
  /** Port of the LMS behind it. Default 8080. */
  appPort: number;
  /** The LMS's static assets directory, served by nginx directly. Default `examples/lms/public`. */
  publicDir: string;
  /** nginx's disk cache for media responses. Default `/var/cache/nginx/pilms`. */
  cacheDir: string;
  /** Largest upload nginx accepts (the app enforces its own, smaller limits per type). Default `600m`. */
  maxUpload: string;
  /** Whether to enable brotli; default: when the module is installed. */
  brotli: boolean;
}

/** The defaults, overridable by PILMS_NGINX_* environment variables in the CLI below. */
export const nginxDefaults: NginxSiteValues = {
  listenPort: 80,
  appPort: 8080,
  publicDir: resolve(deployDir, '..', 'public'),
  cacheDir: '/var/cache/nginx/pilms',
  maxUpload: '600m',
  brotli: existsSync(brotliModulePath),
};

/** Renders the nginx site config for the given values. */
export function renderNginxSite(overrides: Partial<NginxSiteValues> = {}): string {
  const values = { ...nginxDefaults, ...overrides };
  const replacements: Record<string, string> = {
    LISTEN_PORT: String(values.listenPort),
    APP_PORT: String(values.appPort),
    PUBLIC_DIR: values.publicDir,
    CACHE_DIR: values.cacheDir,
    MAX_UPLOAD: values.maxUpload,
    BROTLI_SNIPPET: join(deployDir, values.brotli ? 'brotli.conf' : 'no-brotli.conf'),
  };
  const template = readFileSync(join(deployDir, 'nginx-site.conf.template'), 'utf8');
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (match, name: string) => {
    const value = replacements[name];
    if (value === undefined) throw new Error(`nginx-site.conf.template uses an unknown value ${match}`);
    return value;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const env = process.env;
  process.stdout.write(
    renderNginxSite({
      ...(env.PILMS_NGINX_LISTEN_PORT ? { listenPort: Number(env.PILMS_NGINX_LISTEN_PORT) } : {}),
      ...(env.PORT ? { appPort: Number(env.PORT) } : {}),
      ...(env.PILMS_NGINX_CACHE_DIR ? { cacheDir: env.PILMS_NGINX_CACHE_DIR } : {}),
    }),
  );
}
