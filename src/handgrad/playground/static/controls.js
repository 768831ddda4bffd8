// The data column (dataset, classes, split, noise, points, seed, upload, clicked points) and
// the header's buttons. Each control edits a copy of the setup and sends it to the server.

import { CLASS_COLORS, css } from "./colors.js";
import { el } from "./dom.js";
import { drawThumbnail } from "./heatmap.js";

const $ = (id) => document.getElementById(id);

export function bindDataColumn(app) {
  $("problem").addEventListener("change", (e) =>
    app.changeData((d) => {
      d.problem = e.target.value;
      const first = app.meta.datasets.find((s) => s.problem === d.problem);
      d.dataset = first.name;
      d.noise = first.noise;
      if (first.classes) d.classes = first.classes;
    }),
  );
  const slider = (id, key, parse) => {
    const input = $(id);
    input.addEventListener("input", () => ($(`${id}-out`).textContent = input.value));
    input.addEventListener("change", () => app.changeData((d) => (d[key] = parse(input.value))));
  };
  slider("classes", "classes", Number);
  slider("ratio", "train_percent", Number);
  slider("noise", "noise", Number);
  $("points").addEventListener("change", (e) => app.changeData((d) => (d.points = Math.round(Number(e.target.value)))));
  $("data-seed").addEventListener("change", (e) => app.changeData((d) => (d.seed = Math.round(Number(e.target.value)))));
  $("regenerate").addEventListener("click", () => app.changeData((d) => (d.seed += 1)));
  $("upload").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) app.upload(file);
  });
}

export function renderDataColumn(app) {
  const { meta, setup, message } = app;
  const data = setup.data;
  $("problem").value = data.problem;
  const list = $("datasets");
  list.replaceChildren();
  for (const entry of meta.datasets.filter((s) => s.problem === data.problem)) {
    const canvas = el("canvas", { width: 112, height: 112 });
    const sample = meta.thumbnails[`${entry.problem}/${entry.name}`];
    if (sample) drawThumbnail(canvas, sample, entry.problem);
    list.append(
      el(
        "button.dataset",
        {
          role: "radio",
          "aria-checked": data.dataset === entry.name ? "true" : "false",
          "aria-label": `Dataset ${entry.label}`,
          title: entry.label,
          onclick: () =>
            app.changeData((d) => {
              d.dataset = entry.name;
              d.noise = entry.noise;
              if (entry.classes) d.classes = entry.classes;
            }),
        },
        canvas,
        el("span", { text: entry.label }),
      ),
    );
  }
  if (data.dataset === "custom") {
    list.append(el("button.dataset", { role: "radio", "aria-checked": "true", "aria-label": "Dataset custom" }, el("span", { text: "your data" })));
  }
  const info = meta.datasets.find((s) => s.problem === data.problem && s.name === data.dataset);
  const generated = data.dataset !== "custom";
  $("classes-field").hidden = !(info && info.classes);
  $("classes").value = data.classes;
  $("classes-out").textContent = data.classes;
  $("ratio").value = data.train_percent;
  $("ratio-out").textContent = data.train_percent;
  $("noise-field").hidden = !generated;
  $("noise").value = data.noise;
  $("noise-out").textContent = data.noise;
  $("points-field").hidden = !generated;
  $("points").value = data.points;
  $("data-seed").value = data.seed;

  // Buttons to add points by clicking: one per class, plus a new class.
  const box = $("add-points");
  box.replaceChildren();
  const options = [];
  if (message.problem === "classification") {
    const k = message.n_classes;
    for (let c = 0; c < Math.min(k + 1, meta.limits.max_classes); c++) options.push([c, c < k ? `class ${c}` : `new class ${c}`]);
  } else {
    options.push([1, "value +1"], [0, "value 0"], [-1, "value −1"]);
  }
  for (const [value, label] of options) {
    const color = message.problem === "classification" ? CLASS_COLORS[value % 10] : value > 0 ? CLASS_COLORS[1] : value < 0 ? CLASS_COLORS[0] : [200, 204, 208];
    box.append(
      el(
        "button",
        {
          "aria-pressed": app.addLabel === value ? "true" : "false",
          title: "Click here, then on the picture, to add points",
          onclick: () => app.setAddLabel(app.addLabel === value ? null : value),
        },
        el("span.swatch", { style: `background:${css(color)}` }),
        label,
      ),
    );
  }
}

export function bindHeader(app) {
  $("train").addEventListener("click", () => app.togglePlay());
  $("step").addEventListener("click", () => app.command("step"));
  $("reset").addEventListener("click", () => app.command("reset"));
  $("compare").addEventListener("change", (e) => app.setCompare(e.target.checked));
  $("preset-compare").addEventListener("click", () => app.comparePreset());
  $("copy-link").addEventListener("click", () => app.copyLink());
  $("embed").addEventListener("click", () => {
    renderEmbed(app);
    $("embed-dialog").showModal();
  });
  document.addEventListener("keydown", (e) => {
    if (e.code === "Space" && !e.target.closest("input, select, textarea, button, dialog")) {
      e.preventDefault();
      app.togglePlay();
    }
  });
}

function renderEmbed(app) {
  const box = $("embed-options");
  const hidden = new Set(app.setup.ui.hide);
  box.replaceChildren(
    ...app.meta.hideable.map((area) =>
      el(
        "label",
        {},
        el("input", {
          type: "checkbox",
          checked: hidden.has(area),
          onchange: (e) =>
            app.changeUi((u) => {
              const set = new Set(u.hide);
              if (e.target.checked) set.add(area);
              else set.delete(area);
              u.hide = app.meta.hideable.filter((a) => set.has(a));
            }),
        }),
        ` hide ${area}`,
      ),
    ),
  );
}
