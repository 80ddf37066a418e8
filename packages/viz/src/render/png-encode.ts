/**
 * PNG encoding of RGBA pixels, shared by both canvas backends. Browsers have no synchronous
 * canvas-to-PNG call in workers (`OffscreenCanvas.convertToBlob` is asynchronous), so the DOM
 * backend stores the pixels uncompressed (deflate "stored" blocks: valid PNG, larger, exact). Node
 * filters the rows here and deflates them with `node:zlib` at level 1: @napi-rs/canvas' own encoder
 * (libpng at zlib level 6, trying every filter on every row) took 3–5× longer, for files ~6 % smaller
 * in total over the seed-sized bench figures (from 57 % larger to 29 % smaller, figure by figure).
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of bytes (PNG chunks). */
export type Crc32 = (bytes: Uint8Array) => number;

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG file around an already deflated (zlib) image stream; a pHYs chunk when `dpi` is given. */
export function pngFile(width: number, height: number, zlib: Uint8Array, dpi?: number, crc: Crc32 = crc32): Uint8Array {
  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, adaptive filtering (method 0), no interlace
  chunks.push(['IHDR', ihdr]);
  if (dpi) {
    const phys = new Uint8Array(9);
    const ppm = Math.round(dpi / 0.0254);
    new DataView(phys.buffer).setUint32(0, ppm);
    new DataView(phys.buffer).setUint32(4, ppm);
    phys[8] = 1; // metres
    chunks.push(['pHYs', phys]);
  }
  chunks.push(['IDAT', zlib], ['IEND', new Uint8Array(0)]);

  const size = 8 + chunks.reduce((n, [, d]) => n + 12 + d.length, 0);
  const out = new Uint8Array(size);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(out.buffer);
  let p = 8;
  for (const [type, data] of chunks) {
    view.setUint32(p, data.length);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = type.charCodeAt(i);
    out.set(data, p + 8);
    view.setUint32(p + 8 + data.length, crc(out.subarray(p + 4, p + 8 + data.length)));
    p += 12 + data.length;
  }
  return out;
}

/** PNG bytes of `width × height` RGBA pixels, stored uncompressed; a pHYs chunk when `dpi` is given. */
export function encodePngRgba(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  dpi?: number,
): Uint8Array {
  const stride = width * 4 + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * stride + 1);
  // zlib stream: header, stored blocks of ≤ 65535 bytes, Adler-32.
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const zlib = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  zlib[0] = 0x78;
  zlib[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = raw.subarray(b * 65535, Math.min(raw.length, (b + 1) * 65535));
    zlib[o++] = b === blocks - 1 ? 1 : 0;
    zlib[o++] = chunk.length & 0xff;
    zlib[o++] = chunk.length >>> 8;
    zlib[o++] = ~chunk.length & 0xff;
    zlib[o++] = (~chunk.length >>> 8) & 0xff;
    zlib.set(chunk, o);
    o += chunk.length;
  }
  let s1 = 1;
  let s2 = 0;
  for (let i = 0; i < raw.length; i++) {
    s1 = (s1 + raw[i]!) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  new DataView(zlib.buffer).setUint32(o, ((s2 << 16) | s1) >>> 0);
  return pngFile(width, height, zlib, dpi);
}

let unpremul: Uint8Array | undefined;

/**
 * Skia's unpremultiplying (`getImageData`), as a table by alpha and channel: float32 steps and
 * round-half-to-even, `c/255 · 1/(a/255) · 255` (checked against the canvas on every pair it makes).
 */
function unpremulTable(): Uint8Array {
  if (unpremul) return unpremul;
  const f = Math.fround;
  const k = f(1 / 255);
  const t = new Uint8Array(256 * 256);
  for (let a = 1; a < 256; a++) {
    const inv = f(1 / f(a * k));
    for (let c = 0; c < 256; c++) {
      const x = f(f(f(c * k) * inv) * 255);
      let r = Math.round(x);
      if (r - x === 0.5 && r % 2 === 1) r--;
      t[a * 256 + c] = Math.min(255, r);
    }
  }
  unpremul = t;
  return t;
}

/**
 * Undo premultiplied alpha in place (RGBA bytes, as `@napi-rs/canvas`' `data()` gives them), exactly
 * as the canvas' `getImageData` does. Opaque and fully transparent pixels are left alone.
 */
export function unpremultiply(rgba: Uint8Array): void {
  const t = unpremulTable();
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3]!;
    if (a === 255 || a === 0) continue;
    const row = a * 256;
    rgba[i] = t[row + rgba[i]!]!;
    rgba[i + 1] = t[row + rgba[i + 1]!]!;
    rgba[i + 2] = t[row + rgba[i + 2]!]!;
  }
}

/** Whether every pixel of RGBA bytes has alpha 255. */
export function allOpaque(rgba: Uint8Array): boolean {
  if (rgba.byteOffset % 4 !== 0) rgba = rgba.slice();
  const px = new Int32Array(rgba.buffer, rgba.byteOffset, rgba.length >> 2);
  let and = -1;
  for (let i = 0; i < px.length; i++) and &= px[i]!;
  // Byte 3 of the AND of all pixels is the AND of all alphas, whatever the byte order.
  return new Uint8Array(Int32Array.of(and).buffer)[3] === 0xff;
}

/** The top bit and the low seven bits of each byte of a 32-bit word, as int32 constants (0x80808080 is not one). */
const HIGH = 0x80808080 | 0;
const LOW = 0x7f7f7f7f;

/** Pixels sampled per row (one in SAMPLE) to choose the row's filter. */
const SAMPLE = 4;

/**
 * PNG scanlines of RGBA pixels (a filter-type byte, then the row), ready to deflate. Each row is
 * filtered "Up" (difference to the row above) when under half as many of its pixels differ from the
 * pixel above as from the pixel to their left, counted on every fourth pixel (heatmaps: rows repeat
 * down a cell), else "None" (lines and text on white: long runs that deflate finds by itself; on the
 * bench figures this threshold gave 4 % smaller files and a fifth less filtering time than 1×). Up rows equal
 * to the row above become zeros without arithmetic; others take byte differences four at a time.
 */
export function pngScanlines(
  rgba: Uint8Array,
  width: number,
  height: number,
  out = new Uint8Array((width * 4 + 1) * height),
): Uint8Array {
  const stride = width * 4;
  if (rgba.byteOffset % 4 !== 0) rgba = rgba.slice(0, stride * height);
  // Int32 views: every value stays a small integer for the JIT (Uint32 values above 2³¹ do not).
  const px = new Int32Array(rgba.buffer, rgba.byteOffset, width * height);
  const up = new Int32Array(width);
  const upBytes = new Uint8Array(up.buffer);
  for (let y = 0; y < height; y++) {
    const s = y * width;
    const end = s + width;
    const o = y * (stride + 1);
    let useUp = false;
    let vertical = 0;
    if (y > 0) {
      let horizontal = 0;
      for (let i = s + SAMPLE - 1; i < end; i += SAMPLE) {
        const a = px[i]!;
        if (a !== px[i - width]) vertical++;
        if (a !== px[i - 1]) horizontal++;
      }
      useUp = 2 * vertical < horizontal;
    }
    out[o] = useUp ? 2 : 0;
    if (!useUp) {
      out.set(rgba.subarray(s * 4, end * 4), o + 1);
      continue;
    }
    let same = vertical === 0;
    if (same)
      for (let i = s; i < end; i++)
        if (px[i] !== px[i - width]) {
          same = false;
          break;
        }
    if (same) {
      out.fill(0, o + 1, o + 1 + stride);
      continue;
    }
    for (let i = 0; i < width; i++) {
      const a = px[s + i]!;
      const b = px[s - width + i]!;
      // Bytewise (a − b) mod 256 in one 32-bit word.
      up[i] = (((a | HIGH) - (b & LOW)) | 0) ^ ((a ^ ~b) & HIGH);
    }
    out.set(upBytes, o + 1);
  }
  return out;
}

/**
 * RGBA pixels of an 8-bit RGBA, non-interlaced PNG (what @napi-rs/canvas' encoder writes), undoing
 * all five row filters. Used where the pixels cannot be read from the canvas directly.
 */
export function decodePngRgba(png: Uint8Array, inflate: (zlib: Uint8Array) => Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let p = 8; p + 8 <= png.length; ) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(png[p + 4]!, png[p + 5]!, png[p + 6]!, png[p + 7]!);
    if (type === 'IHDR') {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      if (png[p + 16] !== 8 || png[p + 17] !== 6 || png[p + 20] !== 0)
        throw new Error(
          'decodePngRgba reads 8-bit RGBA non-interlaced PNGs only (an internal error of the viz backend).',
        );
    } else if (type === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const all = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let o = 0;
  for (const d of idat) {
    all.set(d, o);
    o += d.length;
  }
  const raw = inflate(all);
  const stride = width * 4;
  const out = new Uint8Array(stride * height);
  // 32-bit views: whole pixels at once where the filter allows (four bytewise sums in one word).
  const out32 = new Int32Array(out.buffer);
  const row32 = new Int32Array(width);
  const row = new Uint8Array(row32.buffer);
  const add = (x: number, y: number) => (((x & LOW) + (y & LOW)) | 0) ^ ((x ^ y) & HIGH);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    row.set(raw.subarray(src, src + stride));
    const d = y * width; // this row, in pixels
    const u = d - width; // the row above
    if (f === 0 || (f === 2 && y === 0)) out32.set(row32, d);
    else if (f === 1 || (f === 4 && y === 0)) {
      // Sub; Paeth on the first row predicts from the left alone
      let left = 0;
      for (let i = 0; i < width; i++) out32[d + i] = left = add(row32[i]!, left);
    } else if (f === 2) {
      for (let i = 0; i < width; i++) out32[d + i] = add(row32[i]!, out32[u + i]!);
    } else if (f === 3) {
      const dst = d * 4;
      for (let i = 0; i < stride; i++) {
        const a = i >= 4 ? out[dst + i - 4]! : 0;
        const b = y > 0 ? out[dst - stride + i]! : 0;
        out[dst + i] = (row[i]! + ((a + b) >> 1)) & 0xff;
      }
    } else if (f === 4) {
      let left = 0;
      let upLeft = 0;
      for (let i = 0; i < width; i++) {
        const up = out32[u + i]!;
        let v: number;
        // Paeth predicts the left pixel where up = up-left, and the up pixel where left = up-left.
        if (up === upLeft) v = add(row32[i]!, left);
        else if (left === upLeft) v = add(row32[i]!, up);
        else {
          v = 0;
          for (let k = 0; k < 32; k += 8) {
            const a = (left >>> k) & 0xff;
            const b = (up >>> k) & 0xff;
            const c = (upLeft >>> k) & 0xff;
            const pa = b > c ? b - c : c - b;
            const pb = a > c ? a - c : c - a;
            const t = a + b - 2 * c;
            const pc = t < 0 ? -t : t;
            const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            v |= (((row32[i]! >>> k) + pred) & 0xff) << k;
          }
        }
        out32[d + i] = v;
        left = v;
        upLeft = up;
      }
    } else throw new Error(`decodePngRgba: row ${y} has filter type ${f} (an internal error of the viz backend).`);
  }
  return out;
}
