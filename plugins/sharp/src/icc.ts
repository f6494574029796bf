/**
 * Whether an embedded ICC profile declares itself sRGB: an RGB profile whose description ('desc'
 * tag, v2 text or v4 multi-localised) names sRGB, such as the common "sRGB IEC61966-2.1". Such
 * pixels are already sRGB, so converting them to sRGB is the identity up to rounding — and, done
 * through lcms, two thirds of the JPEG decode time.
 */
export function isSrgbProfile(icc: Uint8Array | undefined): boolean {
  if (!icc || icc.length < 132) return false;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const ascii = (offset: number, length: number) => String.fromCharCode(...icc.subarray(offset, offset + length));
  if (ascii(16, 4) !== 'RGB ') return false;
  const count = view.getUint32(128);
  for (let i = 0; i < count && 132 + 12 * (i + 1) <= icc.length; i++) {
    const entry = 132 + 12 * i;
    if (ascii(entry, 4) !== 'desc') continue;
    const offset = view.getUint32(entry + 4);
    const size = view.getUint32(entry + 8);
    if (offset + size > icc.length || size < 12) return false;
    const type = ascii(offset, 4);
    let text = '';
    if (type === 'desc') {
      const length = Math.min(view.getUint32(offset + 8), size - 12);
      text = ascii(offset + 12, length);
    } else if (type === 'mluc') {
      const records = view.getUint32(offset + 8);
      for (let r = 0; r < records && offset + 16 + 12 * (r + 1) <= offset + size; r++) {
        const rec = offset + 16 + 12 * r;
        const length = view.getUint32(rec + 4);
        const start = offset + view.getUint32(rec + 8);
        if (start + length > icc.length) break;
        for (let k = 0; k + 1 < length; k += 2) text += String.fromCharCode(view.getUint16(start + k));
      }
    }
    return /\bsRGB\b/.test(text);
  }
  return false;
}
