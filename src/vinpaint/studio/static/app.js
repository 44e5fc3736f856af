// vinpaint studio: the page. Plain JavaScript, no framework, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  options: null,      // GET /api/options
  clip: null,         // ClipInfo
  frame: 0,
  tool: "point-pos",
  view: "edit",
  edits: {},          // frame -> {base: canvas|null, points: [{x,y,positive}], ops: [...]}
  result: null,       // the JobInfo whose frames the result views show (a preview or a run)
  run: null,          // the latest finished run (downloads)
  watching: null,     // the job whose progress is shown
  playing: null,      // interval id
  drag: null,         // the stroke or box being drawn
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
  const response = await fetch(url, init);
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const data = await response.json();
      if (data.detail) detail = typeof data.detail === "string" ? data.detail : data.detail.map((d) => d.msg).join("; ");
    } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return raw ? response : response.json();
}

function say(text, kind = "info") {
  const status = $("status");
  status.textContent = text;
  status.className = kind;
}

function fail(error) {
  say(error.message || String(error), "error");
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
  const entries = await api("GET", "/api/data");
  const select = $("data-select");
  fillSelect(select, entries.map((e) => ({ value: e.id, label: `${e.name}  (${e.id})${e.has_masks ? " · masks" : ""}` })));
  select.disabled = $("open-data").disabled = entries.length === 0;
  if (entries.length === 0) fillSelect(select, [{ value: "", label: "(no data folder: use --data)" }]);
}

async function loadClips(selected) {
  const clips = await api("GET", "/api/clips");
  fillSelect($("clip-select"), [{ value: "", label: clips.length ? "—" : "(none yet)" }]
    .concat(clips.map((c) => ({ value: c.id, label: `${c.name} · ${c.frame_count} frames` }))), selected || "");
}

async function openData() {
  const entry = $("data-select").value;
  if (!entry) return;
  say("opening " + entry + "…");
  try {
    const clip = await api("POST", "/api/clips", { entry });
    await showClip(clip);
    say(`opened ${clip.name}`);
    loadClips(clip.id);
  } catch (e) { fail(e); }
}

async function upload(file) {
  const limit = state.options.max_upload_bytes;
  if (file.size > limit) { say(`${file.name} is ${file.size} bytes; the limit is ${limit}`, "error"); return; }
  say(`uploading ${file.name}…`);
  try {
    const clip = await api("POST", "/api/clips/upload?filename=" + encodeURIComponent(file.name), file,
      { contentType: file.type || "application/octet-stream" });
    await showClip(clip);
    say(`opened ${clip.name}`);
    loadClips(clip.id);
  } catch (e) { fail(e); }
  $("upload-input").value = "";
}

async function showClip(clip) {
  stopPlaying();
  state.clip = clip;
  state.frame = 0;
  state.edits = {};
  state.result = null;
  state.run = null;
  history.replaceState(null, "", "#clip=" + clip.id);
  for (const canvas of [$("edit-canvas"), $("marks-canvas")]) { canvas.width = clip.width; canvas.height = clip.height; }
  $("stage").classList.remove("empty");
  $("frame-slider").max = clip.frame_count - 1;
  $("mask-first").value = 0;
  $("mask-last").value = clip.frame_count - 1;
  $("mask-first").max = $("mask-last").max = clip.frame_count - 1;
  $("data-masks").disabled = !clip.has_data_masks;
  $("preview-count").value = Math.min(state.options.preview_frames, clip.frame_count);
  for (const k of clip.keyframes) await loadKeyframe(k);
  updateClipInfo();
  showResult(null);
  await restoreJobs();
  setFrame(0);
}

function updateClipInfo() {
  const c = state.clip;
  $("clip-info").textContent = `${c.name}: ${c.frame_count} frames, ${c.width}×${c.height}, ${c.fps.toFixed(2)} fps`
    + (c.has_masks ? " · masks ready" : "");
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
  if (interrupted && (!latest || interrupted.created > latest.created)) {
    say(`a ${interrupted.kind} job was interrupted by a server restart; run it again`, "error");
  }
  const active = jobs.find((j) => j.state === "queued" || j.state === "running");
  if (active) watchJob(active, afterJob);
}

// ---- frames and views ----------------------------------------------------------------------

function setFrame(index) {
  if (!state.clip) return;
  state.frame = Math.max(0, Math.min(state.clip.frame_count - 1, index));
  $("frame-slider").value = state.frame;
  drawFrame();
}

function resultCovers(index) {
  const r = state.result && state.result.result;
  return r && index >= r.first && index <= r.last;
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
  const isKey = clip.keyframes.includes(n) || (edit && (edit.points.length || edit.ops.length));
  // pane a: the original (or the result in "result" view)
  setSrc($("frame-img"), view === "result" ? (resultUrl || frameUrl) : frameUrl);
  $("label-a").textContent = view === "result" ? (resultUrl ? "result" : "original (no result for this frame)") : "original";
  const trackedUrl = clip.has_masks && showMasks && !isKey ? `/api/clips/${clip.id}/masks/${n}.png?v=${clip.masks_version}` : "";
  setSrc($("mask-img"), trackedUrl);
  $("mask-img").hidden = !trackedUrl;
  $("edit-canvas").hidden = !showMasks;
  $("marks-canvas").hidden = view !== "edit";
  renderEdit();
  // pane b and the slider
  $("pane-b").hidden = view !== "side";
  setSrc($("result-img"), view === "side" ? resultUrl : "");
  $("compare-img").hidden = $("split-line").hidden = !(view === "slider" && resultUrl);
  setSrc($("compare-img"), view === "slider" ? resultUrl : "");
  $("split-control").hidden = view !== "slider";
  $("stage").className = "view-" + view;
  layout();
  applySplit();
  if (view !== "edit") {
    const r = state.result && state.result.result;
    $("hint").textContent = r ? `the result covers frames ${r.first}–${r.last}` : "preview or run to see a result";
  } else {
    $("hint").textContent = hintFor(state.tool);
  }
}

// size the panes to the largest that fits the viewer, keeping the clip's aspect ratio
function layout() {
  const clip = state.clip;
  if (!clip) return;
  const stage = $("stage");
  const width = stage.clientWidth;
  const height = window.innerHeight - stage.getBoundingClientRect().top - 90;
  let scale = Math.min(width / clip.width, height / clip.height);
  let stacked = false;
  if (state.view === "side") {  // two panes: beside each other, or one above the other if that is larger
    const beside = Math.min((width - 8) / 2 / clip.width, height / clip.height);
    const above = Math.min(width / clip.width, (height - 8) / 2 / clip.height);
    stacked = above > beside;
    scale = Math.max(beside, above);
  }
  stage.classList.toggle("stacked", stacked);
  scale = Math.max(0.1, scale);
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
    "point-pos": "click on the object to select it; add more clicks to grow the selection",
    "point-neg": "click where the selection should not be",
    brush: "paint over the object",
    erase: "paint to remove parts of the mask",
    box: "drag a rectangle around the object",
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
    state.edits[n] = { base, points: [], ops: [] };
  }
  return state.edits[n];
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
    img.onerror = () => reject(new Error("could not load " + url));
    img.src = url;
  });
}

async function loadKeyframe(n) {
  const img = await loadImage(`/api/clips/${state.clip.id}/keyframes/${n}.png?t=${Date.now()}`);
  const base = newCanvas();
  base.getContext("2d").drawImage(img, 0, 0);
  state.edits[n] = { base, points: [], ops: [] };
}

function drawOp(ctx, op) {
  ctx.save();
  ctx.globalCompositeOperation = op.type === "erase" ? "destination-out" : "source-over";
  ctx.fillStyle = ctx.strokeStyle = "rgb(255,48,48)";
  if (op.type === "box") {
    const [a, b] = op.pts;
    ctx.fillRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
  } else {
    ctx.lineWidth = op.size;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(op.pts[0].x, op.pts[0].y);
    for (const p of op.pts) ctx.lineTo(p.x, p.y);
    if (op.pts.length === 1) ctx.lineTo(op.pts[0].x + 0.01, op.pts[0].y);
    ctx.stroke();
  }
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

function renderEdit() {
  if (!state.clip) return;
  composeMask(state.frame, $("edit-canvas"));
  const marks = $("marks-canvas");
  const ctx = marks.getContext("2d");
  ctx.clearRect(0, 0, marks.width, marks.height);
  const edit = state.edits[state.frame];
  const r = Math.max(4, Math.round(state.clip.width / 90));
  for (const p of (edit ? edit.points : [])) {  // green + on the object, red − off it
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
    ctx.fillStyle = p.positive ? "#1fa855" : "#e03131";
    ctx.fill();
    ctx.lineWidth = Math.max(1.5, r / 4);
    ctx.strokeStyle = "#fff";
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(p.x - r * 0.55, p.y);
    ctx.lineTo(p.x + r * 0.55, p.y);
    if (p.positive) { ctx.moveTo(p.x, p.y - r * 0.55); ctx.lineTo(p.x, p.y + r * 0.55); }
    ctx.stroke();
  }
  if (state.drag && state.drag.type === "box" && state.drag.pts.length === 2) {
    const [a, b] = state.drag.pts;
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
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

async function addPoint(n, point, positive) {
  const edit = editOf(n);
  edit.points.push({ x: point.x, y: point.y, positive });
  renderEdit();
  say("selecting…");
  try {
    const response = await api("POST", `/api/clips/${state.clip.id}/segment`, { frame: n, points: edit.points }, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const img = await loadImage(url);
    URL.revokeObjectURL(url);
    edit.base = newCanvas();
    edit.base.getContext("2d").drawImage(img, 0, 0);
    edit.ops = []; // a new selection replaces the strokes made on the previous one
    await commitKeyframe(n);
    say(`frame ${n}: object selected (${edit.points.length} point${edit.points.length > 1 ? "s" : ""})`);
  } catch (e) {
    edit.points.pop();
    renderEdit();
    fail(e);
  }
}

function onPointerDown(event) {
  if (!state.clip || state.view !== "edit" || event.button !== 0) return;
  event.preventDefault();
  const p = videoPoint(event);
  const n = state.frame;
  stopPlaying();
  if (state.tool === "point-pos" || state.tool === "point-neg") {
    addPoint(n, p, state.tool === "point-pos");
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
  if (drag.type === "box" && (drag.pts.length < 2 || Math.abs(drag.pts[0].x - drag.pts[1].x) < 2
      || Math.abs(drag.pts[0].y - drag.pts[1].y) < 2)) { renderEdit(); return; }
  editOf(drag.frame).ops.push(drag);
  try { await commitKeyframe(drag.frame); } catch (e) { fail(e); }
}

async function clearKeyframe() {
  if (!state.clip) return;
  delete state.edits[state.frame];
  try {
    state.clip = await api("DELETE", `/api/clips/${state.clip.id}/keyframes/${state.frame}`);
    updateClipInfo();
    drawFrame();
  } catch (e) { fail(e); }
}

// ---- jobs ----------------------------------------------------------------------------------

const JOB_NAMES = { masks: "making masks", preview: "preview", remove: "run" };

function describeJob(job) {
  const name = JOB_NAMES[job.kind] || job.kind;
  const count = job.total ? ` ${job.done}/${job.total} frames` : (job.state === "running" ? "…" : "");
  if (job.state === "running") {
    const elapsed = job.started ? ` · ${Math.max(0, Math.round(Date.now() / 1000 - job.started))} s` : "";
    return `${name}: ${job.phase || "running"}${count}${elapsed}`;
  }
  if (job.state === "queued") return `${name}: queued (another job is running)`;
  if (job.state === "done") {
    const seconds = job.result && job.result.seconds != null ? ` in ${job.result.seconds} s` : "";
    return `${name}: done${seconds}`;
  }
  return `${name}: ${job.state}${job.error ? " — " + job.error : ""}`;
}

async function watchJob(job, onFinal) {
  state.watching = job.id;
  $("cancel").disabled = false;
  for (;;) {
    $("job-state").textContent = describeJob(job);
    if (job.state === "queued" || job.state === "running") say(describeJob(job));
    $("job-state").dataset.state = job.state;
    $("job-state").dataset.kind = job.kind;
    $("job-state").dataset.job = job.id;
    const progress = $("job-progress");
    progress.max = job.total || 1;
    progress.value = job.state === "done" ? progress.max : job.done;
    if (!["queued", "running"].includes(job.state)) break;
    await new Promise((resolve) => setTimeout(resolve, 400));
    if (state.watching !== job.id) return;
    try { job = await api("GET", `/api/jobs/${job.id}`); } catch (e) { fail(e); return; }
  }
  $("cancel").disabled = true;
  state.watching = null;
  onFinal(job);
}

async function submit(url, body) {
  if (!state.clip) return;
  try {
    const job = await api("POST", url, body);
    say(`${JOB_NAMES[job.kind] || job.kind}: ${job.state}`);
    watchJob(job, afterJob);
  } catch (e) { fail(e); }
}

async function afterJob(job) {
  if (!state.clip || job.clip_id !== state.clip.id) return;
  if (job.state !== "done") { say(describeJob(job), job.state === "cancelled" ? "info" : "error"); return; }
  say(describeJob(job));
  if (job.kind === "masks") {
    state.clip = await api("GET", `/api/clips/${state.clip.id}`);
    for (const n of Object.keys(state.edits)) {  // edits never stored start again from the new masks
      if (!state.clip.keyframes.includes(Number(n))) delete state.edits[n];
    }
    updateClipInfo();
    setView("edit");
  } else if (job.kind === "preview") {
    showResult(job);
    setFrame(job.result.first);
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

// ---- results -------------------------------------------------------------------------------

// the summary metrics of vinpaint.evaluate.metrics.evaluate, in the order shown; arrows say which way is better
const METRICS = [
  ["q", "quality score, 0–100 (↑)"],
  ["flicker_hole", "flicker in the hole, 0–255 (↓)"],
  ["ewarp_hole", "warping error in the hole (↓)"],
  ["ewarp", "warping error, whole frame (↓)"],
  ["boundary", "seam strength (1 = no seam)"],
  ["sharpness", "texture vs. surroundings (1 = as sharp)"],
  ["changed_outside", "pixels changed outside the hole"],
  ["psnr_hole", "PSNR in the hole, dB (↑)"],
  ["ssim_hole", "SSIM in the hole (↑)"],
  ["psnr", "PSNR, dB (↑)"],
  ["ssim", "SSIM (↑)"],
  ["hole_fraction", "hole, share of the pixels"],
  ["frames", "frames measured"],
];

function formatValue(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

function showResult(job) {
  state.result = job;
  const table = $("metrics");
  table.innerHTML = "";
  const info = $("result-info");
  if (!job) {
    info.textContent = "No result yet.";
  } else {
    const r = job.result;
    const what = job.kind === "preview" ? `Preview of frames ${r.first}–${r.last}` : `Whole clip (${r.frame_count} frames)`;
    info.textContent = `${what}, filled in ${r.seconds} s with ${job.params.options.engine}.`;
    if (r.metrics.error) {
      info.textContent += ` (metrics failed: ${r.metrics.error})`;
    } else {
      for (const [key, label] of METRICS) {
        const value = r.metrics[key];
        if (value === null || value === undefined) continue;
        const row = table.insertRow();
        row.dataset.metric = key;
        row.insertCell().textContent = label;
        row.insertCell().textContent = formatValue(value);
      }
    }
  }
  const run = state.run;
  for (const [id, suffix] of [["download-video", "video"], ["download-masks", "masks.zip"]]) {
    const link = $(id);
    link.hidden = !run;
    if (run) { link.href = `/api/jobs/${run.id}/${suffix}`; link.setAttribute("download", ""); }
  }
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  $("open-data").onclick = openData;
  $("upload-input").onchange = (e) => { if (e.target.files.length) upload(e.target.files[0]); };
  $("clip-select").onchange = async (e) => {
    if (!e.target.value) return;
    try { await showClip(await api("GET", `/api/clips/${e.target.value}`)); } catch (err) { fail(err); }
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
  $("clear-key").onclick = clearKeyframe;
  $("track").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("track"));
  $("static").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("static"));
  $("data-masks").onclick = () => submit(`/api/clips/${state.clip.id}/masks`, maskRequest("data"));
  $("preview").onclick = () => submit(`/api/clips/${state.clip.id}/preview`, {
    options: fillOptions(),
    first: parseInt($("preview-first").value, 10) || 0,
    count: parseInt($("preview-count").value, 10) || state.options.preview_frames,
  });
  $("run").onclick = () => submit(`/api/clips/${state.clip.id}/remove`, { options: fillOptions() });
  $("cancel").onclick = async () => {
    if (!state.watching) return;
    try { await api("POST", `/api/jobs/${state.watching}/cancel`); } catch (e) { fail(e); }
  };
  const marks = $("marks-canvas");
  marks.addEventListener("pointerdown", onPointerDown);
  marks.addEventListener("pointermove", onPointerMove);
  marks.addEventListener("pointerup", onPointerUp);
  marks.addEventListener("pointercancel", onPointerUp);
  window.addEventListener("resize", layout);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === "ArrowLeft") { stopPlaying(); setFrame(state.frame - 1); }
    else if (e.key === "ArrowRight") { stopPlaying(); setFrame(state.frame + 1); }
    else if (e.key === " ") { e.preventDefault(); togglePlay(); }
  });
}

async function start() {
  wire();
  try {
    await loadOptions();
    setTool(state.tool);
    setView("edit");
    await Promise.all([loadData(), loadClips()]);
    const match = location.hash.match(/clip=([0-9a-f]{32})/);
    if (match) await showClip(await api("GET", `/api/clips/${match[1]}`));
    document.body.dataset.ready = "1";
  } catch (e) { fail(e); document.body.dataset.ready = "1"; }
}

start();
