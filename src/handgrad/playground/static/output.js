// The output column of a network: losses, accuracy, the loss curves, the decision boundary
// with the points, the confusion matrix, the training doctor and the exports.

import { bytes } from "./api.js";
import { drawLossChart } from "./chart.js";
import { CLASS_COLORS, DIVERGING_LUT, css } from "./colors.js";
import { el, fmt, percent, sizeCanvas } from "./dom.js";
import { drawPoints, paintBoundary } from "./heatmap.js";

const BOUNDARY_PX = 404;
const COMPARE_PX = 330;

export class OutputView {
  constructor(app, index) {
    this.app = app;
    this.index = index;
    this.root = el("div.output-col.area-output");
    this.last = null;
  }

  testid(name) {
    return this.index === 0 ? name : `${name}-b`;
  }

  readout(caption, name, big) {
    const value = el("span.value", { "data-testid": this.testid(name), text: "–" });
    return [el(`div.readout${big ? ".big" : ""}`, {}, el("span.caption", { text: caption }), value), value];
  }

  build(message) {
    this.message = message;
    const classification = message.problem === "classification";
    const [testLoss, testLossValue] = this.readout("Test loss", "test-loss", true);
    const [loss, lossValue] = this.readout("Training loss", "loss", true);
    const [testAcc, testAccValue] = this.readout("Test accuracy", "test-accuracy");
    const [acc, accValue] = this.readout("Training accuracy", "accuracy");
    this.values = { testLossValue, lossValue, testAccValue, accValue };
    this.status = el("div.run-status", { "data-testid": this.testid("run-status") });
    this.chart = el("canvas.chart");
    this.scaleNote = el("span.scale-note");
    this.boundary = el("canvas.boundary", {
      "data-testid": this.testid("boundary"),
      "aria-label": "Decision boundary with the training and test points",
    });
    const px = this.app.setup.models.length === 2 ? COMPARE_PX : BOUNDARY_PX;
    sizeCanvas(this.boundary, px, px);
    this.boundary.addEventListener("click", (e) => this.click(e));
    const [x0, x1, y0, y1] = message.domain;
    this.confusion = el("div");
    this.doctor = el("div.doctor.area-doctor", { "data-testid": this.testid("doctor") });
    const run = this.index;
    const href = (format) => `/api/export?session=${this.app.session}&run=${run}&format=${format}`;
    const exports = el(
      "div.exports.area-export",
      {},
      el("a.ghost.small.button", { href: href("hgz"), download: "", "data-testid": this.testid("export-hgz"), text: "Download .hgz" }),
      this.app.meta.onnx
        ? el("a.ghost.small.button", { href: href("onnx"), download: "", "data-testid": this.testid("export-onnx"), text: "Download ONNX" })
        : el("button.ghost.small", { disabled: true, title: 'ONNX export needs pip install "handgrad[onnx]"', text: "ONNX (not installed)" }),
      el("button.ghost.small", { text: "Python code", "data-testid": this.testid("export-py"), onclick: () => this.app.showCode(run) }),
    );
    const ui = this.app.setup.ui;
    const viewOptions = el(
      "div.view-options",
      {},
      el(
        "label",
        {},
        el("input", {
          type: "checkbox",
          checked: ui.show_test,
          onchange: (e) => this.app.changeUi((u) => (u.show_test = e.target.checked)),
        }),
        " Show test data",
      ),
      el(
        "label",
        {},
        el("input", {
          type: "checkbox",
          checked: ui.discretize,
          onchange: (e) => this.app.changeUi((u) => (u.discretize = e.target.checked)),
        }),
        " Discretize output",
      ),
    );
    this.root.replaceChildren(
      el("h2", { text: "Output" }),
      el(
        "div.out-summary",
        {},
        this.status,
        el("div.readouts", {}, testLoss, loss, classification ? testAcc : null, classification ? acc : null),
        this.chart,
        el(
          "div.legend-line",
          {},
          el("span", {}, el("i", { style: "background:#0877bd" }), "training loss"),
          el("span", {}, el("i", { style: "background:#1f2933;height:2px" }), "test loss (dashed)"),
          this.scaleNote,
        ),
      ),
      el(
        "div.out-picture",
        {},
        el("div.boundary-wrap", {}, this.boundary),
        el("div.axes", {}, el("span", { text: `x₁ ${x0.toFixed(2)}` }), el("span", { text: `${x1.toFixed(2)}` })),
        this.legend(message),
        viewOptions,
      ),
      el(
        "div.out-details",
        {},
        this.confusion,
        el("h3.area-doctor", { text: "Training doctor" }),
        this.doctor,
        el("h3.area-export", { text: "Take it away" }),
        exports,
      ),
    );
    this.root.querySelector(".axes").title = `x₂ from ${y0.toFixed(2)} (bottom) to ${y1.toFixed(2)} (top)`;
  }

  legend(message) {
    if (message.problem === "classification" && message.n_classes > 2) {
      return el(
        "div.legend-line",
        {},
        ...Array.from({ length: message.n_classes }, (_, k) =>
          el("span", {}, el("span.swatch", { style: `background:${css(CLASS_COLORS[k])}` }), `class ${k}`),
        ),
      );
    }
    const stops = [];
    for (let i = 0; i <= 10; i++) {
      const j = Math.round((i / 10) * 255);
      stops.push(`rgb(${DIVERGING_LUT[3 * j]},${DIVERGING_LUT[3 * j + 1]},${DIVERGING_LUT[3 * j + 2]})`);
    }
    const bar = el("div.colorbar", { style: `background: linear-gradient(to right, ${stops.join(",")})` });
    const ends =
      message.problem === "regression"
        ? [`−${fmt(message.target_scale, 2)}`, "0", `+${fmt(message.target_scale, 2)}`]
        : ["class 0", "p = 0.5", "class 1"];
    return el("div", {}, bar, el("div.axes", {}, ...ends.map((t) => el("span", { text: t }))));
  }

  render(snapshot) {
    this.last = snapshot;
    const m = snapshot.metrics || {};
    const v = this.values;
    const set = (node, value, text) => {
      node.textContent = text;
      node.dataset.value = value === null || value === undefined ? "" : String(value);
    };
    set(v.lossValue, m.loss, fmt(m.loss));
    set(v.testLossValue, m.test_loss, fmt(m.test_loss));
    set(v.accValue, m.accuracy, percent(m.accuracy));
    set(v.testAccValue, m.test_accuracy, percent(m.test_accuracy));
    const words = {
      paused: snapshot.epoch ? "Paused" : "Ready: press Train",
      training: "Training…",
      done: `Stopped: ${snapshot.stop_reason}`,
      diverged: `Diverged: ${snapshot.stop_reason}; lower the learning rate and reset`,
      error: snapshot.error || "error",
    };
    this.status.textContent = words[snapshot.status] || snapshot.status;
    this.status.className = `run-status ${snapshot.status}`;
    if (snapshot.curves) this.scaleNote.textContent = drawLossChart(this.chart, snapshot.curves) ? "log scale" : "";
    this.drawBoundary();
    this.renderConfusion(m.confusion);
    this.renderDoctor(snapshot);
  }

  drawBoundary() {
    const snapshot = this.last;
    if (!snapshot || !snapshot.boundary) return;
    const { boundary } = snapshot;
    const decoded = { kind: boundary.kind, p: bytes(boundary.p), cls: boundary.cls ? bytes(boundary.cls) : null };
    this.decoded = decoded;
    const ui = this.app.setup.ui;
    paintBoundary(this.boundary, decoded, this.message.resolution[0], ui.discretize);
    const dpr = window.devicePixelRatio || 1;
    drawPoints(this.boundary, this.app.points, this.message.domain, this.message.problem, this.message.target_scale, {
      showTest: ui.show_test,
      radius: 3.6 * dpr,
    });
  }

  renderConfusion(matrix) {
    if (!matrix) {
      this.confusion.replaceChildren();
      return;
    }
    const k = matrix.length;
    const head = el("tr", {}, el("th", { text: "true \\ predicted" }), ...matrix.map((_, j) => el("th", { text: String(j) })));
    const rows = matrix.map((row, i) =>
      el(
        "tr",
        {},
        el("th", {}, el("span.swatch", { style: `background:${css(CLASS_COLORS[i % 10])}` }), String(i)),
        ...row.map((count, j) => {
          const total = row.reduce((a, b) => a + b, 0) || 1;
          const share = count / total;
          const color = i === j ? `rgba(47,133,90,${0.1 + 0.5 * share})` : count ? `rgba(192,57,43,${0.1 + 0.6 * share})` : "";
          return el("td", { text: String(count), style: color ? `background:${color}` : "" });
        }),
      ),
    );
    this.confusion.replaceChildren(
      el("div.caption", { text: `Confusion matrix on the test points (${k} classes)` }),
      el("table.confusion", { "data-testid": this.testid("confusion") }, head, ...rows),
    );
  }

  renderDoctor(snapshot) {
    const findings = snapshot.doctor || [];
    if (!findings.length) {
      const text = snapshot.epoch >= 10 ? "No problems found." : "The doctor examines the run after 10 epochs.";
      this.doctor.replaceChildren(el("div.fine", { text }));
      return;
    }
    this.doctor.replaceChildren(
      ...findings.map((f) =>
        el(`div.finding.${f.severity}`, { "data-code": f.code }, el("span.code", { text: `${f.code.replace(/_/g, " ")}: ` }), f.message),
      ),
    );
  }

  click(e) {
    const label = this.app.addLabel;
    if (label === null || label === undefined) return;
    const rect = this.boundary.getBoundingClientRect();
    const [x0, x1, y0, y1] = this.message.domain;
    const x = x0 + ((e.clientX - rect.left) / rect.width) * (x1 - x0);
    const y = y1 - ((e.clientY - rect.top) / rect.height) * (y1 - y0);
    this.app.addPoint(x, y, label);
  }
}
