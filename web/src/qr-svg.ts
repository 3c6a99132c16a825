/**
 * A QR code as an SVG element built in the DOM (no data: URL, no innerHTML, so nothing for the page's
 * Content-Security-Policy to allow): one path of dark modules on a white square with the four-module quiet
 * zone ISO/IEC 18004 §7.3.7 asks for. node-qrcode picks the version and the segment modes.
 */
import QRCode from 'qrcode';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET_ZONE = 4;

/**
 * `level`: error correction. M for print (smudges, folds); L suits a code shown on a screen, which is never
 * damaged, and keeps a long URL a few versions smaller — easier for a camera across a counter.
 */
export function qrSvg(text: string, label: string, level: 'L' | 'M' = 'M'): SVGSVGElement {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: level });
  const size = modules.size;
  const full = size + 2 * QUIET_ZONE;
  let d = '';
  for (let row = 0; row < size; row++) {
    // One horizontal run per stretch of dark modules: a few hundred path commands, not thousands of rects.
    let col = 0;
    while (col < size) {
      if (!modules.get(row, col)) { col++; continue; }
      const start = col;
      while (col < size && modules.get(row, col)) col++;
      d += `M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h${start - col}z`;
    }
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${full} ${full}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('class', 'qr');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(full));
  background.setAttribute('height', String(full));
  background.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(background, path);
  return svg;
}
