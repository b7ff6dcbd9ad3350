import { MissingPeerError } from './errors.js';

const notFound = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Imports an optional peer lazily; a missing install becomes a {@link MissingPeerError} naming the package.
 * Any other failure (a peer that throws while loading) is rethrown as is, so it is not mistaken for a missing install.
 */
export async function loadPeer<T>(peer: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && notFound.has(code)) throw new MissingPeerError(peer, error);
    throw error;
  }
}
