/**
 * The names reports give the non-input layers of a network.
 * @module
 */

/**
 * Names of `layers` non-input layers, e.g. 2 -> ["hidden 1", "output"].
 * @param layers number of non-input layers (hidden layers + 1)
 */
export function layerNames(layers: number): string[] {
  return Array.from({ length: layers }, (_, l) => (l === layers - 1 ? "output" : `hidden ${l + 1}`));
}
