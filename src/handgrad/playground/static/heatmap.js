// Heat maps and points: the decision boundary, each neuron's small map, dataset thumbnails.

import { CLASS_COLORS, DIVERGING_LUT, classShade, css } from "./colors.js";

const scratch = document.createElement("canvas");

// Paint a res x res RGB image (a function index -> [r, g, b]) onto `canvas`, scaled.
function paint(canvas, res, colorAt, smooth) {
  scratch.width = res;
  scratch.height = res;
  const sctx = scratch.getContext("2d");
  const image = sctx.createImageData(res, res);
  const px = image.data;
  for (let i = 0; i < res * res; i++) {
    const c = colorAt(i);
    px[4 * i] = c[0];
    px[4 * i + 1] = c[1];
    px[4 * i + 2] = c[2];
    px[4 * i + 3] = 255;
  }
  sctx.putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = smooth;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

const lut = (i) => [DIVERGING_LUT[3 * i], DIVERGING_LUT[3 * i + 1], DIVERGING_LUT[3 * i + 2]];

// One neuron's map: int8 values (-127..127) from `values`, starting at `offset`.
export function paintNeuron(canvas, values, offset, res, discretize) {
  paint(
    canvas,
    res,
    (i) => {
      let v = values[offset + i] / 127;
      if (discretize) v = v > 0 ? 1 : v < 0 ? -1 : 0;
      return lut(Math.round((v + 1) * 127.5));
    },
    true,
  );
}

// The decision boundary (see views.quantize_boundary on the server).
export function paintBoundary(canvas, boundary, res, discretize) {
  const p = boundary.p;
  if (boundary.kind === "multi") {
    const cls = boundary.cls;
    paint(canvas, res, (i) => classShade(cls[i], discretize ? 1 : p[i] / 255), !discretize);
    return;
  }
  if (boundary.kind === "binary") {
    paint(canvas, res, (i) => lut(discretize ? (p[i] >= 128 ? 255 : 0) : p[i]), !discretize);
    return;
  }
  paint(canvas, res, (i) => lut(discretize ? (p[i] >= 128 ? 230 : 25) : p[i]), !discretize);
}

// Points: x (Float32Array of x1, x2 pairs), y (labels or targets); train filled, test ringed.
export function drawPoints(canvas, points, domain, problem, scale, options = {}) {
  const ctx = canvas.getContext("2d");
  const [x0, x1, y0, y1] = domain;
  const w = canvas.width;
  const h = canvas.height;
  const r = options.radius || 3.6;
  const draw = (set, test) => {
    const { x, y } = set;
    for (let i = 0; i < y.length; i++) {
      const px = ((x[2 * i] - x0) / (x1 - x0)) * w;
      const py = ((y1 - x[2 * i + 1]) / (y1 - y0)) * h;
      let color;
      if (problem === "regression") {
        const v = Math.max(-1, Math.min(1, y[i] / scale));
        color = lut(Math.round((v + 1) * 127.5));
        color = color.map((c) => c * 0.85);
      } else {
        color = CLASS_COLORS[y[i] % CLASS_COLORS.length];
      }
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = css(color);
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 1;
      ctx.strokeStyle = test ? "#111" : "#fff";
      ctx.stroke();
    }
  };
  draw(points.train, false);
  if (options.showTest !== false) draw(points.test, true);
}

// A dataset's thumbnail: its points on a light background.
export function drawThumbnail(canvas, sample, problem) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f3f5f7";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const xs = sample.x;
  let lo = [Infinity, Infinity];
  let hi = [-Infinity, -Infinity];
  for (const [a, b] of xs) {
    lo = [Math.min(lo[0], a), Math.min(lo[1], b)];
    hi = [Math.max(hi[0], a), Math.max(hi[1], b)];
  }
  const half = Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2 * 1.1 || 1;
  const cx = (lo[0] + hi[0]) / 2;
  const cy = (lo[1] + hi[1]) / 2;
  const domain = [cx - half, cx + half, cy - half, cy + half];
  const flat = new Float32Array(xs.flat());
  let top = 0;
  for (const v of sample.y) top = Math.max(top, Math.abs(v));
  drawPoints(
    canvas,
    { train: { x: flat, y: sample.y }, test: { x: new Float32Array(0), y: [] } },
    domain,
    problem,
    top || 1,
    { radius: 2.1 },
  );
}
