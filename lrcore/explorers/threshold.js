// The threshold explorer (lrcore/explorers/threshold.py): a slider over precomputed thresholds.
// Every number was computed by lrcore at build time; this script only draws the two curves and
// looks up the point, the confusion matrix and the metrics of the chosen threshold. No library.
function lrThresholdExplorer(root) {
  "use strict";
  if (!root || root.dataset.lrxReady) return;
  root.dataset.lrxReady = "1";
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  const id = root.id;
  const live = root.querySelector(".lrx-live");
  const fallback = root.querySelector("img.lrx-fallback");
  const NS = "http://www.w3.org/2000/svg";
  const SIZE = 300, LEFT = 52, TOP = 24, PLOT = 222;  // a square plot, in viewBox units
  const X = v => LEFT + v * PLOT, Y = v => TOP + (1 - v) * PLOT;
  const last = data.thresholds.length - 1;

  function el(tag, attrs, parent, text) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // One square panel: grid, axes with ticks at 0, 0.5 and 1, axis labels, then the curve.
  function panel(key, heading, title, xlabel, ylabel, path, chance) {
    const svg = el("svg", {id: `${id}-${key}`, viewBox: `0 0 ${SIZE} ${SIZE}`, role: "img",
                           "aria-labelledby": `${id}-${key}-title`});
    el("title", {id: `${id}-${key}-title`}, svg, title);
    el("text", {x: X(0.5), y: 14, "text-anchor": "middle", "font-weight": "600"}, svg, heading);
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      el("line", {class: "lrx-grid", x1: X(0), x2: X(1), y1: Y(v), y2: Y(v)}, svg);
      el("line", {class: "lrx-grid", x1: X(v), x2: X(v), y1: Y(0), y2: Y(1)}, svg);
    }
    el("rect", {class: "lrx-axis", x: X(0), y: Y(1), width: PLOT, height: PLOT}, svg);
    for (const v of [0, 0.5, 1]) {
      el("text", {x: X(v), y: Y(0) + 16, "text-anchor": "middle"}, svg, String(v));
      el("text", {x: X(0) - 6, y: Y(v) + 4, "text-anchor": "end"}, svg, String(v));
    }
    el("text", {x: X(0.5), y: SIZE - 6, "text-anchor": "middle"}, svg, xlabel);
    el("text", {x: 14, y: Y(0.5), "text-anchor": "middle", transform: `rotate(-90 14 ${Y(0.5)})`}, svg, ylabel);
    el("path", {class: "lrx-chance", d: chance}, svg);
    el("path", {class: "lrx-curve", d: path}, svg);
    const point = el("circle", {class: "lrx-point", id: `${id}-${key}-point`, r: 6, cx: X(0), cy: Y(0)}, svg);
    return [svg, point];
  }

  const fmt = v => v.toFixed(4);
  const roc = "M" + data.roc.map(([x, y]) => `${fmt(X(x))},${fmt(Y(y))}`).join("L");
  // Precision-recall as steps (matplotlib's steps-post, as lrcore.plot_precision_recall_curve draws it).
  let pr = `M${fmt(X(data.pr[0][0]))},${fmt(Y(data.pr[0][1]))}`;
  for (let i = 1; i < data.pr.length; i++) {
    pr += `H${fmt(X(data.pr[i][0]))}V${fmt(Y(data.pr[i][1]))}`;
  }
  const prevalence = data.positives / data.n;
  const [rocSvg, rocPoint] = panel("roc", "ROC curve", "ROC curve: true-positive rate against false-positive rate over every " +
    "threshold, with a dot at the chosen threshold", "false-positive rate", "true-positive rate (recall)", roc,
    `M${X(0)},${Y(0)}L${X(1)},${Y(1)}`);
  const [prSvg, prPoint] = panel("pr", "precision-recall curve", "Precision-recall curve: precision against recall over every threshold, " +
    "with a dot at the chosen threshold", "recall", "precision", pr,
    `M${X(0)},${fmt(Y(prevalence))}L${X(1)},${fmt(Y(prevalence))}`);

  const names = {precision: "precision", recall: "recall", f1: "F1", accuracy: "accuracy"};
  if (data.cost) names.cost = "cost per tumour";
  const metricRows = Object.entries(names).map(([key, label]) =>
    `<tr><th scope="row">${label}</th><td data-metric="${key}"></td></tr>`).join("");
  const costNote = data.cost ?
    `<p class="lrx-note">cost per tumour = (${data.cost.fn} FN + ${data.cost.fp} FP) / ${data.n}</p>` : "";
  live.innerHTML =
    `<div class="lrx-controls"><label for="${id}-slider">threshold t on the predicted probability</label>` +
    `<input type="range" id="${id}-slider" min="0" max="${last}" step="1" value="${data.initial}">` +
    `<output id="${id}-t" for="${id}-slider"></output></div>` +
    `<div class="lrx-plots"></div>`;
  const plots = live.querySelector(".lrx-plots");
  plots.append(rocSvg, prSvg);
  const numbers = document.createElement("div");
  numbers.className = "lrx-numbers";
  numbers.id = `${id}-numbers`;
  numbers.setAttribute("aria-live", "polite");
  numbers.innerHTML =
    `<table id="${id}-matrix"><caption>confusion matrix at t = <span data-shown="t"></span></caption>` +
    `<tr><td></td><th scope="col">predicted benign</th><th scope="col">predicted malignant</th></tr>` +
    `<tr><th scope="row">benign</th><td data-cell="tn"></td><td data-cell="fp"></td></tr>` +
    `<tr><th scope="row">malignant</th><td data-cell="fn"></td><td data-cell="tp"></td></tr></table>` +
    `<table id="${id}-metrics"><caption>metrics at that threshold</caption>${metricRows}</table>` + costNote;
  plots.appendChild(numbers);

  const slider = live.querySelector("input");
  const output = live.querySelector("output");
  const cells = ["tn", "fp", "fn", "tp"].map(key => numbers.querySelector(`[data-cell="${key}"]`));
  const labels = ["TN", "FP", "FN", "TP"];

  function show(index) {
    const t = data.thresholds[index];
    const [fpr, tpr, recall, precision] = data.points[index];
    output.textContent = t;
    slider.setAttribute("aria-valuetext", `t = ${t}`);
    numbers.querySelector('[data-shown="t"]').textContent = t;
    rocPoint.setAttribute("cx", fmt(X(fpr)));
    rocPoint.setAttribute("cy", fmt(Y(tpr)));
    // Nothing flagged: precision is 0/0, and the point has no place on the precision-recall curve.
    prPoint.style.display = precision === null ? "none" : "";
    if (precision !== null) {
      prPoint.setAttribute("cx", fmt(X(recall)));
      prPoint.setAttribute("cy", fmt(Y(precision)));
    }
    data.counts[index].forEach((count, k) => { cells[k].textContent = `${labels[k]} ${count}`; });
    for (const key of Object.keys(names)) {
      numbers.querySelector(`[data-metric="${key}"]`).textContent = data.shown[key][index];
    }
  }

  slider.addEventListener("input", () => show(Number(slider.value)));
  show(data.initial);
  live.hidden = false;
  if (fallback) fallback.hidden = true;
}
