/**
 * Text widths of DejaVu Sans (regular and bold), the font every plot uses, so that Vega lays out
 * titles, legends and axes for the text that is really drawn. Without a canvas Vega guesses
 * 0.8 em per character, which is about a third too wide and leaves gaps and early truncation.
 * Advance widths in 1/1000 em, read from DejaVuSans.ttf / DejaVuSans-Bold.ttf (version 2.37).
 * @module
 */

/** The characters of the tables below, in order: printable ASCII, then a few used in labels. */
const CHARS =
  " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~±τµ…–—×·°";

// deno-fmt-ignore
const REGULAR = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636,
  636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632,
  575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685,
  611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579,
  278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
  838, 602, 636, 1000, 500, 1000, 838, 318, 500,
];

// deno-fmt-ignore
const BOLD = [
  348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696,
  696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683,
  683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771,
  724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665,
  343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
  838, 638, 736, 1000, 500, 1000, 838, 380, 500,
];

/** Width of characters missing from the tables (about a lowercase letter plus a bit), 1/1000 em. */
const FALLBACK = { regular: 640, bold: 700 };

const INDEX = new Map([...CHARS].map((c, i) => [c, i]));

/**
 * Width of `text` set in DejaVu Sans, without kerning (a pixel or two wider than rendered, never narrower
 * by much).
 * @param text one line of text
 * @param fontSize in pixels, e.g. 11
 * @param bold the bold face
 * @returns the width in pixels
 * @example
 * ```ts
 * textWidth("epoch", 12, false); // about 36
 * ```
 */
export function textWidth(text: string, fontSize: number, bold: boolean): number {
  const table = bold ? BOLD : REGULAR;
  const fallback = bold ? FALLBACK.bold : FALLBACK.regular;
  let units = 0;
  for (const c of text) {
    const i = INDEX.get(c);
    units += i === undefined ? fallback : table[i];
  }
  return (units * fontSize) / 1000;
}
