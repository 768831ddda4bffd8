// One network of the page: its training settings (toolbar), its picture and its output.

import { el, fmt, number, select } from "./dom.js";
import { NetworkView } from "./network.js";
import { OutputView } from "./output.js";

const RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const OPTIMIZER_NAMES = { sgd: "SGD", momentum: "Momentum", rmsprop: "RMSprop", adam: "Adam" };

function withCurrent(values, current) {
  return values.includes(current) ? values : [...values, current].sort((a, b) => a - b);
}

function field(label, control, attrs = {}) {
  return el("label.field", attrs, label, control);
}

export class RunView {
  constructor(app, index) {
    this.app = app;
    this.index = index;
    this.network = new NetworkView(app, index);
    this.output = new OutputView(app, index);
    this.toolbar = el("div.run-toolbar.area-training");
    this.speed = el("div.speed", { "data-testid": index === 0 ? "speed" : "speed-b" });
    this.root = el(
      "section.run",
      { "aria-label": index === 0 ? "Network A" : "Network B" },
      this.toolbar,
      el("div.run-body", {}, this.network.features, this.network.root, this.output.root),
    );
  }

  change(mutate) {
    this.app.changeModel(this.index, mutate);
  }

  build(message) {
    const model = this.app.setup.models[this.index];
    const meta = this.app.meta;
    const compare = this.app.setup.models.length === 2;
    const activations = new Set(model.layers.map((l) => l.activation));
    const common = activations.size === 1 ? [...activations][0] : "";
    const items = [];
    if (compare) {
      items.push(el("div.run-name", {}, el("span.badge", { text: "ABCD"[this.index] }), this.describe(model)));
    }
    items.push(
      field(
        "Optimizer",
        select(
          meta.optimizers.map((o) => [o, OPTIMIZER_NAMES[o]]),
          model.optimizer,
          (v) => this.change((m) => (m.optimizer = v)),
          { "aria-label": "Optimizer" },
        ),
      ),
      field(
        "Learning rate",
        select(withCurrent(RATES, model.learning_rate), model.learning_rate, (v) => this.change((m) => (m.learning_rate = Number(v))), {
          "aria-label": "Learning rate",
        }),
      ),
    );
    if (model.optimizer === "sgd" || model.optimizer === "momentum") {
      items.push(
        field(
          model.optimizer === "sgd" ? "Momentum" : "β",
          number(model.momentum, (v) => this.change((m) => (m.momentum = v)), { min: 0, max: 0.999, step: 0.05, "aria-label": "Momentum" }),
        ),
      );
    }
    items.push(
      field(
        "Decay",
        select(
          meta.schedules.map((s) => [s.name, s.name === "none" ? "none" : s.name.replace("_", " ")]),
          model.schedule,
          (v) =>
            this.change((m) => {
              m.schedule = v;
              m.schedule_value = meta.schedules.find((s) => s.name === v).default;
            }),
          { "aria-label": "Learning-rate decay" },
        ),
      ),
    );
    if (model.schedule !== "none") {
      const info = meta.schedules.find((s) => s.name === model.schedule);
      items.push(
        field(info.label, number(model.schedule_value, (v) => this.change((m) => (m.schedule_value = v)), { step: 0.01, "aria-label": info.label })),
      );
      if (model.schedule === "step") {
        items.push(field("every", number(model.schedule_every, (v) => this.change((m) => (m.schedule_every = v)), { min: 1, "aria-label": "Decay every" })));
      }
    }
    items.push(
      field(
        "Activation",
        select(
          [...(common ? [] : [["", "(per layer)"]]), ...meta.activations],
          common,
          (v) => v && this.change((m) => m.layers.forEach((l) => (l.activation = v))),
          { "aria-label": "Activation", title: "Activation of every hidden layer" },
        ),
      ),
      field(
        "Regularization",
        select(meta.regularizations, model.regularization, (v) => this.change((m) => (m.regularization = v)), {
          "aria-label": "Regularization",
        }),
      ),
      field(
        "Regularization rate",
        select(
          withCurrent(REG_RATES, model.regularization_rate),
          model.regularization_rate,
          (v) => this.change((m) => (m.regularization_rate = Number(v))),
          { "aria-label": "Regularization rate", disabled: model.regularization === "none" },
        ),
      ),
      field(
        "Batch size",
        number(model.batch_size, (v) => this.change((m) => (m.batch_size = Math.round(v))), {
          min: 0,
          max: meta.limits.max_points,
          "aria-label": "Batch size",
          title: "Samples per update; 0 is the full batch (gradient descent)",
        }),
      ),
      field(
        "Seed",
        number(model.seed, (v) => this.change((m) => (m.seed = Math.round(v))), { min: 0, "aria-label": "Seed", title: "Initial weights, shuffling and dropout" }),
      ),
      field(
        "Stop at epoch",
        number(model.max_epochs, (v) => this.change((m) => (m.max_epochs = Math.round(v))), { min: 0, "aria-label": "Stop at epoch", title: "0: no limit" }),
      ),
      field(
        "Target loss",
        number(model.target_loss, (v) => this.change((m) => (m.target_loss = v)), {
          min: 0,
          step: 0.01,
          "aria-label": "Target loss",
          title: "Stop when the training loss falls to this (0: never)",
        }),
      ),
      this.speed,
    );
    this.toolbar.replaceChildren(...items);
    this.network.build(message);
    this.output.build(message);
  }

  describe(model) {
    const hidden = model.layers.map((l) => l.units);
    if (!hidden.length) return "logistic regression (no hidden layer)";
    return `${[model.features.length, ...hidden, "out"].join("-")} ${[...new Set(model.layers.map((l) => l.activation))].join("/")}`;
  }

  render(snapshot) {
    this.snapshot = snapshot;
    if (snapshot.status !== "error" || snapshot.metrics) {
      this.network.render(snapshot);
      this.output.render(snapshot);
    } else {
      this.output.status.textContent = snapshot.error;
    }
    const ms = snapshot.ms_per_epoch;
    const lr = snapshot.learning_rate;
    this.speed.textContent = `${ms === null || ms === undefined ? "–" : ms.toFixed(ms < 10 ? 2 : 1)} ms / epoch` + (lr !== null && lr !== undefined ? ` · lr ${fmt(lr, 4)}` : "");
    this.speed.dataset.value = ms === null || ms === undefined ? "" : String(ms);
  }

  redraw() {
    if (this.snapshot) this.render(this.snapshot);
  }
}
