// vinpaint studio: the page. Plain JavaScript, no framework, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);

const QUICK_PREVIEW_FRAMES = 12;  // the server's QUICK_PREVIEW_FRAMES
const POLL_MS = 250;
const TINY_SELECTION = 0.002;     // a selection under 0.2 % of the frame is probably a miss

const state = {
  options: null,      // GET /api/options
  data: [],           // GET /api/data
  clip: null,         // ClipInfo
  frame: 0,
  tool: "point-pos",
  view: "edit",
  edits: {},          // frame -> {base: canvas|null, points: [{x,y,positive}], box: [x0,y0,x1,y1]|null, ops: [...]}
  history: {},        // frame -> {undo: [snapshot], redo: [snapshot]}
  result: null,       // the JobInfo whose frames the result views show (a preview or a run)
  run: null,          // the latest finished run (downloads)
  watching: null,     // the job whose progress is shown
  cancelling: null,   // the job whose cancel was asked
  eta: null,          // {job, phase, t0, d0}: where the ETA of the watched job is measured from
  playing: null,      // interval id
  drag: null,         // the stroke or box being drawn
  splitDrag: false,
};

// ---- server calls ----------------------------------------------------------------------------

async function api(method, url, body, { raw = false, contentType } = {}) {
  const init = { method, headers: {} };
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    init.body = body;
    init.headers["Content-Type"] = contentType || "application/octet-stream";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try { response = await fetch(url, init); } catch (e) { throw new Error("the studio's server does not answer: is it still running?"); }
  if (!response.ok) {
    let detail = `the server answered ${response.status} ${response.statusText}`;
    try {
      const data = await response.json();
      if (data.detail) detail = typeof data.detail === "string" ? data.detail : data.detail.map((d) => d.msg).join("; ");
    } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return raw ? response : response.json();
}

// ---- messages: errors next to the control that caused them, or a toast; cleared on the next action

const ERROR_PLACES = { open: "open-error", mask: "mask-error", fill: "fill-error" };
let toastTimer = null;

function toast(text, kind = "info") {
  const box = $("toast");
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  if (kind === "info") toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

function showError(error, place) {
  const text = (error && error.message) || String(error);
  const box = place && $(ERROR_PLACES[place]);
  if (box) { box.textContent = text; box.hidden = false; } else toast(text, "error");
}

function clearMessages() {
  for (const id of Object.values(ERROR_PLACES)) { $(id).hidden = true; $(id).textContent = ""; }
  if ($("toast").className === "error") $("toast").hidden = true;
}

// ---- buttons that cannot work are disabled, and say why --------------------------------------

function setEnabled(id, enabled, why) {
  const button = $(id);
  if (button.dataset.help === undefined) button.dataset.help = button.title || "";
  button.disabled = !enabled;
  button.title = enabled ? button.dataset.help : why;
}

function updateButtons() {
  const clip = state.clip;
  const entry = state.data.find((e) => e.id === $("data-select").value);
  setEnabled("open-data", !!entry, "no data folder: start the studio with --data FOLDER, or upload a file");
  $("fps-field").hidden = !(entry && entry.kind === "folder");
  const noClip = "open a clip first";
  for (const b of document.querySelectorAll("[data-tool]")) setEnabled(b.id || (b.id = "tool-" + b.dataset.tool), !!clip, noClip);
  const history = clip && state.history[state.frame];
  setEnabled("undo", !!(history && history.undo.length), clip ? "nothing to undo on this frame" : noClip);
  setEnabled("redo", !!(history && history.redo.length), clip ? "nothing to redo on this frame" : noClip);
  setEnabled("clear-key", !!clip && clip.keyframes.includes(state.frame), clip ? "this frame has no mask of its own" : noClip);
  setEnabled("track", !!clip && clip.keyframes.length > 0,
    clip ? "mark the object on a frame first: click it, drag a box around it or paint it" : noClip);
  setEnabled("static", !!clip && clip.keyframes.includes(state.frame),
    clip ? "mark the object on this frame first (or go to a keyframe)" : noClip);
  setEnabled("data-masks", !!clip && clip.has_data_masks, clip ? "the data folder has no masks for this clip" : noClip);
  const noMasks = "make masks for every frame first: Track (or Same mask everywhere)";
  for (const id of ["preview", "preview-full", "run"]) setEnabled(id, !!clip && clip.has_masks, clip ? noMasks : noClip);
  updateReferenceControl();
}

// ---- options form --------------------------------------------------------------------------

function fillSelect(select, values, selected) {
  select.innerHTML = "";
  for (const value of values) {
    const option = document.createElement("option");
    if (typeof value === "object") { option.value = value.value; option.textContent = value.label; }
    else { option.value = value; option.textContent = value; }
    select.appendChild(option);
  }
  if (selected !== undefined) select.value = selected;
}

function renderEngineOptions() {
  const engine = state.options.engines.find((e) => e.name === $("engine").value);
  $("engine-description").textContent = engine ? engine.description : "";
  const box = $("engine-options");
  box.innerHTML = "";
  if (!engine) return;
  // the preset's values are the starting point; only values changed from them are sent
  const preset = (state.options.form.presets[$("preset").value] || {})[engine.name] || {};
  for (const engineSpec of engine.options) {
    const spec = { ...engineSpec, default: engineSpec.name in preset ? preset[engineSpec.name] : engineSpec.default };
    const label = document.createElement("label");
    label.className = "inline";
    label.textContent = spec.name.replace(/_/g, " ") + " ";
    let input;
    if (spec.choices) {
      input = document.createElement("select");
      fillSelect(input, spec.choices, spec.default);
    } else if (spec.type === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = !!spec.default;
    } else {
      input = document.createElement("input");
      input.type = spec.type === "int" || spec.type === "float" ? "number" : "text";
      if (spec.type === "float") input.step = "any";
      input.value = spec.default ?? "";
    }
    input.dataset.option = spec.name;
    input.dataset.type = spec.type;
    input.dataset.default = JSON.stringify(spec.default);
    input.id = "opt-" + spec.name;
    if (spec.help) label.title = spec.help;
    label.appendChild(input);
    box.appendChild(label);
  }
}

function fillOptions() {
  const engineOptions = {};
  for (const input of $("engine-options").querySelectorAll("[data-option]")) {
    let value = input.type === "checkbox" ? input.checked : input.value;
    if (input.dataset.type === "int") value = parseInt(value, 10);
    if (input.dataset.type === "float") value = parseFloat(value);
    if (JSON.stringify(value) !== input.dataset.default) engineOptions[input.dataset.option] = value;
  }
  return {
    preset: $("preset").value,
    engine: $("engine").value,
    dilate: parseInt($("dilate").value, 10),
    feather: parseFloat($("feather").value),
    blend: $("blend").value,
    crf: parseInt($("crf").value, 10),
    engine_options: engineOptions,
  };
}

async function loadOptions() {
  const options = await api("GET", "/api/options");
  state.options = options;
  fillSelect($("preset"), options.presets, options.defaults.preset);
  fillSelect($("engine"), options.engines.map((e) => e.name), options.defaults.engine);
  // ranges and help of the plain fields come from the options table (GET /api/options: form)
  for (const spec of [...options.form.remove, ...options.form.encode]) {
    const input = $(spec.name);
    if (!input) continue;
    if (spec.minimum !== null) input.min = spec.minimum;
    if (spec.maximum !== null) input.max = spec.maximum;
    input.title = spec.help;
  }
  fillSelect($("blend"), options.blends, options.defaults.blend);
  $("dilate").value = options.defaults.dilate;
  $("feather").value = options.defaults.feather;
  $("crf").value = options.defaults.crf;
  $("preview-count").value = options.preview_frames;
  renderEngineOptions();
}

// ---- opening clips -------------------------------------------------------------------------

async function loadData() {
  state.data = await api("GET", "/api/data");
  const select = $("data-select");
  fillSelect(select, state.data.map((e) => ({ value: e.id, label: `${e.name}${e.id === "." ? "" : "  (" + e.id + ")"}${e.has_masks ? " · masks" : ""}` })));
  select.disabled = state.data.length === 0;
  if (state.data.length === 0) fillSelect(select, [{ value: "", label: "(no data folder: use --data)" }]);
  updateButtons();
}

async function loadClips(selected) {
  const clips = await api("GET", "/api/clips");
  fillSelect($("clip-select"), [{ value: "", label: clips.length ? "—" : "(none yet)" }]
    .concat(clips.map((c) => ({ value: c.id, label: `${c.name} · ${c.frame_count} frames` }))), selected || "");
}

async function openData() {
  const entry = state.data.find((e) => e.id === $("data-select").value);
  if (!entry) return;
  const body = { entry: entry.id };
  if (entry.kind === "folder") {
    const fps = parseFloat($("fps").value);
    if (!(fps > 0)) { showError(new Error("give the frame folder's frame rate, e.g. 25"), "open"); return; }
    body.fps = fps;
  }
  toast(`opening ${entry.name}…`);
  try {
    const clip = await api("POST", "/api/clips", body);
    await showClip(clip);
    toast(`opened ${clip.name}`);
    loadClips(clip.id);
  } catch (e) { showError(e, "open"); }
}

async function upload(file) {
  const limit = state.options.max_upload_bytes;
  if (file.size > limit) {
    showError(new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${(limit / 1e6).toFixed(0)} MB`), "open");
    return;
  }
  toast(`uploading ${file.name}…`);
  try {
    const clip = await api("POST", "/api/clips/upload?filename=" + encodeURIComponent(file.name), file,
      { contentType: file.type || "application/octet-stream" });
    await showClip(clip);
    toast(`opened ${clip.name}`);
    loadClips(clip.id);
  } catch (e) { $("toast").hidden = true; showError(e, "open"); }
  $("upload-input").value = "";
}

async function showClip(clip) {
  stopPlaying();
  state.clip = clip;
  state.frame = 0;
  state.edits = {};
  state.history = {};
  state.result = null;
  state.run = null;
  history.replaceState(null, "", "#clip=" + clip.id);
  for (const canvas of [$("edit-canvas"), $("marks-canvas")]) { canvas.width = clip.width; canvas.height = clip.height; }
  $("stage").classList.remove("empty");
  $("frame-slider").max = clip.frame_count - 1;
  $("mask-first").value = 0;
  $("mask-last").value = clip.frame_count - 1;
  $("mask-first").max = $("mask-last").max = clip.frame_count - 1;
  $("preview-count").value = Math.min(state.options.preview_frames, clip.frame_count);
  for (const k of clip.keyframes) await loadKeyframe(k);
  $("open-section").open = false;
  $("open-done").textContent = "✓ " + clip.name;
  $("mask-section").open = true;
  $("mask-done").textContent = clip.has_masks ? "✓ masks ready" : "";
  updateClipInfo();
  showResult(null);
  await restoreJobs();
  setFrame(0);
}

function updateClipInfo() {
  const c = state.clip;
  $("clip-info").textContent = `${c.name}: ${c.frame_count} frames, ${c.width}×${c.height}, ${c.fps.toFixed(2)} fps`
    + (c.has_masks ? " · masks ready" : "");
  $("clip-info").dataset.fps = c.fps;
  $("keyframes").innerHTML = "";
  if (!c.keyframes.length) $("keyframes").textContent = "none";
  for (const k of c.keyframes) {
    const link = document.createElement("a");
    link.href = "#";
    link.textContent = k;
    link.onclick = (e) => { e.preventDefault(); setView("edit"); setFrame(k); };
    $("keyframes").append(link, " ");
  }
  const zip = $("download-clip-masks");
  zip.hidden = !c.has_masks;
  zip.href = `/api/clips/${c.id}/masks.zip?v=${c.masks_version}`;
  zip.setAttribute("download", "");
  updateButtons();
}

// restore the latest finished preview and run of this clip (after a reload or a server restart)
async function restoreJobs() {
  const jobs = await api("GET", `/api/jobs?clip_id=${state.clip.id}`);
  const run = jobs.find((j) => j.kind === "remove" && j.state === "done");
  const preview = jobs.find((j) => j.kind === "preview" && j.state === "done");
  const latest = [run, preview].filter(Boolean).sort((a, b) => b.finished - a.finished)[0];
  if (run) state.run = run;
  if (latest) showResult(latest);
  const interrupted = jobs.find((j) => j.state === "interrupted");
  if (interrupted && (!latest || interrupted.created > latest.created)) showError(new Error(describeJob(interrupted)));
  const active = jobs.find((j) => j.state === "queued" || j.state === "running");
  if (active) watchJob(active, afterJob);
}

// ---- frames and views ----------------------------------------------------------------------

function setFrame(index) {
  if (!state.clip) return;
  state.frame = Math.max(0, Math.min(state.clip.frame_count - 1, index));
  $("frame-slider").value = state.frame;
  drawFrame();
  updateButtons();
}

function resultCovers(index) {
  const r = state.result && state.result.result;
  return r && index >= r.first && index <= r.last;
}

function resultName() {
  const r = state.result && state.result.result;
  return r && r.quality === "quick" ? "quick preview" : "result";
}

function drawFrame() {
  const clip = state.clip;
  if (!clip) return;
  const n = state.frame;
  $("frame-label").textContent = `${n} / ${clip.frame_count - 1}`;
  const frameUrl = `/api/clips/${clip.id}/frames/${n}.jpg`;
  const resultUrl = resultCovers(n) ? `/api/jobs/${state.result.id}/frames/${n}.jpg` : "";
  const view = state.view;
  const showMasks = $("show-mask").checked && view === "edit";
  const edit = state.edits[n];
  const isKey = clip.keyframes.includes(n) || (edit && (edit.points.length || edit.ops.length || edit.box));
  // pane a: the original (or the result in "result" view)
  setSrc($("frame-img"), view === "result" ? (resultUrl || frameUrl) : frameUrl);
  $("label-a").textContent = view === "result" ? (resultUrl ? resultName() : "original (no result for this frame)")
    : "original";
  const trackedUrl = clip.has_masks && showMasks && !isKey ? `/api/clips/${clip.id}/masks/${n}.png?v=${clip.masks_version}` : "";
  setSrc($("mask-img"), trackedUrl);
  $("mask-img").hidden = !trackedUrl;
  $("edit-canvas").hidden = !showMasks;
  $("marks-canvas").hidden = view !== "edit";
  renderEdit();
  // pane b and the before/after split
  $("pane-b").hidden = view !== "side";
  $("label-b").textContent = resultUrl ? resultName() : "no result for this frame";
  setSrc($("result-img"), view === "side" ? resultUrl : "");
  const split = view === "slider" && resultUrl;
  $("compare-img").hidden = $("split-line").hidden = $("label-b-slider").hidden = !split;
  $("label-b-slider").textContent = resultName();
  setSrc($("compare-img"), split ? resultUrl : "");
  $("stage").className = "view-" + view;
  layout();
  applySplit();
  if (view !== "edit") {
    const r = state.result && state.result.result;
    $("hint").textContent = !r ? "preview or run to see a result"
      : `the ${resultName()} covers frames ${r.first}–${r.last}` + (view === "slider" ? "; drag on the picture to move the split" : "");
  } else {
    $("hint").textContent = hintFor(state.tool);
  }
}

// size the panes to the largest that fits the viewer, keeping the clip's aspect ratio; side by side
// puts the two panes left and right
function layout() {
  const clip = state.clip;
  if (!clip) return;
  const stage = $("stage");
  const width = stage.clientWidth;
  const narrow = window.innerWidth <= 1000;
  const height = narrow ? Math.max(240, window.innerHeight * 0.62)
    : window.innerHeight - stage.getBoundingClientRect().top - 60;
  let scale = Math.min(width / clip.width, height / clip.height);
  if (state.view === "side") scale = Math.min((width - 8) / 2 / clip.width, height / clip.height);
  scale = Math.max(0.05, scale);
  for (const pane of [$("pane-a"), $("pane-b")]) {
    pane.style.width = Math.floor(clip.width * scale) + "px";
    pane.style.height = Math.floor(clip.height * scale) + "px";
  }
}

function setSrc(img, url) {
  if (!url) { img.removeAttribute("src"); return; }
  if (img.getAttribute("src") !== url) img.src = url;
}

function applySplit() {
  const percent = $("split").value;
  $("compare-img").style.clipPath = `inset(0 0 0 ${percent}%)`;
  $("split-line").style.left = percent + "%";
}

function splitFromPointer(event) {
  const rect = $("pane-a").getBoundingClientRect();
  const percent = Math.max(0, Math.min(100, (event.clientX - rect.left) / rect.width * 100));
  $("split").value = Math.round(percent);
  applySplit();
}

function setView(view) {
  state.view = view;
  for (const b of document.querySelectorAll("[data-view]")) b.classList.toggle("active", b.dataset.view === view);
  drawFrame();
}

function togglePlay() {
  if (state.playing) { stopPlaying(); return; }
  if (!state.clip) return;
  const r = state.view !== "edit" && state.result && state.result.result;
  const first = r ? r.first : 0;
  const last = r ? r.last : state.clip.frame_count - 1;
  if (state.frame >= last || state.frame < first) setFrame(first);
  const fps = Math.min(15, state.clip.fps || 15);
  state.playing = setInterval(() => {
    if (state.frame >= last) setFrame(first); else setFrame(state.frame + 1);
  }, 1000 / fps);
  $("play").textContent = "❚❚ Pause";
}

function stopPlaying() {
  if (state.playing) clearInterval(state.playing);
  state.playing = null;
  $("play").textContent = "▶ Play";
}

// ---- mask editing --------------------------------------------------------------------------

function hintFor(tool) {
  return {
    "point-pos": "click on the object to select it (right-click: not the object); Ctrl+Z undoes",
    "point-neg": "click where the selection should not be",
    brush: "paint over the object",
    erase: "paint to remove parts of the mask",
    box: "drag a rectangle around the object to select it",
  }[tool] || "";
}

function setTool(tool) {
  state.tool = tool;
  for (const b of document.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === tool);
  if (state.view !== "edit") setView("edit"); else drawFrame();
}

// the edit state of frame n; a frame that is not a keyframe starts from its tracked mask, so a
// wrong stretch of tracking is fixed by erasing or painting on it and tracking again
function editOf(n) {
  if (!state.edits[n]) {
    let base = null;
    const tracked = $("mask-img");
    if (n === state.frame && !tracked.hidden && tracked.complete && tracked.naturalWidth) {
      base = newCanvas();
      base.getContext("2d").drawImage(tracked, 0, 0);
    }
    state.edits[n] = { base, points: [], box: null, ops: [] };
  }
  return state.edits[n];
}

// undo and redo: snapshots of a frame's edit (canvases are never changed once made, so sharing them is safe)
function snapshot(edit) {
  return { base: edit.base, points: edit.points.slice(), box: edit.box, ops: edit.ops.slice() };
}

function historyOf(n) {
  if (!state.history[n]) state.history[n] = { undo: [], redo: [] };
  return state.history[n];
}

function remember(n) {
  const history = historyOf(n);
  history.undo.push(snapshot(editOf(n)));
  history.redo = [];
}

async function undo(redo = false) {
  if (!state.clip) return;
  const n = state.frame;
  const history = historyOf(n);
  const from = redo ? history.redo : history.undo;
  if (!from.length) return;
  (redo ? history.undo : history.redo).push(snapshot(editOf(n)));
  Object.assign(state.edits[n], from.pop());
  renderEdit();
  try { await commitKeyframe(n); } catch (e) { showError(e, "mask"); }
  updateButtons();
}

function newCanvas() {
  const c = document.createElement("canvas");
  c.width = state.clip.width;
  c.height = state.clip.height;
  return c;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the picture could not be loaded; reload the page"));
    img.src = url;
  });
}

async function loadKeyframe(n) {
  const img = await loadImage(`/api/clips/${state.clip.id}/keyframes/${n}.png?t=${Date.now()}`);
  const base = newCanvas();
  base.getContext("2d").drawImage(img, 0, 0);
  state.edits[n] = { base, points: [], box: null, ops: [] };
}

function drawOp(ctx, op) {
  ctx.save();
  ctx.globalCompositeOperation = op.type === "erase" ? "destination-out" : "source-over";
  ctx.fillStyle = ctx.strokeStyle = "rgb(255,48,48)";
  ctx.lineWidth = op.size;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(op.pts[0].x, op.pts[0].y);
  for (const p of op.pts) ctx.lineTo(p.x, p.y);
  if (op.pts.length === 1) ctx.lineTo(op.pts[0].x + 0.01, op.pts[0].y);
  ctx.stroke();
  ctx.restore();
}

// the keyframe mask of frame n: the clicked selection (or the stored mask), then the strokes in order
function composeMask(n, target) {
  const ctx = target.getContext("2d");
  ctx.clearRect(0, 0, target.width, target.height);
  const edit = state.edits[n];
  if (!edit) return;
  if (edit.base) ctx.drawImage(edit.base, 0, 0);
  for (const op of edit.ops) drawOp(ctx, op);
  if (state.drag && state.drag.frame === n && state.drag.type !== "box") drawOp(ctx, state.drag);
}

// the outline of a mask (any picture whose alpha is the mask) as a canvas, and the mask's pixel count
const scratch = document.createElement("canvas");
function outlineOf(source) {
  const w = state.clip.width, h = state.clip.height;
  scratch.width = w; scratch.height = h;
  const sctx = scratch.getContext("2d", { willReadFrequently: true });
  sctx.clearRect(0, 0, w, h);
  sctx.drawImage(source, 0, 0, w, h);
  const alpha = sctx.getImageData(0, 0, w, h).data;
  const out = sctx.createImageData(w, h);
  const px = out.data;
  let count = 0;
  const on = (x, y) => x >= 0 && y >= 0 && x < w && y < h && alpha[(y * w + x) * 4 + 3] > 0;
  const thick = Math.max(1, Math.round(w / 640));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!alpha[(y * w + x) * 4 + 3]) continue;
      count++;
      if (on(x - 1, y) && on(x + 1, y) && on(x, y - 1) && on(x, y + 1)) continue;
      for (let dy = 0; dy < thick; dy++) for (let dx = 0; dx < thick; dx++) {
        const i = (Math.min(h - 1, y + dy) * w + Math.min(w - 1, x + dx)) * 4;
        px[i] = 255; px[i + 1] = 222; px[i + 2] = 0; px[i + 3] = 255;
      }
    }
  }
  sctx.putImageData(out, 0, 0);
  return count;
}

function renderEdit() {
  if (!state.clip) return;
  const n = state.frame;
  composeMask(n, $("edit-canvas"));
  const marks = $("marks-canvas");
  const ctx = marks.getContext("2d");
  ctx.clearRect(0, 0, marks.width, marks.height);
  const edit = state.edits[n];
  // the mask's outline over the frame: this frame's own mask, or its tracked one
  let count = null;
  if ($("show-mask").checked && state.view === "edit") {
    const tracked = $("mask-img");
    if (edit) count = outlineOf($("edit-canvas"));
    else if (!tracked.hidden && tracked.complete && tracked.naturalWidth) count = outlineOf(tracked);
    if (count) ctx.drawImage(scratch, 0, 0);
  }
  const share = count ? count / (state.clip.width * state.clip.height) : 0;
  $("selection-info").textContent = count ? `${(share * 100).toFixed(share < 0.01 ? 2 : 1)} % of the frame` : "";
  $("mask-warning").hidden = !(edit && count && share < TINY_SELECTION);
  $("mask-warning").textContent = `The selection is tiny (${count} pixels, under 0.2 % of the frame): `
    + "click on the object again, drag a box around it, or paint it.";
  $("marks-canvas").dataset.points = edit ? edit.points.length : 0;
  const r = Math.max(3, Math.round(state.clip.width / 160));
  for (const p of (edit ? edit.points : [])) {  // small hollow rings: green on the object, red off it
    for (const [width, colour] of [[Math.max(2, r / 2) + 2, "rgba(0,0,0,.7)"], [Math.max(2, r / 2), p.positive ? "#3ee07a" : "#ff4d4d"]]) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
      ctx.lineWidth = width;
      ctx.strokeStyle = colour;
      ctx.stroke();
    }
  }
  const box = state.drag && state.drag.type === "box" && state.drag.pts.length === 2
    ? [state.drag.pts[0].x, state.drag.pts[0].y, state.drag.pts[1].x, state.drag.pts[1].y] : edit && edit.box;
  if (box) {
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = Math.max(1.5, state.clip.width / 500);
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(Math.min(box[0], box[2]), Math.min(box[1], box[3]), Math.abs(box[2] - box[0]), Math.abs(box[3] - box[1]));
    ctx.setLineDash([]);
  }
}

function videoPoint(event) {
  const rect = $("marks-canvas").getBoundingClientRect();
  return {
    x: Math.max(0, Math.min(state.clip.width - 1, (event.clientX - rect.left) * state.clip.width / rect.width)),
    y: Math.max(0, Math.min(state.clip.height - 1, (event.clientY - rect.top) * state.clip.height / rect.height)),
  };
}

async function commitKeyframe(n) {
  const canvas = newCanvas();
  composeMask(n, canvas);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  state.clip = await api("PUT", `/api/clips/${state.clip.id}/keyframes/${n}`, blob, { contentType: "image/png" });
  updateClipInfo();
  drawFrame();
}

// select the object of frame n from its clicks and box (the library's click segmentation)
async function segmentFrame(n) {
  const edit = editOf(n);
  const response = await api("POST", `/api/clips/${state.clip.id}/segment`,
    { frame: n, points: edit.points, box: edit.box }, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const img = await loadImage(url);
  URL.revokeObjectURL(url);
  edit.base = newCanvas();
  edit.base.getContext("2d").drawImage(img, 0, 0);
  edit.ops = []; // a new selection replaces the strokes made on the previous one
  await commitKeyframe(n);
}

async function select(n, change) {
  remember(n);
  const edit = editOf(n);
  change(edit);
  renderEdit();
  toast("selecting…");
  try {
    await segmentFrame(n);
    $("toast").hidden = true;
  } catch (e) {
    Object.assign(edit, historyOf(n).undo.pop());
    renderEdit();
    $("toast").hidden = true;
    showError(e, "mask");
  }
  updateButtons();
}

function onPointerDown(event) {
  if (!state.clip || state.view !== "edit" || (event.button !== 0 && event.button !== 2)) return;
  event.preventDefault();
  clearMessages();
  const p = videoPoint(event);
  const n = state.frame;
  stopPlaying();
  const negative = event.button === 2 || state.tool === "point-neg";
  if (negative || state.tool === "point-pos") {
    select(n, (edit) => edit.points.push({ x: p.x, y: p.y, positive: !negative }));
    return;
  }
  const scale = state.clip.width / $("marks-canvas").getBoundingClientRect().width;
  editOf(n);
  state.drag = { type: state.tool, frame: n, size: Math.max(1, $("brush-size").value * scale), pts: [p] };
  $("marks-canvas").setPointerCapture(event.pointerId);
  renderEdit();
}

function onPointerMove(event) {
  if (!state.drag) return;
  const p = videoPoint(event);
  if (state.drag.type === "box") state.drag.pts = [state.drag.pts[0], p];
  else state.drag.pts.push(p);
  renderEdit();
}

async function onPointerUp() {
  const drag = state.drag;
  if (!drag) return;
  state.drag = null;
  if (drag.type === "box") {
    if (drag.pts.length < 2 || Math.abs(drag.pts[0].x - drag.pts[1].x) < 2 || Math.abs(drag.pts[0].y - drag.pts[1].y) < 2) {
      renderEdit();
      return;
    }
    const [a, b] = drag.pts;
    select(drag.frame, (edit) => { edit.points = []; edit.box = [a.x, a.y, b.x, b.y]; });
    return;
  }
  remember(drag.frame);
  editOf(drag.frame).ops.push(drag);
  try { await commitKeyframe(drag.frame); } catch (e) { showError(e, "mask"); }
  updateButtons();
}

async function clearKeyframe() {
  if (!state.clip) return;
  remember(state.frame);
  Object.assign(editOf(state.frame), { base: null, points: [], box: null, ops: [] });
  try {
    state.clip = await api("DELETE", `/api/clips/${state.clip.id}/keyframes/${state.frame}`);
    updateClipInfo();
    drawFrame();
  } catch (e) { showError(e, "mask"); }
}

// ---- jobs ----------------------------------------------------------------------------------

const JOB_NAMES = { masks: "Masks", preview: "Preview", remove: "Run" };
const JOB_PLACES = { masks: "mask", preview: "fill", remove: "fill" };

// one wording per state
function describeJob(job) {
  const name = job.kind === "preview" && job.params && job.params.quality === "quick" ? "Quick preview"
    : (JOB_NAMES[job.kind] || job.kind);
  if (job.state === "running") {
    if (state.cancelling === job.id) return `${name}: cancelling…`;
    const count = job.total ? ` ${job.done}/${job.total}` : "";
    return `${name}: ${job.phase || "starting"}${count}`;
  }
  if (job.state === "queued") return `${name}: waiting for the job before it`;
  if (job.state === "done") {
    const seconds = job.result && job.result.seconds != null ? ` in ${job.result.seconds} s` : "";
    return `${name} done${seconds}`;
  }
  if (job.state === "cancelled") return `${name} cancelled`;
  if (job.state === "interrupted") return `${name} interrupted by a server restart: run it again`;
  return `${name} failed: ${job.error || "no reason given"}`;
}

function estimate(job) {
  if (job.state !== "running" || !job.total || state.cancelling === job.id) return "";
  const now = Date.now() / 1000;
  const eta = state.eta;
  if (!eta || eta.job !== job.id || eta.phase !== job.phase || job.done < eta.d0) {
    state.eta = { job: job.id, phase: job.phase, t0: now, d0: job.done };
    return "";
  }
  if (job.done <= eta.d0 || now - eta.t0 < 0.5) return "";
  const left = (now - eta.t0) / (job.done - eta.d0) * (job.total - job.done);
  return left < 1 ? "almost done" : `about ${left < 60 ? Math.ceil(left) + " s" : Math.round(left / 60) + " min"} left`;
}

function showJob(job) {
  $("job-bar").hidden = false;
  const line = $("job-state");
  line.textContent = describeJob(job);
  line.dataset.state = job.state;
  line.dataset.kind = job.kind;
  line.dataset.job = job.id;
  line.dataset.done = job.done;
  line.dataset.phase = job.phase || "";
  $("job-eta").textContent = estimate(job);
  const progress = $("job-progress");
  progress.max = job.total || 1;
  progress.value = job.state === "done" ? progress.max : job.done;
}

async function watchJob(job, onFinal) {
  state.watching = job.id;
  $("cancel").disabled = false;
  for (;;) {
    showJob(job);
    if (job.kind === "preview" && job.phase === "measuring") showFilledPreview(job);
    if (!["queued", "running"].includes(job.state)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (state.watching !== job.id) return;
    try { job = await api("GET", `/api/jobs/${job.id}`); } catch (e) { showError(e); return; }
  }
  $("cancel").disabled = true;
  state.watching = null;
  state.cancelling = null;
  onFinal(job);
}

// a preview's frames are all written before it is measured: show them while the metrics are computed
function showFilledPreview(job) {
  if (!state.clip || job.clip_id !== state.clip.id || (state.result && state.result.id === job.id)) return;
  const { first, last, quality } = job.params;
  state.result = { id: job.id, kind: "preview", params: job.params, result: { first, last, quality } };
  $("result-info").textContent = `${quality === "quick" ? "Quick preview" : "Preview"} of frames ${first}–${last}: measuring…`;
  if (!resultCovers(state.frame)) setFrame(first);
  setView("side");
}

async function submit(url, body, place) {
  if (!state.clip) return;
  try {
    const job = await api("POST", url, body);
    watchJob(job, afterJob);
  } catch (e) { showError(e, place); }
}

async function cancelJob() {
  if (!state.watching) return;
  state.cancelling = state.watching;
  $("cancel").disabled = true;
  $("job-state").textContent = $("job-state").textContent.replace(/:.*$/, ": cancelling…");
  $("job-eta").textContent = "";
  try { await api("POST", `/api/jobs/${state.watching}/cancel`); } catch (e) { showError(e); }
}

async function afterJob(job) {
  if (!state.clip || job.clip_id !== state.clip.id) return;
  if (job.state === "cancelled") { toast(describeJob(job)); return; }
  if (job.state !== "done") { showError(new Error(describeJob(job)), JOB_PLACES[job.kind]); return; }
  if (job.kind === "masks") {
    state.clip = await api("GET", `/api/clips/${state.clip.id}`);
    for (const n of Object.keys(state.edits)) {  // edits never stored start again from the new masks
      if (!state.clip.keyframes.includes(Number(n))) delete state.edits[n];
    }
    $("mask-done").textContent = "✓ masks ready";
    $("mask-section").open = false;
    $("fill-section").open = true;
    updateClipInfo();
    setView("edit");
  } else if (job.kind === "preview") {
    showResult(job);
    if (!resultCovers(state.frame)) setFrame(job.result.first);
    setView("side");
  } else if (job.kind === "remove") {
    state.run = job;
    showResult(job);
    setView("slider");
  }
}

function maskRequest(method) {
  const body = { method, first: parseInt($("mask-first").value, 10) || 0, last: parseInt($("mask-last").value, 10) };
  if (method === "static") body.frame = state.frame;
  return body;
}

// frames around the current one, inside the clip
function previewRequest(quality) {
  const t = state.clip.frame_count;
  const count = Math.min(t, quality === "quick" ? QUICK_PREVIEW_FRAMES
    : parseInt($("preview-count").value, 10) || state.options.preview_frames);
  const first = Math.max(0, Math.min(t - count, state.frame - Math.floor(count / 2)));
  return { options: fillOptions(), first, count, quality };
}

// ---- results -------------------------------------------------------------------------------

// the metrics of vinpaint.evaluate.metrics, in the order shown: [key, name, what it means]
const METRICS = [
  ["q", "quality score, 0–100", "steadiness, sharpness, seams and untouched pixels together; higher is better"],
  ["flicker_hole", "flicker in the fill, 0–255", "how much the filled area changes from frame to frame once motion is followed; under 3 looks steady, over 8 flickers"],
  ["sharpness", "texture vs. surroundings", "detail in the fill over detail around it: about 1 is as sharp, under 0.4 looks smeared"],
  ["boundary", "edge strength", "1 = no visible seam; over 1.5 an edge or a ghost of the object shows: grow the mask (Dilate)"],
  ["ewarp_hole", "warping error in the fill", "colour change along the motion inside the fill; lower is better"],
  ["ewarp", "warping error, whole frame", "the same over the whole frame"],
  ["changed_outside", "pixels changed outside the mask", "0: everything outside the mask is untouched"],
  ["psnr_hole", "PSNR in the hole, dB", "against a known truth (tests); higher is better"],
  ["ssim_hole", "SSIM in the hole", "against a known truth; higher is better"],
  ["psnr", "PSNR, dB", "against a known truth; higher is better"],
  ["ssim", "SSIM", "against a known truth; higher is better"],
  ["hole_fraction", "share of the picture filled", ""],
  ["frames", "frames measured", ""],
];

function formatValue(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  return String(value);
}

const GRADE_CLASS = { steady: "", sharp: "", "no visible edge": "", "some flicker": "meh", "a little soft": "meh",
  flickers: "bad", soft: "bad", "visible edge": "bad" };

function showResult(job) {
  state.result = job;
  const table = $("metrics");
  table.innerHTML = "";
  const info = $("result-info");
  const grade = $("grade");
  grade.innerHTML = "";
  $("ghost-hint").hidden = true;
  if (!job) {
    info.textContent = "No result yet.";
  } else {
    const r = job.result;
    const quick = r.quality === "quick";
    const what = job.kind === "preview" ? `${quick ? "Quick preview" : "Preview"} of frames ${r.first}–${r.last}`
      : `Whole clip (${r.frame_count} frames)`;
    const how = r.recipe === "replace" ? "the picture on the tracked surface"  // replace.js's jobs
      : quick ? `fast preset at ${Math.round(r.scale * 100)} % size` : `${job.params.options.preset} preset, ${job.params.options.engine}`;
    info.textContent = `${what}, filled in ${r.seconds} s (${how}).`;
    if (!r.metrics) {
      // a replace job measures no fill
    } else if (r.metrics.error) {
      info.textContent += ` Could not measure it: ${r.metrics.error}`;
    } else {
      for (const [key, label, meaning] of METRICS) {
        const value = r.metrics[key];
        if (value === null || value === undefined) continue;
        const row = table.insertRow();
        row.dataset.metric = key;
        row.insertCell().textContent = label;
        row.insertCell().textContent = formatValue(value);
        const cell = row.insertCell();
        cell.textContent = meaning;
        cell.className = "meaning";
      }
      const grades = r.grades || {};
      const words = ["steadiness", "sharpness", "seam"].map((k) => grades[k]).filter(Boolean);
      grade.append(quick ? "Quick preview: " : job.kind === "preview" ? "Preview: " : "Result: ");
      words.forEach((word, i) => {
        const b = document.createElement("b");
        b.textContent = word;
        b.className = GRADE_CLASS[word] || "";
        grade.append(i ? " · " : "", b);
      });
      grade.title = "grades read from the measured figures: see Details under Result";
      if (grades.hint) { $("ghost-hint").textContent = grades.hint; $("ghost-hint").hidden = false; }
    }
  }
  const run = state.run;
  $("result-bar").hidden = !job && !run;
  for (const [id, suffix] of [["download-video", "video"], ["download-masks", "masks.zip"]]) {
    const link = $(id);
    link.hidden = !run;
    if (run) { link.href = `/api/jobs/${run.id}/${suffix}`; link.setAttribute("download", ""); }
  }
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  // the next action clears the messages of the last one
  document.addEventListener("click", (e) => { if (e.target.closest("button, a.button, #marks-canvas")) clearMessages(); }, true);
  document.addEventListener("change", clearMessages, true);
  $("open-data").onclick = openData;
  $("data-select").onchange = updateButtons;
  $("upload-input").onchange = (e) => { if (e.target.files.length) upload(e.target.files[0]); };
  $("clip-select").onchange = async (e) => {
    if (!e.target.value) return;
    try { await showClip(await api("GET", `/api/clips/${e.target.value}`)); } catch (err) { showError(err, "open"); }
  };
  for (const b of document.querySelectorAll("[data-tool]")) b.onclick = () => setTool(b.dataset.tool);
  for (const b of document.querySelectorAll("[data-view]")) b.onclick = () => setView(b.dataset.view);
  $("engine").onchange = renderEngineOptions;
  $("preset").onchange = renderEngineOptions;
  $("frame-slider").oninput = (e) => { stopPlaying(); setFrame(parseInt(e.target.value, 10)); };
  $("prev").onclick = () => { stopPlaying(); setFrame(state.frame - 1); };
  $("next").onclick = () => { stopPlaying(); setFrame(state.frame + 1); };
  $("play").onclick = togglePlay;
  $("split").oninput = applySplit;
  $("show-mask").onchange = drawFrame;
  $("mask-img").onload = renderEdit;
  $("clear-key").onclick = clearKeyframe;
  $("undo").onclick = () => undo(false);
  $("redo").onclick = () => undo(true);
  $("track").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("track"), "mask");
  $("static").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("static"), "mask");
  $("data-masks").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("data"), "mask");
  $("preview").onclick = () => submit(`/api/clips/${state.clip.id}/preview`, previewRequest("quick"), "fill");
  $("preview-full").onclick = () => submit(`/api/clips/${state.clip.id}/preview`, previewRequest("full"), "fill");
  $("run").onclick = () => submit(`/api/clips/${state.clip.id}/remove`, { options: fillOptions() }, "fill");
  $("cancel").onclick = cancelJob;
  const marks = $("marks-canvas");
  marks.addEventListener("pointerdown", onPointerDown);
  marks.addEventListener("pointermove", onPointerMove);
  marks.addEventListener("pointerup", onPointerUp);
  marks.addEventListener("pointercancel", onPointerUp);
  marks.addEventListener("contextmenu", (e) => e.preventDefault());
  // the before/after split follows a drag on the picture
  const pane = $("pane-a");
  pane.addEventListener("pointerdown", (e) => {
    if (state.view !== "slider" || e.button !== 0) return;
    e.preventDefault();
    state.splitDrag = true;
    pane.setPointerCapture(e.pointerId);
    splitFromPointer(e);
  });
  pane.addEventListener("pointermove", (e) => { if (state.splitDrag) splitFromPointer(e); });
  for (const type of ["pointerup", "pointercancel"]) pane.addEventListener(type, () => { state.splitDrag = false; });
  window.addEventListener("resize", layout);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && (key === "z" || key === "y")) {
      e.preventDefault();
      undo(e.shiftKey || key === "y");
    } else if (e.key === "ArrowLeft") { stopPlaying(); setFrame(state.frame - 1); }
    else if (e.key === "ArrowRight") { stopPlaying(); setFrame(state.frame + 1); }
    else if (e.key === " ") { e.preventDefault(); togglePlay(); }
  });
}

async function start() {
  wire();
  updateButtons();
  try {
    await loadOptions();
    setTool(state.tool);
    setView("edit");
    await Promise.all([loadData(), loadClips()]);
    const match = location.hash.match(/clip=([0-9a-f]{32})/);
    if (match) await showClip(await api("GET", `/api/clips/${match[1]}`));
  } catch (e) { showError(e); }
  updateButtons();
  document.body.dataset.ready = "1";
}

start();

// ---- painted reference frames (PUT /api/clips/{id}/references/{frame}) and the click's model ---------------

function updateReferenceControl() {
  const clip = state.clip;
  const has = !!clip && (clip.references || []).includes(state.frame);
  setEnabled("reference-input", !!clip, "open a clip first");
  setEnabled("reference-remove", has, "this frame has no painted version");
  const others = clip ? (clip.references || []).filter((n) => n !== state.frame) : [];
  $("reference-status").textContent = !clip ? "" :
    (has ? `Frame ${state.frame} is filled with your painted frame.` : `Frame ${state.frame} has no painted frame.`) +
    (others.length ? ` Painted: frames ${others.join(", ")}.` : "");
}

async function uploadReference(file) {
  clearMessages();
  const n = state.frame;
  try {
    state.clip = await api("PUT", `/api/clips/${state.clip.id}/references/${n}`, file,
      { contentType: file.type || "image/png" });
    toast(`frame ${n}: your painted frame is its fill in previews and runs`);
  } catch (e) { showError(e, "fill"); }
  $("reference-input").value = "";
  updateButtons();
}

async function removeReference() {
  clearMessages();
  try { state.clip = await api("DELETE", `/api/clips/${state.clip.id}/references/${state.frame}`); }
  catch (e) { showError(e, "fill"); }
  updateButtons();
}

async function showSegmenterName() {
  try {
    const options = await api("GET", "/api/options");
    if (options.segmenter) { $("segmenter-name").textContent = `model: ${options.segmenter}`; $("segmenter-name").hidden = false; }
  } catch (e) { /* the page's own start reports a server that does not answer */ }
}

function wireReferences() {
  $("reference-input").onchange = (e) => { if (e.target.files.length && state.clip) uploadReference(e.target.files[0]); };
  $("reference-remove").onclick = removeReference;
  showSegmenterName();
}

wireReferences();
