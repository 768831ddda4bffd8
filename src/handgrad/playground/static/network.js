// The network picture: input features, hidden layers (+/- buttons, per-layer options), output
// units, every neuron's heat map, and the weights as edges that can be clicked and edited.

import { NEG, POS, css } from "./colors.js";
import { el, fmt, number, select } from "./dom.js";
import { paintNeuron } from "./heatmap.js";
import { int8 } from "./api.js";

const MAX_COLUMN_HEIGHT = 360;

function nodeSize(units, compare) {
  const room = compare ? MAX_COLUMN_HEIGHT * 0.8 : MAX_COLUMN_HEIGHT;
  return Math.max(12, Math.min(compare ? 34 : 40, Math.floor(room / units) - 4));
}

export class NetworkView {
  constructor(app, index) {
    this.app = app;
    this.index = index;
    this.features = el("div.features-col.area-features");
    this.root = el("div.network-col");
    this.edgesCanvas = el("canvas.edges");
    this.edges = [];
    this.columns = [];
    this.root.addEventListener("mousemove", (e) => this.hover(e));
    this.root.addEventListener("mouseleave", () => this.app.tooltip(null));
    this.root.addEventListener("click", (e) => this.click(e));
  }

  get model() {
    return this.app.setup.models[this.index];
  }

  change(mutate) {
    this.app.changeModel(this.index, mutate);
  }

  // ------------------------------------------------------------------ structure
  build(message) {
    const { meta, setup } = this.app;
    const model = setup.models[this.index];
    const compare = setup.models.length === 2;
    const res = message.resolution[1];
    const limits = meta.limits;
    this.res = res;
    this.columns = [];

    // Input features: click to switch one on or off.
    this.features.replaceChildren(el("h2", { text: "Features" }));
    const inputNodes = [];
    this.featureCanvases = [];
    const size = nodeSize(meta.features.length, compare);
    for (const feature of meta.features) {
      const on = model.features.includes(feature.name);
      const canvas = el("canvas", { width: res, height: res });
      canvas.style.width = canvas.style.height = `${size}px`;
      const button = el(
        "button.feature" + (on ? ".on" : ""),
        {
          title: on ? `${feature.label}: click to remove this input` : `${feature.label}: click to add this input`,
          "aria-pressed": on ? "true" : "false",
          "aria-label": `Feature ${feature.label}`,
          onclick: () =>
            this.change((m) => {
              const set = new Set(m.features);
              if (set.has(feature.name)) set.delete(feature.name);
              else set.add(feature.name);
              m.features = meta.features.map((f) => f.name).filter((n) => set.has(n));
            }),
        },
        canvas,
        el("span", { text: feature.label }),
      );
      this.features.append(button);
      this.featureCanvases.push(canvas);
      if (on) inputNodes.push({ canvas, node: canvas, label: feature.label });
    }
    this.columns.push({ kind: "input", nodes: inputNodes });

    // Hidden layers.
    const layers = el("div.layers");
    const n = model.layers.length;
    const head = el(
      "div.network-head",
      {},
      el("button.pm", {
        text: "+",
        title: "Add a hidden layer",
        "aria-label": "Add a hidden layer",
        disabled: n >= limits.max_hidden_layers,
        onclick: () =>
          this.change((m) => {
            const last = m.layers[m.layers.length - 1];
            m.layers.push(last ? { ...last } : { units: 4, activation: "tanh", initializer: "default", dropout: 0, batchnorm: false });
          }),
      }),
      el("button.pm", {
        text: "−",
        title: "Remove the last hidden layer",
        "aria-label": "Remove a hidden layer",
        disabled: n === 0,
        onclick: () => this.change((m) => m.layers.pop()),
      }),
      el("h2", { text: `${n} hidden layer${n === 1 ? "" : "s"}` }),
    );
    model.layers.forEach((layer, i) => {
      const s = nodeSize(layer.units, compare);
      const nodes = [];
      const column = el("div.layer");
      column.append(
        el(
          "div.layer-head",
          {},
          el("button.pm", {
            text: "+",
            "aria-label": `Add a neuron to layer ${i + 1}`,
            disabled: layer.units >= limits.max_units,
            onclick: () => this.change((m) => (m.layers[i].units += 1)),
          }),
          el("button.pm", {
            text: "−",
            "aria-label": `Remove a neuron from layer ${i + 1}`,
            disabled: layer.units <= 1,
            onclick: () => this.change((m) => (m.layers[i].units -= 1)),
          }),
          el("span", { text: `${layer.units} neuron${layer.units === 1 ? "" : "s"}` }),
        ),
      );
      const box = el("div.nodes");
      box.style.gap = `${Math.max(2, Math.min(8, Math.floor(s / 5)))}px`;
      for (let u = 0; u < layer.units; u++) {
        const canvas = el("canvas", { width: res, height: res });
        const node = el("div.node", { "data-column": i + 1, "data-unit": u }, canvas);
        node.style.width = node.style.height = `${s}px`;
        box.append(node);
        nodes.push({ canvas, node, label: `layer ${i + 1}, neuron ${u + 1}` });
      }
      column.append(box, this.layerOptions(layer, i));
      layers.append(column);
      this.columns.push({ kind: "hidden", nodes });
    });

    // Output units.
    const outputs = message.problem === "regression" || message.n_classes === 2 ? 1 : message.n_classes;
    const outColumn = el("div.layer");
    outColumn.append(el("div.layer-head", {}, el("span", { text: outputs === 1 ? "output" : `${outputs} outputs` })));
    const outBox = el("div.nodes");
    const os = nodeSize(outputs, compare);
    outBox.style.gap = "4px";
    const outNodes = [];
    for (let u = 0; u < outputs; u++) {
      const canvas = el("canvas", { width: res, height: res });
      const node = el("div.node", { "data-column": n + 1, "data-unit": u }, canvas);
      node.style.width = node.style.height = `${os}px`;
      outBox.append(node);
      outNodes.push({ canvas, node, label: outputs === 1 ? "the output" : `output ${u} (class ${u})` });
    }
    const what =
      message.problem === "regression" ? "linear, MSE" : outputs === 1 ? "sigmoid, binary cross-entropy" : "softmax, cross-entropy";
    outColumn.append(outBox, el("div.layer-options", {}, el("span", { text: what })));
    layers.append(outColumn);
    this.columns.push({ kind: "output", nodes: outNodes });

    this.layersBox = layers;
    this.root.classList.toggle("many", n >= (compare ? 3 : 5));
    this.root.replaceChildren(head, this.edgesCanvas, layers);
    this.weights = null;
  }

  layerOptions(layer, i) {
    const meta = this.app.meta;
    return el(
      "div.layer-options",
      {},
      select(meta.activations, layer.activation, (v) => this.change((m) => (m.layers[i].activation = v)), {
        "aria-label": `Activation of layer ${i + 1}`,
        title: "Activation",
      }),
      select(
        meta.initializers.map((v) => [v, v === "default" ? "init: default" : v]),
        layer.initializer,
        (v) => this.change((m) => (m.layers[i].initializer = v)),
        { "aria-label": `Initializer of layer ${i + 1}`, title: "Kernel initializer" },
      ),
      el(
        "label",
        { title: "Dropout rate after this layer (0: none)" },
        "dropout",
        number(layer.dropout, (v) => this.change((m) => (m.layers[i].dropout = v)), {
          min: 0,
          max: 0.9,
          step: 0.05,
          "aria-label": `Dropout of layer ${i + 1}`,
        }),
      ),
      el(
        "label",
        { title: "Batch normalization before the activation" },
        "batch norm",
        el("input", {
          type: "checkbox",
          checked: layer.batchnorm,
          "aria-label": `Batch normalization in layer ${i + 1}`,
          onchange: (e) => this.change((m) => (m.layers[i].batchnorm = e.target.checked)),
        }),
      ),
    );
  }

  // ------------------------------------------------------------------- drawing
  render(snapshot) {
    const discretize = this.app.setup.ui.discretize;
    const res = this.res;
    const cells = res * res;
    if (snapshot.inputs) {
      const canvases = this.featureCanvases;
      snapshot.inputs.forEach((entry, k) => canvases[k] && paintNeuron(canvases[k], int8(entry.map), 0, res, false));
    }
    (snapshot.neurons || []).forEach((entry, layer) => {
      const values = int8(entry.maps);
      const column = this.columns[layer + 1];
      if (!column) return;
      column.nodes.forEach((n, u) => paintNeuron(n.canvas, values, u * cells, res, discretize));
    });
    if (snapshot.outputs) {
      const values = int8(snapshot.outputs.maps);
      const column = this.columns[this.columns.length - 1];
      column.nodes.forEach((n, u) => paintNeuron(n.canvas, values, u * cells, res, discretize));
    }
    if (snapshot.weights) {
      this.weights = snapshot.weights;
      this.drawEdges();
    }
  }

  position(node, side) {
    const box = this.layersBox.getBoundingClientRect();
    const r = node.getBoundingClientRect();
    return [side === "out" ? r.right - box.left : r.left - box.left, r.top - box.top + r.height / 2];
  }

  drawEdges() {
    const canvas = this.edgesCanvas;
    const box = this.layersBox;
    const w = box.offsetWidth;
    const h = box.offsetHeight;
    const top = box.offsetTop;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    canvas.style.top = `${top}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    // Feature nodes sit outside the layers box: their edges start at its left edge.
    const featureY = this.columns[0].nodes.map((n) => {
      const r = n.node.getBoundingClientRect();
      return r.top - box.getBoundingClientRect().top + r.height / 2;
    });
    this.edges = [];
    this.weights.forEach((layer, c) => {
      const sources = this.columns[c].nodes;
      const targets = this.columns[c + 1].nodes;
      // Thinner lines when a layer pair has many edges, so that the strong ones still stand out.
      const thin = Math.max(0.3, Math.min(1, 5 / Math.sqrt(layer.W.length * (layer.W[0] || []).length)));
      layer.W.forEach((row, s) => {
        if (!sources[s]) return;
        const start = c === 0 ? [0, featureY[s]] : this.position(sources[s].node, "out");
        row.forEach((weight, t) => {
          if (!targets[t]) return;
          const end = this.position(targets[t].node, "in");
          const mid = (start[0] + end[0]) / 2;
          ctx.beginPath();
          ctx.moveTo(start[0], start[1]);
          ctx.bezierCurveTo(mid, start[1], mid, end[1], end[0], end[1]);
          const magnitude = Math.abs(weight);
          ctx.lineWidth = Math.min(8, 0.5 + 1.8 * magnitude * thin);
          ctx.strokeStyle = css(weight >= 0 ? POS : NEG, Math.min(0.95, 0.15 + 0.6 * magnitude * thin));
          ctx.stroke();
          const samples = [];
          for (let k = 0; k <= 16; k++) {
            const u = k / 16;
            const a = (1 - u) ** 3;
            const b = 3 * (1 - u) ** 2 * u;
            const d = 3 * (1 - u) * u * u;
            const e = u ** 3;
            samples.push([
              a * start[0] + b * mid + d * mid + e * end[0],
              a * start[1] + b * start[1] + d * end[1] + e * end[1],
            ]);
          }
          this.edges.push({ column: c, source: s, target: t, weight, samples, from: sources[s].label, to: targets[t].label });
        });
      });
    });
  }

  // ------------------------------------------------------------ interaction
  local(e) {
    const box = this.layersBox.getBoundingClientRect();
    return [e.clientX - box.left, e.clientY - box.top];
  }

  nearestEdge(e) {
    const [x, y] = this.local(e);
    let best = null;
    let distance = 7;
    for (const edge of this.edges) {
      for (const [px, py] of edge.samples) {
        const d = Math.hypot(px - x, py - y);
        if (d < distance) {
          distance = d;
          best = edge;
        }
      }
    }
    return best;
  }

  nodeOf(e) {
    const node = e.target.closest && e.target.closest(".node");
    if (!node || !this.root.contains(node)) return null;
    return { column: Number(node.dataset.column), unit: Number(node.dataset.unit), node };
  }

  hover(e) {
    if (!this.weights) return;
    const hit = this.nodeOf(e);
    if (hit) {
      const bias = this.weights[hit.column - 1].b[hit.unit];
      this.root.style.cursor = "pointer";
      this.app.tooltip(e, `${this.columns[hit.column].nodes[hit.unit].label}: bias ${fmt(bias)} (click to edit)`);
      return;
    }
    if (e.target.closest("button, select, input, label")) {
      this.app.tooltip(null);
      return;
    }
    const edge = this.nearestEdge(e);
    this.root.style.cursor = edge ? "pointer" : "";
    this.app.tooltip(edge ? e : null, edge ? `weight ${fmt(edge.weight)}: ${edge.from} → ${edge.to} (click to edit)` : "");
  }

  click(e) {
    if (!this.weights) return;
    const hit = this.nodeOf(e);
    if (hit) {
      const bias = this.weights[hit.column - 1].b[hit.unit];
      const label = `Bias of ${this.columns[hit.column].nodes[hit.unit].label}`;
      this.app.editPopover(e, label, bias, (value) =>
        this.app.editWeight(this.index, hit.column - 1, -1, hit.unit, value),
      );
      return;
    }
    if (e.target.closest("button, select, input, label")) return;
    const edge = this.nearestEdge(e);
    if (!edge) return;
    this.app.editPopover(e, `Weight ${edge.from} → ${edge.to}`, edge.weight, (value) =>
      this.app.editWeight(this.index, edge.column, edge.source, edge.target, value),
    );
  }
}
