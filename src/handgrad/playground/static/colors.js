// Colours: TF Playground's orange (negative, class 0) to blue (positive, class 1), and a palette
// of ten classes that stay distinct on a projector.

export const NEG = [245, 147, 34];
export const MID = [232, 234, 235];
export const POS = [8, 119, 189];
export const CLASS_COLORS = [
  [245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export const css = (c, alpha = 1) => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

// A value in [-1, 1] on the diverging scale.
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  return t < 0 ? mix(MID, NEG, -t) : mix(MID, POS, t);
}

// Class k with confidence in [0, 1] (0: white, 1: the class colour at its strongest).
export function classShade(k, confidence) {
  return mix(MID, CLASS_COLORS[k % CLASS_COLORS.length], 0.15 + 0.75 * confidence);
}

// A lookup table of 256 diverging colours, for painting many pixels quickly.
export const DIVERGING_LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = diverging((i / 255) * 2 - 1);
    lut.set(c.map(Math.round), i * 3);
  }
  return lut;
})();
