// Minimal ambient typings for fontkit 2 (the package ships no types).
// Only the surface used by src/pdf/fonts.ts is declared.
declare module 'fontkit' {
  export interface FontkitGlyph {
    id: number;
    codePoints: number[];
    advanceWidth: number;
    name?: string;
  }
  export interface FontkitSubset {
    includeGlyph(glyph: number | FontkitGlyph): number;
    encode(): Uint8Array;
    cff?: unknown;
  }
  export interface FontkitFont {
    postscriptName: string | null;
    familyName: string | null;
    unitsPerEm: number;
    ascent: number;
    descent: number;
    numGlyphs: number;
    bbox: { minX: number; minY: number; maxX: number; maxY: number };
    hasGlyphForCodePoint(codePoint: number): boolean;
    glyphForCodePoint(codePoint: number): FontkitGlyph;
    getGlyph(id: number, codePoints?: number[]): FontkitGlyph;
    createSubset(): FontkitSubset;
    layout(text: string, features?: unknown): { glyphs: FontkitGlyph[] };
  }
  export function create(buffer: Uint8Array, postscriptName?: string): FontkitFont;
}
