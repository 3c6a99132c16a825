/**
 * JPEG and PNG as PDF image XObjects (ISO 32000-1 §8.9.5), without re-encoding where PDF can take the
 * bytes as they are:
 *   JPEG  always passed through (/DCTDecode); the colour space comes from the frame header's component
 *         count, and Adobe's APP14 marker decides whether CMYK samples are stored inverted.
 *   PNG   passed through when PDF's Flate predictors can read the IDAT stream directly (non-interlaced,
 *         no alpha channel, no transparency chunk: /DecodeParms << /Predictor 15 … >>, §7.4.4.4); other
 *         PNGs (alpha, tRNS, Adam7) are decoded and split into colour and an /SMask.
 * Scans and photos go into a signed document unchanged whenever possible: the bytes a clerk uploaded
 * are the bytes in the PDF.
 */
import { deflateSync, inflateSync } from 'node:zlib';

/** An image ready to be written: the XObject's dictionary entries, its data, and an optional soft mask. */
export interface PdfImage {
  width: number;
  height: number;
  /** Dictionary entries after /Type /XObject /Subtype /Image (without /Length, /SMask). */
  dict: string;
  data: Uint8Array;
  smask?: { dict: string; data: Uint8Array };
}

export function pdfImage(kind: 'jpeg' | 'png', bytes: Uint8Array): PdfImage {
  return kind === 'jpeg' ? jpegImage(bytes) : pngImage(bytes);
}

// --- JPEG ---------------------------------------------------------------------------------------------

function jpegImage(bytes: Uint8Array): PdfImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0xffd8) throw new Error('not a JPEG (no SOI marker)');
  let pos = 2;
  let adobeInverted = false;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new Error('corrupt JPEG (marker expected)');
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = view.getUint16(pos + 2);
    // APP14 "Adobe": CMYK JPEGs written by Adobe software store inverted samples.
    if (marker === 0xee && length >= 12 && String.fromCharCode(...bytes.subarray(pos + 4, pos + 9)) === 'Adobe') adobeInverted = true;
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const bits = bytes[pos + 4]!;
      const height = view.getUint16(pos + 5);
      const width = view.getUint16(pos + 7);
      const components = bytes[pos + 9]!;
      const colorSpace = components === 1 ? '/DeviceGray' : components === 3 ? '/DeviceRGB' : components === 4 ? '/DeviceCMYK' : null;
      if (!colorSpace) throw new Error(`JPEG with ${components} components`);
      const decode = components === 4 && adobeInverted ? ' /Decode [1 0 1 0 1 0 1 0]' : '';
      return { width, height, dict: `/Width ${width} /Height ${height} /ColorSpace ${colorSpace} /BitsPerComponent ${bits} /Filter /DCTDecode${decode}`, data: bytes };
    }
    pos += 2 + length;
  }
  throw new Error('corrupt JPEG (no frame header)');
}

// --- PNG ----------------------------------------------------------------------------------------------

interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  palette: Uint8Array | null;
  transparency: Uint8Array | null;
  idat: Uint8Array;
}

function readPng(bytes: Uint8Array): PngInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x89504e47 || view.getUint32(4) !== 0x0d0a1a0a) throw new Error('not a PNG (bad signature)');
  let pos = 8;
  let info: Omit<PngInfo, 'idat'> | null = null;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      info = { width: view.getUint32(pos + 8), height: view.getUint32(pos + 12), bitDepth: data[8]!, colorType: data[9]!, interlace: data[12]!, palette: null, transparency: null };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  if (!info || idat.length === 0) throw new Error('corrupt PNG (no IHDR or IDAT)');
  const total = idat.reduce((n, c) => n + c.length, 0);
  const joined = idat.length === 1 ? idat[0]! : new Uint8Array(total);
  if (idat.length > 1) {
    let o = 0;
    for (const c of idat) {
      joined.set(c, o);
      o += c.length;
    }
  }
  return { ...info, palette, transparency, idat: joined };
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngImage(bytes: Uint8Array): PdfImage {
  const png = readPng(bytes);
  const { width, height, bitDepth, colorType } = png;
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new Error(`PNG colour type ${colorType}`);
  const hasAlpha = colorType === 4 || colorType === 6;
  if (png.interlace === 0 && !hasAlpha && !png.transparency) {
    // The IDAT stream is a zlib stream of filtered scanlines: exactly what /FlateDecode with the PNG
    // predictors expects.
    const colorSpace = colorType === 3 ? indexedSpace(png.palette) : channels === 1 ? '/DeviceGray' : '/DeviceRGB';
    const parms = `/DecodeParms << /Predictor 15 /Colors ${channels} /BitsPerComponent ${bitDepth} /Columns ${width} >>`;
    return { width, height, dict: `/Width ${width} /Height ${height} /ColorSpace ${colorSpace} /BitsPerComponent ${bitDepth} /Filter /FlateDecode ${parms}`, data: png.idat };
  }
  // Decode to 8-bit samples, then write colour (and alpha) as plain Flate streams.
  const samples = decodePngSamples(png, channels);
  const pixels = width * height;
  const colorChannels = colorType === 3 ? 3 : channels === 1 || channels === 2 ? 1 : 3;
  const color = new Uint8Array(pixels * colorChannels);
  const alpha = new Uint8Array(pixels).fill(255);
  let anyAlpha = false;
  const trns = png.transparency;
  for (let i = 0; i < pixels; i++) {
    const s = i * channels;
    if (colorType === 3) {
      const index = samples[s]!;
      const p = png.palette!;
      color[3 * i] = p[3 * index] ?? 0;
      color[3 * i + 1] = p[3 * index + 1] ?? 0;
      color[3 * i + 2] = p[3 * index + 2] ?? 0;
      if (trns && index < trns.length) alpha[i] = trns[index]!;
    } else if (colorType === 0 || colorType === 4) {
      color[i] = samples[s]!;
      if (colorType === 4) alpha[i] = samples[s + 1]!;
      else if (trns && trns.length >= 2 && samples[s] === scaleTo8(((trns[0]! << 8) | trns[1]!), bitDepth)) alpha[i] = 0;
    } else {
      color[3 * i] = samples[s]!;
      color[3 * i + 1] = samples[s + 1]!;
      color[3 * i + 2] = samples[s + 2]!;
      if (colorType === 6) alpha[i] = samples[s + 3]!;
      else if (trns && trns.length >= 6 && samples[s] === scaleTo8((trns[0]! << 8) | trns[1]!, bitDepth) && samples[s + 1] === scaleTo8((trns[2]! << 8) | trns[3]!, bitDepth) && samples[s + 2] === scaleTo8((trns[4]! << 8) | trns[5]!, bitDepth)) alpha[i] = 0;
    }
    if (alpha[i] !== 255) anyAlpha = true;
  }
  const space = colorChannels === 1 ? '/DeviceGray' : '/DeviceRGB';
  const image: PdfImage = { width, height, dict: `/Width ${width} /Height ${height} /ColorSpace ${space} /BitsPerComponent 8 /Filter /FlateDecode`, data: deflateSync(color, { level: 6 }) };
  if (anyAlpha) image.smask = { dict: `/Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`, data: deflateSync(alpha, { level: 6 }) };
  return image;
}

function indexedSpace(palette: Uint8Array | null): string {
  if (!palette || palette.length < 3) throw new Error('corrupt PNG (palette image without PLTE)');
  let hex = '';
  for (const b of palette) hex += b.toString(16).padStart(2, '0');
  return `[/Indexed /DeviceRGB ${palette.length / 3 - 1} <${hex}>]`;
}

/** A sample value of `bitDepth` bits on the 8-bit scale decodePngSamples uses. */
function scaleTo8(v: number, bitDepth: number): number {
  if (bitDepth === 16) return v >> 8;
  if (bitDepth === 8) return v;
  return Math.round((v * 255) / ((1 << bitDepth) - 1));
}

/**
 * Inflates and unfilters a PNG (PNG spec §9, Adam7 §8.2) into 8-bit samples, `channels` per pixel in
 * row order. Palette indices stay indices; grey levels below 8 bits are scaled to 0–255.
 */
function decodePngSamples(png: PngInfo, channels: number): Uint8Array {
  const { width, height, bitDepth, colorType } = png;
  const raw = inflateSync(png.idat);
  const out = new Uint8Array(width * height * channels);
  const bitsPerPixel = channels * bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3); // filter byte distance
  const passes = png.interlace === 1
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  let pos = 0;
  for (const [x0, y0, dx, dy] of passes as Array<[number, number, number, number]>) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(stride);
    for (let r = 0; r < ph; r++) {
      const filter = raw[pos++]!;
      const line = raw.slice(pos, pos + stride);
      pos += stride;
      unfilter(filter, line, prev, bpp);
      const y = y0 + r * dy;
      for (let c = 0; c < pw; c++) {
        const x = x0 + c * dx;
        const o = (y * width + x) * channels;
        for (let k = 0; k < channels; k++) {
          const index = c * channels + k;
          let v: number;
          if (bitDepth === 8) v = line[index]!;
          else if (bitDepth === 16) v = line[2 * index]!;
          else {
            const bit = index * bitDepth;
            v = (line[bit >> 3]! >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
            if (colorType !== 3) v = scaleTo8(v, bitDepth);
          }
          out[o + k] = v;
        }
      }
      prev = line;
    }
  }
  return out;
}

function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = (line[i]! + line[i - bpp]!) & 255;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i]! + prev[i]!) & 255;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = (line[i]! + (((i >= bpp ? line[i - bpp]! : 0) + prev[i]!) >> 1)) & 255;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? line[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = (line[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default:
      throw new Error(`corrupt PNG (filter type ${filter})`);
  }
}
