/**
 * A small PNG encoder for RGBA pixels, for browsers, which have no synchronous canvas-to-PNG call
 * in workers (`OffscreenCanvas.convertToBlob` is asynchronous). The image data is stored
 * uncompressed (deflate "stored" blocks): valid PNG, larger than a compressed one, exact.
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

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** PNG bytes of `width × height` RGBA pixels; a pHYs chunk when `dpi` is given. */
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

  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter method variants, no interlace
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
    view.setUint32(p + 8 + data.length, crc32(out, p + 4, p + 8 + data.length));
    p += 12 + data.length;
  }
  return out;
}
