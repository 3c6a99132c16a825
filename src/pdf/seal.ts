/**
 * The issuing department's electronic seal (电子印章), drawn as vector graphics in the shape of a Chinese
 * official seal (GA 241-2000 印章制作规范 for the round seals of state organs; GB/T 38540-2020 for the
 * electronic seal's place in an e-document): a red ring; the department's name along the top inside the
 * ring, each character upright and turned to face outward, reading clockwise; a five-pointed star in the
 * middle; and the seal's 13-digit code along the bottom inside the ring, reading left to right.
 *
 * This is the visible mark only. What makes the licence authentic is the PAdES signature by the
 * department's certificate, not this drawing.
 */
import { createHash } from 'node:crypto';

/**
 * The seal's 13-digit code, stable per department. Real seal codes are assigned by the public-security
 * seal registry: six digits of the administrative division where the seal was made, then a seven-digit
 * serial. The vault has no registry, so it derives the same shape from the department's unified social
 * credit code (GB 32100-2015): characters 3–8 of the code are the registering authority's administrative
 * division (e.g. 110105, Chaoyang District, Beijing), and the seven digits are SHA-256 of the whole code,
 * read as a big-endian integer, modulo 10^7. A code whose division part is not six digits gets six digits
 * from the same hash instead.
 */
export function sealSerial(issuerCode: string): string {
  const digest = createHash('sha256').update(issuerCode.trim().toUpperCase()).digest();
  const serial = digest.readBigUInt64BE(0) % 10_000_000n;
  const division = /^\d{6}$/.test(issuerCode.slice(2, 8)) ? issuerCode.slice(2, 8) : String(digest.readBigUInt64BE(8) % 1_000_000n).padStart(6, '0');
  return division + String(serial).padStart(7, '0');
}

/** One character of the seal: drawn with text matrix [a b c d e f] (§9.4.2) at `size`. */
export interface SealGlyph {
  char: string;
  size: number;
  matrix: [number, number, number, number, number, number];
}

export interface SealGeometry {
  /** Ring (annulus) and star as one path in content-stream syntax, filled nonzero. */
  path: string;
  name: SealGlyph[];
  code: SealGlyph[];
}

/** Proportions of a 42 mm seal (GA 241: ring 1.2 mm, star 14 mm across): fractions of the outer radius. */
const RING = 0.065;
const STAR = 1 / 3;
const NAME_SIZE = 0.31;
const CODE_SIZE = 0.11;
/** Vertical centre of a CJK character above its baseline, in em (the ideographic em box is -0.12…0.88). */
const CJK_MIDDLE = 0.38;
const DIGIT_MIDDLE = 0.36;
/** Bézier control distance for a quarter circle. */
const KAPPA = 0.5522847498;

/**
 * Lays the seal out around (cx, cy) with outer radius r. `advance(char, size)` is the character's
 * advance width in points (from the font chain).
 */
export function sealGeometry(cx: number, cy: number, r: number, nameZh: string, code: string, advance: (char: string, size: number) => number): SealGeometry {
  const path = circle(cx, cy, r, false) + circle(cx, cy, r * (1 - RING), true) + star(cx, cy, r * STAR);

  // The name: 24° of arc per character (at most 250°), centred on 12 o'clock.
  const chars = [...nameZh.replace(/\s+/g, '')];
  const span = Math.min(250, chars.length * 24) * (Math.PI / 180);
  const step = chars.length > 1 ? span / (chars.length - 1) : 0;
  // Long names: characters are first compressed sideways (down to 60%), as seal engravers do, then made
  // smaller, so that neighbours never touch.
  let nameSize = r * NAME_SIZE;
  let nameRadius = 0;
  let squeeze = 1;
  for (let k = 0; k < 8; k++) {
    nameRadius = r * (1 - RING - 0.04) - nameSize / 2;
    const room = chars.length > 1 ? nameRadius * step * 0.86 : Infinity;
    const widest = Math.max(...chars.map((c) => advance(c, nameSize)));
    squeeze = Math.min(1, room / widest);
    if (squeeze >= 0.6) break;
    nameSize *= 0.92;
  }
  squeeze = Math.max(0.6, squeeze);
  const name = chars.map((char, i) => {
    const theta = -span / 2 + i * step; // from 12 o'clock, clockwise
    const px = cx + nameRadius * Math.sin(theta);
    const py = cy + nameRadius * Math.cos(theta);
    return placed(char, nameSize, px, py, -theta, squeeze, advance(char, nameSize), CJK_MIDDLE);
  });

  // The code: along the bottom, left to right, tops toward the centre.
  const digits = [...code];
  const codeSize = r * CODE_SIZE;
  const codeRadius = r * (1 - RING - 0.07) - codeSize / 2;
  const pitch = codeSize * 0.62;
  const codeStep = pitch / codeRadius;
  const codeSpan = codeStep * (digits.length - 1);
  const codeGlyphs = digits.map((char, i) => {
    const alpha = -codeSpan / 2 + i * codeStep; // from 6 o'clock, counter-clockwise (left to right)
    const px = cx + codeRadius * Math.sin(alpha);
    const py = cy - codeRadius * Math.cos(alpha);
    return placed(char, codeSize, px, py, alpha, 1, advance(char, codeSize), DIGIT_MIDDLE);
  });
  return { path, name, code: codeGlyphs };
}

/** The text matrix that centres a character on (px, py), turned by `phi` and squeezed sideways by `sx`. */
function placed(char: string, size: number, px: number, py: number, phi: number, sx: number, width: number, middle: number): SealGlyph {
  const cos = Math.cos(phi);
  const sin = Math.sin(phi);
  // Glyph space (u, v) → page: (sx·u·cos − v·sin + e, sx·u·sin + v·cos + f); the glyph's centre is
  // (width / 2, middle · size) before squeezing.
  const u = (sx * width) / 2;
  const v = middle * size;
  return { char, size, matrix: [sx * cos, sx * sin, -sin, cos, px - (u * cos - v * sin), py - (u * sin + v * cos)] };
}

const n = (v: number): string => (Math.round(v * 100) / 100).toString();

/** A circle as four Bézier quarters; `reverse` draws it counter-clockwise (for the ring's hole). */
function circle(cx: number, cy: number, r: number, reverse: boolean): string {
  const k = r * KAPPA;
  const pts = reverse
    ? [[cx + r, cy], [cx + r, cy + k, cx + k, cy + r, cx, cy + r], [cx - k, cy + r, cx - r, cy + k, cx - r, cy], [cx - r, cy - k, cx - k, cy - r, cx, cy - r], [cx + k, cy - r, cx + r, cy - k, cx + r, cy]]
    : [[cx + r, cy], [cx + r, cy - k, cx + k, cy - r, cx, cy - r], [cx - k, cy - r, cx - r, cy - k, cx - r, cy], [cx - r, cy + k, cx - k, cy + r, cx, cy + r], [cx + k, cy + r, cx + r, cy + k, cx + r, cy]];
  const [start, ...curves] = pts as [number[], ...number[][]];
  return `${n(start[0]!)} ${n(start[1]!)} m ` + curves.map((c) => `${c.map(n).join(' ')} c `).join('') + 'h ';
}

/** A regular five-pointed star, one point up (inner radius 0.382 of the outer: the golden ratio's). */
function star(cx: number, cy: number, r: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const rr = i % 2 === 0 ? r : r * 0.381966;
    const a = Math.PI / 2 - (i * Math.PI) / 5; // clockwise from the top, like the ring's outer circle
    parts.push(`${n(cx + rr * Math.cos(a))} ${n(cy + rr * Math.sin(a))} ${i === 0 ? 'm' : 'l'}`);
  }
  return parts.join(' ') + ' h';
}
