// The loss curves: training and test loss per epoch, on one canvas.

const TRAIN = "#0877bd";
const TEST = "#1f2933";

export function drawLossChart(canvas, curves) {
  const ctx = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== w * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#f7f9fa";
  ctx.fillRect(0, 0, w, h);
  const series = [
    [curves.loss || [], TRAIN, []],
    [curves.test_loss || [], TEST, [4, 3]],
  ];
  let top = 0;
  let bottom = Infinity;
  let count = 0;
  for (const [values] of series) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      top = Math.max(top, v);
      if (v > 0) bottom = Math.min(bottom, v);
    }
    count = Math.max(count, values.length);
  }
  // A loss that falls by more than 30x is drawn on a log scale, so the late epochs still show.
  const log = bottom > 0 && top / bottom > 30;
  const lo = log ? Math.log(bottom) : 0;
  const hi = log ? Math.log(top) : top;
  const scale = (v) => ((log ? Math.log(Math.max(v, bottom)) : v) - lo) / (hi - lo || 1);
  ctx.fillStyle = "#8a96a3";
  ctx.font = "11px sans-serif";
  if (count < 2 || top <= 0) {
    ctx.fillText("the loss curves appear when training starts", 10, h / 2 + 4);
    return false;
  }
  const pad = 4;
  for (const [values, color, dash] of series) {
    if (values.length < 2) continue;
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    let started = false;
    values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        started = false;
        return;
      }
      const x = pad + (i / (values.length - 1)) * (w - 2 * pad);
      const y = h - pad - scale(v) * (h - 2 * pad - 10);
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = "#5f6b7a";
  ctx.fillText(top.toPrecision(3), 6, 12);
  if (log) ctx.fillText(bottom.toPrecision(3), 6, h - 6);
  ctx.textAlign = "right";
  ctx.fillText(`epoch ${curves.epochs}`, w - 6, 12);
  ctx.textAlign = "left";
  return log;
}
