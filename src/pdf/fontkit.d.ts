// Minimal ambient typings for fontkit 2 (the package ships no types). The renderer reads fonts itself
// (truetype-subset.ts); only the font tests use fontkit, as an independent reference for character maps
// and outlines. Only that surface is declared.
declare module 'fontkit' {
  export interface FontkitGlyph {
    id: number;
    codePoints: number[];
    advanceWidth: number;
    name?: string;
  }
  export interface FontkitFont {
    postscriptName: string | null;
    familyName: string | null;
    unitsPerEm: number;
    numGlyphs: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
    glyphForCodePoint(codePoint: number): FontkitGlyph;
    getGlyph(id: number, codePoints?: number[]): FontkitGlyph;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): FontkitFont;
}
