// The playground page: state, the server's messages, and the actions the controls call.
// The server is the authority on the setup: the page sends a changed copy, the server checks
// it and answers with the canonical setup (or a message), and the event stream brings the new
// setup and every run's snapshots.

import { ApiError, float32, getJSON, listen, postFile, postJSON } from "./api.js";
import { bindDataColumn, bindHeader, renderDataColumn } from "./controls.js";
import { epochText } from "./dom.js";
import { RunView } from "./runview.js";

const $ = (id) => document.getElementById(id);
const clone = (value) => JSON.parse(JSON.stringify(value));

class App {
  constructor() {
    this.runs = [];
    this.snapshots = [];
    this.pending = new Set();
    this.addLabel = null;
    this.arrivals = [];
    this.chain = Promise.resolve();
  }

  async init() {
    this.meta = await getJSON("/api/meta");
    $("version").textContent = `handgrad ${this.meta.version}`;
    const created = await postJSON("/api/session", { query: location.hash.slice(1) });
    this.session = created.session;
    this.setup = created.setup;
    if (created.notes.length) this.toast(created.notes.join("; "), true);
    bindHeader(this);
    bindDataColumn(this);
    this.source = listen(this.session, {
      setup: (m) => this.onSetup(m),
      run: (m) => this.onRun(m),
      error: () => this.status("connection lost; reconnecting…"),
      open: () => this.status(""),
    });
    setInterval(() => this.showRate(), 500);
    window.playground = this; // for tests and the curious: window.playground.snapshots
  }

  // ----------------------------------------------------------- server messages
  onSetup(message) {
    this.message = message;
    this.setup = message.setup;
    this.points = {
      train: { x: float32(message.train.x), y: float32(message.train.y) },
      test: { x: float32(message.test.x), y: float32(message.test.y) },
    };
    history.replaceState(null, "", `#${message.query}`);
    document.body.className = this.setup.ui.hide.map((h) => `hide-${h}`).join(" ");
    document.body.classList.toggle("compare", this.setup.models.length === 2);
    $("compare").checked = this.setup.models.length === 2;
    const container = $("runs");
    this.runs = this.setup.models.map((_, i) => new RunView(this, i));
    this.snapshots = this.setup.models.map(() => null);
    container.replaceChildren(...this.runs.map((r) => r.root));
    this.runs.forEach((r) => r.build(message));
    renderDataColumn(this);
    this.updateTransport();
  }

  onRun(snapshot) {
    this.arrivals.push(performance.now());
    this.snapshots[snapshot.run] = snapshot;
    // Draw at most once per frame, whatever the rate of messages.
    this.pending.add(snapshot.run);
    if (this.pending.size === 1) requestAnimationFrame(() => this.draw());
  }

  draw() {
    for (const i of this.pending) {
      const snapshot = this.snapshots[i];
      if (this.runs[i] && snapshot) this.runs[i].render(snapshot);
    }
    this.pending.clear();
    this.updateTransport();
  }

  updateTransport() {
    const live = this.snapshots.filter(Boolean);
    const training = live.some((s) => s.status === "training");
    const button = $("train");
    button.classList.toggle("running", training);
    button.querySelector(".label").textContent = training ? "Pause" : "Train";
    const epochs = live.map((s) => s.epoch);
    $("epoch").textContent = epochs.length ? epochs.map(epochText).join(" | ") : epochText(0);
  }

  showRate() {
    const now = performance.now();
    this.arrivals = this.arrivals.filter((t) => now - t < 2000);
    $("rate").textContent = (this.arrivals.length / 2).toFixed(1);
  }

  status(text) {
    $("status").textContent = text;
  }

  // ---------------------------------------------------------------- actions
  send(setup) {
    // Changes go out one at a time, in order; each answer is the canonical setup.
    this.chain = this.chain.then(async () => {
      try {
        const reply = await postJSON(`/api/setup?session=${this.session}`, setup);
        this.setup = reply.setup;
        history.replaceState(null, "", `#${reply.query}`);
      } catch (err) {
        this.toast(err.message, true);
        if (this.message) {
          this.setup = this.message.setup;
          this.onSetup(this.message); // put the controls back as they were
          this.snapshots.forEach((s) => s && this.onRun(s));
        }
      }
    });
    return this.chain;
  }

  changeModel(index, mutate) {
    const setup = clone(this.setup);
    mutate(setup.models[index]);
    return this.send(setup);
  }

  changeData(mutate) {
    const setup = clone(this.setup);
    mutate(setup.data);
    this.setMessage("");
    return this.send(setup);
  }

  changeUi(mutate) {
    const setup = clone(this.setup);
    mutate(setup.ui);
    return this.send(setup);
  }

  setCompare(on) {
    const setup = clone(this.setup);
    setup.models = on ? [setup.models[0], clone(setup.models[0])] : [setup.models[0]];
    return this.send(setup);
  }

  comparePreset() {
    // The notes' picture: a line (logistic regression) against a 2-4-2-1 tanh network on the
    // moons, full-batch Adam at 0.05 for 1000 epochs (86% against 100% training accuracy).
    const base = this.meta.default.models[0];
    const model = (layers) => ({ ...clone(base), layers, optimizer: "adam", learning_rate: 0.05, batch_size: 0, max_epochs: 1000 });
    const layer = (units) => ({ units, activation: "tanh", initializer: "default", dropout: 0, batchnorm: false });
    const setup = clone(this.meta.default);
    setup.ui = clone(this.setup.ui);
    setup.models = [model([]), model([layer(4), layer(2)])];
    return this.send(setup);
  }

  togglePlay() {
    const training = this.snapshots.some((s) => s && s.status === "training");
    return this.command(training ? "pause" : "play");
  }

  async command(action, run) {
    try {
      await postJSON(`/api/control?session=${this.session}`, run === undefined ? { action } : { action, run });
    } catch (err) {
      this.toast(err.message, true);
    }
  }

  async editWeight(run, layer, source, target, value) {
    try {
      await postJSON(`/api/edit?session=${this.session}`, { run, layer, source, target, value });
    } catch (err) {
      this.toast(err.message, true);
    }
  }

  setAddLabel(label) {
    this.addLabel = label;
    renderDataColumn(this);
    document.querySelectorAll(".boundary").forEach((c) => c.classList.toggle("adding", label !== null));
  }

  async addPoint(x, y, label) {
    try {
      await postJSON(`/api/points?session=${this.session}`, { points: [[x, y, label]] });
      this.setMessage("Point added to the training data (the network starts again).", "ok");
    } catch (err) {
      this.setMessage(err.message, "error");
    }
  }

  async upload(file) {
    const most = this.meta.limits.max_upload_bytes;
    if (file.size > most) {
      this.setMessage(`${file.name}: the file has ${file.size.toLocaleString("en")} bytes; the playground reads CSV files of up to ${most.toLocaleString("en")} bytes`, "error");
      return;
    }
    try {
      const reply = await postFile(`/api/upload?session=${this.session}`, file);
      this.setMessage(`${file.name}: loaded ${reply.points} points.`, "ok");
    } catch (err) {
      const text = err instanceof ApiError ? err.message : String(err);
      this.setMessage(`${file.name}: ${text}`, "error");
    }
  }

  setMessage(text, kind = "") {
    const box = $("data-message");
    box.textContent = text;
    box.className = `message ${kind}`;
  }

  async showCode(run) {
    const response = await fetch(`/api/export?session=${this.session}&run=${run}&format=py`);
    const text = await response.text();
    if (!response.ok) {
      this.toast(text, true);
      return;
    }
    $("code-text").textContent = text;
    const link = $("code-download");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/x-python" }));
    link.download = `playground-${this.setup.data.dataset}.py`;
    $("code-copy").onclick = () => this.copy(text, "Code copied.");
    $("code-dialog").showModal();
  }

  copyLink() {
    return this.copy(location.href, "Link copied: it reproduces this setup.");
  }

  async copy(text, done) {
    try {
      await navigator.clipboard.writeText(text);
      this.toast(done);
    } catch (err) {
      this.toast("The browser did not allow copying; select the text and copy it by hand.", true);
    }
  }

  // ------------------------------------------------------------ small overlays
  toast(text, error = false) {
    const box = $("toast");
    box.textContent = text;
    box.className = `toast${error ? " error" : ""}`;
    box.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (box.hidden = true), error ? 7000 : 2500);
  }

  tooltip(event, text) {
    const tip = $("tooltip");
    if (!event) {
      tip.hidden = true;
      return;
    }
    tip.textContent = text;
    tip.style.left = `${event.pageX + 12}px`;
    tip.style.top = `${event.pageY + 12}px`;
    tip.hidden = false;
  }

  editPopover(event, label, value, onset) {
    const box = $("edit-popover");
    const input = $("edit-value");
    $("edit-title").textContent = label;
    input.value = Number(value).toFixed(4);
    box.style.left = `${event.pageX + 8}px`;
    box.style.top = `${event.pageY + 8}px`;
    box.hidden = false;
    this.tooltip(null);
    const close = () => (box.hidden = true);
    const apply = () => {
      const v = Number(input.value);
      if (input.value.trim() !== "" && Number.isFinite(v)) onset(v);
      close();
    };
    $("edit-ok").onclick = apply;
    $("edit-cancel").onclick = close;
    input.onkeydown = (e) => {
      if (e.key === "Enter") apply();
      if (e.key === "Escape") close();
    };
    input.focus();
    input.select();
  }
}

new App().init().catch((err) => {
  document.body.prepend(Object.assign(document.createElement("pre"), { textContent: `The playground could not start: ${err.message}` }));
});
