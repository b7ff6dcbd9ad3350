import { MissingPeerError } from './errors.js';

/** Imports an optional peer lazily; a missing install becomes a {@link MissingPeerError} naming the package. */
export async function loadPeer<T>(peer: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new MissingPeerError(peer, error);
  }
}
