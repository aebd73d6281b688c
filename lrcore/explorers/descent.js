// The gradient-descent explorer (lrcore/explorers/descent.py): inlined in the page inside
// `(function (root) { ... })(figure element)`. The paths were computed by lrcore.fit at build
// time and are in the figure's JSON; this only draws the chosen one. No library, no network.
"use strict";
if (!root) return;
const data = JSON.parse(root.querySelector("script.lrx-data").textContent);
const id = root.id;
const byId = (suffix) => document.getElementById(id + "-" + suffix);
const rate = byId("lr"), momentum = byId("momentum"), step = byId("step");
const play = root.querySelector(".lrx-play"), next = root.querySelector(".lrx-next");
const status = byId("status");
const svg = byId("svg");
const part = (cls) => svg.querySelector("." + cls);
const numMomenta = data.momenta.length, numFrames = data.steps.length;
const lastStep = data.steps[numFrames - 1];
const map = data.map, box = data.lossBox, frame = data.frame;

// Data to view-box pixels: the map is w across, b up; the loss curve has log(1 + step) across.
const px = (w) => map.left + ((w - frame.w[0]) / (frame.w[1] - frame.w[0])) * map.width;
const py = (b) => map.top + map.height - ((b - frame.b[0]) / (frame.b[1] - frame.b[0])) * map.height;
const lx = (k) => box.left + (Math.log10(1 + k) / Math.log10(1 + lastStep)) * box.width;
// A loss beyond float range (a diverged run) arrives as JSON null: drawn at the top, shown as such.
const ly = (loss) => box.top + box.height - (Math.min(loss === null ? Infinity : loss, 1.1 * data.lossTop) / data.lossTop) * box.height;
const points = (xs, ys, n) => xs.slice(0, n).map((x, i) => x.toFixed(1) + "," + ys[i].toFixed(1)).join(" ");
// The stored numbers have 4 significant digits; String() writes them without trailing zeros.
const show = (v) => (v === null ? "inf (diverged)" : String(v));

const best = part("lrx-best");
best.setAttribute("x1", box.left);
best.setAttribute("x2", box.left + box.width);
best.setAttribute("y1", ly(data.best).toFixed(1));
best.setAttribute("y2", ly(data.best).toFixed(1));

let timer = null;

function setting() {
  const r = Number(rate.value), m = momentum ? Number(momentum.value) : 0;
  return { r, m, s: r * numMomenta + m, f: Number(step.value) };
}

function draw(announce) {
  const { r, m, s, f } = setting();
  const ws = data.w[s].map(px), bs = data.b[s].map(py);
  const ks = data.steps.map(lx), losses = data.loss[s].map(ly);
  part("lrx-path-all").setAttribute("points", points(ws, bs, numFrames));
  part("lrx-path").setAttribute("points", points(ws, bs, f + 1));
  part("lrx-loss-all").setAttribute("points", points(ks, losses, numFrames));
  part("lrx-loss").setAttribute("points", points(ks, losses, f + 1));
  for (const [cls, x, y] of [["lrx-start", ws[0], bs[0]], ["lrx-now", ws[f], bs[f]], ["lrx-loss-now", ks[f], losses[f]]]) {
    part(cls).setAttribute("cx", x.toFixed(1));
    part(cls).setAttribute("cy", y.toFixed(1));
  }
  const out = data.out[s];
  const left = out >= 0 && f >= out;
  part("lrx-leaving").textContent = left ? "the path has left the frame (step " + data.steps[out] + ")" : "";

  const shownRate = show(data.rates[r]), shownMomentum = show(data.momenta[m]), shownStep = String(data.steps[f]);
  for (const [input, text] of [[rate, shownRate], [momentum, shownMomentum], [step, shownStep]]) {
    if (!input) continue;
    input.setAttribute("aria-valuetext", text);
    byId(input.id.slice(id.length + 1) + "-value").textContent = text;
  }
  // While playing, the live region is quiet: a screen reader hears the result when it stops.
  status.setAttribute("aria-live", announce ? "polite" : "off");
  status.textContent =
    "Learning rate " + shownRate + (momentum ? ", momentum " + shownMomentum : "") + ": after " + shownStep +
    " steps, w = " + show(data.w[s][f]) + ", b = " + show(data.b[s][f]) + ", training loss " + show(data.loss[s][f]) +
    (left ? " (outside the frame: the clipped w, b are shown)" : "") + ".";
  status.dataset.rate = shownRate;
  status.dataset.momentum = shownMomentum;
  status.dataset.step = shownStep;
  status.dataset.loss = show(data.loss[s][f]);
}

function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  play.textContent = "Play";
  play.setAttribute("aria-pressed", "false");
  draw(true);
}

function advance() {
  if (Number(step.value) >= numFrames - 1) return stop();
  step.value = String(Number(step.value) + 1);
  draw(false);
}

play.addEventListener("click", () => {
  if (timer !== null) return stop();
  if (Number(step.value) >= numFrames - 1) step.value = "0";
  play.textContent = "Pause";
  play.setAttribute("aria-pressed", "true");
  draw(false);
  timer = setInterval(advance, 120);
});
next.addEventListener("click", () => {
  if (timer !== null) stop();
  step.value = String(Math.min(Number(step.value) + 1, numFrames - 1));
  draw(true);
});
for (const input of [rate, momentum, step]) {
  if (input) input.addEventListener("input", () => draw(timer === null));
}

rate.value = String(data.initial[0]);
if (momentum) momentum.value = String(data.initial[1]);
step.value = String(data.initial[2]);
play.setAttribute("aria-pressed", "false");
draw(true);
// The drawing replaces the static image (print keeps the image: see the print rule).
root.querySelector("img.lrx-fallback").hidden = true;
root.querySelector(".lrx-live").hidden = false;
